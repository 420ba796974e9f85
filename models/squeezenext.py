"""SqueezeNext (Gholami, Kwon, Wu, Tai, Yue, Jin, Zhao & Keutzer, "SqueezeNext: Hardware-Aware Neural
Network Design", CVPR Workshops 2018).

SqueezeNet's successor without depthwise convolutions. A block (paper Fig. 2) is a two-stage squeeze
(1x1 C→C/2, 1x1 C/2→C/4), a separable 3x3 split into 1x3 (C/4→C/2) and 3x1 (C/2→C/2), and a 1x1 expansion
(C/2→out), every conv followed by BN-ReLU, with a ResNet-style shortcut. Following the authors' released
Caffe models (and osmr/imgclsmob's port): the first block of a stage that changes resolution applies
stride 2 in its first 1x1 and squeezes only after it (C→C), and blocks that change width use a 1x1
projection shortcut; the first block of Section 1 (64→32) squeezes by 4.

Network: conv 7x7/2 (64, padding 1) → max-pool 3x3/2 → four sections of blocks at 55/28/14/7 px with
widths 32, 64, 128, 256 (x the width multiplier) → 1x1 conv 128 → global pool → FC. "1.0-SqNxt-23" has
[6, 6, 8, 1] blocks (1 + 21 + 1 weight layers counted as 23); the "v5" variant moves blocks to the later
sections, [2, 4, 14, 1], which the paper found faster on its accelerator simulator at similar accuracy.

Paper (ImageNet results): 1.0-SqNxt-23 has 0.72M parameters and 282M MACs; ours 0.718M and 276M.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct

_BLOCKS = {"23": (6, 6, 8, 1), "23v5": (2, 4, 14, 1)}
_WIDTHS = (32, 64, 128, 256)


class SqueezeNextBlock(nn.Module):
    """1x1 squeeze → 1x1 squeeze → 1x3 → 3x1 → 1x1 expand, plus identity or 1x1 projection shortcut."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        if stride == 2:
            squeeze = 1  # the strided first 1x1 keeps the width (as in the released models)
        elif in_ch > out_ch:
            squeeze = 4
        else:
            squeeze = 2
        c1 = in_ch // squeeze
        self.body = nn.Sequential(
            ConvBNAct(in_ch, c1, 1, stride),
            ConvBNAct(c1, c1 // 2, 1),
            ConvBNAct(c1 // 2, c1, (1, 3), padding=(0, 1)),
            ConvBNAct(c1, c1, (3, 1), padding=(1, 0)),
            ConvBNAct(c1, out_ch, 1),
        )
        self.shortcut = ConvBNAct(in_ch, out_ch, 1, stride) if stride != 1 or in_ch != out_ch else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class SqueezeNext(nn.Module):
    """SqueezeNext ``width``-SqNxt-``version`` (version ``"23"`` or ``"23v5"``)."""

    def __init__(self, version: str = "23", width: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        if version not in _BLOCKS:
            raise ValueError(f"version must be one of {sorted(_BLOCKS)}, got {version!r}")
        self.num_classes = num_classes
        stem = int(64 * width)
        self.stem = nn.Sequential(ConvBNAct(3, stem, 7, 2, padding=1), nn.MaxPool2d(3, 2, ceil_mode=True))
        blocks: list[nn.Module] = []
        in_ch = stem
        for section, (n, c) in enumerate(zip(_BLOCKS[version], _WIDTHS)):
            out_ch = int(c * width)
            for i in range(n):
                blocks.append(SqueezeNextBlock(in_ch, out_ch, 2 if i == 0 and section > 0 else 1))
                in_ch = out_ch
        last = int(128 * width)
        blocks.append(ConvBNAct(in_ch, last, 1))
        self.features = nn.Sequential(*blocks)
        self.head = ClassifierHead(last, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(self.stem(x)))


def squeezenext(*, version: str = "23", width: float = 1.0, num_classes: int = 1000) -> SqueezeNext:
    """``width``-SqNxt-``version`` for 3x224x224 inputs."""
    return SqueezeNext(version=version, width=width, num_classes=num_classes)
