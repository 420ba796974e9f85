"""AlexNet as published (Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NeurIPS 2012): the original two-GPU layout that DeCAF (Donahue et al., ICML 2014) re-implemented.

Layer for layer from Caffe's ``models/bvlc_alexnet/deploy.prototxt`` as first released (BVLC/caffe, the
``layers { ... }`` format, e.g. commit 310574f), which keeps the paper's GPU split as ``group: 2``:

    227 → conv1 96@11x11/4 → 55 → ReLU → LRN(5, 1e-4, 0.75) → maxpool 3/2 → 27
        → conv2 256@5x5 pad 2, groups 2 → ReLU → LRN → maxpool 3/2 → 13
        → conv3 384@3x3 pad 1 (both GPUs: dense) → conv4 384@3x3 groups 2 → conv5 256@3x3 groups 2
        → maxpool 3/2 → 6 → fc6 4096 → fc7 4096 → fc8 1000

Every conv and FC has a bias. 60,965,224 parameters (the Caffe model's count; the paper says "60 million"),
hand sum in ``tests/test_models_seeds_decaf_x.py``. torchvision's ``alexnet`` is the later one-GPU variant
("One weird trick", 64/192/384/256/256 dense convs, 61.1M). As in torchvision, an adaptive 6x6 average pool
(a no-op at 227) lets smaller inputs run.
"""

from __future__ import annotations

import torch
from torch import nn


class AlexNet2012(nn.Module):
    """The 2012 AlexNet with its two-GPU grouped convolutions (conv2, conv4, conv5 in 2 groups)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes

        def lrn() -> nn.Module:
            # Caffe's LRN (ACROSS_CHANNELS, k=1): alpha is divided by local_size, as nn.LocalResponseNorm does
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)

        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def alexnet_2012(*, num_classes: int = 1000, dropout: float = 0.5) -> AlexNet2012:
    """AlexNet (2012, two-GPU grouped layout of Caffe's bvlc_alexnet) for 3x227x227 inputs."""
    return AlexNet2012(num_classes=num_classes, dropout=dropout)
