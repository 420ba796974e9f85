"""Mobile network units as blocks (C→C, stride 1, residual where the paper has one), on 1×256×56×56.

They sit in the ``conv`` kind of ``cnnbench blocks``, so their overhead reads against the plain 3×3 conv.
torchvision's own units are reused where they exist (MobileNetV2/V3, EfficientNet/V2, ShuffleNetV2); the
ShuffleNet v1 unit and the shift operator are written here from their papers.

Papers (title, year; what was followed):
    Inverted residual  MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler et al., CVPR 2018),
                       Table 1: 1×1 expand (t=6) + BN + ReLU6, 3×3 depthwise + BN + ReLU6, 1×1 linear + BN.
    MBConv             EfficientNet (Tan & Le, ICML 2019): MBConv6 3×3 with SE (squeeze to C_in/4, SiLU),
                       torchvision ``efficientnet.MBConv`` (stochastic depth is identity in eval).
    bneck              Searching for MobileNetV3 (Howard et al., ICCV 2019), Table 1's last-stage bneck
                       (5×5, exp 6×, SE, h-swish), torchvision ``mobilenetv3.InvertedResidual``.
    Fused-MBConv       EfficientNetV2 (Tan & Le, ICML 2021), Fig. 2: 3×3 expand conv (t=4) + 1×1 project,
                       torchvision ``efficientnet.FusedMBConv``.
    ShuffleNet v1      ShuffleNet (Zhang et al., CVPR 2018), Fig. 2(b): 1×1 GConv → shuffle → 3×3 DWConv →
                       1×1 GConv, bottleneck C/4, add, ReLU.
    ShuffleNet v2      ShuffleNet V2 (Ma et al., ECCV 2018), Fig. 3(c): channel split, 1×1/DW 3×3/1×1 on half,
                       concat, shuffle — torchvision ``shufflenetv2.InvertedResidual``.
    Shift              Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions (Wu et al.,
                       CVPR 2018): C channels in k² groups, each moved one step toward one of the k×k offsets.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "Shift",
    "ShuffleV1Unit",
    "bneck",
    "fused_mbconv",
    "inverted_residual",
    "mbconv",
    "shift",
    "shufflenet_v1_unit",
    "shufflenet_v2_unit",
]


def _bn(c: int) -> nn.Module:
    return nn.BatchNorm2d(c)


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Unit(nn.Module):
    """ShuffleNet (v1) unit, stride 1: ReLU(x + BN(GConv1×1(BN(DW3×3(shuffle(ReLU(BN(GConv1×1(x))))))))."""

    def __init__(self, channels: int, groups: int = 8) -> None:
        super().__init__()
        mid = channels // 4
        if channels % groups or mid % groups:
            raise ValueError(f"ShuffleNet unit: {channels} channels and bottleneck {mid} must divide by g={groups}")
        self.groups = groups
        self.reduce = nn.Sequential(nn.Conv2d(channels, mid, 1, groups=groups, bias=False), _bn(mid),
                                    nn.ReLU(inplace=True))
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, 3, padding=1, groups=mid, bias=False), _bn(mid))
        self.expand = nn.Sequential(nn.Conv2d(mid, channels, 1, groups=groups, bias=False), _bn(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(self.dw(channel_shuffle(self.reduce(x), self.groups)))
        return F.relu(x + y)


class Shift(nn.Module):
    """The shift operator: 0 parameters, 0 MACs — channel group g is moved by offset g of the k×k grid.

    Channels are split into k² near-equal groups (the centre group stays in place); vacated border pixels are
    zero. Implemented as one zero pad and one ``cat`` of shifted slices: what standard ops can do (the paper's
    CUDA kernel reads and writes each element once, and is not expressible as a torch op).
    """

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        k2 = kernel_size * kernel_size
        base, extra = divmod(channels, k2)
        self.sizes = [base + (1 if i < extra else 0) for i in range(k2)]
        r = kernel_size // 2
        self.r = r
        self.offsets = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w, r = x.shape[2], x.shape[3], self.r
        p = F.pad(x, (r, r, r, r))
        parts, start = [], 0
        for size, (dy, dx) in zip(self.sizes, self.offsets, strict=True):
            # output (i, j) takes input (i + dy, j + dx): a slice of the padded map
            parts.append(p[:, start:start + size, r + dy:r + dy + h, r + dx:r + dx + w])
            start += size
        return torch.cat(parts, dim=1)


# ----------------------------------------------------------------------------- builders (registry entry points)

def inverted_residual(*, channels: int = 256, expand_ratio: int = 6) -> nn.Module:
    """MobileNetV2 inverted residual (t=6, stride 1, identity shortcut)."""
    from torchvision.models.mobilenetv2 import InvertedResidual

    return InvertedResidual(channels, channels, 1, expand_ratio)


def mbconv(*, channels: int = 256, expand_ratio: float = 6, kernel: int = 3) -> nn.Module:
    """EfficientNet MBConv6 k3 with SE (C_in/4), SiLU, identity shortcut."""
    from torchvision.models.efficientnet import MBConv, MBConvConfig

    return MBConv(MBConvConfig(expand_ratio, kernel, 1, channels, channels, 1), 0.0, nn.BatchNorm2d)


def bneck(*, channels: int = 256, expand_ratio: int = 6, kernel: int = 5) -> nn.Module:
    """MobileNetV3 bneck: 5×5 depthwise, expansion 6, SE (hard-sigmoid), h-swish, identity shortcut."""
    from functools import partial

    from torchvision.models.mobilenetv3 import InvertedResidual, InvertedResidualConfig

    cnf = InvertedResidualConfig(channels, kernel, channels * expand_ratio, channels, True, "HS", 1, 1, 1.0)
    return InvertedResidual(cnf, partial(nn.BatchNorm2d, eps=0.001, momentum=0.01))


def fused_mbconv(*, channels: int = 256, expand_ratio: float = 4, kernel: int = 3) -> nn.Module:
    """EfficientNetV2 Fused-MBConv4 k3: 3×3 expand + 1×1 project, no SE, identity shortcut."""
    from torchvision.models.efficientnet import FusedMBConv, FusedMBConvConfig

    return FusedMBConv(FusedMBConvConfig(expand_ratio, kernel, 1, channels, channels, 1), 0.0, nn.BatchNorm2d)


def shufflenet_v1_unit(*, channels: int = 256, groups: int = 8) -> nn.Module:
    """ShuffleNet v1 unit, stride 1, g=8 (the paper's g=3 does not divide 256)."""
    return ShuffleV1Unit(channels, groups)


def shufflenet_v2_unit(*, channels: int = 256) -> nn.Module:
    """ShuffleNet V2 basic unit, stride 1 (torchvision)."""
    from torchvision.models.shufflenetv2 import InvertedResidual

    return InvertedResidual(channels, channels, 1)


def shift(*, channels: int = 256, kernel_size: int = 3) -> nn.Module:
    """3×3 shift: 9 channel groups, zero-padded borders."""
    return Shift(channels, kernel_size)
