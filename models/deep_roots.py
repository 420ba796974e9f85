"""Deep Roots (Ioannou, Robertson, Cipolla & Criminisi, "Deep Roots: Improving CNN Efficiency with Hierarchical
Filter Groups", CVPR 2017): ResNet-50 with "root modules".

A root module splits a spatial convolution into filter groups (a grouped 3x3 conv) and keeps the following 1x1
convolution dense, so each 1x1 filter mixes every group. ``root-k`` ResNet-50 uses k groups in the 3x3 convs of
res2, k/2 in res3, k/4 in res4 and k/8 in res5 (at least 1); every 1x1 conv and conv1 stay dense (the paper's
"filter groups per layer" table, reproduced in the first author's thesis sources: yanii/phd-thesis
``presentation/resnet50matable.tex``).

The base network is the original (MSRA Caffe) ResNet-50 the authors trained, with the stride on the first 1x1
conv of each down-sampling bottleneck and projection shortcuts where the width changes; this is why its MACs are
3.86G (the authors' table) and not torchvision's 4.09G (stride on the 3x3).
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ConvBNAct

# (bottleneck width, output width, blocks, stride) of res2..res5
_STAGES = ((64, 256, 3, 1), (128, 512, 4, 2), (256, 1024, 6, 2), (512, 2048, 3, 2))


class RootBottleneck(nn.Module):
    """1x1 (stride s) → 3x3 with ``groups`` filter groups → 1x1, plus identity or a 1x1/s projection."""

    def __init__(self, in_ch: int, width: int, out_ch: int, stride: int, groups: int) -> None:
        super().__init__()
        self.reduce = ConvBNAct(in_ch, width, 1, stride)
        self.spatial = ConvBNAct(width, width, 3, groups=groups)
        self.expand = ConvBNAct(width, out_ch, 1, act=None)
        self.shortcut = ConvBNAct(in_ch, out_ch, 1, stride, act=None) if stride != 1 or in_ch != out_ch else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.expand(self.spatial(self.reduce(x))) + skip)


class RootResNet50(nn.Module):
    """ResNet-50 root-``root`` (``root=1``: the original network)."""

    def __init__(self, root: int = 1, num_classes: int = 1000) -> None:
        super().__init__()
        self.num_classes = num_classes
        layers: list[nn.Module] = [ConvBNAct(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)]
        in_ch = 64
        for i, (width, out_ch, n, stride) in enumerate(_STAGES):
            groups = max(1, root >> i)  # k, k/2, k/4, k/8 along res2..res5
            for b in range(n):
                layers.append(RootBottleneck(in_ch, width, out_ch, stride if b == 0 else 1, groups))
                in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def deep_roots_resnet50(*, root: int = 1, num_classes: int = 1000) -> RootResNet50:
    """Deep Roots ResNet-50 root-``root`` for 3x224x224 inputs (root 1, 2, 4, 8, 16, 32 or 64)."""
    return RootResNet50(root=root, num_classes=num_classes)


def deep_roots_resnet50_orig(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=1, **kw)


def deep_roots_resnet50_root2(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=2, **kw)


def deep_roots_resnet50_root4(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=4, **kw)


def deep_roots_resnet50_root8(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=8, **kw)


def deep_roots_resnet50_root16(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=16, **kw)


def deep_roots_resnet50_root32(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=32, **kw)


def deep_roots_resnet50_root64(**kw) -> RootResNet50:
    return deep_roots_resnet50(root=64, **kw)
