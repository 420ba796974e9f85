"""Validation of the measurement protocol's values: the one check used by the CLI commands and the timer."""

from __future__ import annotations

import math
import sys

from cnnbench.errors import CnnbenchError
from cnnbench.latency.devices import cores_available, oversubscribed

_WARNED_THREADS: set[int] = set()


def check_protocol_options(*, budget: float, min_samples: int, warmup: float, threads: int | None = None,
                           zero_budget_ok: bool = False, warmup_min_iters: int = 0,
                           block_target_s: float = 0.0) -> None:
    """Usage errors (exit 2) for the measurement options every timing command shares.

    Non-finite ``budget``/``warmup`` (``inf`` would never stop, ``nan`` compares false) are refused. ``threads``
    above the cores available to the process (:func:`oversubscribed`) is allowed but warned about on stderr, once
    per thread count; rows measured so should be marked ``threads_oversubscribed: true``.

    Args:
        budget: Sampling seconds (``--budget``); 0 only with ``zero_budget_ok`` (then ``min_samples`` decides).
        min_samples: ``--min-samples``.
        warmup: Warm-up seconds (``--warmup``).
        threads: ``--threads`` (``None``: torch's setting).
        zero_budget_ok: Accept ``budget == 0``.
        warmup_min_iters: Warm-up calls at least (the timer's ``warmup_min_iters``).
        block_target_s: The timer's block target (seconds).

    Raises:
        CnnbenchError: Any impossible value, with the option named.
    """
    if not math.isfinite(budget) or not (budget >= 0 if zero_budget_ok else budget > 0):
        raise CnnbenchError(f"--budget must be a finite number {'≥ 0' if zero_budget_ok else '> 0'} of seconds "
                            f"(got {budget})")
    if min_samples < 1:
        raise CnnbenchError(f"--min-samples must be ≥ 1 (got {min_samples})")
    if not math.isfinite(warmup) or warmup < 0:
        raise CnnbenchError(f"--warmup must be a finite number ≥ 0 of seconds (got {warmup})")
    if warmup_min_iters < 0:
        raise CnnbenchError(f"warm-up iterations must be ≥ 0 (got {warmup_min_iters})")
    if not math.isfinite(block_target_s) or block_target_s < 0:
        raise CnnbenchError(f"block target must be a finite number ≥ 0 of seconds (got {block_target_s})")
    if threads is not None and threads < 1:
        raise CnnbenchError(f"--threads must be ≥ 1 (got {threads})")
    if oversubscribed(threads) and threads not in _WARNED_THREADS:
        _WARNED_THREADS.add(threads)
        print(f"warning: --threads {threads} exceeds the {cores_available()} core(s) available to this process: "
              "threads will time-share cores (far slower and noisier than a real machine with that many)",
              file=sys.stderr)
