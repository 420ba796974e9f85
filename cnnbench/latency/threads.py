"""torch's intra-op thread count for a block of work, restored afterwards (the one place that sets it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cnnbench.errors import CnnbenchError, worded


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[int]:
    """Sets ``torch.set_num_threads(n)`` for the block (``None``: keeps the current count) and restores it.

    Yields:
        The thread count in effect inside the block.

    Raises:
        CnnbenchError: ``n < 1`` (nothing is changed then).
    """
    import torch

    if n is not None and n < 1:
        raise CnnbenchError(f"--threads must be at least 1 (got {n})")
    prev = torch.get_num_threads()
    try:
        if n is not None:
            torch.set_num_threads(n)
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(prev)


_load_warned = False


def load_average() -> float | None:
    """The 1-minute load average of the machine (``os.getloadavg``), or ``None`` where there is none (Windows)."""
    import os

    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def check_load() -> float | None:
    """Warns on stderr, once per process, when the 1-minute load average exceeds the machine's cores; returns it.

    Other work on every core makes timings slow and noisy — multi-thread rows most: an OpenMP thread that loses its
    core stalls the others at each barrier (2 threads on 2 busy cores ran 600× slower). Called before each row is
    timed; the load goes into the row's ``details.load_avg_1m``.
    """
    import os
    import sys

    global _load_warned
    load, cores = load_average(), os.cpu_count() or 1
    if load is not None and load > cores and not _load_warned:
        _load_warned = True
        print(worded(f"warning: the 1-minute load average is {load:.2f} on {cores} core(s): other work competes for "
                     "the CPU and timings will be slow and noisy, rows with several threads most (each waits for the "
                     "slowest at every barrier); use fewer threads (--threads 1) or a quieter machine"),
              file=sys.stderr)
    return load
