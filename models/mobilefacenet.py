"""MobileFaceNet (Chen, Liu, Gao & Han, "MobileFaceNets: Efficient CNNs for Accurate Real-Time Face
Verification on Mobile Devices", CCBR 2018 / arXiv 1804.07573).

A face-embedding network for 112x112 aligned faces, the paper's Table 1:

    conv3x3/2 64 → depthwise conv3x3 64 → bottlenecks (t, c, n, s) = (2, 64, 5, 2), (4, 128, 1, 2),
    (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1) → conv1x1 512 → linear GDConv7x7 512
    → linear conv1x1 128

The bottlenecks are MobileNetV2 inverted residuals; all non-linearities are PReLU (Sec. 3.2). The
"global depthwise convolution" (GDConv) is a 7x7 depthwise conv without padding that replaces global
average pooling, so the input must be 112x112 (a 7x7 map after the /16 downsampling). The output is the
128-d face embedding (``num_classes`` here means the embedding width; there is no classifier).

Paper (Sec. 3.3/4): 0.99M parameters, 221M MAdds.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ConvBNAct

# (expansion t, channels c, blocks n, stride s) - Table 1
_SETTINGS = [(2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1)]


def _prelu_block(in_ch: int, out_ch: int, kernel_size: int = 1, stride: int = 1, groups: int = 1) -> ConvBNAct:
    block = ConvBNAct(in_ch, out_ch, kernel_size, stride, groups=groups, act=None)
    block.append(nn.PReLU(out_ch))
    return block


class Bottleneck(nn.Module):
    """Inverted residual (1x1 expand → 3x3 depthwise → 1x1 linear projection) with PReLU."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = in_ch * expansion
        self.use_residual = stride == 1 and in_ch == out_ch
        self.conv = nn.Sequential(
            _prelu_block(in_ch, hidden),
            _prelu_block(hidden, hidden, 3, stride, groups=hidden),
            ConvBNAct(hidden, out_ch, 1, act=None),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileFaceNet(nn.Module):
    """MobileFaceNet producing a ``num_classes``-d (default 128) embedding from a 3x112x112 face."""

    def __init__(self, num_classes: int = 128) -> None:
        super().__init__()
        self.num_classes = num_classes
        layers: list[nn.Module] = [_prelu_block(3, 64, 3, 2), _prelu_block(64, 64, 3, groups=64)]
        in_ch = 64
        for t, c, n, s in _SETTINGS:
            for i in range(n):
                layers.append(Bottleneck(in_ch, c, s if i == 0 else 1, t))
                in_ch = c
        layers.append(_prelu_block(in_ch, 512))
        self.features = nn.Sequential(*layers)
        self.gdconv = ConvBNAct(512, 512, 7, groups=512, act=None, padding=0)  # linear GDConv7x7
        self.embedding = ConvBNAct(512, num_classes, 1, act=None)  # linear conv1x1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.embedding(self.gdconv(self.features(x))), 1)


def mobilefacenet(*, num_classes: int = 128) -> MobileFaceNet:
    """MobileFaceNet for 3x112x112 faces; output is the 128-d embedding."""
    return MobileFaceNet(num_classes=num_classes)
