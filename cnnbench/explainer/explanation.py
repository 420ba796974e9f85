"""The join: one static trace (costs per module) × one profiled run (time per module) × the roofline → rows.

Rows are keyed like :meth:`cnnbench.analysis.static.StaticProfile.by_module`: a module path truncated to ``depth``
dotted levels, ``(top level)`` for the model's own code. ``by="op"`` splits every such row by op type
(:mod:`cnnbench.explainer.optypes`), with the module's time outside its aten ops as ``framework (python)``.

Row fields: ``module``, ``module_type``, (``op``), ``time_ms`` (per inference, profiled run), ``share`` (of the
sum of all rows), ``macs``, ``flops``, ``memory_access_bytes``, ``activations``, ``calls`` (top-level aten calls
per inference), ``arithmetic_intensity`` (FLOP/byte), ``achieved_gflops``, ``achieved_gbps``,
``roofline_fraction`` and ``bound`` (:mod:`cnnbench.explainer.bounds`; ``None`` for a row without time of its own:
ONNX Runtime fused it into a neighbour). A ``roofline_fraction`` above 1 means the data stayed in cache: the
bandwidth roof is DRAM's, and memory access counts every op's inputs and outputs as if they went to memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cnnbench.explainer.attribution import Timing
from cnnbench.explainer.bounds import classify, layer_metrics
from cnnbench.explainer.optypes import FRAMEWORK, TYPES, op_type

TOP = "(top level)"
LAYER_KEYS = ("module", "module_type", "op", "time_ms", "share", "macs", "flops", "memory_access_bytes",
              "activations", "calls", "arithmetic_intensity", "achieved_gflops", "achieved_gbps",
              "roofline_fraction", "bound")


def module_key(path: str, depth: int) -> str:
    """The row a module path belongs to at ``depth`` (the static trace's rule)."""
    return ".".join(path.split(".")[:depth]) if path else TOP


@dataclass
class Explanation:
    """Where one model's time goes (see the module docstring; ``to_dict()`` is the JSON object)."""

    model: str
    runtime: str
    device: str
    dtype: str
    threads: int
    batch_size: int
    input_shape: tuple[int, ...]
    depth: int
    by: str
    end_to_end_ms: float | None = None
    end_to_end: dict[str, Any] | None = None
    sum_of_layers_ms: float | None = None
    profiled_total_ms: float | None = None
    roofline: dict[str, Any] | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    op_types: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    profiled_iterations: int = 0
    timed_inferences: int = 0
    timing_source: str = ""
    compile: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    env: dict[str, Any] | None = None

    @property
    def profiler_overhead(self) -> dict[str, float] | None:
        """``{"ms", "fraction"}``: how much longer a profiled inference (``torch.profiler`` / ORT profiling) was than
        the end-to-end median (≥ 0)."""
        profiled = self.profiled_total_ms if self.profiled_total_ms is not None else self.sum_of_layers_ms
        if self.end_to_end_ms is None or profiled is None or self.end_to_end_ms <= 0:
            return None
        ms = max(profiled - self.end_to_end_ms, 0.0)
        return {"ms": ms, "fraction": ms / self.end_to_end_ms}

    @property
    def reconciliation(self) -> dict[str, Any] | None:
        """Sum of the per-layer times vs the end-to-end median (uninstrumented), both from this run."""
        if self.end_to_end_ms is None or self.sum_of_layers_ms is None or self.end_to_end_ms <= 0:
            return None
        diff = self.sum_of_layers_ms - self.end_to_end_ms
        rel = diff / self.end_to_end_ms
        return {"difference_ms": diff, "relative": rel, "within_10pct": abs(rel) <= 0.10}

    def summary(self, n: int = 3) -> list[str]:
        """Sentences like "depthwise conv: 3% of MACs, 31% of time" for the op types with the most time."""
        out = []
        for t in sorted(self.op_types, key=lambda r: -r["time_share"])[:n]:
            out.append(f"{t['op_type']}: {100 * t['macs_share']:.0f}% of MACs, {100 * t['time_share']:.0f}% of time")
        return out

    def to_dict(self) -> dict[str, Any]:
        roof = None
        if self.roofline is not None:
            roof = {k: v for k, v in self.roofline.items() if k != "env"}
        return {
            "model": self.model, "runtime": self.runtime, "device": self.device, "dtype": self.dtype,
            "threads": self.threads, "batch_size": self.batch_size, "input_shape": list(self.input_shape),
            "depth": self.depth, "by": self.by, "end_to_end_ms": self.end_to_end_ms, "end_to_end": self.end_to_end,
            "sum_of_layers_ms": self.sum_of_layers_ms, "profiled_total_ms": self.profiled_total_ms,
            "profiler_overhead": self.profiler_overhead, "reconciliation": self.reconciliation,
            "profiled_iterations": self.profiled_iterations, "timed_inferences": self.timed_inferences,
            "timing_source": self.timing_source, **({"compile": self.compile} if self.compile else {}),
            "roofline": roof, "totals": self.totals, "layers": self.layers,
            "op_types": self.op_types, "summary": self.summary(), "notes": self.notes, "error": self.error,
            "env": self.env,
        }


def _row(module: str, mtype: str, op: str | None, time_ms: float, total_ms: float, cost: dict[str, float],
         calls: float, roofline: dict[str, Any]) -> dict[str, Any]:
    t = time_ms / 1e3
    flops, nbytes = cost.get("flops", 0), cost.get("bytes", 0)
    m = layer_metrics(flops, nbytes, t, roofline)
    row = {"module": module, "module_type": mtype}
    if op is not None:
        row["op"] = op
    row.update({
        "time_ms": time_ms, "share": time_ms / total_ms if total_ms > 0 else 0.0, "macs": int(cost.get("macs", 0)),
        "flops": int(flops), "memory_access_bytes": int(nbytes), "activations": int(cost.get("activations", 0)),
        "calls": calls, **m,
        # no time of its own: fused into a neighbour (ONNX Runtime folds BatchNorm into the conv before it)
        "bound": classify(flops, nbytes, t, calls, roofline) if t > 0 else None,
    })
    return row


def _costs(records: Any, depth: int, by_op: bool) -> tuple[dict[Any, dict[str, float]], list[Any]]:
    costs: dict[Any, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    order: list[Any] = []
    for r in records:
        key = module_key(r.module, depth)
        if by_op:
            key = (key, op_type(r.op, r.in_shapes))
        if key not in costs:
            order.append(key)
        c = costs[key]
        c["macs"] += r.macs
        c["flops"] += r.flops
        c["bytes"] += r.memory_access_bytes
        c["activations"] += r.activations
    return costs, order


def join(static: Any, timing: Timing, roofline: dict[str, Any], *, depth: int = 1, by: str = "module",
         module_types: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(layers, op_types)``: per-row costs from ``static`` (a ``StaticProfile``) beside ``timing``'s times."""
    by_op = by == "op"
    types = dict(module_types or {})
    for r in static.records:
        types.setdefault(r.module, r.module_type)
    costs, order = _costs(static.records, depth, by_op)
    times: dict[Any, float] = defaultdict(float)
    calls: dict[Any, float] = defaultdict(float)
    if by_op:
        for (path, kind), ms in timing.op_ms.items():
            key = (module_key(path, depth), kind)
            times[key] += ms
            if kind != FRAMEWORK:
                calls[key] += timing.op_calls.get((path, kind), 0.0)
    else:
        for path, ms in timing.self_ms.items():
            times[module_key(path, depth)] += ms
        for (path, kind), n in timing.op_calls.items():
            calls[module_key(path, depth)] += n
    keys = list(order) + [k for k in times if k not in costs]
    total = sum(times.values())
    layers = []
    for key in keys:
        module, op = key if by_op else (key, None)
        path = "" if module == TOP else module
        cost = costs.get(key, {})
        if times.get(key, 0.0) <= 0 and not any(cost.values()):
            continue  # an allocation (``empty``) or a view: nothing moved, no time
        layers.append(_row(module, types.get(path, ""), op, times.get(key, 0.0), total, cost, calls.get(key, 0.0),
                           roofline))
    return layers, op_type_totals(static.records, timing)


def op_type_totals(records: Any, timing: Timing) -> list[dict[str, Any]]:
    """Per op type: time and its share beside MACs and memory access and their shares (sorted by time)."""
    acc: dict[str, dict[str, float]] = {t: defaultdict(float) for t in TYPES}
    for r in records:
        a = acc[op_type(r.op, r.in_shapes)]
        a["macs"] += r.macs
        a["bytes"] += r.memory_access_bytes
    for (path, kind), ms in timing.op_ms.items():
        acc.setdefault(kind, defaultdict(float))["time_ms"] += ms
        acc[kind]["calls"] += timing.op_calls.get((path, kind), 0.0)
    t_all = sum(a["time_ms"] for a in acc.values()) or 1.0
    m_all = sum(a["macs"] for a in acc.values()) or 1.0
    b_all = sum(a["bytes"] for a in acc.values()) or 1.0
    out = [{"op_type": k, "time_ms": a["time_ms"], "time_share": a["time_ms"] / t_all, "macs": int(a["macs"]),
            "macs_share": a["macs"] / m_all, "memory_access_bytes": int(a["bytes"]), "memory_share": a["bytes"] / b_all,
            "calls": a["calls"]}
           for k, a in acc.items() if a["time_ms"] > 0 or a["macs"] > 0 or a["bytes"] > 0]
    return sorted(out, key=lambda r: -r["time_ms"])


def top_layers(layers: list[dict[str, Any]], top: int | None) -> list[dict[str, Any]]:
    """The ``top`` rows with the most time (all rows, in execution order, when ``top`` is None)."""
    if top is None:
        return layers
    return sorted(layers, key=lambda r: -r["time_ms"])[:top]
