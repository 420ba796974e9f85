"""Activation functions as blocks (shape-preserving), profiled on one feature map (default 1×256×56×56).

Elementwise activations carry no MACs in cnnbench's convention (no multiply-accumulate), so their cost
shows up in memory access and latency, not in the MAC column. PReLU has one parameter per channel.
Squareplus, PoLU, SReLU, MPELU, penalized tanh and Maxout are implemented here from their papers'
formulas; the rest are PyTorch's modules. SReLU (4 per channel) and MPELU (2 per channel) have parameters;
Maxout is a layer, not a pointwise function: a 1×1 conv to k·C pieces whose max over k is the output, so its
MACs are that layer's.

Papers: see the registry entries in ``catalog.py`` (title + year per activation).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "MPELU",
    "Maxout",
    "PenalizedTanh",
    "PoLU",
    "SReLU",
    "Squareplus",
    "elu",
    "gelu",
    "hard_swish",
    "identity",
    "leaky_relu",
    "maxout",
    "mish",
    "mpelu",
    "penalized_tanh",
    "polu",
    "prelu",
    "relu",
    "rrelu",
    "selu",
    "softplus",
    "squareplus",
    "srelu",
    "swish",
    "thresholded_relu",
]


class Squareplus(nn.Module):
    """Squareplus (Barron, 2021): ``f(x) = (x + √(x² + b)) / 2``, b ≥ 0 (b = 4 by default).

    A softplus-like smooth rectifier built from algebraic operations only (no exp/log).
    """

    def __init__(self, b: float = 4.0) -> None:
        super().__init__()
        if b < 0:
            raise ValueError("squareplus needs b >= 0")
        self.b = b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (x + torch.sqrt(x * x + self.b))


class PoLU(nn.Module):
    """Power Linear Unit (Li, Ding, Li, 2018): ``f(x) = x`` for x ≥ 0, ``(1 − x)^(−n) − 1`` for x < 0.

    Identity for positives; the negative part saturates at −1 and has slope n at 0⁻. The clamp keeps the
    unused branch finite (so gradients through ``torch.where`` stay finite too).
    """

    def __init__(self, n: float = 1.0) -> None:
        super().__init__()
        if n <= 0:
            raise ValueError("PoLU needs n > 0")
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        negative = torch.pow(1 - x.clamp(max=0), -self.n) - 1
        return torch.where(x >= 0, x, negative)


class SReLU(nn.Module):
    """S-shaped ReLU (Jin et al., AAAI 2016): three linear pieces with 4 learned values per channel.

    ``f(x) = t_r + a_r (x − t_r)`` for x ≥ t_r, ``x`` for t_l < x < t_r, ``t_l + a_l (x − t_l)`` for x ≤ t_l.
    Init here: t_l = 0, a_l = 0, t_r = 1, a_r = 1 (the paper initialises t_r from the data).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.t_left = nn.Parameter(torch.zeros(channels))
        self.a_left = nn.Parameter(torch.zeros(channels))
        self.t_right = nn.Parameter(torch.ones(channels))
        self.a_right = nn.Parameter(torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        tl, al = self.t_left.view(shape), self.a_left.view(shape)
        tr, ar = self.t_right.view(shape), self.a_right.view(shape)
        y = torch.where(x >= tr, tr + ar * (x - tr), x)
        return torch.where(x <= tl, tl + al * (x - tl), y)


class MPELU(nn.Module):
    """Multiple Parametric ELU (Li, Ding, Li, ECCV 2016), channel-wise: x for x > 0, α(e^(βx) − 1) otherwise.

    α and β are learned per channel (2C parameters); init α = 0.25, β = 1 here. β = 1 gives PReLU-like ELU;
    as α, β → 0 with α·β fixed it tends to PReLU.
    """

    def __init__(self, channels: int, alpha: float = 0.25, beta: float = 1.0) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.full((channels,), alpha))
        self.beta = nn.Parameter(torch.full((channels,), beta))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.dim() - 2)
        a, b = self.alpha.view(shape), self.beta.view(shape)
        return torch.where(x > 0, x, a * torch.expm1(b * x.clamp(max=0)))


