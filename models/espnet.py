"""ESPNet v1 (Mehta, Rastegari, Caspi, Shapiro & Hajishirzi, "ESPNet: Efficient Spatial Pyramid of Dilated
Convolutions for Semantic Segmentation", ECCV 2018) — the full encoder-decoder segmentation network.

The ESP module (§3.1, Fig. 1b/3): a 1x1 conv *reduces* M input channels to d = N/K, K = 5 parallel 3x3 dilated
convs (dilation 1, 2, 4, 8, 16) *split-transform* it, their outputs are summed hierarchically (HFF: each branch adds
the sum of the smaller-dilation branches before it, which removes gridding) and concatenated to N channels, then a
residual add (when shapes allow), BN and PReLU. The first branch takes the remainder, N - 4·(N//5) channels.

The network (Fig. 4d, "ESPNet"; alpha_2 = 2, alpha_3 = 8, the authors' p and q): a stride-2 3x3 CBR stem (16
maps), the input image average-pooled and concatenated at 1/2 and 1/4 (input reinforcement), a strided ESP to
64 channels + 2 ESP modules at 1/4, a strided ESP to 128 + 8 ESP modules at 1/8, then the light decoder: 1x1
projections to the class count C, 2x2 stride-2 transposed convs, a non-residual ESP merging the 1/4 and 1/8 paths,
and a 3x3 CBR merging with the 1/2 features. C = 20 (Cityscapes' 19 classes + the ignore label), as in the
authors' Cityscapes model. The paper reports 0.364M parameters; its speed figures are at 1024x512 (W x H), which is
our default input.
"""

from __future__ import annotations

import torch
from torch import nn


class BR(nn.Sequential):
    """BN → PReLU."""

    def __init__(self, c: int) -> None:
        super().__init__(nn.BatchNorm2d(c, eps=1e-3), nn.PReLU(c))


class CBR(nn.Sequential):
    """k x k conv (no bias) → BN → PReLU."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, k, stride, (k - 1) // 2, bias=False), *BR(c_out))


class ESP(nn.Module):
    """Efficient spatial pyramid: reduce (1x1, or 3x3 stride 2 when ``stride=2``) → 5 dilated 3x3 → HFF → concat.

    Args:
        c_in, c_out: channels; ``residual`` adds the input (needs ``c_in == c_out`` and stride 1).
    """

    DILATIONS = (1, 2, 4, 8, 16)

    def __init__(self, c_in: int, c_out: int, stride: int = 1, residual: bool = True) -> None:
        super().__init__()
        n = c_out // 5
        n1 = c_out - 4 * n
        k = 3 if stride == 2 else 1
        self.reduce = nn.Conv2d(c_in, n, k, stride, (k - 1) // 2, bias=False)
        self.branches = nn.ModuleList(
            nn.Conv2d(n, n1 if d == 1 else n, 3, 1, d, dilation=d, bias=False) for d in self.DILATIONS)
        self.residual = residual and stride == 1 and c_in == c_out
        self.br = BR(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.reduce(x)
        outs = [b(r) for b in self.branches]
        merged = [outs[0], outs[1]]
        for o in outs[2:]:  # hierarchical feature fusion: d2, d2+d4, d2+d4+d8, d2+d4+d8+d16
            merged.append(merged[-1] + o)
        y = torch.cat(merged, dim=1)
        if self.residual:
            y = y + x
        return self.br(y)


class ESPNet(nn.Module):
    """ESPNet encoder-decoder for semantic segmentation (output: C x H x W logits at input resolution)."""

    def __init__(self, num_classes: int = 20, p: int = 2, q: int = 8) -> None:
        super().__init__()
        c = num_classes
        self.num_classes = c
        self.level1 = CBR(3, 16, 3, 2)
        self.sample = nn.AvgPool2d(3, stride=2, padding=1)  # input reinforcement: image at 1/2, 1/4
        self.b1 = BR(16 + 3)
        self.level2_0 = ESP(16 + 3, 64, stride=2)
        self.level2 = nn.Sequential(*(ESP(64, 64) for _ in range(p)))
        self.b2 = BR(128 + 3)
        self.level3_0 = ESP(128 + 3, 128, stride=2)
        self.level3 = nn.Sequential(*(ESP(128, 128) for _ in range(q)))
        self.b3 = BR(256)
        # decoder
        self.proj_l3 = nn.Conv2d(256, c, 1, bias=False)
        self.bn_l3 = nn.BatchNorm2d(c, eps=1e-3)
        self.up_l3 = nn.ConvTranspose2d(c, c, 2, stride=2, bias=False)
        self.proj_l2 = nn.Conv2d(128 + 3, c, 1, bias=False)
        self.combine_l2_l3 = nn.Sequential(BR(2 * c), ESP(2 * c, c, residual=False))
        self.up_l2 = nn.Sequential(nn.ConvTranspose2d(c, c, 2, stride=2, bias=False), BR(c))
        self.merge_l1 = CBR(16 + 3 + c, c, 3)
        self.classifier = nn.ConvTranspose2d(c, c, 2, stride=2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = self.sample(x)
        quarter = self.sample(half)
        l1 = self.b1(torch.cat([self.level1(x), half], 1))  # 1/2
        l2_0 = self.level2_0(l1)
        l2 = self.b2(torch.cat([self.level2(l2_0), l2_0, quarter], 1))  # 1/4
        l3_0 = self.level3_0(l2)
        l3 = self.b3(torch.cat([l3_0, self.level3(l3_0)], 1))  # 1/8
        up3 = self.up_l3(self.bn_l3(self.proj_l3(l3)))  # 1/4
        up2 = self.up_l2(self.combine_l2_l3(torch.cat([self.proj_l2(l2), up3], 1)))  # 1/2
        return self.classifier(self.merge_l1(torch.cat([up2, l1], 1)))  # 1/1


def espnet_cityscapes(*, num_classes: int = 20, p: int = 2, q: int = 8) -> ESPNet:
    """ESPNet (alpha_2 = 2, alpha_3 = 8) for Cityscapes' 20 labels: 0.364M parameters in the paper."""
    return ESPNet(num_classes=num_classes, p=p, q=q)
