"""Convolution operators, each profiled on one feature map (default 1×256×56×56).

Plain operators (3×3, group, depthwise-separable, dilated, deformable, OctConv, MixConv) are bare
convolutions without bias, norm or activation, so their counts are the operator's own. Composite
modules that define BN/ReLU as part of the unit in their paper (SKConv, Ghost module, SlimConv) keep them.

Papers (title, year; what was followed):
    Group conv     ImageNet Classification with Deep CNNs (Krizhevsky et al., NeurIPS 2012); ResNeXt (2017) for G=32.
    DW-separable   Xception (Chollet, CVPR 2017) / MobileNets (Howard et al., arXiv 2017): depthwise k×k + 1×1.
    Dilated        Multi-Scale Context Aggregation by Dilated Convolutions (Yu & Koltun, ICLR 2016).
    Deformable v1  Deformable Convolutional Networks (Dai et al., ICCV 2017): offsets from a 3×3 conv (2k² ch).
    Deformable v2  Deformable ConvNets v2: More Deformable, Better Results (Zhu et al., CVPR 2019): + k² masks.
    OctConv        Drop an Octave (Chen et al., ICCV 2019); structure as the official/d-li14 code.
    MixConv        MixConv: Mixed Depthwise Convolutional Kernels (Tan & Le, BMVC 2019), equal channel split.
    SlimConv       SlimConv: Reducing Channel Redundancy in CNNs by Features Recombining (Qiu et al., TIP 2021),
                   official ``slim_conv_3x3`` (output C/2 + C/4 channels).
    SKConv         Selective Kernel Networks (Li et al., CVPR 2019), Sec. 3.1.
    Ghost module   GhostNet: More Features from Cheap Operations (Han et al., CVPR 2020), Fig. 2(b).
    Factorised     Rethinking the Inception Architecture for Computer Vision (Szegedy et al., CVPR 2016),
                   Sec. 3.2: a k×k conv replaced by k×1 then 1×k (C→C each), 2k/k² of the weights.
    Context module Multi-Scale Context Aggregation by Dilated Convolutions (Yu & Koltun, ICLR 2016), Table 1
                   "basic": 3×3 convs C→C with dilations 1, 1, 2, 4, 8, 16, 1 (ReLU after each) + a 1×1 C→C.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ContextModule",
    "DeformConv2d",
    "GhostModule",
    "MixConv2d",
    "OctConv2d",
    "OctConvBlock",
    "SKConv",
    "SlimConv",
    "context_module",
    "conv3x3",
    "deform_conv_v1",
    "deform_conv_v2",
    "depthwise_separable",
    "dilated_conv",
    "factorized_conv",
    "ghost_module",
    "group_conv",
    "mixconv",
    "octconv",
    "skconv",
    "slimconv",
]


class DeformConv2d(nn.Module):
    """Deformable convolution via ``torchvision.ops.deform_conv2d``.

    A regular conv (with bias, zero-initialised so training starts from the plain conv, as both papers
    do) predicts 2·k² offsets per position (v1) or 2·k² offsets + k² sigmoid masks (v2, ``modulated``).
    The deformable weight itself has no bias. Params = C_out·C_in·k² + C_in·k²·o + o, o = 2k² or 3k².
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, dilation: int = 1, modulated: bool = False) -> None:
        super().__init__()
        k = kernel_size
        self.stride, self.dilation = stride, dilation
        self.padding = dilation * (k - 1) // 2 if padding is None else padding
        self.modulated = modulated
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, k, k))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.offset = nn.Conv2d(in_channels, (3 if modulated else 2) * k * k, k, stride, self.padding, dilation)
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from torchvision.ops import deform_conv2d

        out = self.offset(x)
        mask = None
        if self.modulated:
            kk = self.weight.shape[-1] ** 2
            out, mask = out[:, : 2 * kk], torch.sigmoid(out[:, 2 * kk:])
        return deform_conv2d(x, out, self.weight, stride=self.stride, padding=self.padding,
                             dilation=self.dilation, mask=mask)


