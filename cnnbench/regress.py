"""Regression checks (``cnnbench check``, ``cnnbench baseline create``): the names callers import, in one place.

The code lives in :mod:`cnnbench.check` (statistics, sides, blocks, baselines, reports) and
:mod:`cnnbench.against` (``--against REF``). In short:

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

from cnnbench.check.baseline import (  # noqa: F401
    BASELINE_KIND,
    BASELINE_SCHEMA,
    baseline_blocks,
    check_against_baseline,
    create_baseline,
    latency_record,
    latency_vs_baseline,
    load_baseline,
    validate_baseline,
)
from cnnbench.check.calibration import CALIBRATION_ID, CALIBRATION_SHAPE, build_calibration  # noqa: F401
from cnnbench.check.measure import Block, judge, measure_blocks, sequential_judge, stages, summary  # noqa: F401
from cnnbench.check.report import CheckReport, Log, RowResult, missing_rows, row_status, threads_notes  # noqa: F401
from cnnbench.check.side import LocalSide  # noqa: F401
from cnnbench.check.stats import (  # noqa: F401
    block_log_ratio,
    compare_static,
    latency_verdict,
    mean_interval_width,
    paired_interval,
    relative_iqr,
    welch_interval,
)
