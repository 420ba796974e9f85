"""Convolutions whose weights are sparse combinations: LCNN's lookup-based convolution and the two-stage sparse
decomposition of Sparse CNNs. Both are written so that the one trace counts only what the papers count: the
sparse parts are stored as their nonzeros (a value per nonzero and an integer index buffer), gathered with
``index_select`` (a lookup: no MACs) and combined by a grouped 1-D convolution (one MAC per nonzero per output
position).

Papers (title, year; what was followed):
    LCNN           LCNN: Lookup-based Convolutional Neural Network (Bagherinezhad, Rastegari & Farhadi, CVPR 2017);
                   the authors' Torch code (hessamb/lcnn): ``layers/PooledSpatialConvolution.lua`` is a dense 1x1
                   "poolconv" C_in→m (the dictionary, no bias) followed by a k×k "alignconv" m→C_out whose weight
                   is kept sparse; ``benchmark/PerformanceModule.lua`` counts memory = m·C_in + nnz(alignconv) and
                   multiplications = HW·m·C_in + H'W'·nnz(alignconv)/C_out·C_out. ``opts.lua``: ``-poolSize 100``.
                   Here each output channel has s (index, coefficient) pairs per kernel position, so
                   nnz = C_out·k²·s.
    Sparse decomp. Sparse Convolutional Neural Networks (Liu, Wang, Foroosh, Tappen & Pensky, CVPR 2015): input
                   channels → m bases by a dense 1x1 (inter-channel), each basis convolved with its own q sparse k×k
                   kernels (intra-channel), then a sparse matrix combines the m·q responses into the outputs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LookupConv2d", "SparseDecomposedConv2d", "lookup_conv", "sparse_decomposed_conv"]


def _random_subsets(rows: int, population: int, size: int) -> torch.Tensor:
    """``rows`` random subsets of ``size`` distinct integers below ``population`` (sorted), shape (rows, size)."""
    return torch.rand(rows, population).argsort(dim=1)[:, :size].sort(dim=1).values


def _out_size(n: int, k: int, stride: int) -> int:
    return (n + 2 * (k // 2) - k) // stride + 1


class LookupConv2d(nn.Module):
    """LCNN's lookup convolution: ``S = D * x`` (1x1, C_in→m), then output channel o at kernel position p sums
    ``C[o, p, t] · S[I[o, p, t]]`` shifted by p, for t < s.

    Parameters: the dictionary D (m·C_in) and the coefficients C (C_out·k²·s); the lookup indices I are an integer
    buffer, not parameters. MACs: H·W·m·C_in (the dictionary) + H'·W'·C_out·k²·s (one per looked-up value), the
    authors' count with nnz = C_out·k²·s.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 dictionary_size: int = 100, lookups: int = 3) -> None:
        super().__init__()
        k, m, s = kernel_size, dictionary_size, lookups
        if not 1 <= s <= m:
            raise ValueError(f"lookups must be in 1..dictionary_size ({m}), got {s}")
        self.kernel_size, self.stride, self.out_channels = k, stride, out_channels
        self.dictionary = nn.Conv2d(in_channels, m, 1, bias=False)
        self.coefficients = nn.Parameter(torch.randn(out_channels, k * k * s) / (k * k * s) ** 0.5)
        indices = _random_subsets(out_channels * k * k, m, s).view(out_channels, k * k, s)
        # column of F.unfold's (m·k², L) layout: dictionary channel · k² + kernel position
        position = torch.arange(k * k).view(1, k * k, 1)
        self.register_buffer("gather_index", (indices * k * k + position).reshape(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        k = self.kernel_size
        cols = F.unfold(self.dictionary(x), k, padding=k // 2, stride=self.stride)  # (N, m·k², L)
        looked_up = cols.index_select(1, self.gather_index)  # (N, C_out·k²·s, L): lookups, no MACs
        y = F.conv1d(looked_up, self.coefficients.unsqueeze(-1), groups=self.out_channels)
        return y.view(n, self.out_channels, _out_size(h, k, self.stride), _out_size(w, k, self.stride))


class SparseDecomposedConv2d(nn.Module):
    """Sparse CNN's two-stage decomposition of a k×k conv: a dense 1x1 C_in→m (the bases), q sparse k×k kernels
    per basis (``kernel_nnz`` nonzeros each), then a sparse combination m·q→C_out (``combine_nnz`` inputs per
    output channel).

    Parameters: m·C_in + m·q·kernel_nnz + C_out·combine_nnz (nonzeros only; index buffers are integers).
    MACs per output position: m·C_in + m·q·kernel_nnz + C_out·combine_nnz (stride 1).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, bases: int | None = None,
                 kernels_per_basis: int = 2, kernel_nnz: int = 3, combine_nnz: int | None = None) -> None:
        super().__init__()
        k = kernel_size
        m = bases or in_channels
        q = kernels_per_basis
        r = combine_nnz if combine_nnz is not None else max(1, round(0.1 * m * q))
        if not (1 <= kernel_nnz <= k * k and 1 <= r <= m * q):
            raise ValueError(f"kernel_nnz must be in 1..{k * k} and combine_nnz in 1..{m * q}")
        self.kernel_size, self.out_channels, self.responses = k, out_channels, m * q
        self.bases = nn.Conv2d(in_channels, m, 1, bias=False)
        # stage 2: basis j's kernels are responses j·q .. j·q+q-1, each with kernel_nnz taps of basis j
        taps = _random_subsets(m * q, k * k, kernel_nnz)  # (m·q, nnz) kernel positions
        basis = torch.arange(m * q).div(q, rounding_mode="floor").view(-1, 1)
        self.register_buffer("tap_index", (basis * k * k + taps).reshape(-1))
        self.kernel_values = nn.Parameter(torch.randn(m * q, kernel_nnz) / kernel_nnz ** 0.5)
        # stage 3: each output channel combines r of the m·q responses
        self.register_buffer("combine_index", _random_subsets(out_channels, m * q, r).reshape(-1))
        self.combine_values = nn.Parameter(torch.randn(out_channels, r) / r ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        k = self.kernel_size
        cols = F.unfold(self.bases(x), k, padding=k // 2)  # (N, m·k², HW)
        taps = cols.index_select(1, self.tap_index)  # (N, m·q·nnz, HW)
        responses = F.conv1d(taps, self.kernel_values.unsqueeze(-1), groups=self.responses)  # (N, m·q, HW)
        picked = responses.index_select(1, self.combine_index)  # (N, C_out·r, HW)
        y = F.conv1d(picked, self.combine_values.unsqueeze(-1), groups=self.out_channels)
        return y.view(n, self.out_channels, h, w)


def lookup_conv(*, channels: int = 256, out_channels: int | None = None, dictionary_size: int = 100,
                lookups: int = 3) -> nn.Module:
    """LCNN lookup convolution replacing a 3x3 conv: dictionary m=100 (the authors' ``-poolSize`` default),
    s=3 lookups per kernel position (ours; the paper learns the sparsity with an L1 penalty)."""
    return LookupConv2d(channels, out_channels or channels, 3, dictionary_size=dictionary_size, lookups=lookups)


def sparse_decomposed_conv(*, channels: int = 256, out_channels: int | None = None, kernels_per_basis: int = 2,
                           kernel_nnz: int = 3, combine_nnz: int | None = None) -> nn.Module:
    """Sparse-decomposed 3x3 conv: m=C bases, q=2 kernels per basis with 3 of 9 taps, each output combining 10%
    of the m·q responses (defaults ours, see the catalogue note)."""
    return SparseDecomposedConv2d(channels, out_channels or channels, 3, kernels_per_basis=kernels_per_basis,
                                  kernel_nnz=kernel_nnz, combine_nnz=combine_nnz)
