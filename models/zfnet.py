"""ZFNet (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014).

The architecture of the paper's Fig. 3 (its "our model" of Table 1): AlexNet with a 7x7/2 first layer
instead of 11x11/4, a stride-2 second layer, and dense (not two-GPU-split) layers 3-5:

    224 → conv 96@7x7/2 → 110 → maxpool 3/2 → 55 → LRN
        → conv 256@5x5/2 → 26 → maxpool 3/2 → 13 → LRN
        → conv 384@3x3 → conv 384@3x3 → conv 256@3x3 → maxpool 3/2 → 6
        → fc 4096 → fc 4096 → fc 1000

Padding 1 on the first conv and ``ceil_mode`` pooling reproduce the figure's 110/55/26/13/6 sizes. The
"contrast normalisation across feature maps" is local response normalisation as in AlexNet. The paper
states no parameter or operation count; ours: 62.4M parameters, 1.17G MACs at 224. As in torchvision's
AlexNet, an adaptive 6x6 average pool before the classifier (a no-op at 224) lets smaller inputs run.
"""

from __future__ import annotations

import torch
from torch import nn


class ZFNet(nn.Module):
    """ZFNet (Fig. 3 of the paper)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 7, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.Conv2d(96, 256, 5, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def zfnet(*, num_classes: int = 1000, dropout: float = 0.5) -> ZFNet:
    """ZFNet for 3x224x224 inputs."""
    return ZFNet(num_classes=num_classes, dropout=dropout)
