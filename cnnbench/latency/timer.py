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
at a time (rotating the order every round), so slow machine drift affects all of them alike.

The pieces, for callers with their own schedule (``compare`` takes a time slice per visit; ``check`` runs
blocks): a :class:`Timed` per runner — its callable, its block size fixed *once* from its warm-up
(:meth:`Timed.warm_up`), its samples — and one scheduler, :func:`interleave` (round-robin, rotating start,
optional time slice per visit, progress and failure callbacks; on Ctrl-C every sample taken stays in its
:class:`Timed`). :func:`measure` is the one-runner case, :func:`measure_interleaved` the one-sample-per-visit
case; ``profile``, ``compare``, ``reproduce`` and ``check`` all time through these.

This module does not import torch: it times any zero-argument callable.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cnnbench.errors import CnnbenchError
from cnnbench.latency.options import check_protocol_options

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
    # Protocol values arrive from the CLI (--budget, --min-samples), so bad ones are usage errors (one wording).
    check_protocol_options(budget=budget_s, min_samples=min_samples, warmup=warmup_min_s, zero_budget_ok=True,
                           warmup_min_iters=warmup_min_iters, block_target_s=block_target_s)


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


@dataclass
class Timed:
    """One runner being timed: its callable, its block size (fixed once, after its warm-up) and its samples.

    Attributes:
        call: Zero-argument callable; one call = one inference.
        sync: Called before a sample starts and before it ends (``None`` on CPU).
        block: Calls per sample (a sample is block time / block); set by :meth:`warm_up`, never changed after.
        samples: Samples so far, in milliseconds, in measurement order.
        dropped: Taken out of the rounds (its visit raised, or its owner dropped it).
    """

    call: Callable[[], object]
    sync: SyncFn | None = None
    block: int = 1
    samples: list[float] = field(default_factory=list)
    dropped: bool = False

    def warm_up(self, min_iters: int, min_s: float, clock: Clock = time.perf_counter, *,
                block_target_s: float = 1e-3, overhead_s: float = 0.0, block_size: int | None = None) -> float:
        """Runs the warm-up and fixes :attr:`block` from it (or to ``block_size``); returns the per-call estimate."""
        per_call = run_warmup(self.call, self.sync, min_iters, min_s, clock)
        self.block = block_size or calibrate_block_size(per_call, block_target_s=block_target_s,
                                                        overhead_s=overhead_s)
        return per_call

    def sample(self, clock: Clock = time.perf_counter) -> float:
        """Times one block; appends and returns the sample (ms per call)."""
        ms = time_block(self.call, self.block, self.sync, clock) * 1e3
        self.samples.append(ms)
        return ms

    def stats(self) -> LatencyStats:
        """Statistics of the samples so far (``ValueError`` when there are none)."""
        return LatencyStats.from_samples(self.samples, block_size=self.block)


#: ``stop(round, active, elapsed_s)``: True ends the rounds before round ``round`` starts.
StopFn = Callable[[int, Sequence[Timed], float], bool]


def interleave(
    timed: Sequence[Timed],
    stop: StopFn,
    *,
    slice_s: float | Callable[[int], float] = 0.0,
    clock: Clock = time.perf_counter,
    on_visit: Callable[[int, int, int], None] | None = None,
    on_error: Callable[[Timed, Exception], None] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> int:
    """The one interleaving scheduler: rounds of round-robin visits to every runner still in the rounds.

    Round ``r`` visits the active runners once each, starting at runner ``r mod n`` so none always follows the
    same neighbour. A visit takes samples until ``slice_s`` (or ``slice_s(r)``) seconds have passed — at least
    one sample, exactly one with a slice of 0. Before each round, ``stop(r, active, elapsed)`` may end the rounds.
    A Ctrl-C propagates; every sample taken so far stays in its :class:`Timed`.

    Args:
        timed: The runners, warmed up (block sizes fixed).
        stop: Ends the rounds (see :data:`StopFn`); ``elapsed`` counts from the first round's start.
        slice_s: Seconds of samples per visit, or a function of the round.
        clock: Seconds clock.
        on_visit: ``on_visit(round, k, n)`` before the ``k``-th of ``n`` visits of a round (progress).
        on_error: With it, an exception in a visit drops that runner (:attr:`Timed.dropped`) and is passed here;
            without it, the exception propagates.
        on_round: ``on_round(rounds_done)`` after each round.

    Returns:
        The number of rounds completed.
    """
    start = clock()
    r = 0
    active = [t for t in timed if not t.dropped]
    while active and not stop(r, active, clock() - start):
        s = slice_s(r) if callable(slice_s) else slice_s
        n = len(active)
        for k in range(n):
            t = active[(r + k) % n]
            if t.dropped:  # dropped by its owner during this round (e.g. a larger batch after an OOM)
                continue
            if on_visit is not None:
                on_visit(r, k, n)
            try:
                if s <= 0:
                    t.sample(clock)
                else:
                    t0 = clock()
                    t.sample(clock)
                    while clock() - t0 < s:
                        t.sample(clock)
            except Exception as err:
                if on_error is None:
                    raise
                t.dropped = True
                on_error(t, err)
        r += 1
        if on_round is not None:
            on_round(r)
        active = [t for t in active if not t.dropped]
    return r


def budget_stop(min_samples: int, budget_s: float, rounds: int | None = None) -> StopFn:
    """The protocol's stop rule: ``rounds`` rounds exactly when given, else until every runner has
    ``min_samples`` samples and ``budget_s`` seconds per runner have passed."""
    if rounds is not None:
        return lambda r, active, elapsed: r >= rounds
    return lambda r, active, elapsed: r >= min_samples and elapsed >= budget_s * len(active)


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
    t = Timed(fn, sync)
    t.warm_up(warmup_min_iters, warmup_min_s, clock, block_target_s=block_target_s, block_size=block_size,
              overhead_s=timer_overhead(clock) if block_size is None else 0.0)
    interleave([t], budget_stop(min_samples, budget_s), clock=clock)
    return t.stats()


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
    timed = {name: Timed(fns[name], syncs[name]) for name in names}
    for t in timed.values():
        t.warm_up(warmup_min_iters, warmup_min_s, clock, block_target_s=block_target_s, overhead_s=overhead)
    interleave(list(timed.values()), budget_stop(min_samples, budget_s, rounds), clock=clock)
    return {name: t.stats() for name, t in timed.items()}
