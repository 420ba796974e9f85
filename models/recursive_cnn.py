"""The recursive convolutional network of Eigen, Rolfe, Fergus & LeCun, "Understanding Deep Architectures using a
Recursive Convolutional Network" (ICLR 2014 workshop; arXiv 1312.1847).

The paper's tool for separating depth, width and parameters: an input layer maps the image to M feature maps, then
L layers of 3x3 convolutions M → M follow, with their weights *tied* (one kernel bank applied L times: a recursive
network, Fig. 1b/c) or untied (L banks, Fig. 1a); a softmax classifier reads the last layer. With tied weights the
parameters grow with M but not with L:

    P_tied(M, L)   = (3·8·8 + 1)·M + (9·M + 1)·M + classifier
    P_untied(M, L) = (3·8·8 + 1)·M + L·(9·M + 1)·M + classifier

The paper PDF was not reachable offline: the layer sizes below (8x8 input filters, 2x2 max pooling after the input
layer, 'same'-padded 3x3 recursive layers with ReLU, 4x4 max pooling before a linear softmax layer on CIFAR-10) are
this reconstruction's choices from the abstract and Fig. 1's caption, not verified against the paper's Sec. 3.
"""

from __future__ import annotations

import torch
from torch import nn


class RecursiveConvNet(nn.Module):
    """Input layer, L 3x3 layers of M maps (tied or not), pooled softmax classifier.

    Args:
        maps: feature maps M in every layer.
        layers: number L of 3x3 layers after the input layer.
        tied: one shared 3x3 kernel bank (True) or one per layer.
        num_classes: classifier outputs.
        in_size: input side (32 for CIFAR-10 / SVHN).
    """

    def __init__(self, maps: int = 32, layers: int = 4, tied: bool = True, num_classes: int = 10,
                 in_size: int = 32) -> None:
        super().__init__()
        self.layers_n = layers
        self.input = nn.Sequential(nn.ZeroPad2d((3, 4, 3, 4)), nn.Conv2d(3, maps, 8), nn.ReLU(),
                                   nn.MaxPool2d(2))  # 8x8 "same": pad 3 before, 4 after
        n_banks = 1 if tied else layers
        self.banks = nn.ModuleList(nn.Conv2d(maps, maps, 3, padding=1) for _ in range(n_banks))
        side = in_size // 2 // 4
        self.classifier = nn.Sequential(nn.MaxPool2d(4), nn.Flatten(), nn.Linear(maps * side * side, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input(x)
        for i in range(self.layers_n):
            x = torch.relu(self.banks[i % len(self.banks)](x))
        return self.classifier(x)


def recursive_cnn_cifar10_m32_l4_tied(*, num_classes: int = 10) -> RecursiveConvNet:
    """M = 32 maps, L = 4 tied 3x3 layers."""
    return RecursiveConvNet(32, 4, True, num_classes)


def recursive_cnn_cifar10_m32_l4_untied(*, num_classes: int = 10) -> RecursiveConvNet:
    """M = 32 maps, L = 4 untied 3x3 layers (the same depth and width, 4x the 3x3 weights)."""
    return RecursiveConvNet(32, 4, False, num_classes)
