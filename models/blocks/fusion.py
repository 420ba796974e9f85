"""Fusion blocks: modules that take two or three inputs and fuse them, as the papers do.

Each is registered with ``more_inputs`` (the default shapes of its inputs after the first), so ``cnnbench
profile block:<name>`` feeds it every input. Everything traces on ``meta``.

Papers (title, year; the code followed):
    AFF/iAFF  Attentional Feature Fusion (Dai et al., WACV 2021); YimianDai/open-aff, ``aff_pytorch/aff_net/
              fusion.py``: MS-CAM on X + Y, AFF = 2·X·M + 2·Y·(1 − M); iAFF = X·M₂ + Y·(1 − M₂), M₂ from the
              first fusion.
    MCB       Multimodal Compact Bilinear Pooling for VQA and Visual Grounding (Fukui et al., EMNLP 2016);
              akirafukui/vqa-mcb, ``train/multi_att_2_glove/train_att_bc.py``: the attention MCB — the question
              (2048) tiled over the 2048×14×14 image map, CompactBilinear(num_output=16000, sum_pool=False),
              SignedSqrt, L2Normalize.
    MLB       Hadamard Product for Low-rank Bilinear Pooling (Kim et al., ICLR 2017); jnhwkim/MulLowBiVQA,
              ``netdef/MLB.lua`` + ``train.lua`` defaults (q 2400, d 1200, 2 glimpses, 2000 answers).
    HBP       Hierarchical Bilinear Pooling for Fine-Grained Visual Recognition (Yu et al., ECCV 2018);
              ChaojianYu/Hierarchical-Bilinear-Pooling, ``myexample/HBP/ft_last_layer.prototxt``.
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from torch import nn

from cnnbench_models.blocks.pool import _signed_sqrt_l2

__all__ = ["AFF", "HBP", "IAFF", "MCB", "MLB", "MSCAM", "aff", "hbp", "iaff", "mcb", "mlb"]


class MSCAM(nn.Module):
    """Multi-scale channel attention (AFF paper): local point-wise bottleneck + global (GAP) bottleneck,
    each 1×1(C→C/r) → BN → ReLU → 1×1(C/r→C) → BN; returns the pre-sigmoid sum."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        inter = max(1, channels // reduction)

        def bottleneck() -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(channels, inter, 1), nn.BatchNorm2d(inter), nn.ReLU(inplace=True),
                                 nn.Conv2d(inter, channels, 1), nn.BatchNorm2d(channels))

        self.local = bottleneck()
        self.glob = bottleneck()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.local(x) + self.glob(F.adaptive_avg_pool2d(x, 1))


class AFF(nn.Module):
    """Attentional feature fusion of two same-shape maps, as the official PyTorch code:
    ``Z = 2·X⊗M(X+Y) + 2·Y⊗(1−M(X+Y))`` (the paper's Eq. without the factor 2)."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.att = MSCAM(channels, reduction)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        wei = torch.sigmoid(self.att(x + y))
        return 2 * x * wei + 2 * y * (1 - wei)


class IAFF(nn.Module):
    """Iterative AFF: the initial integration X+Y is itself an AFF; two MS-CAMs.

    The official code computes the second global branch with the first MS-CAM's ``global_att`` (its
    ``global_att2`` is built but unused); here the second MS-CAM is whole, as the paper's Fig. 2 draws it.
    Same parameters, same MACs; only the values differ.
    """

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.att1 = MSCAM(channels, reduction)
        self.att2 = MSCAM(channels, reduction)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        wei = torch.sigmoid(self.att1(x + y))
        xi = x * wei + y * (1 - wei)
        wei2 = torch.sigmoid(self.att2(xi))
        return x * wei2 + y * (1 - wei2)


def _hashes(rng: random.Random, n: int, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A count sketch's fixed hash h: [n] → [dim] and sign s: [n] → ±1 (Python RNG: also builds on meta)."""
    return (torch.tensor([rng.randrange(dim) for _ in range(n)]),
            torch.tensor([rng.choice((-1.0, 1.0)) for _ in range(n)]))


