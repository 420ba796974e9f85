"""Network in Network (Lin, Chen & Yan, "Network In Network", arXiv 2013 / ICLR 2014).

Each "mlpconv" layer is a spatial convolution followed by two 1x1 convolutions ("cccp" layers in the
authors' Caffe files), all with bias and ReLU; the classifier is the last 1x1 conv producing one map per
class, followed by global average pooling (no fully connected layer). No batch normalisation (2013).

Two variants:

* ``nin_imagenet`` - the ImageNet model the authors released in the Caffe Model Zoo ("NIN-Imagenet",
  4 mlpconv layers: 96-256-384-1024 maps, 11x11/4 first conv, ~7.6M parameters). The paper itself gives no
  ImageNet results or counts.
* ``nin_cifar10`` - the CIFAR-10 model of the paper's Sec. 4.2 (3 mlpconv layers of 192 maps, first one
  192-160-96), as in the authors' released CIFAR-10 definition (~0.97M parameters).

Pooling uses ``ceil_mode=True`` to reproduce Caffe's output sizes (224 -> 54 -> 27 -> 13 -> 6). The final
pooling is adaptive so the nets accept any input large enough.
"""

from __future__ import annotations

import torch
from torch import nn


def _mlpconv(in_ch: int, channels: tuple[int, int, int], kernel_size: int, stride: int = 1,
             padding: int = 0) -> list[nn.Module]:
    """conv(kxk) → ReLU → 1x1 → ReLU → 1x1 → ReLU (the authors' files keep a ReLU after the class maps)."""
    c1, c2, c3 = channels
    return [
        nn.Conv2d(in_ch, c1, kernel_size, stride, padding), nn.ReLU(inplace=True),
        nn.Conv2d(c1, c2, 1), nn.ReLU(inplace=True),
        nn.Conv2d(c2, c3, 1), nn.ReLU(inplace=True),
    ]


class NIN(nn.Module):
    """Network in Network: stacked mlpconv layers, the last one emitting class maps, then global pooling."""

    def __init__(self, features: nn.Sequential, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.features(x)), 1)


def nin_imagenet(*, num_classes: int = 1000, dropout: float = 0.5) -> NIN:
    """NIN for ImageNet (Caffe Model Zoo definition), 3x224x224 input."""
    features = nn.Sequential(
        *_mlpconv(3, (96, 96, 96), 11, stride=4),  # 224 -> 54
        nn.MaxPool2d(3, 2, ceil_mode=True),  # -> 27
        *_mlpconv(96, (256, 256, 256), 5, padding=2),
        nn.MaxPool2d(3, 2, ceil_mode=True),  # -> 13
        *_mlpconv(256, (384, 384, 384), 3, padding=1),
        nn.MaxPool2d(3, 2, ceil_mode=True),  # -> 6
        nn.Dropout(dropout),
        *_mlpconv(384, (1024, 1024, num_classes), 3, padding=1),
    )
    return NIN(features, num_classes)


def nin_cifar10(*, num_classes: int = 10, dropout: float = 0.5) -> NIN:
    """NIN for CIFAR-10 (paper Sec. 4.2), 3x32x32 input."""
    features = nn.Sequential(
        *_mlpconv(3, (192, 160, 96), 5, padding=2),
        nn.MaxPool2d(3, 2, ceil_mode=True),  # 32 -> 16
        nn.Dropout(dropout),
        *_mlpconv(96, (192, 192, 192), 5, padding=2),
        nn.AvgPool2d(3, 2, ceil_mode=True),  # -> 8
        nn.Dropout(dropout),
        *_mlpconv(192, (192, 192, num_classes), 3, padding=1),
    )
    return NIN(features, num_classes)
