"""``explain``: which modules of a model take the time, and why (compute, memory or overhead bound).

* :mod:`cnnbench.explainer.run` — :func:`explain` for one model: the static trace, the timed
  runs, the join;
* :mod:`cnnbench.explainer.attribution` — times per module of the eager runtimes: on the CPU from forward hooks on
  the static trace's ``named_modules()`` names (:mod:`cnnbench.analysis.modules`, perf_counter), split over op
  types by ``torch.profiler``; on CUDA from the profiler's kernel times;
* :mod:`cnnbench.explainer.ort_profile` — times per module on ONNX Runtime, from its node profiling;
* :mod:`cnnbench.explainer.regional` — ``--runtime compile``: one compiled ``forward`` per row's module;
* :mod:`cnnbench.explainer.bounds` — ``compute`` | ``memory`` | ``overhead`` and the roofline fraction;
* :mod:`cnnbench.explainer.optypes` — the op types times are split over;
* :mod:`cnnbench.explainer.explanation` — the join with the static trace (``Explanation`` rows);
  :mod:`cnnbench.explainer.view` renders it in a terminal, ``plots`` draws its charts.

This machine's roofline (``measure_roofline`` / ``get_roofline``, cached per machine fingerprint, and
``efficiency(record, roofline)`` for latency rows) lives in :mod:`cnnbench.latency.roofline`.

Importing this package imports no torch.
"""

from __future__ import annotations

from cnnbench import lazy_face

__all__ = ["Explanation", "check_options", "explain", "print_explanation", "save_plots"]

# the run, its result type, its terminal view and its charts, imported at first use
__getattr__, __dir__ = lazy_face(__name__, {"explain": "run", "check_options": "run", "Explanation": "explanation",
                                            "print_explanation": "view", "save_plots": "plots"})