class PenalizedTanh(nn.Module):
    """Penalized tanh (Xu, Huang, Li, 2016): tanh(x) for x > 0, a·tanh(x) otherwise, a = 0.25; no parameters."""

    def __init__(self, a: float = 0.25) -> None:
        super().__init__()
        self.a = a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.tanh(x)
        return torch.where(x > 0, t, self.a * t)


class Maxout(nn.Module):
    """Maxout layer (Goodfellow et al., ICML 2013) on a feature map: a 1×1 conv (bias) to k·C_out pieces,
    output channel c = max over its k pieces. Params k·C_out·(C_in + 1)."""

    def __init__(self, channels: int, out_channels: int | None = None, pieces: int = 2) -> None:
        super().__init__()
        self.out, self.k = out_channels or channels, pieces
        self.linear = nn.Conv2d(channels, self.out * pieces, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        n, _, h, w = z.shape
        return z.view(n, self.out, self.k, h, w).amax(dim=2)


# ----------------------------------------------------------------------------- builders (registry entry points)
# ``channels`` is accepted by every builder so all blocks share one calling convention (per-channel parameters use it).

def relu(*, channels: int = 256) -> nn.Module:
    """max(0, x)."""
    return nn.ReLU()


def rrelu(*, channels: int = 256, lower: float = 1 / 8, upper: float = 1 / 3) -> nn.Module:
    """Randomized leaky ReLU (nn.RReLU): slope drawn from U(l, u) in training, (l + u)/2 in eval."""
    return nn.RReLU(lower, upper)


def leaky_relu(*, channels: int = 256, negative_slope: float = 0.01) -> nn.Module:
    """max(0, x) + 0.01·min(0, x)."""
    return nn.LeakyReLU(negative_slope)


def prelu(*, channels: int = 256, init: float = 0.25) -> nn.Module:
    """Channel-wise PReLU (C learned slopes, init 0.25 as in the paper)."""
    return nn.PReLU(channels, init)


def elu(*, channels: int = 256, alpha: float = 1.0) -> nn.Module:
    """x for x > 0, α(eˣ − 1) otherwise."""
    return nn.ELU(alpha)


def selu(*, channels: int = 256) -> nn.Module:
    """Scaled ELU with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733."""
    return nn.SELU()


def thresholded_relu(*, channels: int = 256, theta: float = 1.0) -> nn.Module:
    """x if x > θ else 0 (θ = 1)."""
    return nn.Threshold(theta, 0.0)


def swish(*, channels: int = 256) -> nn.Module:
    """Swish with β = 1, i.e. SiLU: x·σ(x)."""
    return nn.SiLU()


def hard_swish(*, channels: int = 256) -> nn.Module:
    """h-swish: x·ReLU6(x + 3)/6."""
    return nn.Hardswish()


def mish(*, channels: int = 256) -> nn.Module:
    """x·tanh(softplus(x))."""
    return nn.Mish()


def gelu(*, channels: int = 256) -> nn.Module:
    """x·Φ(x) (exact erf form)."""
    return nn.GELU()


def softplus(*, channels: int = 256) -> nn.Module:
    """log(1 + eˣ)."""
    return nn.Softplus()


def squareplus(*, channels: int = 256, b: float = 4.0) -> nn.Module:
    """(x + √(x² + b)) / 2 with b = 4."""
    return Squareplus(b)


def polu(*, channels: int = 256, n: float = 1.0) -> nn.Module:
    """PoLU with power n = 1."""
    return PoLU(n)


def srelu(*, channels: int = 256) -> nn.Module:
    """S-shaped ReLU, 4 parameters per channel."""
    return SReLU(channels)


def mpelu(*, channels: int = 256, alpha: float = 0.25, beta: float = 1.0) -> nn.Module:
    """Channel-wise MPELU: α, β per channel."""
    return MPELU(channels, alpha, beta)


def penalized_tanh(*, channels: int = 256, a: float = 0.25) -> nn.Module:
    """tanh for x > 0, 0.25·tanh otherwise."""
    return PenalizedTanh(a)


def maxout(*, channels: int = 256, pieces: int = 2) -> nn.Module:
    """Maxout with k = 2 pieces, C → C."""
    return Maxout(channels, pieces=pieces)


def identity(*, channels: int = 256) -> nn.Module:
    """nn.Identity: the zero-cost reference block (registered with block_kind "reference")."""
    return nn.Identity()
