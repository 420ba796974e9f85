"""Parameter and buffer counts, and checkpoint sizes computed without real weights.

``checkpoint_bytes`` is the exact size ``torch.save(model.state_dict(), f)`` writes for a
file-like ``f`` (archive name ``archive``): we save a state dict of *uninitialised* CPU tensors
of the right shapes and dtypes under ``torch.serialization.skip_data()``, into a sink that only
counts bytes. The pickle, zip headers and 64-byte alignment padding are torch's own, the
storage bytes are skipped (never read or written), and uninitialised pages are never touched,
so even an 800M-parameter model costs no resident memory. A path-based save differs only by
the archive name in each zip entry (a few bytes per tensor).
"""

from __future__ import annotations

import io
from collections import OrderedDict

import torch


def count_params(model: torch.nn.Module) -> tuple[int, int, int]:
    """(total parameters, trainable parameters, buffer elements); shared tensors counted once."""
    params = list(model.parameters())  # parameters() already de-duplicates shared tensors
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    buffers = sum(b.numel() for b in model.buffers())
    return total, trainable, buffers


class _CountingSink(io.RawIOBase):
    """A seekable binary file that remembers its size and stores nothing."""

    def __init__(self) -> None:
        self.size = 0
        self.pos = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        n = len(b)
        self.pos += n
        self.size = max(self.size, self.pos)
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = base + offset
        return self.pos

    def tell(self) -> int:
        return self.pos


def checkpoint_bytes(model: torch.nn.Module, float_dtype: torch.dtype | None = None) -> int:
    """Exact ``torch.save(state_dict)`` size, optionally with floating tensors stored as ``float_dtype``.

    ``float_dtype=torch.float16`` gives the fp16 checkpoint; ``torch.int8`` the size of a
    checkpoint storing one byte per floating-point weight (a lower bound for int8 quantisation:
    per-tensor scales/zero-points are not included).
    """
    sd = model.state_dict()
    proxies: dict[int, torch.Tensor] = {}
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, t in sd.items():
        proxy = proxies.get(id(t))
        if proxy is None:
            dtype = float_dtype if (float_dtype is not None and t.is_floating_point()) else t.dtype
            stride = t.stride() if dtype == t.dtype else None
            if stride is not None:
                proxy = torch.empty_strided(t.shape, stride, dtype=dtype, device="cpu")
            else:
                proxy = torch.empty(t.shape, dtype=dtype, device="cpu")
            proxies[id(t)] = proxy
        out[key] = proxy
    out._metadata = getattr(sd, "_metadata", None)  # type: ignore[attr-defined]
    if out._metadata is None:  # type: ignore[attr-defined]
        del out._metadata  # type: ignore[attr-defined]
    sink = _CountingSink()
    with torch.serialization.skip_data():
        torch.save(out, sink)
    return sink.size