class MCB(nn.Module):
    """Multimodal compact bilinear pooling at every position of an image map (the attention MCB).

    forward(v, q): v (N, C, H, W), q (N, Q) → (N, d, H, W). At each position the count sketches of v and of
    the tiled q (h, s fixed, drawn once) are convolved circularly through rFFT → product → irFFT, which
    sketches the outer product v ⊗ q; then signed sqrt and L2 over each sample's whole (d·H·W) output, as
    Caffe's L2Normalize does per item. No parameters. Count sketch is an index_add and the FFTs have no
    MAC formula in torch's flop counter, so the counted MACs are 0 (≈ 3 FFTs of length d per position
    are left out).
    """

    def __init__(self, channels: int = 2048, question_dim: int = 2048, dim: int = 16000, seed: int = 0) -> None:
        super().__init__()
        self.dim = dim
        rng = random.Random(seed)
        for name, n in (("v", channels), ("q", question_dim)):
            h, s = _hashes(rng, n, dim)
            self.register_buffer(f"h_{name}", h)
            self.register_buffer(f"s_{name}", s)

    def _sketch(self, x: torch.Tensor, h: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """Count sketch along the last dimension: (..., n) → (..., d)."""
        return x.new_zeros(*x.shape[:-1], self.dim).index_add_(x.dim() - 1, h, x * s)

    def forward(self, v: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        n, _, hh, ww = v.shape
        fv = torch.fft.rfft(self._sketch(v.flatten(2).transpose(1, 2), self.h_v, self.s_v), dim=-1)  # (N, HW, ·)
        fq = torch.fft.rfft(self._sketch(q, self.h_q, self.s_q), dim=-1).unsqueeze(1)  # tiled over HW
        z = torch.fft.irfft(fv * fq, n=self.dim, dim=-1)  # (N, HW, d)
        z = _signed_sqrt_l2(z.flatten(1)).view(n, hh * ww, self.dim)
        return z.transpose(1, 2).reshape(n, self.dim, hh, ww)


class MLB(nn.Module):
    """Multimodal low-rank bilinear attention network (MLB), the official ``netdef/MLB.lua`` after the encoders.

    forward(v, q): v (N, C, H, W) image map, q (N, Q) question vector → answer scores (N, num_answers).
    Attention: tanh(U q) ∘ tanh(V v_p) at every position p, a 1×1 conv to G glimpse maps, softmax over
    positions; each glimpse's attended v through its own Linear(C→d) + tanh; joined (G·d) and multiplied
    with tanh(Linear(Q→G·d) q); a Linear(G·d → answers) = P. Dropout omitted (inference).
    """

    def __init__(self, channels: int = 2048, question_dim: int = 2400, dim: int = 1200, glimpses: int = 2,
                 num_answers: int = 2000) -> None:
        super().__init__()
        self.q_att = nn.Linear(question_dim, dim)
        self.v_att = nn.Linear(channels, dim)
        self.att = nn.Conv2d(dim, glimpses, 1)
        self.v_emb = nn.ModuleList(nn.Linear(channels, dim) for _ in range(glimpses))
        self.q_emb = nn.Linear(question_dim, dim * glimpses)
        self.classifier = nn.Linear(dim * glimpses, num_answers)

    def forward(self, v: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        n, _, hh, ww = v.shape
        flat = v.flatten(2).transpose(1, 2)  # (N, HW, C)
        joint = torch.tanh(self.q_att(q)).unsqueeze(1) * torch.tanh(self.v_att(flat))  # (N, HW, d)
        logits = self.att(joint.transpose(1, 2).reshape(n, -1, hh, ww)).flatten(2)  # (N, G, HW)
        attended = torch.softmax(logits, dim=-1) @ flat  # (N, G, C)
        v_e = torch.cat([torch.tanh(lin(attended[:, g])) for g, lin in enumerate(self.v_emb)], dim=1)
        return self.classifier(torch.tanh(self.q_emb(q)) * v_e)


class HBP(nn.Module):
    """Hierarchical bilinear pooling classifier: three maps (VGG-16 relu5_1, 5_2, 5_3) → class scores.

    Each map through its own 1×1 conv (with bias, no activation) to d; the three pairs (1,2), (1,3), (2,3)
    multiplied element-wise, sum-pooled over positions, signed sqrt + L2 each; concatenated (3d) → FC.
    """

    def __init__(self, channels: int = 512, dim: int = 8192, num_classes: int = 200) -> None:
        super().__init__()
        self.proj = nn.ModuleList(nn.Conv2d(channels, dim, 1) for _ in range(3))
        self.fc = nn.Linear(3 * dim, num_classes)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor) -> torch.Tensor:
        p = [conv(x) for conv, x in zip(self.proj, (x1, x2, x3))]
        pairs = [_signed_sqrt_l2((p[i] * p[j]).sum(dim=(2, 3))) for i, j in ((0, 1), (0, 2), (1, 2))]
        return self.fc(torch.cat(pairs, dim=1))


# ----------------------------------------------------------------------------- builders (registry entry points)

def aff(*, channels: int = 256, reduction: int = 4) -> nn.Module:
    """AFF (r = 4): forward(x, y) → fused map."""
    return AFF(channels, reduction)


def iaff(*, channels: int = 256, reduction: int = 4) -> nn.Module:
    """iAFF (r = 4, two MS-CAMs): forward(x, y) → fused map."""
    return IAFF(channels, reduction)


def mcb(*, channels: int = 2048, question_dim: int = 2048, dim: int = 16000) -> nn.Module:
    """Attention MCB, d = 16000: forward(image map, question vector) → (N, d, H, W)."""
    return MCB(channels, question_dim, dim)


def mlb(*, channels: int = 2048, question_dim: int = 2400, dim: int = 1200, glimpses: int = 2,
        num_answers: int = 2000) -> nn.Module:
    """MLB attention network, d = 1200, 2 glimpses: forward(image map, question vector) → (N, 2000)."""
    return MLB(channels, question_dim, dim, glimpses, num_answers)


def hbp(*, channels: int = 512, dim: int = 8192, num_classes: int = 200) -> nn.Module:
    """HBP, d = 8192, CUB's 200 classes: forward(relu5_1, relu5_2, relu5_3) → (N, 200)."""
    return HBP(channels, dim, num_classes)
