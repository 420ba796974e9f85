"""``cnnbench check`` and ``cnnbench baseline create``: static metrics exact, latency judged across blocks.

Modules, one job each:

* :mod:`~cnnbench.check.suite` — the suite schema (TOML file, and the copy stored in a baseline), pydantic v2 models
  on :mod:`~cnnbench.check.schema` (one-line errors naming the field);
* :mod:`~cnnbench.check.calibration` — the calibration workload a stored baseline's latency is a ratio to;
* :mod:`~cnnbench.check.stats` — block log ratios, t intervals across blocks, verdicts, static comparisons;
* :mod:`~cnnbench.check.side` — one side in this process (fresh instances per block, block sizes fixed once);
* :mod:`~cnnbench.check.measure` — blocks on one or two sides (ABBA), stages, judging;
* :mod:`~cnnbench.check.baseline` — the baseline document (schema 2), its validation, ``check --baseline``;
* :mod:`~cnnbench.check.against` — ``check --against REF`` (worker processes, git worktree);
* :mod:`~cnnbench.check.attribution` — which module owns a slowdown (module times on both sides, the descent rule);
* :mod:`~cnnbench.check.result` — rows and the report (data); :mod:`~cnnbench.check.view` renders it.

In short:

**Static metrics** (params, checkpoint bytes, MACs, memory access, activations) are exact and machine-independent:
any relative change beyond the entry's tolerance (default 0) fails.

**Latency** is measured on each side in ``blocks`` independent blocks: each block builds a fresh model instance and
fresh calibration instances, warms them up, fixes their block sizes once, and takes ``rounds`` rounds of
interleaved samples. A block is one number, its log ratio (median over its rounds); the interval is Student's t
across blocks — paired with ``--against`` (both sides in the same blocks, who goes first alternating, ABBA),
Welch's two-sample t against a stored baseline (where the ratio is to a calibration workload, so the machine's
speed cancels). Because blocks differ in everything a rerun changes — instance, memory placement, warm-up, block
size, the machine's state minutes apart — the interval holds the rerun-to-rerun variation, not only the
round-to-round noise of one process.

**Clock.** Wall time (``time.perf_counter``, the device synchronised on CUDA) by default: what a user of the model
waits, sleeps, blocking I/O, waits on other threads and the GPU included. The thread's CPU time (``clock = "cpu"``)
only on request: blind to all of those.

**Verdicts** (:func:`~cnnbench.check.stats.latency_verdict`): regression = estimate above ``1 + threshold`` with
the interval above 1; faster = the mirror image; inconclusive = interval wider than the threshold (or an unstable
calibration): more blocks, up to ``max_blocks``, then a warning (exit 3); pass otherwise.
"""

from __future__ import annotations

from cnnbench import lazy_face

# names → the module that owns them; loaded at first use (``cnnbench check --help`` imports no pydantic, no torch)
_WHERE = {
    "BASELINE_KIND": "baseline", "BASELINE_SCHEMA": "baseline", "Block": "measure", "CALIBRATION_ID": "calibration",
    "CALIBRATION_SHAPE": "calibration", "CheckReport": "result", "CheckSettings": "suite", "Entry": "suite",
    "LocalSide": "side", "Log": "result", "ModuleBlock": "attribution", "attribute": "attribution",
    "module_deltas": "attribution", "RowResult": "result", "Suite": "suite", "SuiteFile": "suite",
    "baseline_blocks": "baseline", "block_log_ratio": "stats", "build_calibration": "calibration",
    "check_against_baseline": "baseline", "compare_static": "stats", "create_baseline": "baseline", "judge":
    "measure", "latency_record": "baseline", "latency_verdict": "stats", "latency_vs_baseline": "baseline",
    "load_baseline": "baseline", "load_suite": "suite", "mean_interval_width": "stats", "measure_blocks": "measure",
    "missing_rows": "result", "paired_interval": "stats", "parse_suite": "suite", "relative_iqr": "stats",
    "row_status": "result", "sequential_judge": "measure", "stages": "measure", "summary": "measure", "threads_notes":
    "result", "validate_baseline": "baseline", "welch_interval": "stats"
}

__all__ = [
    "BASELINE_KIND",
    "BASELINE_SCHEMA",
    "CALIBRATION_ID",
    "CALIBRATION_SHAPE",
    "Block",
    "CheckReport",
    "CheckSettings",
    "Entry",
    "LocalSide",
    "Log",
    "ModuleBlock",
    "RowResult",
    "Suite",
    "SuiteFile",
    "attribute",
    "baseline_blocks",
    "block_log_ratio",
    "build_calibration",
    "check_against_baseline",
    "compare_static",
    "create_baseline",
    "judge",
    "latency_record",
    "latency_verdict",
    "latency_vs_baseline",
    "load_baseline",
    "load_suite",
    "mean_interval_width",
    "measure_blocks",
    "missing_rows",
    "module_deltas",
    "paired_interval",
    "parse_suite",
    "relative_iqr",
    "row_status",
    "sequential_judge",
    "stages",
    "summary",
    "threads_notes",
    "validate_baseline",
    "welch_interval",
]

__getattr__, __dir__ = lazy_face(__name__, _WHERE)
