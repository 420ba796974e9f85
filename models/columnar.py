"""Deep Columnar CNN (DCCNN; Majumdar & Jain, "Deep Columnar Convolutional Neural Network", International Journal
of Computer Applications 145(12), 2016).

A single wide network in place of a multi-column ensemble: at each level several parallel columns (convolutions
of different kernel sizes) read the same input and are concatenated, then pooled. Layer for layer from the first
author's Keras code (titu1994/Deep-Columnar-Convolutional-Neural-Network):

- ``DCCNN_MNIST_Model.py``: 2 columns of 5x5 conv 64 → max-pool; 2 columns of 4x4 conv 128 → max-pool; 6 columns of
  3x3 conv 256 → max-pool (28 → 14 → 7 → 4, Keras ``border_mode='same'``) → dropout → FC 10; ReLU, biases.
- ``DCCNN_CIFAR10_Model.py``: columns of two convs each (5x5 and 3x3 with 96 filters; two 3x3 with 192), then three
  single-conv columns (3x3, 1x1, 5x5 with 256); after each level a strided "convolutional subsampling" conv
  (5x5/2 to 96, 3x3/2 to 192, 3x3/2 to 192) with LeakyReLU and BN after the first two → dropout → FC 10.

Keras' even 4x4 "same" convolution pads one more pixel after than before; an explicit ``ZeroPad2d`` does the same.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn


class Columns(nn.Module):
    """Parallel columns over one input, concatenated along channels."""

    def __init__(self, *columns: nn.Module) -> None:
        super().__init__()
        self.columns = nn.ModuleList(columns)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([c(x) for c in self.columns], 1)


def _conv(in_ch: int, out_ch: int, k: int, act: type[nn.Module], repeat: int = 0, stride: int = 1) -> nn.Sequential:
    """``1 + repeat`` convs of size ``k`` (biased, "same" padding), each followed by ``act``."""
    layers: list[nn.Module] = []
    for i in range(1 + repeat):
        if k % 2 == 0:  # Keras "same" for an even kernel: (k-2)/2 before, k/2 after
            layers.append(nn.ZeroPad2d((k // 2 - 1, k // 2, k // 2 - 1, k // 2)))
        layers += [nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, k, stride, 0 if k % 2 == 0 else k // 2), act()]
    return nn.Sequential(*layers)


class DCCNN(nn.Module):
    """A sequence of column levels and pools, then dropout and a linear classifier."""

    def __init__(self, features: nn.Sequential, flat: int, num_classes: int = 10) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = features
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Flatten(1), nn.Linear(flat, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def dccnn_mnist(*, num_classes: int = 10) -> DCCNN:
    """DCCNN for 1x28x28 MNIST digits."""
    relu = nn.ReLU
    pool = nn.MaxPool2d(2, 2, ceil_mode=True)  # Keras 'same' pooling: 7 → 4
    features = nn.Sequential(
        Columns(*(_conv(1, 64, 5, relu) for _ in range(2))), nn.MaxPool2d(2, 2),
        Columns(*(_conv(128, 128, 4, relu) for _ in range(2))), nn.MaxPool2d(2, 2),
        Columns(*(_conv(256, 256, 3, relu) for _ in range(6))), pool,
    )
    return DCCNN(features, 1536 * 4 * 4, num_classes)


def dccnn_cifar10(*, num_classes: int = 10) -> DCCNN:
    """DCCNN for 3x32x32 CIFAR-10 images."""
    lrelu = partial(nn.LeakyReLU, 0.3)  # Keras' LeakyReLU default slope
    features = nn.Sequential(
        Columns(_conv(3, 96, 5, lrelu, repeat=1), _conv(3, 96, 3, lrelu, repeat=1)),
        _conv(192, 96, 5, lrelu, stride=2), nn.BatchNorm2d(96),
        Columns(_conv(96, 192, 3, lrelu, repeat=1), _conv(96, 192, 3, lrelu, repeat=1)),
        _conv(384, 192, 3, lrelu, stride=2), nn.BatchNorm2d(192),
        Columns(_conv(192, 256, 3, lrelu), _conv(192, 256, 1, lrelu), _conv(192, 256, 5, lrelu)),
        _conv(768, 192, 3, lrelu, stride=2),
    )
    return DCCNN(features, 192 * 4 * 4, num_classes)
