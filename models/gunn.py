"""Gradually Updated Neural Networks (Qiao, Zhang, Shen, Wang & Yuille, ICML 2018).

A GUNN layer splits its C channels into S segments of o = C/S channels and updates them one after another: segment
i is replaced by x_i + F_i(cat(y_1, …, y_{i−1}, x_i, …, x_S)), so later segments read the already-updated earlier
ones. The depth grows S-fold at the cost of one ordinary layer (each F_i produces only C/S channels). F_i is a
bottleneck 1x1 (C → 2o) → 3x3 (2o → 2o) → 1x1 (2o → o), each conv followed by BN, ReLU after the first two; on CIFAR
a projection shortcut (1x1 C → o + BN) is added to F_i's output as well.

Networks layer for layer from the authors' Torch code (joe-siyuan-qiao/GUNN ``models/gunn-15.lua``,
``gunn-18.lua``, ``GunnLayer.lua``); convolutions have no bias (cuDNN ≥ 4 path of their init).
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_bn(cin: int, cout: int, k: int = 1, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]
    return [*layers, nn.ReLU(inplace=True)] if relu else layers


class GunnLayer(nn.Module):
    """Channel-wise gradually updated layer.

    Args:
        channels: C (in = out).
        segments: S; C must be divisible by S.
        shortcut: add the 1x1 projection shortcut to each update (the CIFAR networks).
    """

    def __init__(self, channels: int, segments: int, shortcut: bool = True) -> None:
        super().__init__()
        if channels % segments:
            raise ValueError(f"channels ({channels}) must be divisible by segments ({segments})")
        o = channels // segments
        self.o = o
        self.updates = nn.ModuleList(
            nn.Sequential(*_conv_bn(channels, 2 * o), *_conv_bn(2 * o, 2 * o, 3), *_conv_bn(2 * o, o, relu=False))
            for _ in range(segments))
        self.shortcuts = nn.ModuleList(nn.Sequential(*_conv_bn(channels, o, relu=False)) for _ in range(segments)) \
            if shortcut else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        segs = list(torch.split(x, self.o, 1))
        for i, update in enumerate(self.updates):
            cur = torch.cat(segs, 1)  # segments < i already updated
            delta = update(cur)
            if self.shortcuts is not None:
                delta = delta + self.shortcuts[i](cur)
            segs[i] = segs[i] + delta
        return torch.cat(segs, 1)


class GUNN(nn.Sequential):
    """Stem, then per stage: 1x1 conv + BN + ReLU to the stage width and a GUNN layer; global pool, FC.

    Args:
        stem: modules producing ``stem_channels``.
        stem_channels: their output width.
        widths / segments: per stage.
        cifar: the CIFAR layout (2x2 average pool after the 1x1 conv of stages 2+, projection shortcuts in the GUNN
            layers, a last 1x1 conv + BN + ReLU before pooling); else ImageNet (2x2 average pool after the GUNN
            layer of every stage but the last, no shortcuts).
        num_classes: classifier outputs.
    """

    def __init__(self, stem: list[nn.Module], stem_channels: int, widths: tuple[int, ...], segments: tuple[int, ...],
                 *, cifar: bool, num_classes: int) -> None:
        layers = list(stem)
        cin = stem_channels
        for i, (w, s) in enumerate(zip(widths, segments)):
            layers += _conv_bn(cin, w)
            if cifar and i > 0:
                layers.append(nn.AvgPool2d(2))
            layers.append(GunnLayer(w, s, shortcut=cifar))
            if not cifar and i < len(widths) - 1:
                layers.append(nn.AvgPool2d(2))
            cin = w
        if cifar:
            layers += _conv_bn(cin, cin)
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
        super().__init__(*layers)


def gunn15_cifar10(*, num_classes: int = 10) -> GUNN:
    """GUNN-15 (CIFAR): widths 240/300/360 in 20/25/30 segments; README/Table: 1.6M params."""
    return GUNN(_conv_bn(3, 64, 3), 64, (240, 300, 360), (20, 25, 30), cifar=True, num_classes=num_classes)


def gunn18(*, num_classes: int = 1000) -> GUNN:
    """GUNN-18 (ImageNet): 7x7/2 stem + max pool, widths 400/800/1600/2000 in 10/20/40/50 segments; 28.9M params."""
    stem = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    return GUNN(stem, 64, (400, 800, 1600, 2000), (10, 20, 40, 50), cifar=False, num_classes=num_classes)
