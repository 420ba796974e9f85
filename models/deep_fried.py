"""Deep Fried Convnets (Yang, Moczulski, Denil, de Freitas, Smola, Song & Wang, ICCV 2015): CaffeNet's convolutional
layers with the fully connected layers replaced by one Adaptive Fastfood layer and the softmax layer.

The Adaptive Fastfood transform (§3) multiplies a d-vector by V = S·H·G·Π·H·B, where B, G, S are learned diagonal
matrices (3d parameters), Π a fixed random permutation (no parameters) and H the d x d Walsh-Hadamard matrix, applied
by the fast Walsh-Hadamard transform: log2(d) butterfly stages of d/2 additions and d/2 subtractions, no multiplies.
The input is zero-padded to d = 2^k; n > d outputs stack n/d independent blocks. The features go through a ReLU
(the arc-cosine kernel's feature map) into the softmax layer.

How cnnbench counts it: parameters 3d per block, exactly. MACs: torch has no Hadamard op, and we never build the
dense d x d matrix (a matmul would report d² MACs per H, e.g. 268M for d = 16,384, which the transform does not
perform). The FWHT is written with adds/subtracts and the diagonals with elementwise products, which carry no MACs in
torch's formulas, so the Fastfood layer shows **0 MACs**; its true cost per block is 3d multiplies plus
2·d·log2(d) additions (d = 16,384: 49,152 multiplies, 458,752 additions), next to the 37.7M + 16.8M MACs of the
fc6/fc7 it replaces. The softmax layer (n x 1000) stays a dense linear layer and dominates the count.

CaffeNet trunk (the BVLC reference model): conv1 96@11x11/4 → LRN → max-pool 3/2 → conv2 256@5x5 (2 groups) → LRN →
max-pool → conv3 384@3x3 → conv4 384@3x3 (2 groups) → conv5 256@3x3 (2 groups) → max-pool: 9,216 features at
227x227 input, 2,334,080 parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def fwht(x: torch.Tensor) -> torch.Tensor:
    """Unnormalised fast Walsh-Hadamard transform over the last dimension (a power of two), Sylvester order:
    ``fwht(x) == x @ H`` with H = [[1, 1], [1, -1]]^{⊗k}, in log2(d) add/subtract stages."""
    d = x.shape[-1]
    if d & (d - 1):
        raise ValueError(f"the Walsh-Hadamard transform needs a power-of-two length, got {d}")
    lead = x.shape[:-1]
    h = 1
    while h < d:
        y = x.reshape(*lead, d // (2 * h), 2, h)
        a, b = y.select(-2, 0), y.select(-2, 1)
        x = torch.stack((a + b, a - b), dim=-2).reshape(*lead, d)
        h *= 2
    return x


class AdaptiveFastfood(nn.Module):
    """x (B x in_features) → concat over blocks of S·H·G·Π·H·B·pad(x), n = blocks · d outputs.

    Args:
        in_features: input length, zero-padded to ``d`` (the next power of two unless given).
        out_features: n, a multiple of d.
    """

    def __init__(self, in_features: int, out_features: int, d: int | None = None) -> None:
        super().__init__()
        d = d or 1 << (in_features - 1).bit_length()
        if d & (d - 1) or d < in_features:
            raise ValueError(f"Fastfood block size must be a power of two >= the {in_features} inputs, got {d}")
        if out_features % d:
            raise ValueError(f"Fastfood outputs ({out_features}) must be a multiple of the block size {d}")
        self.in_features, self.out_features, self.d = in_features, out_features, d
        blocks = out_features // d
        self.B = nn.Parameter(torch.randint(0, 2, (blocks, d)).float() * 2 - 1)  # random ±1 at init, then learned
        self.G = nn.Parameter(torch.randn(blocks, d))
        self.S = nn.Parameter(torch.ones(blocks, d))
        perm = torch.stack([torch.randperm(d) for _ in range(blocks)]) if blocks else torch.empty(0, d)
        self.register_buffer("perm", perm.long(), persistent=True)  # Π: fixed, not learned
        self.scale = d ** -0.5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (0, self.d - self.in_features)).unsqueeze(1)  # B x 1 x d, broadcast over blocks
        x = fwht(x * self.B)
        x = torch.gather(x.expand(-1, self.B.shape[0], -1), 2, self.perm.expand(x.shape[0], -1, -1))
        x = fwht(x * self.G) * self.S
        return (x * self.scale).reshape(x.shape[0], self.out_features)


class DeepFriedCaffeNet(nn.Module):
    """CaffeNet convolutions → Adaptive Fastfood (``n`` features) → ReLU → softmax layer (logits)."""

    def __init__(self, n: int = 16384, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, 1e-4, 0.75),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, 1e-4, 0.75),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        self.fastfood = AdaptiveFastfood(256 * 6 * 6, n, d=16384)
        self.classifier = nn.Linear(n, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(F.relu(self.fastfood(torch.flatten(self.features(x), 1))))


def deep_fried_caffenet_ff16(*, num_classes: int = 1000) -> DeepFriedCaffeNet:
    """Deep fried CaffeNet, one Adaptive Fastfood block: d = n = 16,384 ("Fastfood 16")."""
    return DeepFriedCaffeNet(16384, num_classes)


def deep_fried_caffenet_ff32(*, num_classes: int = 1000) -> DeepFriedCaffeNet:
    """Deep fried CaffeNet, two Adaptive Fastfood blocks: d = 16,384, n = 32,768 ("Fastfood 32")."""
    return DeepFriedCaffeNet(32768, num_classes)
