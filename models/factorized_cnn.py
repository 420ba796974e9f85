"""Factorized Convolutional Neural Networks (Wang, Liu & Foroosh, arXiv 1608.04337 2016 / ICCV workshops 2017).

The 3D convolution is unravelled into a single intra-channel convolution (SIC: one k×k filter per channel, a
depthwise convolution with negligible cost) followed by a linear channel projection (1×1); with a residual
connection the layer keeps spatial information at a fraction of the cost. Topological subdivisioning cuts the
input–output channel connections of the projection; here it is the plain form of it, a grouped 1×1 projection of
``groups`` disjoint channel blocks. The spatial "bottleneck" is a convolution → projection → deconvolution pipeline:
an intra-channel k×k convolution with stride 2, the projection at half resolution, an intra-channel 2×2
deconvolution (stride 2) back to full resolution.

The SIC layer as re-implemented in public compression code (``conv_sic``: depthwise k×k, 1×1, ReLU(y + x)); the
paper's tables were not reachable offline, so the ImageNet network below is a ResNet-shaped stack of SIC layers
whose widths and depths are ours, not the paper's models.
"""

from __future__ import annotations

import torch
from torch import nn


class SICLayer(nn.Module):
    """Single intra-channel convolution + linear projection, BN, residual, ReLU (C → C).

    Args:
        channels: C.
        k: intra-channel kernel size.
        groups: topological subdivisioning of the projection (1: every input reaches every output).
    """

    def __init__(self, channels: int, k: int = 3, groups: int = 1) -> None:
        super().__init__()
        self.sic = nn.Conv2d(channels, channels, k, padding=k // 2, groups=channels, bias=False)
        self.proj = nn.Conv2d(channels, channels, 1, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.bn(self.proj(self.sic(x))))


class SpatialBottleneck(nn.Module):
    """Intra-channel k×k convolution stride 2 → projection → intra-channel 2×2 deconvolution stride 2, BN,
    residual, ReLU (C → C; even spatial sizes)."""

    def __init__(self, channels: int, k: int = 3, groups: int = 1) -> None:
        super().__init__()
        self.down = nn.Conv2d(channels, channels, k, 2, k // 2, groups=channels, bias=False)
        self.proj = nn.Conv2d(channels, channels, 1, groups=groups, bias=False)
        self.up = nn.ConvTranspose2d(channels, channels, 2, 2, groups=channels, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.bn(self.up(self.proj(self.down(x)))))


def _transition(cin: int, cout: int, stride: int) -> nn.Sequential:
    """Width change: intra-channel 3×3 (stride ``stride``) on the input channels, then a 1×1 projection."""
    return nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
                         nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class FactorizedNet(nn.Sequential):
    """7x7/2 stem + max pool, then per stage a transition (stride 2 from the second stage) and ``depth`` SIC layers;
    ``bottleneck`` stages end with a spatial bottleneck; global average pooling, FC."""

    def __init__(self, widths: tuple[int, ...], depths: tuple[int, ...], *, bottleneck: tuple[bool, ...],
                 groups: int = 1, num_classes: int = 1000) -> None:
        layers: list[nn.Module] = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                   nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for i, (w, d, b) in enumerate(zip(widths, depths, bottleneck)):
            layers.append(_transition(cin, w, 1 if i == 0 else 2))
            layers += [SICLayer(w, groups=groups) for _ in range(d)]
            if b:
                layers.append(SpatialBottleneck(w, groups=groups))
            cin = w
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
        super().__init__(*layers)


def factorized_cnn_imagenet(*, num_classes: int = 1000) -> FactorizedNet:
    """Widths 128/256/512/1024, 3/4/6/3 SIC layers, a spatial bottleneck closing the 56² and 28² stages."""
    return FactorizedNet((128, 256, 512, 1024), (3, 4, 6, 3), bottleneck=(True, True, False, False),
                         num_classes=num_classes)
