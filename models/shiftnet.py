"""ShiftResNet (Wu, Wan, Yue, Jin, Zhao, Golmant, Gholaminejad, Gonzalez & Keutzer, "Shift: A Zero FLOP, Zero
Parameter Alternative to Spatial Convolutions", CVPR 2018) on CIFAR.

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
