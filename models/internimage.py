"""InternImage (Wang et al., "InternImage: Exploring Large-Scale Vision Foundation Models with Deformable
Convolutions", CVPR 2023), with DCNv3 written in plain PyTorch.

DCNv3 is the official repo's ``DCNv3_pytorch`` path: a channels-last input projection, a depthwise 3x3 conv →
LN → GELU branch that predicts per-group sampling offsets (2·G·K) and softmax-normalised modulation (G·K),
bilinear sampling with ``F.grid_sample`` at the K = 3x3 deformed points of each of G groups, a mask-weighted sum
over the points, and an output projection. The network follows ``classification/models/intern_image.py`` for
InternImage-T: 64 channels, depths (4, 4, 18, 4), groups (4, 8, 16, 32), MLP ratio 4, pre-norm with LayerNorm,
conv stem (two stride-2 3x3 convs), conv+LN down-sampling, a 1x1 conv (×1.5) → BN → GELU head before pooling.

Counting: the paper (Table 1) reports 30M params and 5G FLOPs (mult-adds) at 224. torch's FLOP counter has no
formula for ``grid_sampler_2d`` or for the mask-weighted sum (a ``mul`` and a ``sum``), so the static MACs
here cover the linear/conv parts only. The uncounted DCNv3 core costs, per output pixel and channel, K=9
modulation MACs plus bilinear interpolation of 9 points (4 taps each), ≈ 45·C·H·W per block: ≈ 0.1G in total
for InternImage-T at 224, i.e. about 2% of the published figure.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def dcnv3_core(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor, kernel: int, pad: int, dilation: int,
               groups: int, offset_scale: float) -> torch.Tensor:
    """Deformable sampling + modulated aggregation of DCNv3 (stride 1), channels-last.

    Args:
        x: (N, H, W, C) projected input.
        offset: (N, H, W, G·K·2) offsets in pixels, (x, y) per point, points ordered as in the official kernel.
        mask: (N, H, W, G·K) modulation weights (already softmax-normalised per group).
        kernel: kernel size k (K = k²); ``pad``/``dilation`` as for a convolution.
        groups: G; each group of C/G channels shares one set of sampling points.
        offset_scale: multiplier applied to the learned offsets and the regular grid.

    Returns:
        (N, H, W, C) aggregated features.
    """
    n, h, w, c = x.shape
    gc, k2 = c // groups, kernel * kernel
    x = F.pad(x, (0, 0, pad, pad, pad, pad))
    h_in, w_in = h + 2 * pad, w + 2 * pad
    # reference point of each output pixel: the centre of its kernel window in the padded input (pixel centres)
    half = dilation * (kernel - 1) // 2
    ref_y = torch.arange(h, dtype=x.dtype, device=x.device) + half + 0.5
    ref_x = torch.arange(w, dtype=x.dtype, device=x.device) + half + 0.5
    ref = torch.stack(torch.meshgrid(ref_x / w_in, ref_y / h_in, indexing="xy"), -1)  # (H, W, 2) as (x, y)
    # regular kernel grid; x is the slow index of the K points, matching the official meshgrid("ij") layout
    taps = torch.arange(kernel, dtype=x.dtype, device=x.device) * dilation - half
    gx, gy = torch.meshgrid(taps / w_in, taps / h_in, indexing="ij")
    grid = torch.stack([gx, gy], -1).reshape(1, 1, 1, 1, k2, 2)
    scale = x.new_tensor([w_in, h_in])
    loc = (ref.reshape(1, h, w, 1, 1, 2) + grid * offset_scale
           + offset.reshape(n, h, w, groups, k2, 2) * offset_scale / scale)  # normalised to [0, 1]
    # grid_sample wants [-1, 1] (align_corners=False) and one (H_out, W_out) grid per batch×group image
    loc = (2 * loc - 1).permute(0, 3, 1, 2, 4, 5).reshape(n * groups, h * w, k2, 2)
    feats = x.reshape(n, h_in * w_in, groups, gc).permute(0, 2, 3, 1).reshape(n * groups, gc, h_in, w_in)
    sampled = F.grid_sample(feats, loc, mode="bilinear", padding_mode="zeros", align_corners=False)
    # sampled: (N·G, C/G, H·W, K); weight the K points and sum
    weights = mask.reshape(n, h * w, groups, k2).permute(0, 2, 1, 3).reshape(n * groups, 1, h * w, k2)
    out = (sampled * weights).sum(-1)  # (N·G, C/G, H·W)
    return out.reshape(n, c, h * w).transpose(1, 2).reshape(n, h, w, c)


class DCNv3(nn.Module):
    """DCNv3 operator (channels-last in and out).

    Args:
        channels: C.
        groups: G (C/G channels per group).
        kernel: sampling kernel size.
        offset_scale: scale of the offsets.
    """

    def __init__(self, channels: int, groups: int, kernel: int = 3, offset_scale: float = 1.0) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"channels ({channels}) must be divisible by groups ({groups})")
        self.groups, self.kernel, self.offset_scale = groups, kernel, offset_scale
        self.dw_conv = nn.Conv2d(channels, channels, kernel, padding=(kernel - 1) // 2, groups=channels)
        self.dw_norm = nn.LayerNorm(channels, eps=1e-6)
        self.dw_act = nn.GELU()
        self.offset = nn.Linear(channels, groups * kernel * kernel * 2)
        self.mask = nn.Linear(channels, groups * kernel * kernel)
        self.input_proj = nn.Linear(channels, channels)
        self.output_proj = nn.Linear(channels, channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # the authors start from zero offsets and uniform modulation: a plain (averaging) 3x3 sampling
        for lin in (self.offset, self.mask):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        for lin in (self.input_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h, w, _ = x.shape
        value = self.input_proj(x)
        q = self.dw_act(self.dw_norm(self.dw_conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)))
        offset = self.offset(q)
        mask = F.softmax(self.mask(q).reshape(n, h, w, self.groups, -1), -1).reshape(n, h, w, -1)
        out = dcnv3_core(value, offset, mask, self.kernel, (self.kernel - 1) // 2, 1, self.groups, self.offset_scale)
        return self.output_proj(out)


class Mlp(nn.Sequential):
    """Linear → GELU → Linear on channels-last features."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class InternImageLayer(nn.Module):
    """Pre-norm block: x + DCNv3(LN(x)), then x + MLP(LN(x)) (channels-last)."""

    def __init__(self, channels: int, groups: int, mlp_ratio: float = 4.0, offset_scale: float = 1.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(channels, eps=1e-6)
        self.dcn = DCNv3(channels, groups, offset_scale=offset_scale)
        self.norm2 = nn.LayerNorm(channels, eps=1e-6)
        self.mlp = Mlp(channels, int(channels * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.dcn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Downsample(nn.Module):
    """3x3 stride-2 conv (no bias) doubling channels, then LN; channels-last in and out."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1, bias=False)
        self.norm = nn.LayerNorm(2 * channels, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


class Stem(nn.Module):
    """Two stride-2 3x3 convs (with bias) with LN, GELU between: (N, 3, H, W) → (N, H/4, W/4, C)."""

    def __init__(self, out_ch: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, out_ch // 2, 3, stride=2, padding=1)
        self.norm1 = nn.LayerNorm(out_ch // 2, eps=1e-6)
        self.act = nn.GELU()
        self.conv2 = nn.Conv2d(out_ch // 2, out_ch, 3, stride=2, padding=1)
        self.norm2 = nn.LayerNorm(out_ch, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.norm1(self.conv1(x).permute(0, 2, 3, 1)))
        return self.norm2(self.conv2(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))


class InternImage(nn.Module):
    """InternImage classifier (T/S/B configurations: pre-norm, no layer scale).

    Args:
        channels: width of the first stage (doubles per stage).
        depths: blocks per stage.
        groups: DCNv3 groups per stage.
        mlp_ratio: MLP expansion.
        cls_scale: width multiplier of the 1x1 conv head.
        num_classes: classifier outputs.
    """

    def __init__(self, channels: int = 64, depths: tuple[int, ...] = (4, 4, 18, 4),
                 groups: tuple[int, ...] = (4, 8, 16, 32), mlp_ratio: float = 4.0, cls_scale: float = 1.5,
                 offset_scale: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        self.patch_embed = Stem(channels)
        self.levels = nn.ModuleList()
        for i, (depth, g) in enumerate(zip(depths, groups)):
            ch = channels * 2**i
            level = nn.Sequential(*(InternImageLayer(ch, g, mlp_ratio, offset_scale) for _ in range(depth)),
                                  nn.LayerNorm(ch, eps=1e-6))
            if i < len(depths) - 1:
                level.append(Downsample(ch))
            self.levels.append(level)
        num_features = channels * 2 ** (len(depths) - 1)
        head_ch = int(num_features * cls_scale)
        self.conv_head = nn.Sequential(nn.Conv2d(num_features, head_ch, 1, bias=False), nn.BatchNorm2d(head_ch),
                                       nn.GELU())
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(head_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        for level in self.levels:
            x = level(x)
        x = self.conv_head(x.permute(0, 3, 1, 2))
        return self.head(torch.flatten(self.avgpool(x), 1))


def internimage_t(*, num_classes: int = 1000) -> InternImage:
    """InternImage-T: Table 1, 30M params, 5G FLOPs (mult-adds) at 224."""
    return InternImage(64, (4, 4, 18, 4), (4, 8, 16, 32), num_classes=num_classes)
