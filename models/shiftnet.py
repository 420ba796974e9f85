"""ShiftResNet (Wu, Wan, Yue, Jin, Zhao, Golmant, Gholaminejad, Gonzalez & Keutzer, "Shift: A Zero FLOP, Zero
Parameter Alternative to Spatial Convolutions", CVPR 2018) on CIFAR, and the ImageNet ShiftNet-A/B.

The shift operation (§3): the C channels are split into k² groups (k = 3: nine groups) and each group is moved by
one of the k² offsets (dy, dx) ∈ {-1, 0, 1}², zero-filled at the border. It has no parameters and no
multiply-adds: it is indexing (slice copies), so it costs only memory traffic. The CSC module (§4,
"conv-shift-conv") replaces every 3x3 conv pair of a ResNet basic block: 1x1 conv (C_in → ε·C_out) → BN → ReLU →
shift → 1x1 conv (→ C_out, carrying the block's stride) → BN, plus the shortcut, then ReLU. ε is the expansion
(the paper's CIFAR table varies it as 1, 3, 6, 9).

The network is the authors' CIFAR ResNet (alvinwan/shiftresnet-cifar, built on kuangliu/pytorch-cifar): a 3x3
conv stem with 16 maps, three stages of 16/32/64 channels with n CSC blocks each (n = 3 for ResNet-20, 9 for -56),
1x1 projection shortcuts where shape changes, global average pooling and a linear classifier. Published
parameters (millions, 2 decimals): ShiftResNet-20 0.03/0.10/0.19/0.28 and ShiftResNet-56 0.10/0.29/0.58/0.87 for
ε = 1/3/6/9 (the paper's CIFAR table, repeated in the repository README's CIFAR-10 table).

The ImageNet ShiftNets are pre-activation CSC networks without max-pool: conv 7x7/2 (32 maps) → four
stages at 56/28/14/7 px of 5/6/7/3 blocks, widths 64-128-256-512, shift kernels 5-5-3-3, expansions 4/4, 4/3, 3/2,
2/1 (the stage's first block / the others), final BN-ReLU, global pool, FC. The first block of each stage has stride
2 and concatenates its C_out − C_in new maps with a 3x3/2 average pool of its input (no projection weights). The
layout is a public PyTorch port, class ``ShiftNetA`` / ``shiftneta()`` of a normalisation study (IterNorm/DBN;
unit_type "org", mult 1), read in the code index (file id 37336725033, repository not named there): it gives
4,188,680 params and 1.424G MACs against the paper's 4.1M / 1.4G (convs without biases here; the port makes
them optional). ShiftNet-B is that network at half width (stem 16, an inference: no source gives B's layout), and its
371.0M MACs are the paper's 371M. ShiftNet-C (0.78M params) is not built: its layout was not found.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Shift(nn.Module):
    """Shift each of k² channel groups by one offset in a k x k window (zero fill): no parameters, no MACs.

    Channels are split into k² contiguous groups as evenly as possible (the first C mod k² groups get one extra).
    """

    def __init__(self, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"shift kernel size must be odd and positive, got {kernel_size}")
        self.kernel_size = kernel_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.kernel_size
        r = k // 2
        c, h, w = x.shape[1], x.shape[2], x.shape[3]
        groups = k * k
        sizes = [c // groups + (1 if g < c % groups else 0) for g in range(groups)]
        padded = F.pad(x, (r, r, r, r))
        out = []
        start = 0
        for g, size in enumerate(sizes):
            if size == 0:
                continue
            dy, dx = g // k - r, g % k - r  # output (i, j) reads input (i + dy, j + dx)
            out.append(padded[:, start:start + size, r + dy:r + dy + h, r + dx:r + dx + w])
            start += size
        return torch.cat(out, dim=1)


class CSC(nn.Module):
    """conv1x1 → BN → ReLU → shift → conv1x1 (stride) → BN, + shortcut, → ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, expansion: float = 1) -> None:
        super().__init__()
        mid = int(c_out * expansion)
        self.conv1 = nn.Conv2d(c_in, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.shift = Shift(3)
        self.conv2 = nn.Conv2d(mid, c_out, 1, stride=stride, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(self.shift(y)))
        return F.relu(y + self.shortcut(x))


class ShiftResNetCifar(nn.Module):
    """CIFAR ShiftResNet-(6n+2): stem 3x3/16, stages 16-32-64 of n CSC blocks, GAP, linear."""

    def __init__(self, n: int, expansion: float, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks: list[nn.Module] = []
        c_in = 16
        for i, c in enumerate((16, 32, 64)):
            for j in range(n):
                blocks.append(CSC(c_in, c, stride=2 if i > 0 and j == 0 else 1, expansion=expansion))
                c_in = c
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


def shiftresnet20_e6_cifar10(*, num_classes: int = 10, expansion: float = 6) -> ShiftResNetCifar:
    """ShiftResNet-20 with expansion 6 (CIFAR table: 0.19M parameters)."""
    return ShiftResNetCifar(3, expansion, num_classes)


def shiftresnet20_e9_cifar10(*, num_classes: int = 10, expansion: float = 9) -> ShiftResNetCifar:
    """ShiftResNet-20 with expansion 9 (CIFAR table: 0.28M parameters)."""
    return ShiftResNetCifar(3, expansion, num_classes)


def shiftresnet56_e6_cifar10(*, num_classes: int = 10, expansion: float = 6) -> ShiftResNetCifar:
    """ShiftResNet-56 with expansion 6 (CIFAR table: 0.58M parameters)."""
    return ShiftResNetCifar(9, expansion, num_classes)


def shiftresnet56_e9_cifar10(*, num_classes: int = 10, expansion: float = 9) -> ShiftResNetCifar:
    """ShiftResNet-56 with expansion 9 (CIFAR table: 0.87M parameters)."""
    return ShiftResNetCifar(9, expansion, num_classes)


# ---------------------------------------------------------------- ImageNet ShiftNet-A/B


class ShiftNetBlock(nn.Module):
    """Pre-activation CSC of the ImageNet ShiftNets: BN → ReLU → 1x1 (→ ε·C) → shift k x k → BN → ReLU → 1x1 (→ C,
    carrying the stride), plus the identity. A block that changes resolution instead concatenates its output
    (C_out − C_in maps) with a 3x3/2 average pool of its input (C_in maps), so the shortcut has no weights."""

    def __init__(self, c_in: int, c_out: int, expansion: float, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.downsample = stride != 1 or c_in != c_out
        planes = c_out - c_in if self.downsample else c_out
        mid = int(planes * expansion)
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, mid, 1, bias=False)
        self.shift = Shift(kernel_size)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, planes, 1, stride=stride, bias=False)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1) if self.downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(F.relu(self.bn2(self.shift(y))))
        if self.pool is not None:
            return torch.cat((y, self.pool(x)), dim=1)
        return y + x


