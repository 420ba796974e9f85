"""Low-rank factorisations of a convolution: a transform anyone can apply to a layer, and what it saves.

Three replacements of one ``nn.Conv2d`` (C → N channels, kh × kw kernel, groups = 1) by a sequence of convolutions,
returned as a new ``nn.Sequential`` (the given layer is left as it was):

* :func:`separable` — Jaderberg, Vedaldi & Zisserman (2014), scheme 2: a kh × 1 conv C → K, then a 1 × kw conv
  K → N. MACs per output position C·K·kh + K·N·kw instead of C·N·kh·kw.
* :func:`cp` — Lebedev et al. (2015), CP decomposition of rank R as four convs: 1 × 1 C → R, kh × 1 depthwise,
  1 × kw depthwise, 1 × 1 R → N. MACs per position R·(C + kh + kw + N).
* :func:`tucker2` — Kim et al. (2016), Tucker-2 with ranks (R3, R4): 1 × 1 C → R3, kh × kw R3 → R4, 1 × 1 R4 → N.
  With real weights (not the meta device) and ``from_weights=True`` it is the truncated HOSVD of the kernel: the
  factors are the leading left singular vectors of the kernel unfolded along its input and its output channels, the
  core the kernel projected onto them.

Stride, padding and dilation are split between the spatial convs so the output shape is the original's; the bias
goes on the last conv. The other replacements are shapes only (random init: no trained weights are decomposed).
:func:`savings` measures a replacement with cnnbench's own analysis (one trace each); :func:`factorize` applies a
transform to every matching conv of a model.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from cnnbench.errors import CnnbenchError

#: Transform name → builder ``(conv, rank) -> nn.Sequential`` (rank: int, or (R3, R4) for Tucker-2).
METHODS = ("separable", "cp", "tucker2")


def _check(conv: nn.Module) -> nn.Conv2d:
    if not isinstance(conv, nn.Conv2d):
        raise CnnbenchError(f"low-rank factorisation needs an nn.Conv2d, got {type(conv).__name__}")
    if conv.groups != 1:
        raise CnnbenchError(f"low-rank factorisation needs groups=1, got a conv with groups={conv.groups}")
    if isinstance(conv.padding, str):
        raise CnnbenchError("low-rank factorisation needs numeric padding, got padding='same'/'valid'")
    return conv


def _rank(r: Any, what: str) -> int:
    if isinstance(r, bool) or not isinstance(r, int) or r < 1:
        raise CnnbenchError(f"{what} must be a positive integer, got {r!r}")
    return r


def _kw(conv: nn.Conv2d) -> dict[str, Any]:
    return {"device": conv.weight.device, "dtype": conv.weight.dtype}


def separable(conv: nn.Module, rank: int) -> nn.Sequential:
    """Jaderberg scheme 2: ``Conv(C→K, kh×1)`` then ``Conv(K→N, 1×kw)`` with K = ``rank``."""
    c = _check(conv)
    k = _rank(rank, "rank")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = c.kernel_size, c.stride, c.padding, c.dilation
    return nn.Sequential(
        nn.Conv2d(c.in_channels, k, (kh, 1), (sh, 1), (ph, 0), (dh, 1), bias=False, **_kw(c)),
        nn.Conv2d(k, c.out_channels, (1, kw), (1, sw), (0, pw), (1, dw), bias=c.bias is not None, **_kw(c)))


def cp(conv: nn.Module, rank: int) -> nn.Sequential:
    """Lebedev's CP-decomposition layer sequence of rank R = ``rank`` (1×1, kh×1 dw, 1×kw dw, 1×1)."""
    c = _check(conv)
    r = _rank(rank, "rank")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = c.kernel_size, c.stride, c.padding, c.dilation
    return nn.Sequential(
        nn.Conv2d(c.in_channels, r, 1, bias=False, **_kw(c)),
        nn.Conv2d(r, r, (kh, 1), (sh, 1), (ph, 0), (dh, 1), groups=r, bias=False, **_kw(c)),
        nn.Conv2d(r, r, (1, kw), (1, sw), (0, pw), (1, dw), groups=r, bias=False, **_kw(c)),
        nn.Conv2d(r, c.out_channels, 1, bias=c.bias is not None, **_kw(c)))


