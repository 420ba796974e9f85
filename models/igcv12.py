"""IGCV1 (Zhang, Qi, Xiao & Wang, "Interleaved Group Convolutions for Deep Neural Networks", ICCV 2017).

An interleaved group convolution (IGC) is a primary group convolution (3x3, L partitions), a permutation, a
secondary group convolution (1x1, M partitions, each mixing one channel of every primary partition) and the
permutation back, followed by BN (and ReLU); width L·M. The ImageNet networks are ResNet-18 with each 3x3 conv
replaced by an IGC ("+Ident." = identity shortcuts, 1x1 group-conv projections where the width changes).

Layer for layer from the authors' MXNet code (hellozting/InterleavedGroupConvolutions): ``Reorder`` with
``branch_factor=b`` is the channel interleave ``channel_shuffle(x, b)``; it moves no parameter and no MAC.

- IGC-L100M2 (``network/resnet_igc_imgnet_d18.py``): 7x7 stem of 100 channels; stages of 200, 400, 800, 1600
  channels with L = 100, 200, 400, 800 (M = 2 throughout: "double L, keep M"); the projection is a 1x1 conv
  with L groups.
- IGC-L16M16 and IGC-L4M32 (the released symbols ``models/IGC-L16M16_ImageNet/*-symbol.json``): stem of L·M
  channels, stages of L·M, 2·L·M, 4·L·M, 8·L·M channels with L fixed and M doubling ("double M, keep L"); the
  projection is a 1x1 conv with L groups.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ConvBNAct, channel_shuffle


class IGC(nn.Module):
    """Primary 3x3 group conv (``primary`` groups) → interleave → secondary 1x1 group conv (``out/primary``
    groups) → interleave back → BN (→ ReLU)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, primary: int, relu: bool = True) -> None:
        super().__init__()
        self.primary, self.secondary = primary, out_ch // primary
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, groups=primary, bias=False)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 1, groups=self.secondary, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.act = nn.ReLU(inplace=True) if relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = channel_shuffle(self.conv1(x), self.primary)
        x = channel_shuffle(self.conv2(x), self.secondary)
        return self.act(self.bn(x))


class IGCBlock(nn.Module):
    """Two IGCs with an identity shortcut (a 1x1 conv with ``primary`` groups where the width or size changes)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, primary: int) -> None:
        super().__init__()
        self.igc1 = IGC(in_ch, out_ch, stride, primary)
        self.igc2 = IGC(out_ch, out_ch, 1, primary, relu=False)
        self.proj = (ConvBNAct(in_ch, out_ch, 1, stride, groups=primary, act=None)
                     if in_ch != out_ch or stride != 1 else None)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.proj is None else self.proj(x)
        return self.relu(self.igc2(self.igc1(x)) + skip)


class IGCV1ImageNet(nn.Module):
    """ResNet-18 layout (2 blocks per stage) with IGC blocks: stem ``stem`` channels, ``widths`` and L
    ``primaries`` per stage."""

    def __init__(self, stem: int, widths: tuple[int, ...], primaries: tuple[int, ...],
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.num_classes = num_classes
        layers: list[nn.Module] = [ConvBNAct(3, stem, 7, 2), nn.MaxPool2d(3, 2, 1)]
        in_ch = stem
        for i, (width, primary) in enumerate(zip(widths, primaries)):
            for b in range(2):
                layers.append(IGCBlock(in_ch, width, 2 if i > 0 and b == 0 else 1, primary))
                in_ch = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def igcv1_l100m2(*, num_classes: int = 1000) -> IGCV1ImageNet:
    """IGC-L100M2+Ident. (ImageNet, 3x224x224)."""
    return IGCV1ImageNet(100, (200, 400, 800, 1600), (100, 200, 400, 800), num_classes)


def igcv1_l16m16(*, num_classes: int = 1000) -> IGCV1ImageNet:
    """IGC-L16M16+Ident. (ImageNet, 3x224x224)."""
    return IGCV1ImageNet(256, (256, 512, 1024, 2048), (16,) * 4, num_classes)


def igcv1_l4m32(*, num_classes: int = 1000) -> IGCV1ImageNet:
    """IGC-L4M32+Ident. (ImageNet, 3x224x224)."""
    return IGCV1ImageNet(128, (128, 256, 512, 1024), (4,) * 4, num_classes)
