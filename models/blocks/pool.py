"""Pooling operators, each profiled on one feature map (default 1×256×56×56).

Local pools use a 2×2 window, stride 2 (56→28) unless the paper defines otherwise. SPP and the three
bilinear pools are global: they return a vector (N, D); low-rank bilinear pooling is a classifier and
returns class scores (N, num_classes). All trace on ``meta`` (random draws use ``torch.rand``).

Papers (title, year; what was followed):
    Lp            Convolutional Neural Networks Applied to House Numbers Digit Classification
                  (Sermanet, Chintala, LeCun, ICPR 2012), L2 pooling: p fixed at 2.
    Learned Lp    Learned-Norm Pooling for Deep Feedforward and Recurrent Neural Networks (Gulcehre et al.,
                  ECML 2014): p = 1 + softplus(ρ) learned per channel, normalised (mean) Lp, no centre c.
    Alpha         Alpha-Pooling for Convolutional Neural Networks (Simon et al., arXiv 2017): one learned α
                  between average (α = 1) and bilinear (α = 2) pooling: Σᵢ |xᵢ|^(α−1) xᵢᵀ / HW, signed sqrt, L2.
    GNAP          Global Norm-Aware Pooling for Pose-Robust Face Recognition at Low False Positive Rate
                  (Chen et al., arXiv 2018): BN → each position reweighted by mean‖x‖/‖xᵢ‖ → GAP → BN.
    Stochastic    Stochastic Pooling for Regularization of Deep CNNs (Zeiler & Fergus, ICLR 2013).
    Mixed/gated   Generalizing Pooling Functions in CNNs: Mixed, Gated, and Tree (Lee, Gallagher, Tu,
                  AISTATS 2016), "mixed max-average" (one α per layer) and "gated" (one k²-vector per layer).
    Tree          Same paper, tree pooling of level 2: two leaf pooling filters v₁, v₂ and one root gating mask
                  ω (each k², learned, shared by all channels): σ(ωᵀx)·v₁ᵀx + (1 − σ(ωᵀx))·v₂ᵀx.
    Fractional    Fractional Max-Pooling (Graham, arXiv 2014), α = √2.
    SPP           Spatial Pyramid Pooling in Deep CNNs for Visual Recognition (He et al., ECCV 2014),
                  the 4-level {6,3,2,1} pyramid of the classification experiments (50 bins).
    DPP           Detail-Preserving Pooling in Deep Networks (Saeedan et al., CVPR 2018).
    Bilinear      Bilinear CNN Models for Fine-grained Visual Recognition (Lin et al., ICCV 2015).
    Improved      Improved Bilinear Pooling with CNNs (Lin & Maji, BMVC 2017): the bilinear matrix's square root
                  by Newton–Schulz iterations, then element-wise signed sqrt and L2.
    Compact       Compact Bilinear Pooling (Gao et al., CVPR 2016), Tensor Sketch, d = 8192.
    Low-rank      Low-rank Bilinear Pooling for Fine-Grained Classification (Kong & Fowlkes, CVPR 2017).
"""

from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "GNAP",
    "AlphaPool",
    "BilinearPool",
    "CompactBilinearPool",
    "DetailPreservingPool2d",
    "GatedPool2d",
    "ImprovedBilinearPool",
    "LearnedLpPool2d",
    "LowRankBilinearPool",
    "MixedPool2d",
    "SpatialPyramidPool",
    "StochasticPool2d",
    "TreePool2d",
    "alpha_pool",
    "avg_pool",
    "bilinear_pool",
    "compact_bilinear_pool",
    "dpp",
    "fractional_max_pool",
    "gated_pool",
    "gnap",
    "improved_bilinear_pool",
    "low_rank_bilinear_pool",
    "lp_pool",
    "lp_pool_learned",
    "max_pool",
    "mixed_pool",
    "spp",
    "stochastic_pool",
    "tree_pool",
]


def _out_size(size: int, k: int, s: int) -> int:
    return (size - k) // s + 1


