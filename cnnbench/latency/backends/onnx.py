"""ONNX Runtime runner (``--runtime onnx``): the cached export of :mod:`cnnbench.latency.backends.onnx_export`,
timed as an ``InferenceSession``.

Inputs: the model is exported with its positional ``args`` and keyword ``kwargs`` (``torch.onnx.export(model,
args, kwargs=...)``); every graph input is fed by name when the names are the forward's parameter names (the
dynamo exporter's naming), else in order — the tensors (then, for the TorchScript exporter, which also turns
Python numbers into inputs, the tensors and numbers) in the order of the forward's signature.

Threads: ``SessionOptions.intra_op_num_threads`` = the same thread count torch uses; one inter-op thread,
sequential execution. On CUDA every input is bound once on the device with I/O binding so host-to-device copies
are not timed, like the eager runner whose input already lives on the device; ``run_with_iobinding`` returns
after the CUDA stream is synchronised (ORT's default ``disable_synchronize_execution_providers=0``).
"""

from __future__ import annotations

import contextlib
import inspect
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.latency.backends.onnx_export import PreparedExport, _plain_first_line, export_model
from cnnbench.latency.devices import check_session_providers, onnx_providers
from cnnbench.latency.runner import Runner, flat_leaves
from cnnbench.latency.usercode import quiet_output, stdout_to_stderr

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cnnbench.latency.backends import Target
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.runner import Leaf


_ORT_NUMPY = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
              "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int16)": "int16", "tensor(int8)": "int8",
              "tensor(uint8)": "uint8", "tensor(bool)": "bool"}


