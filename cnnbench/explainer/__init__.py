"""Where the time goes: this machine's roofline, per-module time attribution, and what bounds each layer.

* :mod:`cnnbench.latency.roofline` — ``measure_roofline`` / ``get_roofline`` (cached per machine fingerprint) /
  ``cached_roofline`` and ``efficiency(record, roofline)`` for latency rows;
* :mod:`cnnbench.explainer.attribution` — times per module: eager on the CPU from forward hooks on the static
  trace's ``named_modules()`` names (perf_counter), split over op types by ``torch.profiler``; eager on CUDA from
  the profiler's kernel times; ONNX Runtime from its node profiling;
* :mod:`cnnbench.explainer.bounds` — ``compute`` | ``memory`` | ``overhead`` and the roofline fraction;
* :mod:`cnnbench.explainer.view` — the join with the static trace (``Explanation`` rows); ``plots`` its charts;
* :func:`explain` — all of it for one model (:mod:`cnnbench.explainer.run`).

Importing this package imports no torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["explain"]


def explain(model: Any, **kwargs: Any) -> Any:
    """See :func:`cnnbench.explainer.run.explain` (imported at the first call, so ``import cnnbench`` stays light)."""
    from cnnbench.explainer.run import explain as _explain

    return _explain(model, **kwargs)
