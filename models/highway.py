"""Convolutional highway network (Srivastava, Greff & Schmidhuber, "Training Very Deep Networks", NIPS 2015).

A highway layer computes y = H(x)·T(x) + x·(1 − T(x)) with H a 3x3 conv + ReLU and T a 3x3 conv + sigmoid (the
transform gate, bias initialised to −2 so the layer starts close to the identity, Sec. 2.2/4). The CIFAR-10
network is the authors' 19-layer one (Highway B in Table 1, "~2.3M" parameters), layer for layer from their Caffe
file ``examples/highways/cifar10-19layers/cifar10_network.prototxt`` (flukeskywalker/highway-networks):

    3x3 conv 32 + ReLU, 4 highway 32, 2x2 max pool,
    3x3 conv 80 + ReLU, 5 highway 80, 2x2 max pool,
    3x3 conv 128 + ReLU, 5 highway 128, 1x1 conv 100 + ReLU, 8x8 average pool, fully connected → classes.

Dropout (0.2) sits before each plain conv and the classifier in the original; it has no parameters or MACs and
is kept here (inactive in eval mode).
"""

from __future__ import annotations

import torch
from torch import nn


class HighwayConv(nn.Module):
    """y = relu(conv_H(x)) · σ(conv_T(x)) + x · (1 − σ(conv_T(x))); channels unchanged.

    Args:
        channels: input = output channels.
        kernel: square kernel size (padding keeps the spatial size).
        gate_bias: initial transform-gate bias (the paper's −2: carry most of the input at first).
    """

    def __init__(self, channels: int, kernel: int = 3, gate_bias: float = -2.0) -> None:
        super().__init__()
        self.h = nn.Conv2d(channels, channels, kernel, padding=kernel // 2)
        self.t = nn.Conv2d(channels, channels, kernel, padding=kernel // 2)
        nn.init.constant_(self.t.bias, gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.t(x))
        return torch.relu(self.h(x)) * t + x * (1 - t)


def _stage(cin: int, cout: int, n_highway: int) -> list[nn.Module]:
    return [nn.Dropout(0.2), nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
            *(HighwayConv(cout) for _ in range(n_highway))]


class HighwayCifar(nn.Sequential):
    """The 19-layer CIFAR highway network (plain conv + highway layers per stage, 1x1 conv, average pool, FC).

    Args:
        widths: channels of the three stages.
        highways: highway layers per stage.
        num_classes: classifier outputs.
    """

    def __init__(self, widths: tuple[int, int, int] = (32, 80, 128), highways: tuple[int, int, int] = (4, 5, 5),
                 num_classes: int = 10) -> None:
        c1, c2, c3 = widths
        super().__init__(
            *_stage(3, c1, highways[0]),  # the original also drops 20% of the input pixels
            nn.MaxPool2d(2),
            *_stage(c1, c2, highways[1]),
            nn.MaxPool2d(2),
            *_stage(c2, c3, highways[2]),
            nn.Conv2d(c3, 100, 1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
            nn.Linear(100, num_classes),
        )


def highway_cifar10_19(*, num_classes: int = 10) -> HighwayCifar:
    """Highway B, 19 layers, CIFAR-10 (Table 1: ~2.3M params)."""
    return HighwayCifar(num_classes=num_classes)
