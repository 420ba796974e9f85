"""What limits a layer — ``compute`` | ``memory`` | ``overhead`` — from its costs, its time and the roofline.

For a layer (a module, or one op type within a module) with ``flops`` FLOPs, ``bytes`` of memory access
(ShuffleNetV2's MAC, in bytes), ``ops`` aten calls per inference and measured ``time_s``:

* ``arithmetic_intensity`` = flops / bytes (FLOP/byte); ``achieved_gflops`` = flops / time; ``achieved_gbps`` =
  bytes / time (10⁹ units).
* ``roofline_fraction`` = achieved ÷ the roof at the layer's intensity, ``min(peak, intensity × bandwidth)``. At
  or above the ridge point that is ``achieved_gflops / peak_gflops``; below it, ``achieved_gbps /
  bandwidth_gbps`` (the same number when flops > 0, and still defined for layers without FLOPs: pooling, copies).

The rule (:func:`classify`), in this order:

1. ``overhead`` when per-op dispatch dominates the time — ``time_s / ops < OVERHEAD_DISPATCH_FACTOR ×
   dispatch_overhead`` (dispatch alone is at least half of each op's time) — or the layer is *far below both
   roofs*: ``roofline_fraction < FAR_BELOW_ROOF`` (more than 10× from the roof at its intensity: neither
   compute nor bandwidth explains the time; framework work, a slow kernel or poor parallelism does).
2. ``compute`` when its intensity is at or above the ridge point (peak / bandwidth);
3. ``memory`` otherwise (below the ridge and within 10× of the bandwidth roof).
"""

from __future__ import annotations

from typing import Any

#: A layer whose time per op is below this many dispatch overheads is dispatch-dominated.
OVERHEAD_DISPATCH_FACTOR = 2.0
#: A layer reaching less than this fraction of its roof is "far below both roofs".
FAR_BELOW_ROOF = 0.1
BOUNDS = ("compute", "memory", "overhead")


def ridge(roofline: dict[str, Any]) -> float:
    """FLOP/byte where the bandwidth roof meets the compute roof."""
    return float(roofline["peak_gflops"]) / float(roofline["bandwidth_gbps"])


def layer_metrics(flops: float, nbytes: float, time_s: float, roofline: dict[str, Any]) -> dict[str, float]:
    """``arithmetic_intensity``, ``achieved_gflops``, ``achieved_gbps`` and ``roofline_fraction`` of one layer."""
    ai = flops / nbytes if nbytes > 0 else (float("inf") if flops > 0 else 0.0)
    gflops = flops / time_s / 1e9 if time_s > 0 else 0.0
    gbps = nbytes / time_s / 1e9 if time_s > 0 else 0.0
    if ai >= ridge(roofline):
        frac = gflops / float(roofline["peak_gflops"])
    else:
        frac = gbps / float(roofline["bandwidth_gbps"])
    return {"arithmetic_intensity": ai, "achieved_gflops": gflops, "achieved_gbps": gbps, "roofline_fraction": frac}


def classify(flops: float, nbytes: float, time_s: float, ops: float, roofline: dict[str, Any]) -> str:
    """``compute`` | ``memory`` | ``overhead`` by the rule of the module docstring."""
    if time_s <= 0 or (flops <= 0 and nbytes <= 0):
        return "overhead"
    dispatch_s = float(roofline["dispatch_overhead_us"]) * 1e-6
    per_op = time_s / max(ops, 1.0)
    m = layer_metrics(flops, nbytes, time_s, roofline)
    if per_op < OVERHEAD_DISPATCH_FACTOR * dispatch_s or m["roofline_fraction"] < FAR_BELOW_ROOF:
        return "overhead"
    return "compute" if m["arithmetic_intensity"] >= ridge(roofline) else "memory"
