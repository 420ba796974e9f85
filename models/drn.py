"""Dilated Residual Networks (Yu, Koltun & Funkhouser, "Dilated Residual Networks", CVPR 2017).

ResNets whose last two stages keep 28x28 resolution (output stride 8) by replacing striding with dilation 2 and 4:

* DRN-A: plain ResNet with that change (the first block of a dilated stage keeps dilation 1, as in fyu/drn).
* DRN-C: removes max-pooling (7x7 stride-1 stem + residual stride-2 stages at 16/32 channels) and appends two
  non-residual "degridding" stages (dilation 2, then 1).
* DRN-D: DRN-C with the early residual stages and the degridding stages made of plain conv-BN-ReLU layers.

Configurations follow the authors' ``drn.py`` (fyu/drn). The paper reports parameter counts only (ImageNet table,
also in the fyu/drn README): DRN-A-50 25.6M, DRN-C-26 21.1M, DRN-C-42 31.2M, DRN-D-22 16.4M, DRN-D-54 35.8M.
The classifier is a 1x1 conv with bias after global average pooling (same weights as a Linear layer); the authors'
``AvgPool2d(28)`` is written as adaptive pooling, identical at 224x224.
"""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    """Two 3x3 convs with per-conv dilation; ``residual=False`` gives DRN-C's degridding blocks."""

    expansion = 1

    def __init__(self, in_ch: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 dilation: tuple[int, int] = (1, 1), residual: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, planes, 3, stride, dilation[0], dilation=dilation[0], bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation[1], dilation=dilation[1], bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 → dilated 3x3 (strided) → 1x1 ×4, residual."""

    expansion = 4

    def __init__(self, in_ch: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 dilation: tuple[int, int] = (1, 1), residual: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, dilation[1], dilation=dilation[1], bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


Block = type[BasicBlock] | type[Bottleneck]


def _conv_bn_relu(in_ch: int, out_ch: int, stride: int = 1, dilation: int = 1, k: int = 3) -> list[nn.Module]:
    pad = dilation * (k - 1) // 2
    return [nn.Conv2d(in_ch, out_ch, k, stride, pad, dilation=dilation, bias=False), nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True)]


class _StageBuilder:
    """Tracks the running channel count while stages are built (mirrors ``DRN._make_layer``)."""

    def __init__(self, in_ch: int) -> None:
        self.in_ch = in_ch

    def residual(self, block: Block, planes: int, blocks: int, stride: int = 1, dilation: int = 1,
                 new_level: bool = True, residual: bool = True, first_dilation: int | None = None) -> nn.Sequential:
        out_ch = planes * block.expansion
        downsample = None
        if stride != 1 or self.in_ch != out_ch:
            downsample = nn.Sequential(nn.Conv2d(self.in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))
        if first_dilation is None:
            # entering a newly dilated level, the first conv uses half the dilation to avoid gridding
            first_dilation = 1 if dilation == 1 else (dilation // 2 if new_level else dilation)
        layers = [block(self.in_ch, planes, stride, downsample, (first_dilation, dilation), residual)]
        self.in_ch = out_ch
        layers += [block(out_ch, planes, dilation=(dilation, dilation), residual=residual) for _ in range(blocks - 1)]
        return nn.Sequential(*layers)

    def plain(self, channels: int, convs: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += _conv_bn_relu(self.in_ch, channels, stride if i == 0 else 1, dilation)
            self.in_ch = channels
        return nn.Sequential(*layers)


class DRN(nn.Module):
    """DRN-C / DRN-D (output stride 8, no max-pool).

    Args:
        block: residual block type of stages 3–6.
        layers: blocks (or convs) per stage, 8 stages.
        arch: ``"C"`` or ``"D"``.
        channels: stage widths.
        num_classes: classifier outputs.
    """

    def __init__(self, block: Block, layers: tuple[int, ...], arch: str = "D",
                 channels: tuple[int, ...] = (16, 32, 64, 128, 256, 512, 512, 512), num_classes: int = 1000) -> None:
        super().__init__()
        if arch not in ("C", "D"):
            raise ValueError(f"arch must be 'C' or 'D', got {arch!r}")
        # both variants use a stride-1 7x7 stem instead of ResNet's strided conv + max-pool
        self.layer0 = nn.Sequential(*_conv_bn_relu(3, channels[0], k=7))
        sb = _StageBuilder(channels[0])
        if arch == "C":
            self.layer1 = sb.residual(BasicBlock, channels[0], layers[0])
            self.layer2 = sb.residual(BasicBlock, channels[1], layers[1], stride=2)
        else:
            self.layer1 = sb.plain(channels[0], layers[0])
            self.layer2 = sb.plain(channels[1], layers[1], stride=2)
        self.layer3 = sb.residual(block, channels[2], layers[2], stride=2)
        self.layer4 = sb.residual(block, channels[3], layers[3], stride=2)
        self.layer5 = sb.residual(block, channels[4], layers[4], dilation=2, new_level=False)
        self.layer6 = sb.residual(block, channels[5], layers[5], dilation=4, new_level=False)
        if arch == "C":  # degridding: residual-free basic blocks
            self.layer7 = sb.residual(BasicBlock, channels[6], layers[6], dilation=2, new_level=False, residual=False)
            self.layer8 = sb.residual(BasicBlock, channels[7], layers[7], dilation=1, new_level=False, residual=False)
        else:
            self.layer7 = sb.plain(channels[6], layers[6], dilation=2)
            self.layer8 = sb.plain(channels[7], layers[7], dilation=1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(sb.in_ch, num_classes, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(9):
            x = getattr(self, f"layer{i}")(x)
        return torch.flatten(self.fc(self.avgpool(x)), 1)


class DRNA(nn.Module):
    """DRN-A: a ResNet whose stages 4 and 5 use dilation 2 and 4 instead of stride (output 28x28 at 224)."""

    def __init__(self, block: Block, layers: tuple[int, ...], num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(*_conv_bn_relu(3, 64, stride=2, k=7), nn.MaxPool2d(3, stride=2, padding=1))
        sb = _StageBuilder(64)
        # the authors' DRN_A builds every first block of a stage with dilation (1, 1)
        self.layer1 = sb.residual(block, 64, layers[0], first_dilation=1)
        self.layer2 = sb.residual(block, 128, layers[1], stride=2, first_dilation=1)
        self.layer3 = sb.residual(block, 256, layers[2], dilation=2, first_dilation=1)
        self.layer4 = sb.residual(block, 512, layers[3], dilation=4, first_dilation=1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(sb.in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def drn_a_50(*, num_classes: int = 1000) -> DRNA:
    """DRN-A-50 (25.6M params)."""
    return DRNA(Bottleneck, (3, 4, 6, 3), num_classes=num_classes)


def drn_c_26(*, num_classes: int = 1000) -> DRN:
    """DRN-C-26 (21.1M params)."""
    return DRN(BasicBlock, (1, 1, 2, 2, 2, 2, 1, 1), arch="C", num_classes=num_classes)


def drn_c_42(*, num_classes: int = 1000) -> DRN:
    """DRN-C-42 (31.2M params)."""
    return DRN(BasicBlock, (1, 1, 3, 4, 6, 3, 1, 1), arch="C", num_classes=num_classes)


def drn_d_22(*, num_classes: int = 1000) -> DRN:
    """DRN-D-22 (16.4M params)."""
    return DRN(BasicBlock, (1, 1, 2, 2, 2, 2, 1, 1), arch="D", num_classes=num_classes)


def drn_d_54(*, num_classes: int = 1000) -> DRN:
    """DRN-D-54 (35.8M params)."""
    return DRN(Bottleneck, (1, 1, 3, 4, 6, 3, 1, 1), arch="D", num_classes=num_classes)