def tucker2(conv: nn.Module, in_rank: int, out_rank: int, *, from_weights: bool = False) -> nn.Sequential:
    """Tucker-2 with ranks (R3 = ``in_rank``, R4 = ``out_rank``); ``from_weights`` decomposes the given kernel.

    Raises:
        CnnbenchError: Not a groups=1 Conv2d, ranks above the channel counts, or ``from_weights`` on meta weights.
    """
    c = _check(conv)
    r3, r4 = _rank(in_rank, "in_rank"), _rank(out_rank, "out_rank")
    if r3 > c.in_channels or r4 > c.out_channels:
        raise CnnbenchError(f"Tucker-2 ranks ({r3}, {r4}) exceed the conv's channels ({c.in_channels}, "
                            f"{c.out_channels})")
    seq = nn.Sequential(
        nn.Conv2d(c.in_channels, r3, 1, bias=False, **_kw(c)),
        nn.Conv2d(r3, r4, c.kernel_size, c.stride, c.padding, c.dilation, bias=False, **_kw(c)),
        nn.Conv2d(r4, c.out_channels, 1, bias=c.bias is not None, **_kw(c)))
    if not from_weights:
        return seq
    if c.weight.is_meta:
        raise CnnbenchError("from_weights=True needs real weights: build the layer on the CPU, not the meta device")
    with torch.no_grad():
        w = c.weight.detach().double()  # N × C × kh × kw
        n, ch = w.shape[:2]
        u_out = torch.linalg.svd(w.reshape(n, -1), full_matrices=False)[0][:, :r4]  # N × R4
        u_in = torch.linalg.svd(w.transpose(0, 1).reshape(ch, -1), full_matrices=False)[0][:, :r3]  # C × R3
        core = torch.einsum("nchw,nr,cs->rshw", w, u_out, u_in)  # R4 × R3 × kh × kw
        seq[0].weight.copy_(u_in.T.reshape(r3, ch, 1, 1))
        seq[1].weight.copy_(core)
        seq[2].weight.copy_(u_out.reshape(n, r4, 1, 1))
        if c.bias is not None:
            seq[2].bias.copy_(c.bias)
    return seq


def macs_per_position(conv: nn.Conv2d) -> int:
    """C/groups · N · kh · kw: one output position's multiply-accumulates (a hand check on the traced counts)."""
    return conv.in_channels // conv.groups * conv.out_channels * math.prod(conv.kernel_size)


def savings(conv: nn.Module, new: nn.Module, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """MACs and parameters of ``conv`` and of its replacement ``new`` at ``input_shape``, traced by cnnbench.

    Returns:
        ``{"macs", "params", "new_macs", "new_params", "mac_factor", "param_factor"}`` (factor = old ÷ new).
    """
    from cnnbench.analysis.static import analyze

    a, b = analyze(conv, tuple(input_shape)), analyze(new, tuple(input_shape))
    return {"macs": a.macs, "params": a.params, "new_macs": b.macs, "new_params": b.params,
            "mac_factor": a.macs / b.macs if b.macs else float("nan"),
            "param_factor": a.params / b.params if b.params else float("nan")}


def factorize(model: nn.Module, transform: Callable[[nn.Conv2d], nn.Module | None]) -> nn.Module:
    """A copy of ``model`` with every ``nn.Conv2d`` replaced by ``transform(conv)`` (``None`` keeps the conv)."""
    out = copy.deepcopy(model)
    for name, mod in list(out.named_modules()):
        if not isinstance(mod, nn.Conv2d):
            continue
        new = transform(mod)
        if new is None:
            continue
        parent, _, leaf = name.rpartition(".")
        setattr(out.get_submodule(parent) if parent else out, leaf, new)
    return out
