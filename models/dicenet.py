"""DiCENet (Mehta, Hajishirzi & Rastegari, "DiCENet: Dimension-wise Convolutions for Efficient Networks", TPAMI
2020 / arXiv 1906.03516) — the ImageNet classifier at width scale s.

The DiCE unit (§3): the input C x H x W is convolved by three depthwise 3x3 convolutions, one along each dimension —
channel-wise (the usual depthwise conv: C kernels over H x W), height-wise (H kernels over the C x W planes, i.e.
the tensor transposed to H x C x W) and width-wise (W kernels over C x H) — so the height-/width-wise layers have
H·9 and W·9 weights and are built for one input size (224 here: 28/14/7 at the three stages); at another size the
input is resized to the built one and back, as the authors' code does. Their 3C outputs are concatenated, BN +
PReLU, shuffled in 3 groups, and fused: a grouped 1x1 conv averages each channel's three dimension-wise responses
(3C → C, groups C), then a 3x3 grouped conv (groups gcd(C, C_out)) encodes space, re-weighted per channel by a
squeeze-excite-like branch (GAP → 1x1 C/4 → ReLU → 1x1 C_out → sigmoid).

The network follows the authors' EdgeNets code (model/classification/dicenet.py): CBR 3x3/2 stem, 3x3/2 max pool,
then three stages (at 28, 14, 7) each opened by a strided DiCE block (two branches, depthwise 3x3/2 + 1x1 and
avg-pool + DiCE + 1x1, concatenated: 2C) followed by 3/7/3 ShuffleNetV2-style units whose right half is 1x1 CBR +
DiCE; classifier GAP → grouped 1x1 (4 groups) → 1x1 to the classes. Published ImageNet figures are the authors'
(EdgeNets model zoo README, FLOPs = multiply-adds; dicenet_config.py results table, params).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# s → stage widths [stem, pool, stage3, stage4, stage5, classifier hidden] (authors' dicenet_config.py)
WIDTHS: dict[float, tuple[int, ...]] = {
    0.2: (16, 16, 32, 64, 128, 1024),
    0.5: (24, 24, 48, 96, 192, 1024),
    0.75: (24, 24, 86, 172, 344, 1024),
    1.0: (24, 24, 116, 232, 464, 1024),
    1.25: (24, 24, 144, 288, 576, 1024),
    1.5: (24, 24, 176, 352, 704, 1024),
    1.75: (24, 24, 210, 420, 840, 1024),
    2.0: (24, 24, 244, 488, 976, 1024),
}
REPEATS = (3, 7, 3)


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class CBR(nn.Sequential):
    """conv (no bias) → BN → PReLU."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(c_out), nn.PReLU(c_out))


def _resize(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    if (x.shape[2], x.shape[3]) == (h, w):
        return x
    if x.shape[2] < h or x.shape[3] < w:
        return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=True)
    return F.adaptive_avg_pool2d(x, (h, w))


class DiCE(nn.Module):
    """Dimension-wise convolution (channel, height, width) + dimension-wise fusion, for inputs of ``height`` x ``width``."""

    def __init__(self, c_in: int, c_out: int, height: int, width: int) -> None:
        super().__init__()
        self.height, self.width = height, width
        self.conv_channel = nn.Conv2d(c_in, c_in, 3, 1, 1, groups=c_in, bias=False)
        self.conv_height = nn.Conv2d(height, height, 3, 1, 1, groups=height, bias=False)
        self.conv_width = nn.Conv2d(width, width, 3, 1, 1, groups=width, bias=False)
        self.br = nn.Sequential(nn.BatchNorm2d(3 * c_in), nn.PReLU(3 * c_in))
        self.fuse = CBR(3 * c_in, c_in, 1, groups=c_in)  # weighted average of each channel's three responses
        self.proj = CBR(c_in, c_out, 3, groups=math.gcd(c_in, c_out))
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c_in, c_in // 4, 1, bias=False),
                                  nn.ReLU(inplace=True), nn.Conv2d(c_in // 4, c_out, 1, bias=False), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2], x.shape[3]
        y_c = self.conv_channel(x)
        xh = _resize(x, self.height, w).transpose(1, 2)  # B x H x C x W
        y_h = _resize(self.conv_height(xh).transpose(1, 2), h, w)
        xw = _resize(x, h, self.width).transpose(1, 3)  # B x W x H x C
        y_w = _resize(self.conv_width(xw).transpose(1, 3), h, w)
        y = channel_shuffle(self.br(torch.cat([y_c, y_h, y_w], 1)), 3)
        y = self.fuse(y)
        return self.proj(y) * self.gate(y)


class StridedDiCE(nn.Module):
    """Down-sampling unit: [dw 3x3/2 CBR → 1x1 CBR] ‖ [avg-pool 3x3/2 → DiCE → 1x1 CBR], shuffled: C → 2C."""

    def __init__(self, c: int, height: int, width: int) -> None:
        super().__init__()
        self.left = nn.Sequential(CBR(c, c, 3, 2, groups=c), CBR(c, c, 1))
        self.right = nn.Sequential(nn.AvgPool2d(3, 2, 1), DiCE(c, c, height, width), CBR(c, c, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(torch.cat([self.left(x), self.right(x)], 1), 2)


class ShuffleDiCE(nn.Module):
    """ShuffleNetV2-style unit: half the channels pass, the other half go through 1x1 CBR → DiCE; shuffle."""

    def __init__(self, c_in: int, c_out: int, height: int, width: int) -> None:
        super().__init__()
        self.left = round(0.5 * c_in)
        right_out = c_out - self.left
        self.right = nn.Sequential(CBR(c_in - self.left, right_out, 1), DiCE(right_out, right_out, height, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(torch.cat([x[:, :self.left], self.right(x[:, self.left:])], 1), 2)


class DiCENet(nn.Module):
    """DiCENet ImageNet classifier at width scale ``s`` built for ``image_size`` (a multiple of 32)."""

    def __init__(self, s: float = 1.0, num_classes: int = 1000, image_size: int = 224) -> None:
        super().__init__()
        if s not in WIDTHS:
            raise ValueError(f"DiCENet width scale must be one of {sorted(WIDTHS)}, got {s}")
        if image_size % 32:
            raise ValueError(f"DiCENet image size must be a multiple of 32, got {image_size}")
        ch = WIDTHS[s]
        self.stem = nn.Sequential(CBR(3, ch[0], 3, 2), nn.MaxPool2d(3, 2, 1))
        stages: list[nn.Module] = []
        size = image_size // 4
        c_prev = ch[1]
        for c, n in zip(ch[2:5], REPEATS, strict=True):
            size //= 2
            units: list[nn.Module] = [StridedDiCE(c_prev, size, size)]
            c_in = 2 * c_prev
            for _ in range(n):
                units.append(ShuffleDiCE(c_in, c, size, size))
                c_in = c
            stages.append(nn.Sequential(*units))
            c_prev = c
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Conv2d(ch[4], ch[5], 1, groups=4, bias=False),
                                        nn.Dropout(0.2 if s > 1 else 0.1), nn.Conv2d(ch[5], num_classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.pool(self.stages(self.stem(x)))), 1)


def dicenet(*, s: float = 1.0, num_classes: int = 1000, image_size: int = 224) -> DiCENet:
    """DiCENet at width scale ``s`` (0.2 … 2.0)."""
    return DiCENet(s, num_classes, image_size)
