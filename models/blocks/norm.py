"""Normalisation layers as blocks (shape-preserving), profiled on one feature map (default 1×256×56×56).

Normalisation carries no MACs in cnnbench's convention (reductions and elementwise scale/shift only), so its
cost shows in memory access, activations and latency. In inference BatchNorm folds into the preceding conv;
the block here is the unfused layer. They are listed with the activations in ``cnnbench blocks`` (same
identity reference, same shape-preserving role); ``block_kind`` is ``activation``, the notes say "norm".

Papers (title, year; what was followed):
    BatchNorm      Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate
                   Shift (Ioffe & Szegedy, ICML 2015): per-channel γ, β (2C) + running mean/var buffers.
    LayerNorm      Layer Normalization (Ba, Kiros, Hinton, 2016); on a conv map as ConvNeXt applies it: over
                   C at each position (``timm.layers.LayerNorm2d``), γ, β per channel.
    GroupNorm      Group Normalization (Wu & He, ECCV 2018): 32 groups, γ, β per channel.
    InstanceNorm   Instance Normalization: The Missing Ingredient for Fast Stylization (Ulyanov et al., 2016),
                   affine (γ, β per channel) as IBN-Net uses it.
    IBN-a / IBN-b  Two at Once: Enhancing Learning and Generalization Capacities via IBN-Net (Pan et al.,
                   ECCV 2018). IBN-a: the first BN of a residual unit split into IN on half the channels and
                   BN on the other half (official ``IBN`` class, ratio 0.5). IBN-b: IN (affine) on all
                   channels after the residual addition, before the ReLU.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["IBN", "batch_norm", "group_norm", "ibn_a", "ibn_b", "instance_norm", "layer_norm"]


class IBN(nn.Module):
    """IBN-a's mix: InstanceNorm (affine) on the first ``ratio``·C channels, BatchNorm on the rest."""

    def __init__(self, channels: int, ratio: float = 0.5) -> None:
        super().__init__()
        self.half = int(channels * ratio)
        self.IN = nn.InstanceNorm2d(self.half, affine=True)
        self.BN = nn.BatchNorm2d(channels - self.half)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = torch.split(x, [self.half, x.shape[1] - self.half], dim=1)
        return torch.cat((self.IN(a.contiguous()), self.BN(b.contiguous())), dim=1)


def batch_norm(*, channels: int = 256) -> nn.Module:
    """BatchNorm2d: 2C parameters (γ, β) + 2C running statistics (buffers)."""
    return nn.BatchNorm2d(channels)


def layer_norm(*, channels: int = 256) -> nn.Module:
    """LayerNorm over the channels of each position (timm ``LayerNorm2d``, as in ConvNeXt)."""
    from timm.layers import LayerNorm2d

    return LayerNorm2d(channels)


def group_norm(*, channels: int = 256, groups: int = 32) -> nn.Module:
    """GroupNorm with 32 groups (the paper's default)."""
    return nn.GroupNorm(groups, channels)


def instance_norm(*, channels: int = 256) -> nn.Module:
    """InstanceNorm2d, affine."""
    return nn.InstanceNorm2d(channels, affine=True)


def ibn_a(*, channels: int = 256, ratio: float = 0.5) -> nn.Module:
    """IBN-a: IN on half the channels, BN on the other half."""
    return IBN(channels, ratio)


def ibn_b(*, channels: int = 256) -> nn.Module:
    """IBN-b's tail of a residual unit: IN (affine) on all channels, then the unit's ReLU."""
    return nn.Sequential(nn.InstanceNorm2d(channels, affine=True), nn.ReLU(inplace=True))
