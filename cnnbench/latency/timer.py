"""The latency measurement protocol: warm-up, blocked sampling, robust statistics.

The protocol (one callable, :func:`measure`):

1. **Warm-up** until *both* ``warmup_min_iters`` calls and ``warmup_min_s`` seconds are reached. Each warm-up
   call is timed on its own (synchronised), and the median of the most recent ones estimates the per-call time.
2. **Block size.** A call faster than ``block_target_s`` (default 1 ms) is timed in blocks of ``n`` back-to-back
   calls, ``n = ceil(block_target_s / per_call)``, and also at least ``100 × timer_overhead / per_call`` so that
   the two clock reads of a sample cost < 1% of it. A sample is ``block time / n``. Slower calls use ``n = 1``.
3. **Sampling** until *both* ``min_samples`` samples and ``budget_s`` seconds are reached.
4. **Synchronisation.** ``sync`` (e.g. ``torch.cuda.synchronize``) is called before a sample's start time is read
   and again before its end time is read, so queued asynchronous work is never inside or outside a sample by
   accident: every timed interval starts with an idle device and ends with the device idle again.
5. **Statistics** over the samples, in milliseconds: median, mean, std (n-1), IQR (p75 - p25), p90, p99 and min,
   with linear-interpolation percentiles (``numpy.percentile``'s default, the same as ``torch.quantile`` used by
   ``torch.utils.benchmark``). ``noisy`` is ``IQR / median > 0.10``, torch.utils.benchmark's warning threshold.

:func:`measure_interleaved` applies the same protocol to several callables, alternating between them one sample
at a time (rotating the order every round), so slow machine drift affects all of them alike. Used by ``compare``
and regression checks.

This module does not import torch: it times any zero-argument callable.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cnnbench.errors import CnnbenchError

#: ``IQR / median`` above this marks a measurement noisy (``torch.utils.benchmark``'s ``_IQR_WARN_THRESHOLD``).
NOISY_IQR_RATIO = 0.10
#: Timer overhead must stay below this fraction of a sample.
MAX_TIMER_OVERHEAD = 0.01

Clock = Callable[[], float]
SyncFn = Callable[[], object]


@dataclass(frozen=True)
class LatencyStats:
    """Summary of latency samples; every time is in milliseconds.

    Attributes:
        median: Median sample.
        mean: Arithmetic mean.
        std: Sample standard deviation (n - 1 denominator; 0 for a single sample).
        iqr: Interquartile range, p75 - p25.
        p90: 90th percentile.
        p99: 99th percentile.
        min: Fastest sample.
        samples: Number of samples.
        noisy: ``iqr / median > 0.10``.
        samples_ms: The raw samples, in measurement order.
        block_size: Calls per sample (a sample is block time / block size).
    """

    median: float
    mean: float
    std: float
    iqr: float
    p90: float
    p99: float
    min: float
    samples: int
    noisy: bool
    samples_ms: tuple[float, ...] = ()
    block_size: int = 1

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float], *, block_size: int = 1) -> LatencyStats:
        """Computes the statistics of ``samples_ms`` (milliseconds).

        Raises:
            ValueError: No samples.
        """
        if len(samples_ms) == 0:
            raise ValueError("no latency samples")
        arr = np.asarray(samples_ms, dtype=np.float64)
        p25, median, p75, p90, p99 = (float(v) for v in np.percentile(arr, [25, 50, 75, 90, 99]))
        iqr = p75 - p25
        noisy = iqr / median > NOISY_IQR_RATIO if median > 0 else iqr > 0
        return cls(
            median=median,
            mean=float(arr.mean()),
            std=float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
            iqr=iqr,
            p90=p90,
            p99=p99,
            min=float(arr.min()),
            samples=int(arr.size),
            noisy=bool(noisy),
            samples_ms=tuple(float(v) for v in arr),
            block_size=block_size,
        )

    def to_dict(self) -> dict[str, float | int | bool]:
        """The JSON ``latency_ms`` object: median, mean, std, iqr, p90, p99, min (ms), samples, noisy."""
        return {
            "median": self.median,
            "mean": self.mean,
            "std": self.std,
            "iqr": self.iqr,
            "p90": self.p90,
            "p99": self.p99,
            "min": self.min,
            "samples": self.samples,
            "noisy": self.noisy,
        }


def timer_overhead(clock: Clock = time.perf_counter, reps: int = 200) -> float:
    """Seconds between two consecutive clock reads (the minimum over ``reps`` tries)."""
    best = math.inf
    for _ in range(reps):
        t0 = clock()
        t1 = clock()
        best = min(best, t1 - t0)
    return max(best, 0.0)


def calibrate_block_size(
    per_call_s: float,
    *,
    block_target_s: float = 1e-3,
    overhead_s: float = 0.0,
    max_block_size: int = 1_000_000,
) -> int:
    """Calls per sample so that a sample lasts about ``block_target_s`` and timer overhead is < 1% of it.

    Args:
        per_call_s: Estimated duration of one call (seconds).
        block_target_s: Calls shorter than this are grouped until a block lasts this long.
        overhead_s: Cost of the two clock reads around a sample.
        max_block_size: Upper bound (protects against a near-zero estimate).

    Returns:
        The block size, ``>= 1``.
    """
    if per_call_s <= 0:
        return max_block_size
    n = 1
    if per_call_s < block_target_s:
        n = math.ceil(block_target_s / per_call_s)
    n = max(n, math.ceil(overhead_s / (MAX_TIMER_OVERHEAD * per_call_s)))
    return int(min(max(n, 1), max_block_size))


def _check_protocol(warmup_min_iters: int, warmup_min_s: float, min_samples: int, budget_s: float,
                    block_target_s: float) -> None:
    # Protocol values arrive from the CLI (--budget, --min-samples), so bad ones are usage errors.
    if warmup_min_iters < 0 or warmup_min_s < 0:
        raise CnnbenchError(f"warm-up must be non-negative (got {warmup_min_iters} iterations, {warmup_min_s} s)")
    if min_samples < 1:
        raise CnnbenchError(f"--min-samples must be at least 1 (got {min_samples})")
    if budget_s < 0:
        raise CnnbenchError(f"--budget must be non-negative seconds (got {budget_s})")
    if block_target_s < 0:
        raise CnnbenchError(f"block target must be non-negative seconds (got {block_target_s})")


def run_warmup(fn: Callable[[], object], sync: SyncFn | None, min_iters: int, min_s: float, clock: Clock) -> float:
    """Runs the warm-up; returns the per-call time estimate (median of the most recent calls, seconds)."""
    recent: deque[float] = deque(maxlen=64)
    if sync is not None:
        sync()
    start = clock()
    count = 0
    # At least one call, so a block size can always be calibrated.
    while count < max(min_iters, 1) or clock() - start < min_s:
        t0 = clock()
        fn()
        if sync is not None:
            sync()
        recent.append(clock() - t0)
        count += 1
    # The later half reflects the warmed-up steady state better than the first (cold) calls.
    tail = list(recent)[len(recent) // 2:]
    return statistics.median(tail)


def time_block(fn: Callable[[], object], n: int, sync: SyncFn | None, clock: Clock) -> float:
    """One sample: seconds per call over a block of ``n`` back-to-back calls."""
    if sync is not None:
        sync()
    t0 = clock()
    for _ in range(n):
        fn()
    if sync is not None:
        sync()
    return (clock() - t0) / n


def measure(
    fn: Callable[[], object],
    *,
    sync: SyncFn | None = None,
    warmup_min_iters: int = 10,
    warmup_min_s: float = 0.5,
    min_samples: int = 30,
    budget_s: float = 2.0,
    block_target_s: float = 1e-3,
    block_size: int | None = None,
    clock: Clock = time.perf_counter,
) -> LatencyStats:
    """Measures the latency of ``fn()`` with the protocol described in the module docstring.

    Args:
        fn: Zero-argument callable; one call = one inference.
        sync: Called before a sample starts and before it ends (e.g. ``torch.cuda.synchronize``); ``None`` on CPU.
        warmup_min_iters: Minimum warm-up calls.
        warmup_min_s: Minimum warm-up seconds.
        min_samples: Minimum number of samples.
        budget_s: Minimum seconds spent sampling (after warm-up).
        block_target_s: Calls shorter than this are timed in blocks lasting about this long.
        block_size: Fixes the block size instead of calibrating it.
        clock: Seconds clock (monotonic); injectable for tests.

    Returns:
        The statistics, in milliseconds.

    Raises:
        CnnbenchError: Invalid protocol values.
    """
    _check_protocol(warmup_min_iters, warmup_min_s, min_samples, budget_s, block_target_s)
    per_call = run_warmup(fn, sync, warmup_min_iters, warmup_min_s, clock)
    n = block_size or calibrate_block_size(per_call, block_target_s=block_target_s,
                                           overhead_s=timer_overhead(clock))
    samples: list[float] = []
    start = clock()
    while len(samples) < min_samples or clock() - start < budget_s:
        samples.append(time_block(fn, n, sync, clock) * 1e3)
    return LatencyStats.from_samples(samples, block_size=n)


def measure_interleaved(
    fns: Mapping[str, Callable[[], object]],
    *,
    rounds: int | None = None,
    sync: SyncFn | Mapping[str, SyncFn | None] | None = None,
    warmup_min_iters: int = 10,
    warmup_min_s: float = 0.5,
    min_samples: int = 30,
    budget_s: float = 2.0,
    block_target_s: float = 1e-3,
    clock: Clock = time.perf_counter,
) -> dict[str, LatencyStats]:
    """Measures several callables alternately: one sample of each per round, the order rotating every round.

    Each callable is warmed up and gets its own block size first. Then rounds run until every callable has
    ``min_samples`` samples and ``budget_s × len(fns)`` seconds have passed (so each gets about the time budget
    :func:`measure` would give it), or exactly ``rounds`` rounds when given.

    Args:
        fns: Name → zero-argument callable.
        rounds: Exact number of rounds (samples per callable); overrides ``min_samples`` and ``budget_s``.
        sync: One sync callable for all, or a mapping name → sync callable.
        warmup_min_iters: Minimum warm-up calls per callable.
        warmup_min_s: Minimum warm-up seconds per callable.
        min_samples: Minimum samples per callable.
        budget_s: Sampling seconds per callable.
        block_target_s: See :func:`measure`.
        clock: Seconds clock.

    Returns:
        Name → statistics (milliseconds), in the order of ``fns``.

    Raises:
        CnnbenchError: Invalid protocol values or no callables.
    """
    if not fns:
        raise CnnbenchError("nothing to measure")
    if rounds is not None and rounds < 1:
        raise CnnbenchError(f"rounds must be at least 1 (got {rounds})")
    _check_protocol(warmup_min_iters, warmup_min_s, min_samples, budget_s, block_target_s)
    names = list(fns)
    syncs = {name: (sync.get(name) if isinstance(sync, Mapping) else sync) for name in names}
    overhead = timer_overhead(clock)
    blocks = {}
    for name in names:
        per_call = run_warmup(fns[name], syncs[name], warmup_min_iters, warmup_min_s, clock)
        blocks[name] = calibrate_block_size(per_call, block_target_s=block_target_s, overhead_s=overhead)
    samples: dict[str, list[float]] = {name: [] for name in names}
    start = clock()
    r = 0
    while True:
        if rounds is not None:
            if r >= rounds:
                break
        elif r >= min_samples and clock() - start >= budget_s * len(names):
            break
        # Rotating the start avoids always measuring the same callable right after the same other one.
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            samples[name].append(time_block(fns[name], blocks[name], syncs[name], clock) * 1e3)
        r += 1
    return {name: LatencyStats.from_samples(samples[name], block_size=blocks[name]) for name in names}
