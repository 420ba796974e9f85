"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 1998).

This is the *common formulation* (the one in textbooks and most re-implementations), not a literal copy of
the 1998 network:

* C3 connects every one of the 16 maps to all 6 S2 maps (the paper's Table I connects each to 3-6 of them:
  1,516 instead of 2,416 parameters);
* S2/S4 are plain 2x2 average pooling (the paper's subsampling layers have one trainable coefficient and bias
  per map: 12 + 32 parameters);
* the output is a linear layer with 10 outputs (the paper's output is a fixed-prototype RBF layer).

Activations are ``tanh`` as in the paper (its squashing function is a scaled tanh). Input is 1x32x32.
Counts: 61,706 parameters and 416,520 MACs; the paper states "60,000 trainable free parameters" (Sec. II-B),
which is exactly C1+S2+C3+S4+C5+F6 of its own layer list (156+12+1,516+32+48,120+10,164), so ours is 2.8% above.
The paper counts "connections" (340,908), not multiply-adds, so no MAC figure is compared.
"""

from __future__ import annotations

import torch
from torch import nn


class LeNet5(nn.Module):
    """LeNet-5, common formulation: conv5-pool-conv5-pool-fc120-fc84-fc10 with tanh."""

    def __init__(self, num_classes: int = 10, in_chans: int = 1) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, 6, 5),  # C1: 32x32 -> 6x28x28
            nn.Tanh(),
            nn.AvgPool2d(2),  # S2: -> 6x14x14
            nn.Conv2d(6, 16, 5),  # C3: -> 16x10x10
            nn.Tanh(),
            nn.AvgPool2d(2),  # S4: -> 16x5x5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(1),
            nn.Linear(16 * 5 * 5, 120),  # C5 (a 5x5 conv on a 5x5 map is a fully connected layer)
            nn.Tanh(),
            nn.Linear(120, 84),  # F6
            nn.Tanh(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def lenet5(*, num_classes: int = 10, in_chans: int = 1) -> LeNet5:
    """LeNet-5 for 1x32x32 inputs (61,706 parameters with 10 classes)."""
    return LeNet5(num_classes=num_classes, in_chans=in_chans)