def _signature_leaves(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """Input leaves in the order of ``forward``'s signature, each with its parameter name when it is a whole
    parameter (a tensor passed as ``x`` or ``mask=``), else ``None`` (nested containers, ``*args``)."""
    from torch.utils._pytree import tree_flatten

    try:
        sig = inspect.signature(model.forward)
        bound = sig.bind(*args, **kwargs)
        items = list(bound.arguments.items())
        kinds = {n: p.kind for n, p in sig.parameters.items()}
    except (TypeError, ValueError):
        items, kinds = [(None, a) for a in args] + list(kwargs.items()), {}
    out: list[tuple[str | None, Any]] = []
    for name, value in items:
        if kinds.get(name) == inspect.Parameter.VAR_KEYWORD and isinstance(value, dict):
            for k, v in value.items():
                out += [(k, v)] if _is_leaf(v) else [(None, leaf) for leaf in tree_flatten(v)[0]]
        elif kinds.get(name) != inspect.Parameter.VAR_POSITIONAL and _is_leaf(value):
            out.append((name, value))
        else:
            out += [(None, leaf) for leaf in tree_flatten(value)[0]]
    return out


def _is_leaf(v: Any) -> bool:
    from torch.utils._pytree import tree_flatten

    leaves = tree_flatten(v)[0]
    return len(leaves) == 1 and leaves[0] is v


def session_feed(session: Any, model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Graph input name → numpy array, for every input of ``session`` (see the module docstring for the rule).

    Raises:
        RuntimeError: The graph's inputs cannot be matched with the model's inputs.
    """
    import numpy as np
    import torch

    graph = session.get_inputs()
    leaves = _signature_leaves(model, args, kwargs)
    named = {n: v for n, v in leaves if n is not None and isinstance(v, torch.Tensor)}
    if all(i.name in named for i in graph):
        values = [named[i.name] for i in graph]
    else:
        tensors = [v for _, v in leaves if isinstance(v, torch.Tensor)]
        with_numbers = [v for _, v in leaves if isinstance(v, (torch.Tensor, bool, int, float))]
        values = tensors if len(tensors) == len(graph) else with_numbers
        if len(values) != len(graph):
            raise RuntimeError(f"the ONNX graph takes {len(graph)} inputs ({', '.join(i.name for i in graph)}) "
                               f"but the model was given {len(tensors)} tensors")
    feed = {}
    for inp, v in zip(graph, values):
        want = _ORT_NUMPY.get(inp.type)
        arr = v.numpy() if isinstance(v, torch.Tensor) else np.asarray(v, dtype=want)
        feed[inp.name] = np.ascontiguousarray(arr)
    return feed


def session_options(threads: int, spinning: bool = True) -> Any:
    """The ``SessionOptions`` of every cnnbench session: ``threads`` intra-op, one inter-op, sequential."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3  # errors only: ORT's warnings would otherwise flood stderr
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def open_session(path: Path | str, device: torch.device, *, threads: int, spinning: bool = True,
                 providers: list[Any] | None = None) -> Any:
    """An ``InferenceSession`` on ``device`` (its providers checked: no silent CPU fallback for CUDA)."""
    import onnxruntime as ort

    providers = providers or onnx_providers(device)
    with stdout_to_stderr(), quiet_output():
        try:
            session = ort.InferenceSession(str(path), sess_options=session_options(threads, spinning),
                                           providers=providers)
        except Exception as err:  # ORT's messages carry the whole node dump: one plain line
            raise RuntimeError(f"ONNX Runtime could not load the graph: {_plain_first_line(err)}") from err
    check_session_providers(session.get_providers(), device)
    return session


def session_runner(session: Any, prepared: PreparedExport, device: torch.device, *, runtime: str = "onnx",
                   details: dict[str, Any] | None = None, cleanup_extra: Any = None) -> Runner:
    """A :class:`Runner` timing ``session.run`` on the export's inputs (I/O binding on CUDA)."""
    import onnxruntime as ort

    feed = session_feed(session, prepared.model, prepared.args, prepared.kwargs)
    keep: list[Any] = []  # device copies of the inputs live as long as the runner

    if device.type == "cuda":
        binding = session.io_binding()
        on_device = {name: ort.OrtValue.ortvalue_from_numpy(arr, "cuda", device.index or 0)
                     for name, arr in feed.items()}
        keep.extend(on_device.values())
        for name, value in on_device.items():
            binding.bind_ortvalue_input(name, value)
        for out in session.get_outputs():
            binding.bind_output(out.name, "cuda", device.index or 0)

        def call() -> Any:
            session.run_with_iobinding(binding)
            return binding

        def to_leaves(out: Any) -> list[Leaf]:
            return flat_leaves(out.copy_outputs_to_cpu())
    else:
        def call() -> Any:
            return session.run(None, feed)

        to_leaves = flat_leaves

    tmp_dir = prepared.tmp_dir

    def cleanup() -> None:
        nonlocal session
        session = None  # drops the session (and its arena) before the temp files go
        keep.clear()
        if cleanup_extra is not None:
            cleanup_extra()
        if tmp_dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp_dir)

    facts = {**prepared.details(), "onnx_providers": session.get_providers(), "onnx_inputs": list(feed),
             "onnx_intra_op_threads": session.get_session_options().intra_op_num_threads, **(details or {})}
    # ORT's CUDA arena is invisible to torch.cuda.max_memory_allocated (see memory.py)
    return Runner(runtime, device, call, None, details=facts, to_leaves=to_leaves, flat=True, cleanup=cleanup,
                  memory_visible=device.type == "cpu")


def prepare_onnx(model: nn.Module, args: Any, kwargs: dict[str, Any] | None, opts: LatencyOptions,
                 target: Target) -> Runner:
    """Exports (or reuses) the graph and opens an ``InferenceSession`` on ``target.device``.

    Args:
        model: CPU model in eval mode (the engine's own: exporting may change it; see
            :func:`cnnbench.latency.placement.build_inputs` ``copy_model``).
        args: CPU positional inputs (a tuple, or one tensor); floating tensors are cast to ``target.dtype``
            (``"fp32" | "fp16"``: ``bf16`` has no numpy type to feed ONNX Runtime and fails).
        kwargs: CPU keyword inputs.
        opts: ``onnx_dir`` (cache directory), ``opset``, ``exporter`` and ``onnx_spinning`` (ORT's default: idle
            intra-op workers busy-wait for the next run; off when ORT calls are interleaved with torch work in one
            process, or the spinning threads slow torch down).
        target: Device (``cpu`` or ``cuda:N``), dtype, threads (``intra_op_num_threads``, read back into
            ``details.onnx_intra_op_threads``) and ``model_key`` (cache name; ``None`` exports to a temporary
            directory removed by ``Runner.close``).

    Raises:
        CnnbenchError: Provider unavailable or the CUDA provider failed to load.
        RuntimeError / ValueError: Export or session failures (reported as the row's error by run_latency).
    """
    device = target.device
    onnx_providers(device)  # usage error before exporting
    prepared = export_model(model, args, kwargs, dtype=target.dtype, model_key=target.model_key,
                            cache_dir=opts.onnx_dir, opset=opts.opset, exporter=opts.exporter)
    try:
        session = open_session(prepared.export.path, device, threads=target.threads, spinning=opts.onnx_spinning)
        return session_runner(session, prepared, device)
    except BaseException:
        if prepared.tmp_dir is not None:
            shutil.rmtree(prepared.tmp_dir, ignore_errors=True)
        raise
