"""Structured Transforms for Small-Footprint Deep Learning (Sindhwani, Sainath & Kumar, NIPS 2015).

A Toeplitz-like n×n matrix of displacement rank r is M = Σ_{i<r} Z_1(g_i) Z_{−1}(h_i)ᵀ, where Z_f(v) is the
f-circulant matrix with first column v (its Krylov matrix [v, Z_f v, …, Z_f^{n−1} v]); then Z_1 M − M Z_{−1} has
rank ≤ r. Only G, H (r × n each) are stored: 2·r·n parameters, + n for the bias, against n² for a dense layer.

The forward is the definition's matrix-vector products, y = Σ_i Z_1(g_i) (Z_{−1}(h_i)ᵀ x) + b. An f-circulant
product is a convolution of x with v over an input wrapped with sign f, so each is one dense 1-D convolution of n
taps at n positions (conv1d), never an n × n matrix in memory: the traced MACs are 2·r·n² per sample. The paper's fast path does the same products with FFTs in O(r·n·log n); the equivalent
dense matrix would cost n². The parameterisation follows HazyResearch/structured-nets
(``pytorch/structure/toeplitz.py``: ``toeplitz_mult(G, H, x, cycle=True)``, f = (1, −1)); the networks are that
code's single-hidden-layer model (``pytorch/models/nets.py``: ``SHL``): a structured n×n layer on the flattened
image, ReLU, a dense n → classes layer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def f_circulant(v: torch.Tensor, f: float) -> torch.Tensor:
    """The f-circulant matrices Z_f(v_i) (first column v_i) of the rows of ``v`` (r × n): r × n × n.

    Entry (a, b) is v[a − b] below and on the diagonal and f·v[n + a − b] above it.
    """
    n = v.shape[-1]
    ar = torch.arange(n, device=v.device)
    diff = ar[:, None] - ar[None, :]
    sign = torch.where(diff < 0, torch.full_like(diff, int(f)), torch.ones_like(diff)).to(v.dtype)
    return v[:, diff % n] * sign


class ToeplitzLike(nn.Module):
    """Toeplitz-like linear layer n → n of displacement rank r.

    Args:
        n: input and output size.
        rank: displacement rank r (r = n can express any n×n matrix).
        bias: add a learned bias of n.
    """

    def __init__(self, n: int, rank: int = 1, bias: bool = True) -> None:
        super().__init__()
        std = 1.0 / math.sqrt(rank * n)
        self.n, self.rank = n, rank
        self.G = nn.Parameter(torch.randn(rank, n) * std)
        self.H = nn.Parameter(torch.randn(rank, n) * std)
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None

    def matrix(self) -> torch.Tensor:
        """The dense n × n matrix M, from the f-circulant matrices (for checks; the forward never forms it)."""
        return (f_circulant(self.G, 1.0) @ f_circulant(self.H, -1.0).transpose(1, 2)).sum(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Z_{−1}(h)ᵀ x [a] = Σ_t h[t]·[x, −x[:−1]][a + t]: a correlation with h over the sign-wrapped input
        u = F.conv1d(torch.cat([x, -x[:, :-1]], -1).unsqueeze(1), self.H.unsqueeze(1))  # B × r × n: r·n² MACs
        # Z_1(g) u [a] = Σ_t g[t]·u[a − t] (cyclic): a correlation with flipped g over [u[1:], u], summed over r
        y = F.conv1d(torch.cat([u[..., 1:], u], -1), self.G.flip(-1).unsqueeze(0)).squeeze(1)  # r·n² MACs
        return y if self.bias is None else y + self.bias


class StructuredSHL(nn.Sequential):
    """Flatten → Toeplitz-like n×n (+ bias) → ReLU → Linear(n, classes), n = the image's C·H·W."""

    def __init__(self, n: int, rank: int, num_classes: int) -> None:
        super().__init__(nn.Flatten(), ToeplitzLike(n, rank), nn.ReLU(inplace=True), nn.Linear(n, num_classes))


def toeplitz_like_mnist_r1(*, num_classes: int = 10) -> StructuredSHL:
    """MNIST (1×28×28, n = 784), displacement rank 1."""
    return StructuredSHL(784, 1, num_classes)


def toeplitz_like_mnist_r4(*, num_classes: int = 10) -> StructuredSHL:
    """MNIST (1×28×28, n = 784), displacement rank 4."""
    return StructuredSHL(784, 4, num_classes)


def toeplitz_like_cifar10_r1(*, num_classes: int = 10) -> StructuredSHL:
    """CIFAR-10 (3×32×32 flattened, n = 3072), displacement rank 1."""
    return StructuredSHL(3072, 1, num_classes)
