"""MobileNetV2 with Coordinate Attention (Hou, Zhou, Feng, "Coordinate Attention for Efficient Mobile
Network Design", CVPR 2021).

The MobileNetV2 body (Sandler et al., CVPR 2018, Table 2) with a coordinate-attention block (reduction 32)
inserted after the depthwise conv of every inverted residual that has an expansion layer (t = 6) — the
t = 1 first block has none — as in the official ``mbv2_ca.py``. Paper: 3.95M params, 310M MAdds.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnbench_models.blocks.attention import CoordAttention
from cnnbench_models.layers import ClassifierHead, ConvBNAct, make_divisible

__all__ = ["InvertedResidualCA", "MobileNetV2CA", "mobilenetv2_ca"]

# t (expansion), c (out channels), n (repeats), s (first stride) — MobileNetV2 Table 2
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


class InvertedResidualCA(nn.Module):
    """Expand 1×1 → depthwise 3×3 → coordinate attention → linear 1×1 (+ identity when shapes match)."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, reduction: int = 32) -> None:
        super().__init__()
        hidden = round(inp * expand_ratio)
        self.use_residual = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(inp, hidden, 1, act=nn.ReLU6))
        layers.append(ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6))
        if expand_ratio != 1:
            layers.append(CoordAttention(hidden, reduction=reduction))
        layers.append(ConvBNAct(hidden, oup, 1, act=None))
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return x + y if self.use_residual else y


class MobileNetV2CA(nn.Module):
    """MobileNetV2 (width 1.0 by default) with coordinate attention in its inverted residuals."""

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, dropout: float = 0.2) -> None:
        super().__init__()
        channels = make_divisible(32 * width_mult, 8)
        layers: list[nn.Module] = [ConvBNAct(3, channels, 3, 2, act=nn.ReLU6)]
        for t, c, n, s in _SETTINGS:
            out = make_divisible(c * width_mult, 8)
            for i in range(n):
                layers.append(InvertedResidualCA(channels, out, s if i == 0 else 1, t))
                channels = out
        last = make_divisible(1280 * width_mult, 8) if width_mult > 1.0 else 1280
        layers.append(ConvBNAct(channels, last, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = ClassifierHead(last, num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def mobilenetv2_ca(*, num_classes: int = 1000, width_mult: float = 1.0) -> nn.Module:
    """MobileNetV2 1.0 + coordinate attention (reduction 32)."""
    return MobileNetV2CA(num_classes=num_classes, width_mult=width_mult)
