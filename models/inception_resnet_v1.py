"""Inception-ResNet-v1 (Szegedy, Ioffe, Vanhoucke & Alemi, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning", AAAI 2017 / arXiv:1602.07261), the smaller hybrid of the paper (timm ships
only Inception-ResNet-v2).

Layout (paper Fig. 15, with the v1 modules): stem (Fig. 14) → 5 × Inception-ResNet-A (Fig. 10) → Reduction-A
(Fig. 7 with k=192, l=192, m=256, n=384, Table 1) → 10 × Inception-ResNet-B (Fig. 11) → Reduction-B (Fig. 12)
→ 5 × Inception-ResNet-C (Fig. 13) → average pool → dropout (keep 0.8) → FC. Grid sizes on a 299×299 input:
35×35×256 → 17×17×896 → 8×8×1792. Every conv but the residual branch's final (linear) 1×1 is conv → BN → ReLU
("BN only on top of the traditional layers, not on the summations"); the residual branch is scaled before the
addition (Sec. 3.3: 0.1-0.3; we use facenet's 0.17 / 0.10 / 0.20) and a ReLU follows the addition.
The paper gives no parameter or MAC count for it (only "roughly the computational cost of Inception-v3").
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ConvBNAct


def _cba(cin: int, cout: int, k: int | tuple[int, int], stride: int = 1, valid: bool = False) -> ConvBNAct:
    """conv → BN → ReLU; 'same' padding unless ``valid`` (the paper's "V")."""
    if valid:
        pad: int | tuple[int, int] = 0
    elif isinstance(k, tuple):
        pad = (k[0] // 2, k[1] // 2)
    else:
        pad = k // 2
    return ConvBNAct(cin, cout, k, stride, padding=pad)


class Stem(nn.Sequential):
    """Fig. 14: 299×299×3 → 35×35×256."""

    def __init__(self) -> None:
        super().__init__(
            _cba(3, 32, 3, 2, valid=True), _cba(32, 32, 3, valid=True), _cba(32, 64, 3),
            nn.MaxPool2d(3, 2), _cba(64, 80, 1), _cba(80, 192, 3, valid=True), _cba(192, 256, 3, 2, valid=True))


class _Residual(nn.Module):
    """Parallel branches → concat → linear 1×1 (with bias, no BN) back to ``channels`` → scaled add → ReLU."""

    def __init__(self, channels: int, branches: list[nn.Module], concat: int, scale: float) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)
        self.up = nn.Conv2d(concat, channels, 1, bias=True)
        self.scale = scale
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(torch.cat([b(x) for b in self.branches], 1))
        return self.relu(x + self.scale * y)


def block_a(scale: float = 0.17) -> _Residual:
    """Fig. 10 (35×35×256): 1×1 32 | 1×1 32 → 3×3 32 | 1×1 32 → 3×3 32 → 3×3 32; 96 → 1×1 256."""
    c = 256
    return _Residual(c, [_cba(c, 32, 1), nn.Sequential(_cba(c, 32, 1), _cba(32, 32, 3)),
                         nn.Sequential(_cba(c, 32, 1), _cba(32, 32, 3), _cba(32, 32, 3))], 96, scale)


def block_b(scale: float = 0.10) -> _Residual:
    """Fig. 11 (17×17×896): 1×1 128 | 1×1 128 → 1×7 128 → 7×1 128; 256 → 1×1 896."""
    c = 896
    return _Residual(c, [_cba(c, 128, 1),
                         nn.Sequential(_cba(c, 128, 1), _cba(128, 128, (1, 7)), _cba(128, 128, (7, 1)))], 256, scale)


def block_c(scale: float = 0.20) -> _Residual:
    """Fig. 13 (8×8×1792): 1×1 192 | 1×1 192 → 1×3 192 → 3×1 192; 384 → 1×1 1792."""
    c = 1792
    return _Residual(c, [_cba(c, 192, 1),
                         nn.Sequential(_cba(c, 192, 1), _cba(192, 192, (1, 3)), _cba(192, 192, (3, 1)))], 384, scale)


class _Concat(nn.Module):
    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


def reduction_a(cin: int = 256, k: int = 192, l: int = 192, m: int = 256, n: int = 384) -> _Concat:
    """Fig. 7 (35→17): max-pool 3×3/2 | 3×3/2 n | 1×1 k → 3×3 l → 3×3/2 m; 256 + 384 + 256 = 896 for v1."""
    return _Concat(nn.MaxPool2d(3, 2), _cba(cin, n, 3, 2, valid=True),
                   nn.Sequential(_cba(cin, k, 1), _cba(k, l, 3), _cba(l, m, 3, 2, valid=True)))


def reduction_b(cin: int = 896) -> _Concat:
    """Fig. 12 (17→8): max-pool | 1×1 256 → 3×3/2 384 | 1×1 256 → 3×3/2 256 | 1×1 256 → 3×3 256 → 3×3/2 256."""
    return _Concat(nn.MaxPool2d(3, 2),
                   nn.Sequential(_cba(cin, 256, 1), _cba(256, 384, 3, 2, valid=True)),
                   nn.Sequential(_cba(cin, 256, 1), _cba(256, 256, 3, 2, valid=True)),
                   nn.Sequential(_cba(cin, 256, 1), _cba(256, 256, 3), _cba(256, 256, 3, 2, valid=True)))


class InceptionResNetV1(nn.Module):
    """Inception-ResNet-v1 for 3×299×299 ImageNet inputs."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        self.features = nn.Sequential(
            Stem(), *[block_a() for _ in range(5)], reduction_a(), *[block_b() for _ in range(10)], reduction_b(),
            *[block_c() for _ in range(5)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1792, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(torch.flatten(self.pool(self.features(x)), 1)))


def inception_resnet_v1(*, num_classes: int = 1000) -> InceptionResNetV1:
    """Inception-ResNet-v1 (5 A, 10 B, 5 C blocks) for 299×299 inputs."""
    return InceptionResNetV1(num_classes=num_classes)