class ShiftNetImageNet(nn.Module):
    """conv 7x7/2 → four stages of ShiftNet blocks (each opening with a stride-2 block) → BN → ReLU → GAP → FC."""

    def __init__(self, stem: int, widths: tuple[int, ...], depths: tuple[int, ...],
                 expansions: tuple[tuple[float, float], ...], kernels: tuple[int, ...],
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, stem, 7, stride=2, padding=3, bias=False)
        blocks: list[nn.Module] = []
        c_in = stem
        for c, n, (e_first, e_rest), k in zip(widths, depths, expansions, kernels):
            blocks.append(ShiftNetBlock(c_in, c, e_first, k, stride=2))
            blocks.extend(ShiftNetBlock(c, c, e_rest, k) for _ in range(n - 1))
            c_in = c
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(c_in)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn(self.blocks(self.stem(x))))
        return self.fc(torch.flatten(self.pool(y), 1))


_A_EXPANSIONS = ((4, 4), (4, 3), (3, 2), (2, 1))  # (first block, other blocks) per stage
_A_KERNELS = (5, 5, 3, 3)
_A_DEPTHS = (5, 6, 7, 3)


def shiftnet_a(*, num_classes: int = 1000) -> ShiftNetImageNet:
    """ShiftNet-A: stem 32, stages 64-128-256-512 of 5-6-7-3 blocks (paper: 4.1M params, 1.4G MACs)."""
    return ShiftNetImageNet(32, (64, 128, 256, 512), _A_DEPTHS, _A_EXPANSIONS, _A_KERNELS, num_classes)


def shiftnet_b(*, num_classes: int = 1000) -> ShiftNetImageNet:
    """ShiftNet-B: ShiftNet-A at half width (stem 16, stages 32-64-128-256) (paper: 1.1M params, 371M MACs)."""
    return ShiftNetImageNet(16, (32, 64, 128, 256), _A_DEPTHS, _A_EXPANSIONS, _A_KERNELS, num_classes)