class OctConv2d(nn.Module):
    """Octave convolution on a (high, low) pair; the low part is at half resolution.

    ``alpha_in``/``alpha_out`` are the low-frequency channel fractions. ``alpha_in=0`` takes a plain tensor
    (first OctConv), ``alpha_out=0`` returns a plain tensor (last). Stride 2 average-pools the inputs
    first (official code), so no path ever runs a strided conv. The four paths' weights add up to a
    plain conv's C_in·C_out·k², so params equal the vanilla conv; MACs drop to about
    ``1 − 3/4·α(2−α)`` of it at α_in = α_out = α.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 alpha_in: float = 0.5, alpha_out: float = 0.5) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError("OctConv supports stride 1 or 2")
        self.stride = stride
        lo_in, lo_out = int(alpha_in * in_channels), int(alpha_out * out_channels)
        hi_in, hi_out = in_channels - lo_in, out_channels - lo_out
        pad = kernel_size // 2

        def conv(ci: int, co: int) -> nn.Conv2d | None:
            return nn.Conv2d(ci, co, kernel_size, 1, pad, bias=False) if ci and co else None

        self.h2h, self.h2l = conv(hi_in, hi_out), conv(hi_in, lo_out)
        self.l2h, self.l2l = conv(lo_in, hi_out), conv(lo_in, lo_out)

    def forward(self, x: torch.Tensor | tuple[torch.Tensor, torch.Tensor]):
        """Take a tensor (α_in = 0) or a (high, low) pair; return a tensor (α_out = 0) or a pair."""
        x_h, x_l = x if isinstance(x, tuple) else (x, None)
        if self.stride == 2:
            x_h = F.avg_pool2d(x_h, 2)
        y_h = self.h2h(x_h) if self.h2h is not None else None
        y_l = self.h2l(F.avg_pool2d(x_h, 2)) if self.h2l is not None else None
        if x_l is not None:
            if self.l2h is not None:
                l2h = self.l2h(x_l)
                # with stride 2 the high output is already at the low input's resolution
                l2h = F.interpolate(l2h, scale_factor=2.0, mode="nearest") if self.stride == 1 else l2h
                y_h = l2h if y_h is None else y_h + l2h
            if self.l2l is not None:
                l2l = self.l2l(F.avg_pool2d(x_l, 2) if self.stride == 2 else x_l)
                y_l = l2l if y_l is None else y_l + l2l
        return y_h if y_l is None else (y_h, y_l)


class OctConvBlock(nn.Module):
    """One regular OctConv (α_in = α_out = α) on a plain tensor, for profiling as a block.

    Adaptor (not part of OctConv, documented cost): the input's last α·C channels are average-pooled
    to half resolution to form the low part; the output's low part is nearest-upsampled and
    concatenated back. The pool and the upsample carry no MACs.
    """

    def __init__(self, channels: int, out_channels: int | None = None, kernel_size: int = 3,
                 alpha: float = 0.5) -> None:
        super().__init__()
        out_channels = out_channels or channels
        self.lo_in = int(alpha * channels)
        self.conv = OctConv2d(channels, out_channels, kernel_size, 1, alpha, alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        x_h, x_l = x[:, : c - self.lo_in], F.avg_pool2d(x[:, c - self.lo_in:], 2)
        y_h, y_l = self.conv((x_h, x_l))
        return torch.cat([y_h, F.interpolate(y_l, scale_factor=2.0, mode="nearest")], dim=1)


def _split_channels(channels: int, parts: int) -> list[int]:
    """MixConv's equal split; the first group takes the remainder."""
    sizes = [channels // parts] * parts
    sizes[0] += channels - sum(sizes)
    return sizes


class MixConv2d(nn.Module):
    """Mixed depthwise convolution: channels split into groups, each with its own kernel size."""

    def __init__(self, channels: int, kernel_sizes: tuple[int, ...] = (3, 5, 7, 9), stride: int = 1) -> None:
        super().__init__()
        self.splits = _split_channels(channels, len(kernel_sizes))
        self.convs = nn.ModuleList(
            nn.Conv2d(c, c, k, stride, k // 2, groups=c, bias=False) for c, k in zip(self.splits, kernel_sizes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(part) for conv, part in zip(self.convs, torch.split(x, self.splits, dim=1))], dim=1)


class SlimConv(nn.Module):
    """SlimConv: SE-style weights w and their channel flip; halves folded (C → C/2) and sent through a
    3×3 (C/2 → C/2) and a 1×1-ReLU-3×3 (C/2 → C/4 → C/4) path; output C/2 + C/4 = 3C/4 channels."""

    def __init__(self, channels: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__()
        half, quarter = channels // 2, channels // 4
        self.fc = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, channels // 32, 1, bias=False),
            nn.BatchNorm2d(channels // 32), nn.ReLU(inplace=True), nn.Conv2d(channels // 32, channels, 1),
            nn.Sigmoid(),
        )
        self.top = nn.Sequential(nn.Conv2d(half, half, 3, stride, 1, groups=groups, bias=False), nn.BatchNorm2d(half))
        self.bottom = nn.Sequential(
            nn.Conv2d(half, quarter, 1, bias=False), nn.BatchNorm2d(quarter), nn.ReLU(inplace=True),
            nn.Conv2d(quarter, quarter, 3, stride, 1, groups=groups, bias=False), nn.BatchNorm2d(quarter),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        w = self.fc(x)
        top, bottom = x * w, x * torch.flip(w, dims=[1])
        top = top[:, : c // 2] + top[:, c // 2:]
        bottom = bottom[:, : c // 2] + bottom[:, c // 2:]
        return torch.cat([self.top(top), self.bottom(bottom)], dim=1)


class SKConv(nn.Module):
    """Selective-kernel convolution: split / fuse / select.

    Split: M branches of grouped 3×3 conv with dilation 1..M (a dilated 3×3 stands in for 5×5, 7×7, as in
    the paper) + BN + ReLU. Fuse: sum, GAP, 1×1 to d = max(C/r, L) + BN + ReLU. Select: M 1×1 convs (bias)
    to C, softmax across branches, weighted sum.
    """

    def __init__(self, channels: int, out_channels: int | None = None, stride: int = 1, branches: int = 2,
                 groups: int = 32, reduction: int = 16, min_dim: int = 32) -> None:
        super().__init__()
        out_channels = out_channels or channels
        d = max(out_channels // reduction, min_dim)
        self.branches = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, out_channels, 3, stride, padding=i + 1, dilation=i + 1, groups=groups, bias=False),
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            )
            for i in range(branches)
        )
        self.fuse = nn.Sequential(nn.Conv2d(out_channels, d, 1, bias=False), nn.BatchNorm2d(d), nn.ReLU(inplace=True))
        self.select = nn.Conv2d(d, out_channels * branches, 1)
        self.num_branches = branches

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = torch.stack([b(x) for b in self.branches], dim=1)  # (N, M, C, H, W)
        z = self.fuse(F.adaptive_avg_pool2d(feats.sum(dim=1), 1))
        n, m, c = feats.shape[:3]
        attn = torch.softmax(self.select(z).view(n, m, c, 1, 1), dim=1)
        return (feats * attn).sum(dim=1)


class GhostModule(nn.Module):
    """Ghost module: a primary 1×1 conv makes ⌈C_out/s⌉ maps, a cheap depthwise d×d conv makes the
    rest ("ghosts"); both with BN (+ReLU), concatenated and cut to C_out. Defaults s=2, d=3 (paper)."""

    def __init__(self, channels: int, out_channels: int | None = None, kernel_size: int = 1, ratio: int = 2,
                 dw_size: int = 3, relu: bool = True) -> None:
        super().__init__()
        self.out_channels = out_channels or channels
        init = math.ceil(self.out_channels / ratio)
        new = init * (ratio - 1)

        def act() -> nn.Module:
            return nn.ReLU(inplace=True) if relu else nn.Identity()

        self.primary = nn.Sequential(nn.Conv2d(channels, init, kernel_size, 1, kernel_size // 2, bias=False),
                                     nn.BatchNorm2d(init), act())
        self.cheap = nn.Sequential(nn.Conv2d(init, new, dw_size, 1, dw_size // 2, groups=init, bias=False),
                                   nn.BatchNorm2d(new), act())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.primary(x)
        return torch.cat([y, self.cheap(y)], dim=1)[:, : self.out_channels]


# ----------------------------------------------------------------------------- builders (registry entry points)

class ContextModule(nn.Module):
    """Yu & Koltun's basic context module: C channels throughout, exponentially growing dilation.

    Layers 1–7: 3×3 conv (bias) with dilation 1, 1, 2, 4, 8, 16, 1 and padding = dilation (same size),
    each followed by ReLU ("truncation" in Table 1); layer 8: 1×1 conv (bias), no ReLU. The paper's identity
    initialisation is a training choice and changes no count. Receptive field 67×67.
    """

    DILATIONS = (1, 1, 2, 4, 8, 16, 1)

    def __init__(self, channels: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for d in self.DILATIONS:
            layers += [nn.Conv2d(channels, channels, 3, padding=d, dilation=d), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(channels, channels, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def conv3x3(*, channels: int = 256, out_channels: int | None = None, stride: int = 1) -> nn.Module:
    """Standard 3×3 convolution, no bias (the conv reference)."""
    return nn.Conv2d(channels, out_channels or channels, 3, stride, 1, bias=False)


def group_conv(*, channels: int = 256, out_channels: int | None = None, groups: int = 32) -> nn.Module:
    """3×3 group convolution (ResNeXt's cardinality 32)."""
    return nn.Conv2d(channels, out_channels or channels, 3, 1, 1, groups=groups, bias=False)


def depthwise_separable(*, channels: int = 256, out_channels: int | None = None, kernel_size: int = 3) -> nn.Module:
    """Depthwise k×k then pointwise 1×1, both without bias (norm/activation left to the host network)."""
    return nn.Sequential(
        nn.Conv2d(channels, channels, kernel_size, 1, kernel_size // 2, groups=channels, bias=False),
        nn.Conv2d(channels, out_channels or channels, 1, bias=False),
    )


def dilated_conv(*, channels: int = 256, out_channels: int | None = None, dilation: int = 2) -> nn.Module:
    """3×3 convolution with dilation 2 (5×5 receptive field, 3×3 cost)."""
    return nn.Conv2d(channels, out_channels or channels, 3, 1, dilation, dilation=dilation, bias=False)


def deform_conv_v1(*, channels: int = 256, out_channels: int | None = None) -> nn.Module:
    """3×3 deformable convolution v1 (offsets only)."""
    return DeformConv2d(channels, out_channels or channels, 3, modulated=False)


def deform_conv_v2(*, channels: int = 256, out_channels: int | None = None) -> nn.Module:
    """3×3 modulated deformable convolution v2 (offsets + masks)."""
    return DeformConv2d(channels, out_channels or channels, 3, modulated=True)


def octconv(*, channels: int = 256, alpha: float = 0.5) -> nn.Module:
    """3×3 OctConv with α_in = α_out = α (0.5 = the paper's headline setting)."""
    return OctConvBlock(channels, alpha=alpha)


def mixconv(*, channels: int = 256, kernel_sizes: tuple[int, ...] = (3, 5, 7, 9)) -> nn.Module:
    """MixConv depthwise with kernels 3/5/7/9 over four equal channel groups."""
    return MixConv2d(channels, tuple(kernel_sizes))


def slimconv(*, channels: int = 256) -> nn.Module:
    """SlimConv 3×3 (output 3C/4 channels)."""
    return SlimConv(channels)


def skconv(*, channels: int = 256, branches: int = 2, groups: int = 32) -> nn.Module:
    """SK convolution, SKNet-50 setting (M=2, G=32, r=16, L=32)."""
    return SKConv(channels, branches=branches, groups=groups)


def ghost_module(*, channels: int = 256, out_channels: int | None = None, ratio: int = 2, dw_size: int = 3
                 ) -> nn.Module:
    """Ghost module replacing a 1×1 conv (s=2, d=3)."""
    return GhostModule(channels, out_channels, ratio=ratio, dw_size=dw_size)


def factorized_conv(*, channels: int = 256, out_channels: int | None = None, kernel_size: int = 3) -> nn.Module:
    """k×1 conv then 1×k conv (no bias, no norm between: the operator, as block:conv3x3 is)."""
    out = out_channels or channels
    k = kernel_size
    return nn.Sequential(nn.Conv2d(channels, out, (k, 1), padding=(k // 2, 0), bias=False),
                         nn.Conv2d(out, out, (1, k), padding=(0, k // 2), bias=False))


def context_module(*, channels: int = 256) -> nn.Module:
    """Basic context module (Yu & Koltun 2016, Table 1)."""
    return ContextModule(channels)
