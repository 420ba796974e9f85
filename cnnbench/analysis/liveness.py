"""The one storage tracker: bytes of tensor storages alive at once while a forward (and backward) runs.

Every tensor an op returns is looked at once: a storage not seen before (and not a parameter's, a buffer's or an
input's) is *created* — its ``nbytes`` join the live total — and is *freed* when its Python storage object dies,
which is when the last tensor using it dies (views and in-place ops share their base's storage, so they add
nothing). The peak of the live total, and where the run was when it was reached, is what
:func:`cnnbench.analysis.static.analyze` reports as ``peak_activation_bytes`` / ``peak_at``. The same tracker runs
in the static trace (``meta``, ``fake`` or ``cpu`` — storage sizes are shape arithmetic, so every path gives the same
bytes) and in the real eager run of ``cnnbench memory --measure``.

Storages are what an allocator hands out: an op's kernel-internal scratch (oneDNN's reordered weights, cuDNN
workspaces) is not a tensor the model sees, and is not counted here; ``--measure`` reports the allocator's figure
beside it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.utils._pytree import tree_leaves


def _storage(t: torch.Tensor) -> Any:
    try:
        return t.untyped_storage()
    except (RuntimeError, NotImplementedError, AttributeError, TypeError):  # sparse, nested, wrapper subclasses
        return None


class Liveness:
    """Live and peak bytes of the storages created by the ops :meth:`track` is shown.

    Args:
        exclude: tensors whose storages are never counted (parameters, buffers, inputs: they exist before the run).
        where: called at each new peak; its answer is :attr:`peak_at` (the trace passes the running module's path).
    """

    def __init__(self, exclude: Iterable[Any] = (), where: Callable[[], str] = lambda: "") -> None:
        self.skip = {s._cdata for s in map(_storage, (t for t in exclude if isinstance(t, torch.Tensor)))
                     if s is not None}
        self.where = where
        self.live = 0
        self.peak = 0
        self.peak_at = ""
        self._held: dict[int, list[Any]] = {}  # storage key → [weakref, bytes counted]

    def track(self, out: Any) -> None:
        """Counts the storages of the tensors in ``out`` (any pytree) that are new; re-sizes ones that grew."""
        for t in tree_leaves(out):
            if not isinstance(t, torch.Tensor):
                continue
            st = _storage(t)
            if st is None:
                continue
            key = st._cdata
            if key in self.skip:
                continue
            n = st.nbytes()
            held = self._held.get(key)
            if held is None:
                self._held[key] = [weakref.ref(st, self._freer(key)), n]
                self.live += n
            elif n > held[1]:  # an ``out=`` tensor resized by the op
                self.live += n - held[1]
                held[1] = n
            else:
                continue
            if self.live > self.peak:
                self.peak = self.live
                self.peak_at = self.where()

    def _freer(self, key: int) -> Callable[[Any], None]:
        def free(_ref: Any) -> None:
            held = self._held.pop(key, None)
            if held is not None:
                self.live -= held[1]

        return free

    def close(self) -> None:
        """Stops counting (the storages still alive keep their bytes in :attr:`live`)."""
        self._held.clear()
