"""Per-module time on ONNX Runtime, from its node profiling (eager: :mod:`cnnbench.explainer.attribution`).

``SessionOptions.enable_profiling`` writes every node's kernel time (``<node>_kernel_time``) and every run
(``model_run``); nodes are mapped to modules through the exported graph: the dynamo exporter stores the module scope
of each node in ``metadata_props["pkg.torch.onnx.name_scopes"]`` (``['', 'layer1', 'layer1.0', 'layer1.0.conv1',
'conv2d']``: the next-to-last entry is the innermost module path). ORT's graph optimisations rename and fuse nodes
(``conv2d_nchwc`` for the node whose output is ``conv2d``; BatchNorm folded into a Conv, ReLU fused into it): names
are looked up as node names, then as output names after dropping ORT's suffixes (``_nchwc``, ``_token_N``); a fused
node's time goes to the scope the exporter gave it — except that a conv/GEMM node scoped to a module that ran no
conv/GEMM in the static trace (``conv1 → bn1 → relu`` fused and named after ``relu``) goes to the nearest module
before it that did — and nodes ORT inserted (``ReorderOutput``) or that cannot be mapped go to the module of the
node before them. A run's time outside its nodes is the top level's ``framework (python)`` share (session overhead).
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnnbench.explainer.attribution import Timing, _Iteration, _kind, _trimmed, static_conv_types
from cnnbench.explainer.optypes import CONV, DW_CONV, FRAMEWORK, MATMUL, op_type

_ORT_SUFFIX = re.compile(r"(_nchwc|_token_\d+|_kernel_time)$")


def onnx_scopes(path: str | Path) -> dict[str, str]:
    """Node name and output name → innermost module path, from the exporter's ``name_scopes`` metadata."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    out: dict[str, str] = {}
    for node in model.graph.node:
        meta = {p.key: p.value for p in node.metadata_props}
        scopes = meta.get("pkg.torch.onnx.name_scopes")
        module = None
        if scopes:
            try:
                parts = ast.literal_eval(scopes)
                module = parts[-2] if len(parts) >= 2 else ""
            except (ValueError, SyntaxError):
                module = None
        if module is None:
            continue
        out.setdefault(node.name, module)
        for o in node.output:
            out.setdefault(o, module)
    return out


def _lookup(name: str, scopes: dict[str, str]) -> str | None:
    while True:
        if name in scopes:
            return scopes[name]
        stripped = _ORT_SUFFIX.sub("", name)
        if stripped == name:
            return None
        name = stripped


def _family(kind: str) -> str:
    return CONV if kind == DW_CONV else kind


def _owner(module: str, family: str, order: list[str], kinds: dict[str, set[str]]) -> str:
    """A fused conv/GEMM node named after a later module (BatchNorm folded in, ReLU fused: the exporter and ORT name
    it after the last op) belongs to the nearest module at or before it that ran a conv/GEMM in the static trace."""
    if family not in (CONV, MATMUL) or family in kinds.get(module, ()) or module not in kinds:
        return module
    for m in reversed(order[: order.index(module)]):
        if family in kinds[m]:
            return m
    return module


def parse_ort_profile(events: list[dict[str, Any]], scopes: dict[str, str], *, skip_runs: int = 0,
                      records: Sequence[Any] = ()) -> Timing:
    """:class:`Timing` from ONNX Runtime's profile JSON (a list of trace events); the first ``skip_runs`` runs are
    dropped (warm-up)."""
    convs = static_conv_types(records)
    order: list[str] = []
    kinds: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.module not in kinds:
            order.append(r.module)
        kinds[r.module].add(_family(op_type(r.op, r.in_shapes)))
    iters: list[_Iteration] = []
    cur = _Iteration()
    last = ""
    for e in events:
        cat, name = e.get("cat"), str(e.get("name", ""))
        if cat == "Node" and name.endswith("_kernel_time"):
            node = name[: -len("_kernel_time")]
            op_name = str(e.get("args", {}).get("op_name", node))
            module = _lookup(node, scopes)
            module = last if module is None else module
            module = _owner(module, _family(op_type(op_name)), order, kinds)
            last = module
            t = float(e.get("dur", 0))
            key = (module, _kind(op_name, module, cur, convs))
            cur.op_us[key] += t
            cur.calls[key] += 1
            cur.names[key].add(op_name)
            cur.self_us[module] += t
        elif cat == "Session" and name == "model_run":
            cur.total_us = float(e.get("dur", 0))
            rest = cur.total_us - sum(cur.self_us.values())
            if rest > 0:
                cur.self_us[""] += rest
                cur.op_us[("", FRAMEWORK)] += rest
            iters.append(cur)
            cur, last = _Iteration(), ""
    iters = iters[skip_runs:]
    if not iters:
        raise RuntimeError("ONNX Runtime's profile has no model_run")
    return _trimmed(iters, "ONNX Runtime node profiling")


def profile_onnx(onnx_path: str | Path, feed: dict[str, Any], *, threads: int, iterations: int = 20,
                 warmup: int = 3, records: Sequence[Any] = (), providers: Sequence[str] = ("CPUExecutionProvider",),
                 profile_dir: str | Path | None = None) -> Timing:
    """Opens a profiling session on ``onnx_path`` (same threads/options as the latency runner), runs ``warmup`` +
    ``iterations`` inferences and attributes node times to modules; the profile file is deleted afterwards."""
    import tempfile

    import onnxruntime as ort

    from cnnbench.latency.usercode import stdout_to_stderr

    with tempfile.TemporaryDirectory(prefix="cnnbench-ortprof-", dir=profile_dir) as tmp:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        so.enable_profiling = True
        so.profile_file_prefix = str(Path(tmp) / "ort")
        with stdout_to_stderr():
            session = ort.InferenceSession(str(onnx_path), sess_options=so, providers=list(providers))
        for _ in range(max(warmup, 0) + max(iterations, 1)):
            session.run(None, feed)
        prof = session.end_profiling()
        events = json.loads(Path(prof).read_text())
        del session
    return parse_ort_profile(events, onnx_scopes(onnx_path), skip_runs=max(warmup, 0), records=records)
