"""The convolutional maxout network for CIFAR-10 (Goodfellow, Warde-Farley, Mirza, Courville & Bengio, "Maxout
Networks", ICML 2013, §5.3).

A maxout unit outputs the maximum of k affine pieces: a maxout conv layer computes k·C feature maps and keeps, at each
position, the maximum over each consecutive group of k (pylearn2's ``MaxoutConvC01B``); a maxout dense layer does
the same with k·N linear outputs. The paper describes the CIFAR-10 net only as "three convolutional maxout layers,
a fully connected maxout layer, and a fully connected softmax layer"; the hyper-parameters are those of the
authors' pylearn2 configuration (``pylearn2/scripts/papers/maxout/cifar10.yaml``):

* h0: 96 maxout maps, 2 pieces, 8x8 kernels, pad 4, then 4x4 max pool stride 2  (32 → 33 → 16)
* h1: 192 maps, 2 pieces, 8x8, pad 3, 4x4 pool stride 2  (16 → 15 → 7)
* h2: 192 maps, 2 pieces, 5x5, pad 3, 2x2 pool stride 2  (7 → 9 → 5)
* h3: 500 maxout units, 5 pieces; y: softmax over 10 classes.

cuda-convnet's pooling (which pylearn2 wraps) produces ceil((n - k) / s) + 1 outputs — windows may hang over the
border — hence ``ceil_mode=True``. Biases are tied (one per conv channel). Dropout is training-only and omitted.
Counts: conv 37,056 + 2,359,680 + 1,843,584, dense 4,800·2,500 + 2,500 = 12,002,500, softmax 5,010 → 16,247,830
parameters; the paper publishes no parameter or operation counts.
"""

from __future__ import annotations

import torch
from torch import nn


class MaxoutConv(nn.Module):
    """conv to ``channels * pieces`` maps → max over each consecutive group of ``pieces`` → max pool (ceil mode)."""

    def __init__(self, c_in: int, channels: int, pieces: int, kernel: int, pad: int, pool: int, pool_stride: int):
        super().__init__()
        self.channels, self.pieces = channels, pieces
        self.conv = nn.Conv2d(c_in, channels * pieces, kernel, padding=pad)
        self.pool = nn.MaxPool2d(pool, pool_stride, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.conv(x)
        b, _, h, w = z.shape
        return self.pool(z.view(b, self.channels, self.pieces, h, w).amax(dim=2))


class MaxoutLinear(nn.Module):
    """Dense maxout: ``units * pieces`` linear outputs, max over each consecutive group of ``pieces``."""

    def __init__(self, c_in: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(c_in, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=2)


class MaxoutCifar10(nn.Module):
    """Three maxout conv layers, one maxout dense layer, softmax (returns logits)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            MaxoutConv(3, 96, 2, kernel=8, pad=4, pool=4, pool_stride=2),
            MaxoutConv(96, 192, 2, kernel=8, pad=3, pool=4, pool_stride=2),
            MaxoutConv(192, 192, 2, kernel=5, pad=3, pool=2, pool_stride=2),
        )
        self.h3 = MaxoutLinear(192 * 5 * 5, 500, 5)
        self.classifier = nn.Linear(500, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.h3(torch.flatten(self.features(x), 1)))


def maxout_cifar10(*, num_classes: int = 10) -> MaxoutCifar10:
    """The maxout paper's CIFAR-10 conv net (32x32 input): 16,247,830 parameters."""
    return MaxoutCifar10(num_classes)
