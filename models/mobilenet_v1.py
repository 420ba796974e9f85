"""MobileNet V1 (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv 2017).

The body of the paper's Table 1: a full 3x3/2 conv (32) followed by 13 depthwise-separable layers
(3x3 depthwise → BN-ReLU → 1x1 → BN-ReLU) with widths 64, 128, 128, 256, 256, 512 (x6), 1024, 1024 and
strides 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1; then global average pooling and a 1000-way FC. The width
multiplier α scales every layer's channels (Sec. 3.3), so α=0.75 gives 24, 48, ... 768.

Table 6 (width multiplier at 224): 1.0 → 569M mult-adds, 4.2M params; 0.75 → 325M, 2.6M;
0.5 → 149M, 1.3M; 0.25 → 41M, 0.5M. timm's ``mobilenetv1_100`` is the same 1.0x network (identical counts);
timm has no 0.25-0.75x.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct

# (output channels, stride) of the 13 depthwise-separable layers - Table 1
_LAYERS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def _dw_separable(in_ch: int, out_ch: int, stride: int) -> nn.Sequential:
    return nn.Sequential(ConvBNAct(in_ch, in_ch, 3, stride, groups=in_ch), ConvBNAct(in_ch, out_ch, 1))


class MobileNetV1(nn.Module):
    """MobileNet V1 with width multiplier ``width`` (α in the paper)."""

    def __init__(self, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        in_ch = int(32 * width)
        layers: list[nn.Module] = [ConvBNAct(3, in_ch, 3, 2)]
        for out_ch, stride in _LAYERS:
            out_ch = int(out_ch * width)
            layers.append(_dw_separable(in_ch, out_ch, stride))
            in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(in_ch, num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def mobilenet_v1(*, width: float = 1.0, num_classes: int = 1000, dropout: float = 0.0) -> MobileNetV1:
    """MobileNet V1 α=``width`` for 3x224x224 inputs."""
    return MobileNetV1(width=width, num_classes=num_classes, dropout=dropout)
