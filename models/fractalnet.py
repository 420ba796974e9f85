"""FractalNet for CIFAR (Larsson, Maire & Shakhnarovich, "FractalNet: Ultra-Deep Neural Networks without
Residuals", ICLR 2017).

A block is the truncated fractal f_C of the expansion rule f_1(z) = conv(z),
f_{C+1}(z) = join([(f_C ∘ f_C)(z), conv(z)]), where conv is 3x3 conv → BN → ReLU (→ dropout) and a join is the
element-wise mean of *all* columns meeting at that depth (one flat mean, as in the authors' Caffe generator, not
nested pairwise means). The CIFAR network stacks B=5 blocks with 2x2 max-pooling after each, widths
(64, 128, 256, 512, 512) and per-block dropout (0, .1, .2, .3, .4), and ends with a linear classifier on the
1x1x512 map, so the input must be 32x32.

The paper's CIFAR/SVHN network has C=3 columns (2^(C-1)·B = 20 conv layers on the deepest path); Table 1 lists
it as 38.6M params. Counting that architecture gives 33.7M (the same as khanrc/pt.fractalnet and osmr/imgclsmob:
33,724,618 for 10 classes); the 4.9M gap is unexplained by the paper. With C=4 (40 layers) these widths would
give 76M params, so C=4 is not the 38.6M row. Drop-path (local and global) is implemented for training; at
inference every column is used (``deepest=True`` evaluates the deepest column only, as in the paper's Table 1).
"""

from __future__ import annotations

import random

import torch
from torch import nn


class ConvBlock(nn.Sequential):
    """3x3 conv → BN → ReLU → dropout (the paper's "conv" unit)."""

    def __init__(self, in_ch: int, out_ch: int, dropout: float = 0.0) -> None:
        layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False), nn.BatchNorm2d(out_ch),
                                   nn.ReLU(inplace=True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class Fractal(nn.Module):
    """f_C: returns the list of its column outputs *before* the final join, so the parent can join flatly.

    Column 0 of the returned list is the shallowest (one conv), the last is the deepest (2^(C-1) convs).
    """

    def __init__(self, in_ch: int, out_ch: int, columns: int, dropout: float, drop_prob: float) -> None:
        super().__init__()
        self.drop_prob = drop_prob
        self.conv = ConvBlock(in_ch, out_ch, dropout)
        if columns > 1:
            self.first = Fractal(in_ch, out_ch, columns - 1, dropout, drop_prob)
            self.second = Fractal(out_ch, out_ch, columns - 1, dropout, drop_prob)
        else:
            self.first = self.second = None

    def columns(self, x: torch.Tensor, column: int | None = None) -> list[torch.Tensor]:
        """Column outputs; with ``column`` set, only that column (0 = shallowest) is evaluated."""
        if self.first is None:
            return [self.conv(x)]
        if column == 0:
            return [self.conv(x)]
        inner = None if column is None else column - 1
        mid = join(self.first.columns(x, inner), self.drop_prob, self.training)
        deep = self.second.columns(mid, inner)
        return deep if column is not None else [self.conv(x), *deep]

    def forward(self, x: torch.Tensor, column: int | None = None) -> torch.Tensor:
        return join(self.columns(x, column), self.drop_prob, self.training)


def join(paths: list[torch.Tensor], drop_prob: float = 0.0, training: bool = False) -> torch.Tensor:
    """Element-wise mean; in training each input is dropped with ``drop_prob`` (local drop-path), keeping ≥ 1."""
    if len(paths) == 1:
        return paths[0]
    if training and drop_prob > 0:
        keep = [p for p in paths if random.random() >= drop_prob] or [random.choice(paths)]
        paths = keep
    return torch.stack(paths).mean(0)


class FractalNet(nn.Module):
    """CIFAR FractalNet.

    Args:
        columns: C, columns per block.
        channels: block widths (B = len(channels)).
        dropouts: dropout per block.
        num_classes: classifier outputs.
        local_drop: local drop-path probability per join (training only).
        global_drop: fraction of training batches that use global drop-path (one random column for all blocks).
    """

    def __init__(self, columns: int = 3, channels: tuple[int, ...] = (64, 128, 256, 512, 512),
                 dropouts: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4), num_classes: int = 10,
                 local_drop: float = 0.15, global_drop: float = 0.5) -> None:
        super().__init__()
        if len(channels) != len(dropouts):
            raise ValueError("channels and dropouts need the same length")
        self.num_columns = columns
        self.global_drop = global_drop
        self.deepest = False
        blocks, in_ch = [], 3
        for ch, p in zip(channels, dropouts):
            blocks.append(Fractal(in_ch, ch, columns, p, local_drop))
            in_ch = ch
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        column = None
        if self.training and random.random() < self.global_drop:
            column = random.randrange(self.num_columns)
        elif not self.training and self.deepest:
            column = self.num_columns - 1
        for block in self.blocks:
            x = self.pool(block(x, column))
        return self.fc(torch.flatten(x, 1))


def fractalnet20_cifar10(*, num_classes: int = 10) -> FractalNet:
    """20-layer FractalNet (C=3, B=5) for CIFAR-10, 32x32 input."""
    return FractalNet(columns=3, num_classes=num_classes)


def fractalnet20_cifar100(*, num_classes: int = 100) -> FractalNet:
    """20-layer FractalNet (C=3, B=5) for CIFAR-100, 32x32 input."""
    return FractalNet(columns=3, num_classes=num_classes)
