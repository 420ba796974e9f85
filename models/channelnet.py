"""ChannelNet-v1 (Gao, Wang & Ji, "ChannelNets: Compact and Efficient Convolutional Neural Networks via Channel-Wise
Convolutions", NeurIPS 2018).

ChannelNet-v1 is MobileNet v1 with the 14x14 stage replaced by a group channel-wise convolution module (GCWM): the
512-channel map feeds G groups; group g first compresses the channels with a *channel-wise convolution* (one 1-D
kernel of length 4·G slid along the channel axis with stride G, shared across positions: 4·G parameters, 512 → 512/G
channels), then runs B residual depthwise-separable blocks on its 512/G channels; the groups' outputs are
concatenated and added to the module input. ChannelNet-v1 uses G = 2 groups of B = 6 blocks.

Layer for layer from the authors' TensorFlow code (HongyangGao/ChannelNets ``model.py`` and ``utils/ops.py``:
``dw_block`` = depthwise 3x3 → leaky ReLU → 1x1 conv → BN → leaky ReLU, no BN after the depthwise conv;
``conv_group_block`` with ``group_num=2``; the repository's defaults are ``group_num=4, block_num=5``, which give
3.24M parameters, not the paper's 3.7M). Convolutions have no bias; the classifier has one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DWBlock(nn.Sequential):
    """Depthwise 3x3 (stride s) → leaky ReLU → 1x1 conv → BN → leaky ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.LeakyReLU(0.2),
                         nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2))


class ChannelWiseConv(nn.Module):
    """One 1-D kernel of length ``kernel`` along the channel axis, stride ``stride``, TF "SAME" padding, leaky ReLU:
    (N, C, H, W) → (N, C/stride, H, W) with ``kernel`` parameters (implemented as a 3-D conv over (C, H, W))."""

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv3d(1, 1, (kernel, 1, 1), (stride, 1, 1), bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        out_c = -(-c // self.stride)
        pad = max((out_c - 1) * self.stride + self.kernel - c, 0)
        x = F.pad(x.unsqueeze(1), (0, 0, 0, 0, pad // 2, pad - pad // 2))
        return F.leaky_relu(self.conv(x), 0.2).squeeze(1)


class ResidualDW(nn.Module):
    """x + DWBlock(x)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = DWBlock(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class GCWM(nn.Module):
    """Group channel-wise module: x + cat_g(blocks_g(channel_wise_g(x)))."""

    def __init__(self, channels: int, groups: int, blocks: int) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"channels ({channels}) must be divisible by groups ({groups})")
        self.paths = nn.ModuleList(
            nn.Sequential(ChannelWiseConv(4 * groups, groups), *(ResidualDW(channels // groups) for _ in range(blocks)))
            for _ in range(groups))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.cat([p(x) for p in self.paths], 1)


class ChannelNetV1(nn.Sequential):
    """Conv 3x3/2 (32) → DW blocks 64, 128/2, 128, 256/2, 256, 512/2 → GCWM(G, B) → 1024/2, 1024 → pool → FC."""

    def __init__(self, groups: int = 2, blocks: int = 6, num_classes: int = 1000) -> None:
        super().__init__(
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
            DWBlock(32, 64), DWBlock(64, 128, 2), DWBlock(128, 128), DWBlock(128, 256, 2), DWBlock(256, 256),
            DWBlock(256, 512, 2),
            GCWM(512, groups, blocks),
            DWBlock(512, 1024, 2), DWBlock(1024, 1024),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, num_classes),
        )


def channelnet_v1(*, num_classes: int = 1000) -> ChannelNetV1:
    """ChannelNet-v1 (Table 3: 3.7M params, 407M FLOPs)."""
    return ChannelNetV1(2, 6, num_classes)
