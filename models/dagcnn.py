"""DAG-CNN (Yang & Ramanan, "Multi-scale recognition with DAG-CNNs", ICCV 2015; arXiv 1505.05232).

A DAG-CNN classifies from several depths of one chain network at once: each tapped ReLU output is average-pooled
over space (global), L2-normalised, and mapped by its own fully connected layer to class scores; the scores of all
taps are summed (Sec. 3: "multi-scale" marginal activations feeding one classifier). The chain is CaffeNet
(AlexNet with grouped convs, as in Caffe's bvlc_reference_caffenet) or VGG-16, without its last FC layer: the tap
on fc7's ReLU plays that part. Every ReLU is tapped (7 for CaffeNet, 15 for VGG-16); LRN, dropout, pooling and
normalisation add no parameters, so the parameters are the chain's plus Σ_taps (C_tap + 1)·classes.

The default head is for SUN397 (397 classes); MIT67 and Scene15 use 67 and 15.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DAGCNN(nn.Module):
    """A chain of stages; after each stage a ReLU output is tapped (global average pool → L2 norm → FC → classes)
    and the taps' scores are summed.

    Args:
        stages: modules run in order, each ending in a ReLU whose output is tapped.
        tap_channels: channels of each stage's output.
        num_classes: classifier outputs.
    """

    def __init__(self, stages: list[nn.Module], tap_channels: list[int], num_classes: int) -> None:
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.taps = nn.ModuleList(nn.Linear(c, num_classes) for c in tap_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = None
        for stage, tap in zip(self.stages, self.taps):
            x = stage(x)
            feat = x.mean(dim=(2, 3)) if x.ndim == 4 else x
            score = tap(F.normalize(feat, dim=1))
            out = score if out is None else out + score
        return out


def _conv(cin: int, cout: int, k: int, stride: int = 1, pad: int = 0, groups: int = 1,
          pre: tuple = ()) -> nn.Sequential:
    return nn.Sequential(*pre, nn.Conv2d(cin, cout, k, stride, pad, groups=groups), nn.ReLU(inplace=True))


def _fc(cin: int, cout: int, pre: tuple = ()) -> nn.Sequential:
    return nn.Sequential(*pre, nn.Linear(cin, cout), nn.ReLU(inplace=True))


def dagcnn_caffenet(*, num_classes: int = 397) -> DAGCNN:
    """DAG-CNN on CaffeNet (227x227): taps after relu1-relu7."""
    def pool_norm() -> tuple[nn.Module, nn.Module]:  # Caffe's CaffeNet pools before its LRN
        return nn.MaxPool2d(3, 2), nn.LocalResponseNorm(5, 1e-4, 0.75)

    stages = [
        _conv(3, 96, 11, 4),
        _conv(96, 256, 5, pad=2, groups=2, pre=pool_norm()),
        _conv(256, 384, 3, pad=1, pre=pool_norm()),
        _conv(384, 384, 3, pad=1, groups=2),
        _conv(384, 256, 3, pad=1, groups=2),
        _fc(256 * 6 * 6, 4096, pre=(nn.MaxPool2d(3, 2), nn.Flatten())),
        _fc(4096, 4096, pre=(nn.Dropout(),)),
    ]
    return DAGCNN(stages, [96, 256, 384, 384, 256, 4096, 4096], num_classes)


_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)


def dagcnn_vgg16(*, num_classes: int = 397) -> DAGCNN:
    """DAG-CNN on VGG-16 (224x224): taps after all 13 conv ReLUs and the fc6/fc7 ReLUs."""
    stages: list[nn.Module] = []
    channels: list[int] = []
    cin, pool = 3, False
    for v in _VGG16:
        if v == "M":
            pool = True
            continue
        stages.append(_conv(cin, v, 3, pad=1, pre=(nn.MaxPool2d(2, 2),) if pool else ()))
        channels.append(v)
        cin, pool = v, False
    stages.append(_fc(512 * 7 * 7, 4096, pre=(nn.MaxPool2d(2, 2), nn.Flatten())))
    stages.append(_fc(4096, 4096, pre=(nn.Dropout(),)))
    return DAGCNN(stages, [*channels, 4096, 4096], num_classes)
