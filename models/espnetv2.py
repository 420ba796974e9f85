"""ESPNetv2 ImageNet classifier (Mehta, Rastegari, Shapiro & Hajishirzi, "ESPNetv2: A Light-weight, Power
Efficient, and General Purpose Convolutional Neural Network", CVPR 2019).

Built from EESP units (reduce with a grouped 1x1 → split into K depthwise dilated 3x3 branches → hierarchical
feature fusion → grouped 1x1 expand, residual) and strided EESP down-samplers that concatenate an average-pooled
copy of the input and add a reinforcement path from the (pooled) image. Widths follow the authors' ``EESPNet``
(sacmehta/ESPNetv2, ``imagenet/Model.py``) for a scale factor ``s``. Published counts (official ImageNet README;
the paper's ImageNet comparison plots the same FLOPs): s=0.5 1.24M/28.37M, s=1.0 1.67M/85.72M,
s=1.5 2.31M/168.6M, s=2.0 3.49M/284.8M (params/FLOPs as mult-adds, 224x224).

The authors' model builds an input-reinforcement module for the last down-sampler but never calls it (its
forward passes no image there); it is left out here: CBR(3, 3, 3) + CB(3, c, 1) = 90 + 5·c unused params,
2,650 at s=1 (0.16%).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class CBR(nn.Sequential):
    """Conv (no bias) → BN → PReLU."""

    def __init__(self, in_ch: int, out_ch: int, k: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(nn.Conv2d(in_ch, out_ch, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(out_ch), nn.PReLU(out_ch))


class CB(nn.Sequential):
    """Conv (no bias) → BN."""

    def __init__(self, in_ch: int, out_ch: int, k: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(nn.Conv2d(in_ch, out_ch, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(out_ch))


class EESP(nn.Module):
    """Extremely Efficient Spatial Pyramid unit.

    Args:
        in_ch: input channels.
        out_ch: output channels (split evenly over ``k`` branches).
        stride: 1, or 2 inside a down-sampler (then the result is returned before the residual/activation).
        k: number of parallel dilated depthwise branches.
        r_lim: largest effective kernel size allowed; larger branches fall back to a plain 3x3.
    """

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, k: int = 4, r_lim: int = 7,
                 down_avg: bool = False) -> None:
        super().__init__()
        n = out_ch // k
        if n * k != out_ch:
            raise ValueError(f"EESP needs out_ch divisible by k, got {out_ch} and {k}")
        self.stride = stride
        self.down_avg = down_avg
        self.proj_1x1 = CBR(in_ch, n, 1, groups=k)
        # effective kernel 3, 5, 7, ... ↔ dilation 1, 2, 3, ...; sorted so fusion adds coarser onto finer
        k_sizes = sorted(3 + 2 * i if 3 + 2 * i <= r_lim else 3 for i in range(k))
        self.spp_dw = nn.ModuleList(
            nn.Conv2d(n, n, 3, stride, padding=(ks - 1) // 2, dilation=(ks - 1) // 2, groups=n, bias=False)
            for ks in k_sizes
        )
        self.br_after_cat = nn.Sequential(nn.BatchNorm2d(out_ch), nn.PReLU(out_ch))
        self.conv_1x1_exp = CB(out_ch, out_ch, 1, groups=k)
        self.module_act = nn.PReLU(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        reduced = self.proj_1x1(x)
        outs = [self.spp_dw[0](reduced)]
        for conv in self.spp_dw[1:]:
            outs.append(conv(reduced) + outs[-1])  # hierarchical feature fusion removes gridding artefacts
        expanded = self.conv_1x1_exp(self.br_after_cat(torch.cat(outs, 1)))
        if self.stride == 2 and self.down_avg:
            return expanded  # the down-sampler concatenates, fuses and activates itself
        if expanded.shape == x.shape:
            expanded = expanded + x
        return self.module_act(expanded)


class DownSampler(nn.Module):
    """Strided EESP ‖ 3x3 average pool, plus an optional reinforcement path from the down-scaled image."""

    def __init__(self, in_ch: int, out_ch: int, k: int = 4, r_lim: int = 9, reinforce: bool = True) -> None:
        super().__init__()
        self.eesp = EESP(in_ch, out_ch - in_ch, stride=2, k=k, r_lim=r_lim, down_avg=True)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1)
        self.inp_reinf = nn.Sequential(CBR(3, 3, 3), CB(3, out_ch, 1)) if reinforce else None
        self.act = nn.PReLU(out_ch)

    def forward(self, x: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        avg_out = self.avg(x)
        out = torch.cat([avg_out, self.eesp(x)], 1)
        if self.inp_reinf is not None and image is not None:
            # pool the image with the same 3x3/2 pooling until it reaches this level's resolution
            while image.shape[-1] > avg_out.shape[-1]:
                image = F.avg_pool2d(image, 3, stride=2, padding=1)
            out = out + self.inp_reinf(image)
        return self.act(out)


def _widths(s: float) -> list[int]:
    """Per-level channels of ``EESPNet`` for scale ``s`` (level 1 is capped at 32; the head at 1024/1280)."""
    base, k = 32, 4
    base_s = math.ceil(int(base * s) / k) * k
    widths = [min(base, base_s)] + [base_s * 2**i for i in range(1, 5)]
    if s <= 1.5:
        widths.append(1024)
    elif s <= 2.0:
        widths.append(1280)
    else:
        raise ValueError(f"ESPNetv2 scale s={s} is not supported (s <= 2.0)")
    return widths


class ESPNetv2(nn.Module):
    """ESPNetv2 for ImageNet classification.

    Args:
        s: width scale factor.
        num_classes: classifier outputs.
        dropout: dropout before the classifier (0.2 in the authors' training code).
    """

    def __init__(self, s: float = 1.0, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        c = _widths(s)
        reps = (3, 7, 3)
        r_lim = (13, 11, 9, 7, 5)
        k = 4
        self.level1 = CBR(3, c[0], 3, stride=2)
        self.level2_0 = DownSampler(c[0], c[1], k=k, r_lim=r_lim[0])
        self.level3_0 = DownSampler(c[1], c[2], k=k, r_lim=r_lim[1])
        self.level3 = nn.Sequential(*(EESP(c[2], c[2], k=k, r_lim=r_lim[2]) for _ in range(reps[0])))
        self.level4_0 = DownSampler(c[2], c[3], k=k, r_lim=r_lim[2])
        self.level4 = nn.Sequential(*(EESP(c[3], c[3], k=k, r_lim=r_lim[3]) for _ in range(reps[1])))
        self.level5_0 = DownSampler(c[3], c[4], k=k, r_lim=r_lim[3], reinforce=False)
        self.level5 = nn.Sequential(
            *(EESP(c[4], c[4], k=k, r_lim=r_lim[4]) for _ in range(reps[2])),
            CBR(c[4], c[4], 3, groups=c[4]),  # depthwise 3x3 then grouped 1x1 expansion to the head width
            CBR(c[4], c[5], 1, groups=k),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(c[5], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        image = x
        out = self.level1(x)
        out = self.level2_0(out, image)
        out = self.level3(self.level3_0(out, image))
        out = self.level4(self.level4_0(out, image))
        out = self.level5(self.level5_0(out))
        return self.classifier(self.dropout(torch.flatten(self.pool(out), 1)))


def espnetv2_s050(*, num_classes: int = 1000) -> ESPNetv2:
    """ESPNetv2, s=0.5: 1.24M params, 28.37M mult-adds (official README)."""
    return ESPNetv2(0.5, num_classes=num_classes)


def espnetv2_s100(*, num_classes: int = 1000) -> ESPNetv2:
    """ESPNetv2, s=1.0: 1.67M params, 85.72M mult-adds (official README)."""
    return ESPNetv2(1.0, num_classes=num_classes)


def espnetv2_s200(*, num_classes: int = 1000) -> ESPNetv2:
    """ESPNetv2, s=2.0: 3.49M params, 284.8M mult-adds (official README)."""
    return ESPNetv2(2.0, num_classes=num_classes)
