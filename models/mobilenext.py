"""MobileNeXt (Zhou, Hou, Chen, Feng & Yan, "Rethinking Bottleneck Structure for Efficient Mobile Network
Design", ECCV 2020).

Built from *sandglass* blocks, the inverse of MobileNetV2's inverted residual: the shortcut and the two
3x3 depthwise convs live on the wide tensors, the two 1x1 convs squeeze to ``in / t`` and expand back:

    dw3x3 → BN-ReLU6 → 1x1 reduce → BN (linear) → 1x1 expand → BN-ReLU6 → dw3x3 (stride) → BN (linear)

with an identity shortcut when the stride is 1 and the width does not change. Network (the paper's
architecture table, t = reduction ratio): conv3x3/2 32 → SG(t=2, 96, n=1, s=2) → SG(6, 144, 1, 1) →
SG(6, 192, 3, 2) → SG(6, 288, 3, 2) → SG(6, 384, 4, 1) → SG(6, 576, 4, 2) → SG(6, 960, 2, 1) →
SG(6, 1280, 1, 1) → global pool → FC. The squeezed width is ``in // t`` but at least ``out / 6`` rounded up
to a multiple of 16 (as in the authors' released code), which matters where the width jumps (96 → 144:
16 → 32 channels).

Width multiplier: widths scaled and rounded to a multiple of 8; the last block stays 1280 below 1x.

Paper (ImageNet comparison with MobileNetV2): MobileNeXt 1.0x has 3.4M parameters and 300M MAdds; ours
has 3.24M (-4.8%) and 303M.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct, make_divisible

# (reduction t, channels c, blocks n, stride s)
_SETTINGS = [(2, 96, 1, 2), (6, 144, 1, 1), (6, 192, 3, 2), (6, 288, 3, 2), (6, 384, 4, 1), (6, 576, 4, 2),
             (6, 960, 2, 1), (6, 1280, 1, 1)]


class SandglassBlock(nn.Module):
    """Sandglass block: depthwise on the wide ends, 1x1 squeeze/expand in the middle."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, reduction: int) -> None:
        super().__init__()
        hidden = in_ch // reduction
        if hidden < out_ch / 6:
            hidden = make_divisible(math.ceil(out_ch / 6), 16)
        self.use_residual = stride == 1 and in_ch == out_ch
        self.conv = nn.Sequential(
            ConvBNAct(in_ch, in_ch, 3, groups=in_ch, act=nn.ReLU6),
            ConvBNAct(in_ch, hidden, 1, act=None),
            ConvBNAct(hidden, out_ch, 1, act=nn.ReLU6),
            ConvBNAct(out_ch, out_ch, 3, stride, groups=out_ch, act=None),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileNeXt(nn.Module):
    """MobileNeXt with width multiplier ``width``."""

    def __init__(self, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        self.num_classes = num_classes
        in_ch = make_divisible(32 * width, 8)
        layers: list[nn.Module] = [ConvBNAct(3, in_ch, 3, 2, act=nn.ReLU6)]
        for t, c, n, s in _SETTINGS:
            out_ch = 1280 if c == 1280 and width < 1 else make_divisible(c * width, 8)
            for i in range(n):
                layers.append(SandglassBlock(in_ch, out_ch, s if i == 0 else 1, t))
                in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(in_ch, num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def mobilenext(*, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.2) -> MobileNeXt:
    """MobileNeXt ``width``x for 3x224x224 inputs."""
    return MobileNeXt(width=width, num_classes=num_classes, dropout=dropout)
