"""Flattened Convolutional Neural Networks for Feedforward Acceleration (Jin, Dundar & Culurciello, ICLR 2015 wksp).

A flattened layer replaces a C_in → C_out k×k convolution by l stages of three one-dimensional convolutions: lateral
(L, across channels: a 1×1 convolution C → C_out), vertical (V, a k×1 filter per channel) and horizontal (H, a 1×k
filter per channel). Each 1-D convolution adds a bias; there is no non-linearity inside the layer; the paper uses
l = 2 (two LVH stages, chosen by cross-validation). The 1-D modules are the authors' Torch ones (jhjin/flattened-cnn
``nn-conv1d``: ``LateralConvolution`` weight C_out × C_in + bias, ``VerticalConvolution`` / ``HorizontalConvolution``
weight C × k + bias, C_in = C_out). The paper runs V and H in "full" mode to keep the baseline's output size; here
they are padded to keep the input size, which gives the same output size as the 'same'-padded baseline convolution.

Params of one stage C → C_out with k: C·C_out + C_out (L) + 2·(C_out·k + C_out) (V, H), against C·C_out·k² + C_out
for the k×k convolution.
"""

from __future__ import annotations

from torch import nn


def lvh(cin: int, cout: int, k: int) -> list[nn.Module]:
    """One lateral → vertical → horizontal stage (each with its bias)."""
    return [nn.Conv2d(cin, cout, 1),
            nn.Conv2d(cout, cout, (k, 1), padding=(k // 2, 0), groups=cout),
            nn.Conv2d(cout, cout, (1, k), padding=(0, k // 2), groups=cout)]


class FlattenedConv(nn.Sequential):
    """A flattened convolution C_in → C_out of 1-D size k: ``stages`` LVH stages, no non-linearity inside."""

    def __init__(self, cin: int, cout: int, k: int, stages: int = 2) -> None:
        layers: list[nn.Module] = []
        for i in range(stages):
            layers += lvh(cin if i == 0 else cout, cout, k)
        super().__init__(*layers)


class FlattenedNet(nn.Sequential):
    """A plain k×k convolution first (3 or 1 input channels leave nothing to flatten), then flattened layers; each
    layer is followed by ReLU and 3x3/2 max pooling; global average pooling and a linear classifier.

    Args:
        in_ch: image channels.
        widths: output channels of each layer (the first a plain convolution).
        kernels: their kernel sizes.
        num_classes: classifier outputs.
    """

    def __init__(self, in_ch: int, widths: tuple[int, ...], kernels: tuple[int, ...], num_classes: int) -> None:
        layers: list[nn.Module] = []
        cin = in_ch
        for i, (w, k) in enumerate(zip(widths, kernels)):
            layers.append(nn.Conv2d(cin, w, k, padding=k // 2) if i == 0 else FlattenedConv(cin, w, k))
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
            cin = w
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes)]
        super().__init__(*layers)


def flattened_cifar10(*, num_classes: int = 10) -> FlattenedNet:
    """CIFAR-10 (3×32×32): 5x5 conv 96, flattened 128 (k = 5), flattened 256 (k = 3)."""
    return FlattenedNet(3, (96, 128, 256), (5, 5, 3), num_classes)


def flattened_mnist(*, num_classes: int = 10) -> FlattenedNet:
    """MNIST (1×28×28): 5x5 conv 32, flattened 64 (k = 5), flattened 128 (k = 3)."""
    return FlattenedNet(1, (32, 64, 128), (5, 5, 3), num_classes)
