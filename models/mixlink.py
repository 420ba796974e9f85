"""Mixed Link Networks (Wang, Li, Yang & Lu, IJCAI 2018).

A mixed link layer has two bottleneck branches (BN-ReLU-1x1 conv to 4k, BN-ReLU-3x3 conv to k), both reading the
whole feature map x of C channels:

* inner link (additive, ResNet-like): its k1 outputs are *added* to the last k1 channels of x;
* outer link (concatenative, DenseNet-like): its k2 outputs are *appended*, so C grows by k2 per layer.

Blocks are joined by DenseNet transitions (BN-ReLU-1x1 conv to C/2, 2x2 average pool). Layer for layer from the
authors' PyTorch code (DeepInsight-PCALab/MixNet ``models/cifar/mixnet.py``, ``models/imagenet/mixnet.py``).
"""

from __future__ import annotations

import torch
from torch import nn


def _bottleneck(cin: int, k: int, expansion: int = 4) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, expansion * k, 1, bias=False),
                         nn.BatchNorm2d(expansion * k), nn.ReLU(inplace=True),
                         nn.Conv2d(expansion * k, k, 3, padding=1, bias=False))


class MixLayer(nn.Module):
    """x (C ch) → cat(x with its last k1 channels + inner(x), outer(x)) (C + k2 ch)."""

    def __init__(self, cin: int, k1: int, k2: int) -> None:
        super().__init__()
        if k1 > cin:
            raise ValueError(f"k1 ({k1}) must not exceed the input channels ({cin})")
        self.k1 = k1
        self.inner = _bottleneck(cin, k1) if k1 > 0 else None
        self.outer = _bottleneck(cin, k2) if k2 > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.inner is not None:
            c = x.shape[1]
            out = torch.cat([x[:, : c - self.k1], x[:, c - self.k1:] + self.inner(x)], 1)
        if self.outer is not None:
            out = torch.cat([out, self.outer(x)], 1)
        return out


def _transition(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1, bias=False),
                         nn.AvgPool2d(2))


class MixNetLink(nn.Sequential):
    """A mixed link network: stem, blocks of mixed link layers with transitions, BN-ReLU, global pool, FC.

    Args:
        stem: modules producing ``init_channels``.
        init_channels: stem output width.
        blocks: layers per block.
        k1 / k2: inner / outer link widths.
        num_classes: classifier outputs.
    """

    def __init__(self, stem: list[nn.Module], init_channels: int, blocks: tuple[int, ...], k1: int, k2: int,
                 num_classes: int) -> None:
        layers = list(stem)
        c = init_channels
        for i, n in enumerate(blocks):
            for _ in range(n):
                layers.append(MixLayer(c, k1, k2))
                c += k2
            if i < len(blocks) - 1:
                out = max(c // 2, k1)
                layers.append(_transition(c, out))
                c = out
        layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                   nn.Linear(c, num_classes)]
        super().__init__(*layers)


def mixlink_cifar(depth: int = 100, k1: int = 12, k2: int = 12, num_classes: int = 10) -> MixNetLink:
    """CIFAR MixNet-``depth`` (depth = 6n + 4: three blocks of n layers, 3x3 stem to max(2·k2, k1) channels)."""
    if (depth - 4) % 6:
        raise ValueError(f"depth must be 6n + 4, got {depth}")
    n = (depth - 4) // 6
    c0 = max(2 * k2, k1)
    return MixNetLink([nn.Conv2d(3, c0, 3, padding=1, bias=False)], c0, (n, n, n), k1, k2, num_classes)


def mixlink100_cifar10(*, num_classes: int = 10) -> MixNetLink:
    """MixNet-100 (k1 = k2 = 12), CIFAR-10."""
    return mixlink_cifar(100, 12, 12, num_classes)


def _imagenet(init: int, k: int, blocks: tuple[int, ...], num_classes: int) -> MixNetLink:
    stem = [nn.Conv2d(3, init, 7, 2, 3, bias=False), nn.BatchNorm2d(init), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1)]
    return MixNetLink(stem, init, blocks, k, k, num_classes)


def mixlink105(*, num_classes: int = 1000) -> MixNetLink:
    """MixNet-105: stem 64, k1 = k2 = 32, blocks 6-12-20-12."""
    return _imagenet(64, 32, (6, 12, 20, 12), num_classes)


def mixlink121(*, num_classes: int = 1000) -> MixNetLink:
    """MixNet-121: stem 80, k1 = k2 = 40, blocks 6-12-24-16."""
    return _imagenet(80, 40, (6, 12, 24, 16), num_classes)


def mixlink141(*, num_classes: int = 1000) -> MixNetLink:
    """MixNet-141: stem 96, k1 = k2 = 48, blocks 6-12-30-20."""
    return _imagenet(96, 48, (6, 12, 30, 20), num_classes)
