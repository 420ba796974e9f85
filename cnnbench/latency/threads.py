"""torch's intra-op thread count for a block of work, restored afterwards (the one place that sets it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cnnbench.errors import CnnbenchError


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
