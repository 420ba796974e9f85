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

    def __init__(self, channels: int, groups: int, kernel: int = 3, offset_scale: float = 1.0,
                 dw_kernel: int | None = None, center_feature_scale: bool = False) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"channels ({channels}) must be divisible by groups ({groups})")
        self.groups, self.kernel, self.offset_scale = groups, kernel, offset_scale
        dw_kernel = dw_kernel or kernel
        self.dw_conv = nn.Conv2d(channels, channels, dw_kernel, padding=(dw_kernel - 1) // 2, groups=channels)
        self.dw_norm = nn.LayerNorm(channels, eps=1e-6)
        self.dw_act = nn.GELU()
        self.offset = nn.Linear(channels, groups * kernel * kernel * 2)
        self.mask = nn.Linear(channels, groups * kernel * kernel)
        self.input_proj = nn.Linear(channels, channels)
        self.output_proj = nn.Linear(channels, channels)
        # InternImage-H/G: a per-group sigmoid gate mixing the sampled features with the projected centre
        self.center_scale = nn.Linear(channels, groups) if center_feature_scale else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # the authors start from zero offsets and uniform modulation: a plain (averaging) 3x3 sampling
        for lin in (self.offset, self.mask):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        for lin in (self.input_proj, self.output_proj):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        if self.center_scale is not None:  # official init: zero weight and bias (gate = 0.5)
            nn.init.zeros_(self.center_scale.weight)
            nn.init.zeros_(self.center_scale.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h, w, _ = x.shape
        value = self.input_proj(x)
        q = self.dw_act(self.dw_norm(self.dw_conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)))
        offset = self.offset(q)
        mask = F.softmax(self.mask(q).reshape(n, h, w, self.groups, -1), -1).reshape(n, h, w, -1)
        out = dcnv3_core(value, offset, mask, self.kernel, (self.kernel - 1) // 2, 1, self.groups, self.offset_scale)
        if self.center_scale is not None:
            gate = torch.sigmoid(self.center_scale(q)).repeat_interleave(out.shape[-1] // self.groups, -1)
            out = out * (1 - gate) + value * gate
        return self.output_proj(out)


class Mlp(nn.Sequential):
    """Linear → GELU → Linear on channels-last features."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class InternImageLayer(nn.Module):
    """One block (channels-last), in the official code's three arrangements.

    Pre-norm (T): x + DCNv3(LN(x)), then x + MLP(LN(x)). Post-norm (S/B/L/XL): x + γ₁·LN(DCNv3(x)), then
    x + γ₂·LN(MLP(x)), with layer-scale vectors γ (``layer_scale``). Residual post-norm (H): x + LN(DCNv3(LN(x))),
    then x + LN(MLP(LN(x))).
    """

    def __init__(self, channels: int, groups: int, mlp_ratio: float = 4.0, offset_scale: float = 1.0,
                 post_norm: bool = False, layer_scale: float | None = None, dw_kernel: int | None = None,
                 res_post_norm: bool = False, center_feature_scale: bool = False) -> None:
        super().__init__()
        self.post_norm = post_norm
        self.norm1 = nn.LayerNorm(channels, eps=1e-6)
        self.dcn = DCNv3(channels, groups, offset_scale=offset_scale, dw_kernel=dw_kernel,
                         center_feature_scale=center_feature_scale)
        self.norm2 = nn.LayerNorm(channels, eps=1e-6)
        self.mlp = Mlp(channels, int(channels * mlp_ratio))
        self.gamma1 = nn.Parameter(torch.full((channels,), layer_scale)) if layer_scale is not None else None
        self.gamma2 = nn.Parameter(torch.full((channels,), layer_scale)) if layer_scale is not None else None
        self.res_norm1 = nn.LayerNorm(channels, eps=1e-6) if res_post_norm else None
        self.res_norm2 = nn.LayerNorm(channels, eps=1e-6) if res_post_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.post_norm:
            a, b = self.norm1(self.dcn(x)), None
        else:
            a = self.dcn(self.norm1(x))
            if self.res_norm1 is not None:
                a = self.res_norm1(a)
        x = x + (a if self.gamma1 is None else self.gamma1 * a)
        if self.post_norm:
            b = self.norm2(self.mlp(x))
        else:
            b = self.mlp(self.norm2(x))
            if self.res_norm2 is not None:
                b = self.res_norm2(b)
        return x + (b if self.gamma2 is None else self.gamma2 * b)


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


class AttentionPoolHead(nn.Module):
    """InternImage-H's CLIP-projector head: stage-4 features (1x1 conv to 4·D, pixel shuffle ×2) plus stage-3
    features (1x1 conv to D) as stride-16 tokens, one attention-pooling query (the token mean), out to ``out_dim``.

    Cross-attention as in the official ``AttentionPoolingBlock``: LN on query, keys and values separately,
    q/k/v projections with bias, ``heads`` heads, an output projection D → ``out_dim``, then LN.
    """

    def __init__(self, c3: int, c4: int, dim: int = 1024, heads: int = 16, out_dim: int = 768) -> None:
        super().__init__()
        self.heads = heads
        self.head_x4 = nn.Sequential(nn.Conv2d(c4, dim * 4, 1), nn.PixelShuffle(2))
        self.head_x3 = nn.Conv2d(c3, dim, 1)
        self.norm_q, self.norm_k, self.norm_v = (nn.LayerNorm(dim, eps=1e-6) for _ in range(3))
        self.q, self.k, self.v = (nn.Linear(dim, dim) for _ in range(3))
        self.proj = nn.Linear(dim, out_dim)
        self.fc_norm = nn.LayerNorm(out_dim, eps=1e-6)

    def forward(self, x3: torch.Tensor, x4: torch.Tensor) -> torch.Tensor:
        x = self.head_x4(x4) + self.head_x3(x3)  # (N, D, H/16, W/16)
        x = x.flatten(2).transpose(1, 2)  # (N, L, D)
        n, length, d = x.shape
        q = self.q(self.norm_q(x.mean(1, keepdim=True))).reshape(n, 1, self.heads, -1).transpose(1, 2)
        k = self.k(self.norm_k(x)).reshape(n, length, self.heads, -1).transpose(1, 2)
        v = self.v(self.norm_v(x)).reshape(n, length, self.heads, -1).transpose(1, 2)
        attn = torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, -1)
        out = (attn @ v).transpose(1, 2).reshape(n, d)
        return self.fc_norm(self.proj(out))


class InternImage(nn.Module):
    """InternImage classifier (official ``classification/models/intern_image.py`` options).

    Args:
        channels: width of the first stage (doubles per stage).
        depths: blocks per stage.
        groups: DCNv3 groups per stage.
        mlp_ratio: MLP expansion.
        cls_scale: width multiplier of the 1x1 conv head (T/S/B/L/XL).
        offset_scale: DCNv3 offset scale (no parameters).
        post_norm: post-norm blocks (S/B/L/XL); the stage-end LN is then dropped (kept with ``center_feature_scale``).
        layer_scale: initial value of the layer-scale vectors (``None`` = none).
        dw_kernel: kernel of DCNv3's depthwise offset branch (H: 5; default 3).
        res_post_norm: H's residual post-norm (an LN on each branch output).
        center_feature_scale: H's per-group centre gate in DCNv3.
        level2_post_norm_ids: H: blocks of stage 3 followed by an extra LN.
        clip_head: H's attention-pooling (CLIP projector) head instead of conv head + average pool.
        num_classes: classifier outputs.
    """

    def __init__(self, channels: int = 64, depths: tuple[int, ...] = (4, 4, 18, 4),
                 groups: tuple[int, ...] = (4, 8, 16, 32), mlp_ratio: float = 4.0, cls_scale: float = 1.5,
                 offset_scale: float = 1.0, num_classes: int = 1000, *, post_norm: bool = False,
                 layer_scale: float | None = None, dw_kernel: int | None = None, res_post_norm: bool = False,
                 center_feature_scale: bool = False, level2_post_norm_ids: tuple[int, ...] = (),
                 clip_head: bool = False) -> None:
        super().__init__()
        self.patch_embed = Stem(channels)
        self.levels = nn.ModuleList()
        for i, (depth, g) in enumerate(zip(depths, groups)):
            ch = channels * 2**i
            level = nn.Sequential()
            for j in range(depth):
                level.append(InternImageLayer(ch, g, mlp_ratio, offset_scale, post_norm, layer_scale, dw_kernel,
                                              res_post_norm, center_feature_scale))
                if i == 2 and j in level2_post_norm_ids:
                    level.append(nn.LayerNorm(ch, eps=1e-6))
            if not post_norm or center_feature_scale:
                level.append(nn.LayerNorm(ch, eps=1e-6))
            if i < len(depths) - 1:
                level.append(Downsample(ch))
            self.levels.append(level)
        num_features = channels * 2 ** (len(depths) - 1)
        if clip_head:
            self.clip_head: AttentionPoolHead | None = AttentionPoolHead(num_features // 2, num_features)
            self.conv_head = None
            self.head = nn.Linear(768, num_classes)
        else:
            self.clip_head = None
            head_ch = int(num_features * cls_scale)
            self.conv_head = nn.Sequential(nn.Conv2d(num_features, head_ch, 1, bias=False),
                                           nn.BatchNorm2d(head_ch), nn.GELU())
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.head = nn.Linear(head_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        if self.clip_head is not None:
            *early, last3, last = self.levels
            for level in early:
                x = level(x)
            x3 = last3[:-1](x)  # stage 3 before its down-sampling
            x4 = last(last3[-1](x3))
            return self.head(self.clip_head(x3.permute(0, 3, 1, 2), x4.permute(0, 3, 1, 2)))
        for level in self.levels:
            x = level(x)
        x = self.conv_head(x.permute(0, 3, 1, 2))
        return self.head(torch.flatten(self.avgpool(x), 1))


def internimage_t(*, num_classes: int = 1000) -> InternImage:
    """InternImage-T: Table 1, 30M params, 5G FLOPs (mult-adds) at 224."""
    return InternImage(64, (4, 4, 18, 4), (4, 8, 16, 32), num_classes=num_classes)


def internimage_s(*, num_classes: int = 1000) -> InternImage:
    """InternImage-S: Table 1, 50M params, 8G FLOPs at 224 (80 channels, depths 4-4-21-4, post-norm, layer scale)."""
    return InternImage(80, (4, 4, 21, 4), (5, 10, 20, 40), num_classes=num_classes, post_norm=True,
                       layer_scale=1e-5)


def internimage_b(*, num_classes: int = 1000) -> InternImage:
    """InternImage-B: Table 1, 97M params, 16G FLOPs at 224 (112 channels, depths 4-4-21-4)."""
    return InternImage(112, (4, 4, 21, 4), (7, 14, 28, 56), num_classes=num_classes, post_norm=True,
                       layer_scale=1e-5)


def internimage_l(*, num_classes: int = 1000) -> InternImage:
    """InternImage-L: Table 1, 223M params, 108G FLOPs at 384 (160 channels, depths 5-5-22-5, offset scale 2)."""
    return InternImage(160, (5, 5, 22, 5), (10, 20, 40, 80), offset_scale=2.0, num_classes=num_classes,
                       post_norm=True, layer_scale=1e-5)


def internimage_xl(*, num_classes: int = 1000) -> InternImage:
    """InternImage-XL: Table 1, 335M params, 163G FLOPs at 384 (192 channels, depths 5-5-24-5, offset scale 2)."""
    return InternImage(192, (5, 5, 24, 5), (12, 24, 48, 96), offset_scale=2.0, num_classes=num_classes,
                       post_norm=True, layer_scale=1e-5)


def internimage_h(*, num_classes: int = 1000) -> InternImage:
    """InternImage-H: Table 1, 1.08B params, 1478G FLOPs at 640 (320 channels, depths 6-6-32-6, groups
    10-20-40-80, depthwise 5x5 offset branch, residual post-norm, centre gate, extra LNs after stage-3 blocks
    5/11/17/23/29, attention-pooling CLIP-projector head)."""
    return InternImage(320, (6, 6, 32, 6), (10, 20, 40, 80), num_classes=num_classes, dw_kernel=5,
                       res_post_norm=True, center_feature_scale=True, level2_post_norm_ids=(5, 11, 17, 23, 29),
                       clip_head=True)
