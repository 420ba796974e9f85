"""The 1989 zip-code network (LeCun, Boser, Denker, Henderson, Howard, Hubbard & Jackel, "Backpropagation Applied to
Handwritten Zip Code Recognition", Neural Computation 1(4), 1989) — "Net-2" before LeNet-5.

Layers as the paper's §5.1 describes them (16x16 normalised digit in, values in [-1, 1]):

* H1: 12 feature maps of 8x8, each unit a 5x5 window of the input, stride 2. The 25 weights are shared by the 64
  units of a map, but **every unit has its own bias** (the paper: "units do not share their biases"), so H1 has
  12 x 25 shared weights + 768 biases = 1,068 free parameters for 768 x 26 = 19,968 connections.
* H2: 12 maps of 4x4, 5x5 windows at stride 2 on **8 of the 12** H1 maps: 12 x 8 x 25 = 2,400 shared weights + 192
  per-unit biases = 2,592 parameters, 192 x 201 = 38,592 connections. The paper does not say which 8 maps; we
  follow Karpathy's 2022 reproduction: H2 maps 0-3 read H1 maps 0-7, maps 4-7 read H1 4-11, maps 8-11 read
  H1 0-3 and 8-11.
* H3: 30 units fully connected to the 192 H2 units: 5,790 parameters (= connections).
* Output: 10 units fully connected to H3: 310.

Totals, the paper's figures exactly: 256 + 768 + 192 + 30 + 10 = 1,256 units; 19,968 + 38,592 + 5,790 + 310 =
64,660 connections; 1,068 + 2,592 + 5,790 + 310 = 9,760 independent parameters. A connection is a multiply-add or
a bias add, so MACs = 64,660 - 1,000 bias connections (768 + 192 + 30 + 10) = 63,660.

Borders: a 5x5 window at stride 2 yields 8 (then 4) positions only if the plane is extended by 2 pixels; the
paper's extension is the background level (-1), which we use (``F.pad(value=-1)``). The squashing function is the
paper's scaled tanh, 1.7159·tanh(2x/3), on every layer including the output (targets are ±1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# H1 input maps read by each group of four H2 maps (the paper leaves the choice open; see the module docstring)
H2_INPUTS: tuple[tuple[int, ...], ...] = (tuple(range(8)), tuple(range(4, 12)), (0, 1, 2, 3, 8, 9, 10, 11))


def scaled_tanh(x: torch.Tensor) -> torch.Tensor:
    """The paper's squashing function f(a) = 1.7159 tanh(2a/3)."""
    return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class LocalBiasConv(nn.Module):
    """A shared-weight 5x5 stride-2 convolution whose bias is per unit (C x H x W), not per map, on a plane padded
    with the background value -1. ``inputs`` lists, per group of output maps, which input maps it reads."""

    def __init__(self, inputs: tuple[tuple[int, ...], ...], maps_per_group: int, out_hw: int) -> None:
        super().__init__()
        self.inputs = [list(g) for g in inputs]
        n_in = len(self.inputs[0])
        self.convs = nn.ModuleList(nn.Conv2d(n_in, maps_per_group, 5, stride=2, bias=False) for _ in self.inputs)
        self.bias = nn.Parameter(torch.zeros(len(self.inputs) * maps_per_group, out_hw, out_hw))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (2, 2, 2, 2), value=-1.0)
        outs = [conv(x[:, idx]) for conv, idx in zip(self.convs, self.inputs, strict=True)]
        return torch.cat(outs, dim=1) + self.bias


class ZipCodeNet(nn.Module):
    """LeCun et al. 1989: 16x16 → H1 12@8x8 → H2 12@4x4 (partial connectivity) → H3 30 → 10."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.h1 = LocalBiasConv(((0,),), maps_per_group=12, out_hw=8)  # every H1 map reads the one input plane
        self.h2 = LocalBiasConv(H2_INPUTS, maps_per_group=4, out_hw=4)
        self.h3 = nn.Linear(12 * 4 * 4, 30)
        self.out = nn.Linear(30, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = scaled_tanh(self.h1(x))
        x = scaled_tanh(self.h2(x))
        x = scaled_tanh(self.h3(torch.flatten(x, 1)))
        return scaled_tanh(self.out(x))


def zipcode_lenet_1989(*, num_classes: int = 10) -> ZipCodeNet:
    """The 1989 zip-code network for 1x16x16 inputs: 9,760 parameters, 63,660 MACs (64,660 connections)."""
    return ZipCodeNet(num_classes=num_classes)