class StochasticPool2d(nn.Module):
    """Stochastic pooling.

    Training: in each window, pick activation a_i with probability p_i = a_i / Σ_j a_j (inverse-CDF
    sampling with one uniform draw per window). Eval: the paper's probabilistic weighting Σ_i p_i a_i.
    Probabilities use max(a, 0): the paper applies it to ReLU outputs; an all-zero window gives 0 in eval
    and its first element in training.
    """

    def __init__(self, kernel_size: int = 2, stride: int | None = None, eps: float = 1e-12) -> None:
        super().__init__()
        self.k, self.s, self.eps = kernel_size, stride or kernel_size, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        oh, ow = _out_size(h, self.k, self.s), _out_size(w, self.k, self.s)
        patches = F.unfold(x, self.k, stride=self.s).view(n, c, self.k * self.k, oh * ow)
        a = patches.clamp(min=0)
        total = a.sum(dim=2, keepdim=True)
        if self.training:
            u = torch.rand_like(total) * total
            idx = (a.cumsum(dim=2) < u).sum(dim=2, keepdim=True).clamp(max=self.k * self.k - 1)
            out = patches.gather(2, idx)
        else:
            out = (a * patches).sum(dim=2, keepdim=True) / total.clamp(min=self.eps)
        return out.view(n, c, oh, ow)


