"""CIFAR residual networks with pre-activation units: ResNet-1001 and Wide ResNets (WRN-d-k).

Pre-activation ResNet-164/1001 ("Identity Mappings in Deep Residual Networks", He et al., ECCV 2016), layer for
layer from the authors' Torch file (KaimingHe/resnet-1k-layers, ``resnet-pre-act.lua``): a 3x3 conv to 16 maps,
three stages of n = (depth - 2) / 9 bottleneck units BN-ReLU-1x1, BN-ReLU-3x3, BN-ReLU-1x1 with outputs 64, 128,
256 (bottleneck width a quarter of that), stride 2 in the first 1x1 of stages 2 and 3; the first unit of a stage
shares its BN-ReLU with a 1x1 projection shortcut; then BN-ReLU, 8x8 average pool and a linear layer. Convs carry
no bias (the file drops it under cuDNN >= 4).

Wide ResNets ("Wide Residual Networks", Zagoruyko & Komodakis, BMVC 2016), layer for layer from the authors'
PyTorch code (szagoruyko/wide-residual-networks, ``pytorch/resnet.py``): a 3x3 conv to 16 maps, three groups of
n = (depth - 4) / 6 basic blocks BN-ReLU-3x3, BN-ReLU-3x3 with widths 16k, 32k, 64k (stride 1, 2, 2), a 1x1
projection from the pre-activated input where the width changes, then BN-ReLU, 8x8 average pool and a linear layer.
Dropout between the two convs (the "-dropout" runs) has no parameters and is left out.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "PreActBottleneck",
    "PreActResNetCifar",
    "WideBasic",
    "WideResNetCifar",
    "preact_resnet164_cifar10",
    "preact_resnet1001_cifar10",
    "wrn_16_8_cifar10",
    "wrn_16_10_cifar10",
    "wrn_28_10_cifar10",
    "wrn_40_4_cifar10",
    "wrn_40_8_cifar10",
]


def _bn_relu(c: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))


class PreActBottleneck(nn.Module):
    """BN-ReLU-1x1 (stride), BN-ReLU-3x3, BN-ReLU-1x1; identity shortcut, or a 1x1 projection of the
    pre-activated input when the shape changes (the lua file's "Residual Units for increasing dimensions")."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        mid = cout // 4
        self.project = cin != cout or stride != 1
        self.pre = _bn_relu(cin)
        self.conv1 = nn.Conv2d(cin, mid, 1, stride, bias=False)
        self.conv2 = nn.Sequential(_bn_relu(mid), nn.Conv2d(mid, mid, 3, 1, 1, bias=False))
        self.conv3 = nn.Sequential(_bn_relu(mid), nn.Conv2d(mid, cout, 1, bias=False))
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if self.project else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.pre(x)
        y = self.conv3(self.conv2(self.conv1(o)))
        return y + (self.shortcut(o) if self.shortcut is not None else x)


class PreActResNetCifar(nn.Module):
    """Pre-activation bottleneck ResNet for 32x32 inputs, depth = 9n + 2."""

    def __init__(self, depth: int = 1001, num_classes: int = 10) -> None:
        super().__init__()
        if (depth - 2) % 9:
            raise ValueError(f"depth should be 9n+2 (164, 1001), got {depth}")
        n = (depth - 2) // 9
        stages = (16, 64, 128, 256)
        self.stem = nn.Conv2d(3, stages[0], 3, 1, 1, bias=False)
        self.layers = _three_stages(PreActBottleneck, stages, n)
        self.head = nn.Sequential(_bn_relu(stages[3]), nn.AdaptiveAvgPool2d(1), nn.Flatten(1),
                                  nn.Linear(stages[3], num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)))


def _three_stages(block: type[nn.Module], widths: tuple[int, ...], n: int) -> nn.Sequential:
    """The CIFAR layout: three stages of ``n`` blocks at strides 1, 2, 2; widths[i] → widths[i + 1] in the first."""
    blocks: list[nn.Module] = []
    for i, stride in enumerate((1, 2, 2)):
        cin, cout = widths[i], widths[i + 1]
        blocks += [block(cin if j == 0 else cout, cout, stride if j == 0 else 1) for j in range(n)]
    return nn.Sequential(*blocks)


class WideBasic(nn.Module):
    """BN-ReLU-3x3 (stride), BN-ReLU-3x3; identity, or a 1x1 projection of the pre-activated input when the
    width changes (``convdim`` in the authors' code)."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.pre = _bn_relu(cin)
        self.conv0 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv1 = nn.Sequential(_bn_relu(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False))
        self.convdim = nn.Conv2d(cin, cout, 1, stride, bias=False) if cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = self.pre(x)
        z = self.conv1(self.conv0(o))
        return z + (self.convdim(o) if self.convdim is not None else x)


class WideResNetCifar(nn.Module):
    """WRN-depth-k for 32x32 inputs, depth = 6n + 4."""

    def __init__(self, depth: int, widen: int, num_classes: int = 10) -> None:
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError(f"depth should be 6n+4 (16, 28, 40), got {depth}")
        n = (depth - 4) // 6
        widths = (16, 16 * widen, 32 * widen, 64 * widen)
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.groups = _three_stages(WideBasic, widths, n)
        self.head = nn.Sequential(_bn_relu(widths[3]), nn.AdaptiveAvgPool2d(1), nn.Flatten(1),
                                  nn.Linear(widths[3], num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.groups(self.stem(x)))


def preact_resnet1001_cifar10(*, num_classes: int = 10) -> PreActResNetCifar:
    """ResNet-1001 (n = 111 units per stage) for CIFAR-10."""
    return PreActResNetCifar(1001, num_classes)


def preact_resnet164_cifar10(*, num_classes: int = 10) -> PreActResNetCifar:
    """ResNet-164 (n = 18), the same family; used by the tests as a small real forward."""
    return PreActResNetCifar(164, num_classes)


def wrn_16_8_cifar10(*, num_classes: int = 10) -> WideResNetCifar:
    """WRN-16-8."""
    return WideResNetCifar(16, 8, num_classes)


def wrn_16_10_cifar10(*, num_classes: int = 10) -> WideResNetCifar:
    """WRN-16-10."""
    return WideResNetCifar(16, 10, num_classes)


def wrn_28_10_cifar10(*, num_classes: int = 10) -> WideResNetCifar:
    """WRN-28-10."""
    return WideResNetCifar(28, 10, num_classes)


def wrn_40_4_cifar10(*, num_classes: int = 10) -> WideResNetCifar:
    """WRN-40-4."""
    return WideResNetCifar(40, 4, num_classes)


def wrn_40_8_cifar10(*, num_classes: int = 10) -> WideResNetCifar:
    """WRN-40-8."""
    return WideResNetCifar(40, 8, num_classes)
