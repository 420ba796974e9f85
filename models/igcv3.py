"""IGCV3-D (Sun, Li, Liu & Wang, "IGCV3: Interleaved Low-Rank Group Convolutions for Efficient Deep Neural
Networks", BMVC 2018).

MobileNetV2's inverted residual with both 1x1 convolutions made low-rank *group* convolutions (G1 = G2 = 2)
and a channel permutation after the first one, so that each output of the block sees every input
("loose complementary condition"). To keep the capacity, IGCV3-D doubles the depth of MobileNetV2's
middle stages: blocks per stage 1, 4, 6, 8, 6, 6, 1 (MobileNetV2: 1, 2, 3, 4, 3, 3, 1) with the same widths
16, 24, 32, 64, 96, 160, 320, expansion 6 (1 in the first block), a 32-channel 3x3/2 stem and a 1280-channel
1x1 conv before pooling (as in the authors' released code). ReLU6 follows the expansion and the depthwise
conv as in MobileNetV2; placement does not change any count.

Width multiplier: layer widths are scaled and rounded to a multiple of 8 (MobileNetV2's rule); the last conv
stays 1280 for multipliers below 1.

Paper: IGCV3-D 1.0 has 3.5M parameters and 318M MACs; ShuffleNet V2's Table 8 lists IGCV3-D (0.7) at
210M and (1.4) at 610M MFLOPs, quoting the IGCV3 paper. Ours: 1.0x 3,491,688 parameters (identical to
osmr/imgclsmob's port) and 313M MACs; 1.4x 593M MACs; 0.7x would be 177M, not 210M, so the paper's 0.7x must
be built differently and is not registered.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct, channel_shuffle, make_divisible

# (expansion t, channels c, blocks n, stride s) - MobileNetV2's table with doubled middle stages
_SETTINGS = [(1, 16, 1, 1), (6, 24, 4, 2), (6, 32, 6, 2), (6, 64, 8, 2), (6, 96, 6, 1), (6, 160, 6, 2),
             (6, 320, 1, 1)]


class IGCV3Block(nn.Module):
    """1x1 group conv (G1=2, expand) → permute → 3x3 depthwise → 1x1 group conv (G2=2, project, linear)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expansion: int, groups: int = 2) -> None:
        super().__init__()
        hidden = in_ch * expansion
        self.groups = groups
        self.use_residual = stride == 1 and in_ch == out_ch
        self.expand = ConvBNAct(in_ch, hidden, 1, groups=groups, act=nn.ReLU6)
        self.dwconv = ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6)
        self.project = ConvBNAct(hidden, out_ch, 1, groups=groups, act=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.dwconv(channel_shuffle(self.expand(x), self.groups)))
        return x + out if self.use_residual else out


class IGCV3(nn.Module):
    """IGCV3-D with width multiplier ``width``."""

    def __init__(self, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        in_ch = make_divisible(32 * width, 8)
        last_ch = make_divisible(1280 * width, 8) if width > 1.0 else 1280
        layers: list[nn.Module] = [ConvBNAct(3, in_ch, 3, 2, act=nn.ReLU6)]
        for t, c, n, s in _SETTINGS:
            out_ch = make_divisible(c * width, 8)
            for i in range(n):
                layers.append(IGCV3Block(in_ch, out_ch, s if i == 0 else 1, t))
                in_ch = out_ch
        layers.append(ConvBNAct(in_ch, last_ch, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(last_ch, num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def igcv3(*, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.0) -> IGCV3:
    """IGCV3-D ``width``x for 3x224x224 inputs."""
    return IGCV3(width=width, num_classes=num_classes, dropout=dropout)
