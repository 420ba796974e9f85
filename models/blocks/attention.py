"""Attention blocks, each profiled on one feature map (default 1×256×56×56).

Every builder is keyword-only, takes ``channels`` (the input's C) plus the block's own knobs with the
paper's defaults, and returns an ``nn.Module`` mapping (N, C, H, W) → (N, C, H, W) — except CSRA,
which is a classification head and returns class logits (N, num_classes). Everything here traces on
the ``meta`` device (no data-dependent Python control flow, no ``.item()``).

Papers (title, year; the equation/figure followed):
    SE        Squeeze-and-Excitation Networks (Hu et al., CVPR 2018).
    CBAM      CBAM: Convolutional Block Attention Module (Woo et al., ECCV 2018), Eq. 2-3.
    BAM       BAM: Bottleneck Attention Module (Park et al., BMVC 2018).
    ECA       ECA-Net: Efficient Channel Attention for Deep CNNs (Wang et al., CVPR 2020).
    CA        Coordinate Attention for Efficient Mobile Network Design (Hou et al., CVPR 2021), Fig. 2(c).
    GC        GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond (Cao et al., ICCVW 2019).
    SK        Selective Kernel Networks (Li et al., CVPR 2019) — the operator lives in ``conv.py`` (SKConv).
    Non-local Non-local Neural Networks (Wang et al., CVPR 2018), embedded-Gaussian form, Fig. 2.
    CC        CCNet: Criss-Cross Attention for Semantic Segmentation (Huang et al., ICCV 2019).
    DANet     Dual Attention Network for Scene Segmentation (Fu et al., CVPR 2019), PAM and CAM.
    SGE       Spatial Group-wise Enhance (Li, Hu, Yang, arXiv 2019).
    CSRA      Residual Attention: A Simple but Effective Method for Multi-Label Recognition (Zhu & Wu, ICCV 2021).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from cnnbench_models.blocks.conv import SKConv

__all__ = [
    "BAM",
    "CBAM",
    "CSRA",
    "ECA",
    "SE",
    "SGE",
    "ChannelAttention",
    "CoordAttention",
    "CrissCrossAttention",
    "GlobalContext",
    "NonLocal",
    "PositionAttention",
    "RecurrentCrissCross",
    "bam",
    "cbam",
    "coord_attention",
    "criss_cross",
    "csra",
    "danet_cam",
    "danet_pam",
    "eca",
    "gc",
    "non_local",
    "rcca",
    "se",
    "sge",
    "sk",
]


class SE(nn.Module):
    """Squeeze-and-Excitation: GAP → FC(C→C/r) → ReLU → FC(C/r→C) → sigmoid → channel rescale.

    FCs are 1×1 convs with bias (as in the paper's Caffe release), so params = 2·C²/r + C/r + C.
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(w))))


class _CBAMChannelGate(nn.Module):
    """Shared MLP over avg- and max-pooled descriptors (CBAM Eq. 2)."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = self.mlp(F.adaptive_avg_pool2d(x, 1).flatten(1))
        mx = self.mlp(F.adaptive_max_pool2d(x, 1).flatten(1))
        return x * torch.sigmoid(avg + mx)[:, :, None, None]


class _CBAMSpatialGate(nn.Module):
    """7×7 conv (+BN, as in the official code) over [mean_c, max_c] (CBAM Eq. 3)."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.bn(self.conv(pooled)))


class CBAM(nn.Module):
    """Channel gate then spatial gate, applied sequentially."""

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7) -> None:
        super().__init__()
        self.channel = _CBAMChannelGate(channels, reduction)
        self.spatial = _CBAMSpatialGate(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial(self.channel(x))


class BAM(nn.Module):
    """BAM: ``F' = F + F ⊗ σ(Mc(F) + Ms(F))``.

    The channel branch is GAP → FC → BN → ReLU → FC; the spatial branch is 1×1 reduce → two dilated 3×3
    (d=4) → 1×1 to one map, all convs with bias and BN+ReLU between (official code). The paper sums the
    two branches; one official commit multiplies them — same cost either way.
    """

    def __init__(self, channels: int, reduction: int = 16, dilation: int = 4, num_dilated: int = 2) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.channel = nn.Sequential(
            nn.Linear(channels, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels)
        )
        layers: list[nn.Module] = [nn.Conv2d(channels, hidden, 1), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True)]
        for _ in range(num_dilated):
            layers += [nn.Conv2d(hidden, hidden, 3, padding=dilation, dilation=dilation),
                       nn.BatchNorm2d(hidden), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(hidden, 1, 1))
        self.spatial = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mc = self.channel(F.adaptive_avg_pool2d(x, 1).flatten(1))[:, :, None, None]
        ms = self.spatial(x)
        return x + x * torch.sigmoid(mc + ms)


