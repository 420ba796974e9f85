"""Activation functions as blocks (shape-preserving), profiled on one feature map (default 1×256×56×56).

Elementwise activations carry no MACs in cnnbench's convention (no multiply-accumulate), so their cost
shows up in memory access and latency, not in the MAC column. Only PReLU has parameters (one per channel).
Squareplus and PoLU are implemented here from their papers' formulas; the rest are PyTorch's modules.

Papers: see the registry entries in ``catalog.py`` (title + year per activation).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "PoLU",
    "Squareplus",
    "elu",
    "gelu",
    "hard_swish",
    "identity",
    "leaky_relu",
    "mish",
    "polu",
    "prelu",
    "relu",
    "selu",
    "softplus",
    "squareplus",
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


# ----------------------------------------------------------------------------- builders (registry entry points)
# ``channels`` is accepted by every builder so all blocks share one calling convention; only PReLU uses it.

def relu(*, channels: int = 256) -> nn.Module:
    """max(0, x)."""
    return nn.ReLU()


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


def identity(*, channels: int = 256) -> nn.Module:
    """nn.Identity: the zero-cost reference block (registered with block_kind "reference")."""
    return nn.Identity()
