"""DARTS-V2 ImageNet network (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019).

The searched cell genotype ("DARTS (second order)", called ``DARTS_V2`` in the authors' code) stacked in the
mobile ImageNet setting of §A.2 / Table 3: 14 cells, C=48 initial channels, two stride-2 stems, reductions at
cells 4 and 9, 224x224 input. Table 3 reports 4.7M params and 574M multiply-adds. The auxiliary head is a
training-time device and is not built here (inference network only); drop-path is likewise training-only and
omitted.
"""

from __future__ import annotations

from collections import namedtuple

import torch
from torch import nn

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")

# (operation, input state index) pairs; two per intermediate node, four nodes per cell.
DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)


class ReLUConvBN(nn.Sequential):
    """ReLU → conv → BN: the cell input preprocessing."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int = 1, stride: int = 1, padding: int = 0) -> None:
        # not in-place: a cell state feeds several ops
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, kernel_size, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out))


class DilConv(nn.Sequential):
    """ReLU → depthwise (dilated) conv → pointwise conv → BN."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int, dilation: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel_size, stride, padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )


class SepConv(nn.Sequential):
    """Two stacked DilConv units with dilation 1 (the "separable convolution applied twice" of DARTS/NASNet)."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int, stride: int, padding: int) -> None:
        super().__init__(DilConv(c_in, c_in, kernel_size, stride, padding, 1),
                         DilConv(c_in, c_out, kernel_size, 1, padding, 1))


class FactorizedReduce(nn.Module):
    """Stride-2 1x1 convs on two pixel-shifted grids, concatenated: halves resolution without losing pixels."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def make_op(name: str, channels: int, stride: int) -> nn.Module:
    """Build one DARTS candidate operation with ``channels`` in and out."""
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name.startswith("sep_conv_"):
        k = int(name[-1])
        return SepConv(channels, channels, k, stride, k // 2)
    if name.startswith("dil_conv_"):
        k = int(name[-1])
        return DilConv(channels, channels, k, stride, (k - 1), 2)  # dilation 2 → padding k-1 keeps size
    raise ValueError(f"unknown DARTS operation {name!r}")


class Cell(nn.Module):
    """A genotype cell: two preprocessed inputs, four nodes each summing two ops, concat of the chosen nodes."""

    def __init__(self, genotype: Genotype, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool) -> None:
        super().__init__()
        # the s0 input is at twice the resolution when the previous cell reduced
        self.preprocess0 = FactorizedReduce(c_prev_prev, c) if reduction_prev else ReLUConvBN(c_prev_prev, c)
        self.preprocess1 = ReLUConvBN(c_prev, c)
        pairs = genotype.reduce if reduction else genotype.normal
        self.concat = list(genotype.reduce_concat if reduction else genotype.normal_concat)
        self.indices = [idx for _, idx in pairs]
        # only ops reading the two cell inputs are strided in a reduction cell
        self.ops = nn.ModuleList(make_op(name, c, 2 if reduction and idx < 2 else 1) for name, idx in pairs)
        self.multiplier = len(self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(len(self.ops) // 2):
            a, b = 2 * i, 2 * i + 1
            states.append(self.ops[a](states[self.indices[a]]) + self.ops[b](states[self.indices[b]]))
        return torch.cat([states[i] for i in self.concat], dim=1)


class DARTSImageNet(nn.Module):
    """The DARTS evaluation network for ImageNet (``NetworkImageNet`` in the authors' code, no auxiliary head).

    Args:
        genotype: cell genotype.
        channels: initial channel count C (48 in the paper's mobile setting).
        layers: number of cells (14).
        num_classes: classifier outputs.
    """

    def __init__(self, genotype: Genotype = DARTS_V2, channels: int = 48, layers: int = 14,
                 num_classes: int = 1000) -> None:
        super().__init__()
        c = channels
        self.stem0 = nn.Sequential(
            nn.Conv2d(3, c // 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(inplace=True),
            nn.Conv2d(c // 2, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c),
        )
        self.stem1 = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c, c, 3, stride=2, padding=1, bias=False),
                                   nn.BatchNorm2d(c))
        c_prev_prev, c_prev, c_curr = c, c, c
        self.cells = nn.ModuleList()
        reduction_prev = True  # stem1 halved the resolution of stem0's output
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cell = Cell(genotype, c_prev_prev, c_prev, c_curr, reduction, reduction_prev)
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
        # the paper uses AvgPool2d(7) at 224; adaptive pooling is identical there and accepts other sizes
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = self.stem0(x)
        s1 = self.stem1(s0)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(torch.flatten(self.global_pooling(s1), 1))


def darts_v2_imagenet(*, num_classes: int = 1000, channels: int = 48, layers: int = 14) -> DARTSImageNet:
    """DARTS-V2 genotype, ImageNet mobile setting (14 cells, C=48): Table 3, 4.7M params, 574M mult-adds."""
    return DARTSImageNet(DARTS_V2, channels=channels, layers=layers, num_classes=num_classes)