def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """ECA's adaptive kernel size ``k = |log2(C)/γ + b/γ|_odd`` (ECA-Net)."""
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


class ECA(nn.Module):
    """Efficient Channel Attention: GAP → 1-D conv of size k across channels (no bias) → sigmoid."""

    def __init__(self, channels: int, kernel_size: int | None = None) -> None:
        super().__init__()
        k = kernel_size or eca_kernel_size(channels)
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = F.adaptive_avg_pool2d(x, 1).flatten(1)[:, None, :]  # (N, 1, C): channels become the 1-D axis
        w = torch.sigmoid(self.conv(w)).transpose(1, 2)[..., None]
        return x * w


class CoordAttention(nn.Module):
    """Coordinate attention: pool along H and W, shared 1×1 (+BN, h-swish), two 1×1 → two sigmoid maps.

    ``mip = max(8, C // reduction)`` with reduction 32 (official code); convs carry bias.
    """

    def __init__(self, channels: int, out_channels: int | None = None, reduction: int = 32) -> None:
        super().__init__()
        out_channels = out_channels or channels
        mip = max(8, channels // reduction)
        self.conv1 = nn.Conv2d(channels, mip, 1)
        self.bn1 = nn.BatchNorm2d(mip)
        self.act = nn.Hardswish()
        self.conv_h = nn.Conv2d(mip, out_channels, 1)
        self.conv_w = nn.Conv2d(mip, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x_h = x.mean(dim=3, keepdim=True)  # (N, C, H, 1)
        x_w = x.mean(dim=2, keepdim=True).transpose(2, 3)  # (N, C, W, 1)
        y = self.act(self.bn1(self.conv1(torch.cat([x_h, x_w], dim=2))))
        y_h, y_w = torch.split(y, [h, w], dim=2)
        a_h = torch.sigmoid(self.conv_h(y_h))
        a_w = torch.sigmoid(self.conv_w(y_w.transpose(2, 3)))
        return x * a_h * a_w


class GlobalContext(nn.Module):
    """GC block: softmax-attention pooling (1×1 conv → softmax over HW) then a bottleneck transform
    (1×1 → LayerNorm → ReLU → 1×1), fused by addition (GCNet Fig. 4(d))."""

    def __init__(self, channels: int, ratio: float = 1 / 16) -> None:
        super().__init__()
        hidden = max(1, int(channels * ratio))
        self.mask = nn.Conv2d(channels, 1, 1)
        self.transform = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.LayerNorm([hidden, 1, 1]), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        attn = torch.softmax(self.mask(x).view(n, 1, h * w), dim=-1)  # (N, 1, HW)
        context = torch.bmm(x.view(n, c, h * w), attn.transpose(1, 2)).view(n, c, 1, 1)
        return x + self.transform(context)


class NonLocal(nn.Module):
    """Embedded-Gaussian non-local block: ``z = W_z · softmax(θ(x)ᵀφ(x)) g(x) + x``.

    θ, φ, g are 1×1 convs to C/2 (with bias); W_z is 1×1 back to C followed by BN whose γ starts at 0
    so the block starts as identity (as the paper does). ``sub_sample`` max-pools φ and g by 2 (the
    paper's cheaper variant); default off.
    """

    def __init__(self, channels: int, inter_channels: int | None = None, sub_sample: bool = False) -> None:
        super().__init__()
        inter = inter_channels or max(1, channels // 2)
        self.theta = nn.Conv2d(channels, inter, 1)
        self.phi = nn.Conv2d(channels, inter, 1)
        self.g = nn.Conv2d(channels, inter, 1)
        self.pool = nn.MaxPool2d(2) if sub_sample else nn.Identity()
        self.w = nn.Sequential(nn.Conv2d(inter, channels, 1), nn.BatchNorm2d(channels))
        nn.init.zeros_(self.w[1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        q = self.theta(x).flatten(2).transpose(1, 2)  # (N, HW, C')
        k = self.pool(self.phi(x)).flatten(2)  # (N, C', HW')
        v = self.pool(self.g(x)).flatten(2).transpose(1, 2)  # (N, HW', C')
        attn = torch.softmax(torch.bmm(q, k), dim=-1)
        y = torch.bmm(attn, v).transpose(1, 2).reshape(n, -1, h, w)
        return x + self.w(y)


class _QKVAttention(nn.Module):
    """Query/key 1×1 convs to C/``reduction``, value 1×1 to C (all with bias), and a residual scale γ (init 0)."""

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        inter = max(1, channels // reduction)
        self.query = nn.Conv2d(channels, inter, 1)
        self.key = nn.Conv2d(channels, inter, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))


class CrissCrossAttention(_QKVAttention):
    """CCNet criss-cross attention: each pixel attends to its row and column (H + W − 1 positions).

    Query/key are 1×1 convs to C/8, value 1×1 to C (all with bias); a learnable γ (init 0) scales the
    result added to the input. The self position is masked out of the column term so it is counted once.
    Applied once here; the paper's RCCA recurs R=2 times with shared weights: :class:`RecurrentCrissCross`.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.shape[2]
        q, k, v = self.query(x), self.key(x), self.value(x)
        e_h = torch.einsum("nchw,ncgw->nhwg", q, k)  # column: pixel (h,w) vs (g,w)
        self_mask = torch.eye(h, dtype=torch.bool, device=x.device)[:, None, :]  # (H, 1, H): g == h
        e_h = e_h.masked_fill(self_mask, float("-inf"))
        e_w = torch.einsum("nchw,nchv->nhwv", q, k)  # row: pixel (h,w) vs (h,v)
        attn = torch.softmax(torch.cat([e_h, e_w], dim=-1), dim=-1)
        a_h, a_w = attn[..., :h], attn[..., h:]
        out = torch.einsum("nhwg,ncgw->nchw", a_h, v) + torch.einsum("nhwv,nchv->nchw", a_w, v)
        return self.gamma * out + x


class RecurrentCrissCross(nn.Module):
    """RCCA's recurrence: one criss-cross module applied R times (R = 2: every pixel sees every pixel).

    Weights are shared across the loops, so params equal block:criss_cross's and the attention cost doubles.
    The RCCA head's reduce/fuse 3×3 convs around the loop (CCNet Fig. 3) are not part of this block.
    """

    def __init__(self, channels: int, recurrence: int = 2) -> None:
        super().__init__()
        self.cca = CrissCrossAttention(channels)
        self.recurrence = recurrence

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.recurrence):
            x = self.cca(x)
        return x


class PositionAttention(_QKVAttention):
    """DANet position attention module (PAM): full HW×HW self-attention, query/key at C/8, γ init 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2).transpose(1, 2)  # (N, HW, C')
        k = self.key(x).flatten(2)  # (N, C', HW)
        attn = torch.softmax(torch.bmm(q, k), dim=-1)  # (N, HW, HW)
        out = torch.bmm(self.value(x).flatten(2), attn.transpose(1, 2)).view(n, c, h, w)
        return self.gamma * out + x


class ChannelAttention(nn.Module):
    """DANet channel attention module (CAM): C×C Gram-matrix attention, no convs, one γ (init 0).

    Uses the official code's ``max(E) − E`` before the softmax (it changes no count).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat = x.flatten(2)  # (N, C, HW)
        energy = torch.bmm(flat, flat.transpose(1, 2))  # (N, C, C)
        energy = energy.amax(dim=-1, keepdim=True) - energy
        out = torch.bmm(torch.softmax(energy, dim=-1), flat).view(n, c, h, w)
        return self.gamma * out + x


class SGE(nn.Module):
    """Spatial Group-wise Enhance: per group, similarity of each position to the group's mean vector,
    normalised over space, scaled by a per-group (γ, β) and used as a sigmoid spatial gate.

    Params = 2·groups (γ init 0, β init 1 as in the official code).
    """

    def __init__(self, channels: int, groups: int = 64) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f"SGE needs channels ({channels}) divisible by groups ({groups})")
        self.groups = groups
        self.weight = nn.Parameter(torch.zeros(1, groups, 1, 1))
        self.bias = nn.Parameter(torch.ones(1, groups, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        xg = x.reshape(n * self.groups, c // self.groups, h, w)
        t = (xg * xg.mean(dim=(2, 3), keepdim=True)).sum(dim=1).view(n, self.groups, h * w)
        t = (t - t.mean(dim=-1, keepdim=True)) / (t.std(dim=-1, keepdim=True) + 1e-5)
        t = t.view(n, self.groups, h, w) * self.weight + self.bias
        return (xg * torch.sigmoid(t.view(n * self.groups, 1, h, w))).view(n, c, h, w)


class CSRA(nn.Module):
    """Class-specific residual attention head: maps a feature map to class logits (N, num_classes).

    A 1×1 conv (no bias) scores every position for every class, normalised by each class's weight
    norm; logits = mean over positions (base) + λ · softmax(T·score)-weighted sum (attention);
    T=99 means max pooling (paper and official code). One head; the paper's multi-head variant
    sums several with different T.
    """

    def __init__(self, channels: int, num_classes: int = 1000, temperature: float = 1.0, lam: float = 0.1) -> None:
        super().__init__()
        self.head = nn.Conv2d(channels, num_classes, 1, bias=False)
        self.temperature = temperature
        self.lam = lam

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = self.head.weight.flatten(1).norm(dim=1)[None, :, None]  # (1, K, 1)
        score = self.head(x).flatten(2) / norm  # (N, K, HW)
        base = score.mean(dim=2)
        if self.temperature == 99:
            att = score.amax(dim=2)
        else:
            att = (score * torch.softmax(score * self.temperature, dim=2)).sum(dim=2)
        return base + self.lam * att


# ----------------------------------------------------------------------------- builders (registry entry points)

def se(*, channels: int = 256, reduction: int = 16) -> nn.Module:
    """SE block (reduction 16)."""
    return SE(channels, reduction)


def cbam(*, channels: int = 256, reduction: int = 16, kernel_size: int = 7) -> nn.Module:
    """CBAM (reduction 16, 7×7 spatial kernel)."""
    return CBAM(channels, reduction, kernel_size)


def bam(*, channels: int = 256, reduction: int = 16, dilation: int = 4) -> nn.Module:
    """BAM (reduction 16, dilation 4)."""
    return BAM(channels, reduction, dilation)


def eca(*, channels: int = 256, kernel_size: int | None = None) -> nn.Module:
    """ECA with the adaptive kernel size (k=5 at C=256)."""
    return ECA(channels, kernel_size)


def coord_attention(*, channels: int = 256, reduction: int = 32) -> nn.Module:
    """Coordinate attention (reduction 32)."""
    return CoordAttention(channels, reduction=reduction)


def gc(*, channels: int = 256, ratio: float = 1 / 16) -> nn.Module:
    """Global context block (ratio 1/16)."""
    return GlobalContext(channels, ratio)


def sk(*, channels: int = 256, branches: int = 2, groups: int = 32, reduction: int = 16, min_dim: int = 32
       ) -> nn.Module:
    """Selective-kernel unit as attention over M=2 branches (3×3 and dilated 3×3), SKNet-50 setting."""
    return SKConv(channels, branches=branches, groups=groups, reduction=reduction, min_dim=min_dim)


def non_local(*, channels: int = 256, sub_sample: bool = False) -> nn.Module:
    """Embedded-Gaussian non-local block, inter channels C/2."""
    return NonLocal(channels, sub_sample=sub_sample)


def criss_cross(*, channels: int = 256) -> nn.Module:
    """One criss-cross attention (CCNet)."""
    return CrissCrossAttention(channels)


def rcca(*, channels: int = 256, recurrence: int = 2) -> nn.Module:
    """Criss-cross attention applied twice with shared weights (CCNet's RCCA, R = 2)."""
    return RecurrentCrissCross(channels, recurrence)


def danet_pam(*, channels: int = 256) -> nn.Module:
    """DANet position attention module."""
    return PositionAttention(channels)


def danet_cam(*, channels: int = 256) -> nn.Module:
    """DANet channel attention module."""
    return ChannelAttention(channels)


def sge(*, channels: int = 256, groups: int = 64) -> nn.Module:
    """Spatial group-wise enhance (64 groups)."""
    return SGE(channels, groups)


def csra(*, channels: int = 256, num_classes: int = 1000, temperature: float = 1.0, lam: float = 0.1) -> nn.Module:
    """CSRA head: feature map → (N, num_classes) logits."""
    return CSRA(channels, num_classes, temperature, lam)