class MixedPool2d(nn.Module):
    """``a·max + (1 − a)·avg`` with one learned a ∈ [0, 1] per layer (init 0.5)."""

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.k, self.s = kernel_size, stride or kernel_size
        self.a = nn.Parameter(torch.tensor(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.a.clamp(0, 1)
        return a * F.max_pool2d(x, self.k, self.s) + (1 - a) * F.avg_pool2d(x, self.k, self.s)


class GatedPool2d(nn.Module):
    """Gated max-average pooling: the mix is ``σ(ωᵀ x_window)``, ω ∈ R^{k²} shared by all channels.

    The gate is a k×k stride-k conv on every channel separately (batch and channel folded together).
    """

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.k, self.s = kernel_size, stride or kernel_size
        self.gate = nn.Conv2d(1, 1, kernel_size, self.s, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = self.gate(x.reshape(n * c, 1, h, w))
        g = torch.sigmoid(g).view(n, c, g.shape[-2], g.shape[-1])
        return g * F.max_pool2d(x, self.k, self.s) + (1 - g) * F.avg_pool2d(x, self.k, self.s)


class TreePool2d(nn.Module):
    """Tree pooling, level 2: leaves ``v₁ᵀx``, ``v₂ᵀx`` mixed at the root by the gate ``σ(ωᵀx)`` (x: one k×k
    window of one channel). v₁, v₂, ω ∈ R^{k²} are learned and shared by all channels (3k² parameters); the three
    responses are one k×k stride-s conv with three outputs on every channel separately, as in block:gated_pool.
    """

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.k, self.s = kernel_size, stride or kernel_size
        self.nodes = nn.Conv2d(1, 3, kernel_size, self.s, bias=False)  # v₁, v₂, ω
        nn.init.constant_(self.nodes.weight, 1.0 / kernel_size**2)  # leaves start as average pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        r = self.nodes(x.reshape(n * c, 1, h, w))
        gate = torch.sigmoid(r[:, 2:3])
        y = gate * r[:, 0:1] + (1 - gate) * r[:, 1:2]
        return y.view(n, c, r.shape[-2], r.shape[-1])


class SpatialPyramidPool(nn.Module):
    """Max-pool into fixed grids (6×6, 3×3, 2×2, 1×1) and concatenate: (N, C·Σ l²) whatever H, W."""

    def __init__(self, levels: tuple[int, ...] = (6, 3, 2, 1)) -> None:
        super().__init__()
        self.levels = tuple(levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.adaptive_max_pool2d(x, lv).flatten(1) for lv in self.levels], dim=1)


class DetailPreservingPool2d(nn.Module):
    """Detail-preserving pooling: an adaptive weighted mean that favours pixels unlike their neighbourhood.

    ``out_p = Σ_q w_q I_q / Σ_q w_q`` over the window, ``w_q = α + ρ_λ(I_q − Ĩ_p)``, with the symmetric
    reward ``ρ(d) = (√(d² + ε²))^λ`` (or the asymmetric one, which rewards only brighter pixels). Ĩ is
    a linearly downscaled I: a learned 3×3 filter (init binomial [1,2,1]ᵀ[1,2,1]/16, shared across
    channels) applied with the pool's stride. α ≥ 0 and λ ≥ 0 are learned per channel; init α=1, λ=0
    makes it start as average pooling. Params = 2C + 9.
    """

    def __init__(self, channels: int, kernel_size: int = 2, stride: int | None = None, symmetric: bool = True,
                 eps: float = 1e-3) -> None:
        super().__init__()
        self.k, self.s, self.symmetric, self.eps = kernel_size, stride or kernel_size, symmetric, eps
        self.alpha = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.lam = nn.Parameter(torch.zeros(1, channels, 1, 1))
        binomial = torch.tensor([1.0, 2.0, 1.0])
        self.filter = nn.Parameter((binomial[:, None] * binomial[None, :] / 16).view(1, 1, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        oh, ow = _out_size(h, self.k, self.s), _out_size(w, self.k, self.s)
        patches = F.unfold(x, self.k, stride=self.s).view(n, c, self.k * self.k, oh * ow)
        tilde = F.conv2d(x, self.filter.expand(c, 1, 3, 3), stride=self.s, padding=1, groups=c)
        tilde = tilde[:, :, :oh, :ow].reshape(n, c, 1, oh * ow)
        d = patches - tilde
        if not self.symmetric:
            d = d.clamp(min=0)
        lam = self.lam.clamp(min=0).view(1, c, 1, 1)
        weights = self.alpha.clamp(min=0).view(1, c, 1, 1) + torch.pow(torch.sqrt(d * d + self.eps**2), lam)
        return ((weights * patches).sum(dim=2) / weights.sum(dim=2)).view(n, c, oh, ow)


def _signed_sqrt_l2(v: torch.Tensor) -> torch.Tensor:
    """The B-CNN normalisation: y = sign(v)·√|v|, then y / ‖y‖₂."""
    v = torch.sign(v) * torch.sqrt(v.abs() + 1e-12)
    return F.normalize(v, dim=1)


class BilinearPool(nn.Module):
    """Full bilinear pooling: ``B = X Xᵀ / HW`` (C×C), flattened, signed sqrt, L2 → (N, C²)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        flat = x.flatten(2)
        gram = torch.bmm(flat, flat.transpose(1, 2)) / (h * w)
        return _signed_sqrt_l2(gram.flatten(1))


class ImprovedBilinearPool(nn.Module):
    """Improved bilinear pooling → (N, C²): ``A = X Xᵀ / HW``, its matrix square root by ``iterations`` coupled
    Newton–Schulz steps on ``A / ‖A‖_F`` (``Y ← ½Y(3I − ZY)``, ``Z ← ½(3I − ZY)Z``, then ``Y·√‖A‖_F``), then
    element-wise signed sqrt and L2. No parameters; each step is three C×C matrix products (3·C³ MACs).
    """

    def __init__(self, iterations: int = 5, eps: float = 1e-12) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"Newton-Schulz needs at least one iteration, got {iterations}")
        self.iterations, self.eps = iterations, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        flat = x.flatten(2)
        a = torch.bmm(flat, flat.transpose(1, 2)) / (h * w)
        norm = a.flatten(1).norm(dim=1).clamp_min(self.eps).view(n, 1, 1)
        eye = torch.eye(c, dtype=x.dtype, device=x.device).expand(n, c, c)
        y, z = a / norm, eye
        for _ in range(self.iterations):
            t = 0.5 * (3.0 * eye - torch.bmm(z, y))
            y, z = torch.bmm(y, t), torch.bmm(t, z)
        return _signed_sqrt_l2((y * norm.sqrt()).flatten(1))


class AlphaPool(nn.Module):
    """α-pooling: ``Γ = Σᵢ |xᵢ|^(α−1) xᵢᵀ / HW`` (C×C), one learned α, then signed sqrt + L2 → (N, C²).

    α = 1 gives average pooling (every row of Γ is the mean feature), α = 2 bilinear pooling of |x| and x;
    α is initialised at 1.5 here (between the two). The C×C product costs what block:bilinear_pool's does.
    """

    def __init__(self, alpha: float = 1.5) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(float(alpha)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        flat = x.flatten(2)
        weight = (flat.abs() + 1e-6).pow(self.alpha - 1)
        gamma = torch.bmm(weight, flat.transpose(1, 2)) / (h * w)
        return _signed_sqrt_l2(gamma.flatten(1))


class GNAP(nn.Module):
    """Global norm-aware pooling → (N, C): positions with a small feature norm are up-weighted.

    ``y = BN₁(GAP(z · mean‖z‖ / ‖zᵢ‖))`` with ``z = BN₂(x)``; ‖zᵢ‖ is the L2 norm over channels at position i
    and the mean is over the positions of each sample. Parameters: the map's BN (2C); the vector's BN is
    without affine (MobileFaceNet/InsightFace use fixed-γ BNs).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bn_map = nn.BatchNorm2d(channels)
        self.bn_vec = nn.BatchNorm1d(channels, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.bn_map(x)
        norm = torch.sqrt((z * z).sum(dim=1, keepdim=True) + 1e-12)  # (N, 1, H, W)
        z = z * (norm.mean(dim=(2, 3), keepdim=True) / norm)
        return self.bn_vec(z.mean(dim=(2, 3)))


class LearnedLpPool2d(nn.Module):
    """Learned-norm pooling: ``(mean over the window |x|^p)^(1/p)``, p = 1 + softplus(ρ) per channel (C params).

    ρ is initialised so that p = 2 (the fixed-p block:lp_pool's value, up to its sum-vs-mean scale 4^(1/2)).
    """

    def __init__(self, channels: int, kernel_size: int = 2, stride: int | None = None, p_init: float = 2.0) -> None:
        super().__init__()
        self.k, self.s = kernel_size, stride or kernel_size
        rho = math.log(math.expm1(p_init - 1))  # softplus⁻¹(p − 1)
        self.rho = nn.Parameter(torch.full((channels,), rho))

    @property
    def p(self) -> torch.Tensor:
        return 1 + F.softplus(self.rho)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.p.view(1, -1, 1, 1)
        m = F.avg_pool2d((x.abs() + 1e-6).pow(p), self.k, self.s)
        return m.pow(1 / p)


class CompactBilinearPool(nn.Module):
    """Tensor Sketch approximation of bilinear pooling: (N, d), d ≪ C².

    Two fixed count sketches (hash h: [C] → [d], sign s: [C] → ±1, drawn once from ``seed``) of each
    position's feature; their circular convolution (via FFT) sketches the outer product. Sum pooling
    over positions commutes with the inverse FFT, so one irFFT is done after the sum. Then signed
    sqrt and L2. No learnable parameters. Note: count sketch is a scatter-add and FFTs have no MAC
    formula in torch's flop counter, so the MAC count of this block undercounts the FFT work
    (≈ 2·HW·d·log2(d) real multiply-adds per sketch).
    """

    def __init__(self, channels: int, dim: int = 8192, seed: int = 0) -> None:
        super().__init__()
        self.dim = dim
        rng = random.Random(seed)  # Python RNG: the buffers are reproducible and also build on `meta`
        for i in (1, 2):
            self.register_buffer(f"h{i}", torch.tensor([rng.randrange(dim) for _ in range(channels)]))
            self.register_buffer(f"s{i}", torch.tensor([rng.choice((-1.0, 1.0)) for _ in range(channels)]))

    def _sketch(self, flat: torch.Tensor, h: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        n, hw, _ = flat.shape
        return flat.new_zeros(n, hw, self.dim).index_add_(2, h, flat * s)

    def tensor_sketch(self, x: torch.Tensor) -> torch.Tensor:
        """Σ over positions of the Tensor Sketch of x_p ⊗ x_p, before normalisation: (N, d)."""
        flat = x.flatten(2).transpose(1, 2)  # (N, HW, C)
        f1 = torch.fft.rfft(self._sketch(flat, self.h1, self.s1), dim=-1)
        f2 = torch.fft.rfft(self._sketch(flat, self.h2, self.s2), dim=-1)
        return torch.fft.irfft((f1 * f2).sum(dim=1), n=self.dim, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _signed_sqrt_l2(self.tensor_sketch(x))


class LowRankBilinearPool(nn.Module):
    """Low-rank bilinear classifier (LRBP): class k scores ``‖U_kᵀX‖² − ‖V_kᵀX‖²`` (mean over positions)
    with ``W_k = U_k U_kᵀ − V_k V_kᵀ`` of rank r; X first reduced to m channels by a shared 1×1 conv.

    Defaults follow the paper's CUB setting: m = 100, r = 8 (4 + 4), 200 classes; plus one bias per
    class. Returns class scores (N, num_classes). Params = C·m + m·K·r + K.
    """

    def __init__(self, channels: int, num_classes: int = 200, reduced: int = 100, rank: int = 8) -> None:
        super().__init__()
        if rank % 2:
            raise ValueError("rank must be even (half U, half V)")
        self.num_classes, self.rank = num_classes, rank
        self.reduce = nn.Conv2d(channels, reduced, 1, bias=False)
        self.project = nn.Conv2d(reduced, num_classes * rank, 1, bias=False)
        self.bias = nn.Parameter(torch.zeros(num_classes))
        self.register_buffer("sign", torch.tensor([1.0] * (rank // 2) + [-1.0] * (rank // 2)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.project(self.reduce(x))
        energy = (z * z).mean(dim=(2, 3)).view(x.shape[0], self.num_classes, self.rank)
        return (energy * self.sign).sum(dim=-1) + self.bias


# ----------------------------------------------------------------------------- builders (registry entry points)

def max_pool(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Max pooling 2×2/2 (``channels`` unused: parameter-free)."""
    return nn.MaxPool2d(kernel_size, stride or kernel_size)


def avg_pool(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Average pooling 2×2/2."""
    return nn.AvgPool2d(kernel_size, stride or kernel_size)


def lp_pool(*, channels: int = 256, p: float = 2.0, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Lp pooling (p=2) 2×2/2: (Σ x^p)^(1/p) over the window."""
    return nn.LPPool2d(p, kernel_size, stride or kernel_size)


def lp_pool_learned(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Learned-norm (Lp) pooling 2×2/2, one learned p per channel (init 2)."""
    return LearnedLpPool2d(channels, kernel_size, stride)


def stochastic_pool(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Stochastic pooling 2×2/2 (sampling in train mode, probabilistic weighting in eval mode)."""
    return StochasticPool2d(kernel_size, stride)


def mixed_pool(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Mixed max-average pooling 2×2/2, one learned mixing weight."""
    return MixedPool2d(kernel_size, stride)


def gated_pool(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Gated max-average pooling 2×2/2, one learned k² gating vector."""
    return GatedPool2d(kernel_size, stride)


def tree_pool(*, channels: int = 256, kernel_size: int = 2, stride: int | None = None) -> nn.Module:
    """Tree pooling 2×2/2, level 2 (two leaf filters + one gating mask, shared by all channels)."""
    return TreePool2d(kernel_size, stride)


def fractional_max_pool(*, channels: int = 256, kernel_size: int = 2, output_ratio: float = 1 / math.sqrt(2)
                        ) -> nn.Module:
    """Fractional max pooling, α = √2 (56→39); pooling regions are redrawn on every call, train or eval."""
    return nn.FractionalMaxPool2d(kernel_size, output_ratio=output_ratio)


def spp(*, channels: int = 256, levels: tuple[int, ...] = (6, 3, 2, 1)) -> nn.Module:
    """Spatial pyramid pooling → (N, 50·C)."""
    return SpatialPyramidPool(tuple(levels))


def dpp(*, channels: int = 256, kernel_size: int = 2, symmetric: bool = True) -> nn.Module:
    """Detail-preserving pooling 2×2/2 (symmetric reward)."""
    return DetailPreservingPool2d(channels, kernel_size, symmetric=symmetric)


def bilinear_pool(*, channels: int = 256) -> nn.Module:
    """Full bilinear pooling → (N, C²)."""
    return BilinearPool()


def compact_bilinear_pool(*, channels: int = 256, dim: int = 8192) -> nn.Module:
    """Compact bilinear pooling (Tensor Sketch, d = 8192) → (N, d)."""
    return CompactBilinearPool(channels, dim)


def low_rank_bilinear_pool(*, channels: int = 256, num_classes: int = 200, reduced: int = 100, rank: int = 8
                           ) -> nn.Module:
    """Low-rank bilinear pooling classifier → (N, num_classes)."""
    return LowRankBilinearPool(channels, num_classes, reduced, rank)


def improved_bilinear_pool(*, channels: int = 256, iterations: int = 5) -> nn.Module:
    """Bilinear pooling + matrix square root (Newton–Schulz, 5 steps) + signed sqrt + L2 → (N, C²)."""
    return ImprovedBilinearPool(iterations)


def alpha_pool(*, channels: int = 256, alpha: float = 1.5) -> nn.Module:
    """α-pooling → (N, C²), one learned α."""
    return AlphaPool(alpha)


def gnap(*, channels: int = 256) -> nn.Module:
    """Global norm-aware pooling → (N, C)."""
    return GNAP(channels)
