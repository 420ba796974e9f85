"""Multi-column deep neural networks (Cireşan, Meier & Schmidhuber, "Multi-column Deep Neural Networks for Image
Classification", CVPR 2012).

One column is a plain conv/max-pool net written in the paper's notation; the MNIST column (§3.1) is
``1x29x29-20C4-MP2-40C5-MP3-150N-10N``: 20 maps of 4x4 kernels, 2x2 max pooling, 40 maps of 5x5 kernels, 3x3 max
pooling, 150 hidden units, 10 outputs. Hidden units use the scaled tanh (1.7159·tanh(2x/3), LeCun's, which the
authors' earlier GPU nets use); the output layer is softmax. A multi-column DNN (MCDNN) averages the softmax
outputs of N columns; the paper's MNIST committee has 35 columns (5 nets for each of 7 input normalisations). The
normalisations are preprocessing outside the network, so here every column reads the same input; the cost is N
columns' worth either way.

Counts (one MNIST column): conv1 20·(16+1) = 340; conv2 40·(20·25+1) = 20,040; fc 150·(40·3·3+1) = 54,150;
out 10·151 = 1,510 → 76,040 parameters. MACs: 20·26·26·16 = 216,320 + 40·9·9·500 = 1,620,000 + 54,000 + 1,500 =
1,891,820. The paper gives no parameter or operation counts.
"""

from __future__ import annotations

import torch
from torch import nn


class ScaledTanh(nn.Module):
    """1.7159·tanh(2x/3)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class MnistColumn(nn.Module):
    """1x29x29-20C4-MP2-40C5-MP3-150N-10N, returning softmax probabilities."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 20, 4), ScaledTanh(), nn.MaxPool2d(2),  # 29 → 26 → 13
            nn.Conv2d(20, 40, 5), ScaledTanh(), nn.MaxPool2d(3),  # 13 → 9 → 3
        )
        self.classifier = nn.Sequential(nn.Flatten(1), nn.Linear(40 * 3 * 3, 150), ScaledTanh(),
                                        nn.Linear(150, num_classes), nn.Softmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class MultiColumn(nn.Module):
    """Average of the (softmax) outputs of ``columns`` independently trained columns."""

    def __init__(self, columns: int = 35, num_classes: int = 10) -> None:
        super().__init__()
        if columns < 1:
            raise ValueError(f"a multi-column DNN needs at least one column, got {columns}")
        self.columns = nn.ModuleList(MnistColumn(num_classes) for _ in range(columns))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([c(x) for c in self.columns], dim=0).mean(dim=0)


def mcdnn_mnist_column(*, num_classes: int = 10) -> MnistColumn:
    """One MNIST DNN column (1x29x29 input): 76,040 parameters, 1,891,820 MACs."""
    return MnistColumn(num_classes)


def mcdnn_mnist_35(*, num_classes: int = 10, columns: int = 35) -> MultiColumn:
    """The paper's 35-column MNIST committee: 35 x 76,040 = 2,661,400 parameters."""
    return MultiColumn(columns, num_classes)
