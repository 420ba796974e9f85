"""Deeply-fused nets with merge-and-run fusion (DFN-MR), the CIFAR deeply-fused networks of the deep-fusion project
(Wang, Wei, Zhang & Zeng, "Deeply-Fused Nets", arXiv 1605.07716; Zhao, Wang, Li, Tu & Zeng, "On the Connection of
Deep Fusion to Ensembling", arXiv 1611.07718).

Deep fusion combines the intermediate representations of several base networks and feeds the fused result to the
rest of each base network. DFN-MR fuses two base networks of two-conv blocks: at every block both branches read the
average of the two inputs (the "merge"), add their own two convs (the "run"), then ReLU:

    m = (x1 + x2) / 2,   x1' = relu(m + F1(x1)),   x2' = relu(m + F2(x2))

and the last block of the network sums both branches (relu(m + F1 + F2)). Layer for layer from the authors' MXNet
code (zlmzju/fusenet ``network/base.py`` + ``network/cross.py``): Conv-BN-ReLU convs without bias, a 3x3 stem conv
of 16·k channels, three groups of 16k/32k/64k channels (stride 2 in the first conv of groups 2 and 3, whose
shortcuts are 1x1/2 conv + BN), global average pool and FC. Blocks per group follow the code's integer arithmetic
(``set_blocks(block_depth=4)``, the ``--depth`` option being the plain depth of both branches): the README's
depth is one branch's, 2 + 2·blocks, so DFN-MR1 (depth 56) is ``--depth 110`` → 9, 9, 9 blocks.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_bn(cin: int, cout: int, k: int, stride: int, relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU()) if relu else nn.Sequential(*layers)


def _two(cin: int, cout: int) -> nn.Sequential:
    """Two 3x3 Conv-BN (ReLU between); the first strides 2 when the width changes."""
    return nn.Sequential(_conv_bn(cin, cout, 3, 1 if cin == cout else 2, True), _conv_bn(cout, cout, 3, 1, False))


class MergeRunBlock(nn.Module):
    """One merge-and-run block over two branches; ``last``: the branches are summed into one output."""

    def __init__(self, cin: int, cout: int, last: bool = False) -> None:
        super().__init__()
        self.deep1, self.deep2 = _two(cin, cout), _two(cin, cout)
        proj = cin != cout
        self.line1 = _conv_bn(cin, cout, 1, 2, False) if proj else nn.Identity()
        self.line2 = _conv_bn(cin, cout, 1, 2, False) if proj else nn.Identity()
        self.last = last

    def forward(self, xs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        x1, x2 = xs
        fuse = 0.5 * (self.line1(x1) + self.line2(x2))
        d1, d2 = self.deep1(x1), self.deep2(x2)
        if self.last:
            y = torch.relu(fuse + d1 + d2)
            return y, y
        return torch.relu(fuse + d1), torch.relu(fuse + d2)


def blocks_per_group(depth: int, block_depth: int = 4, groups: int = 3) -> list[int]:
    """The authors' ``set_blocks``: each group gets (depth − used) // (block_depth · groups_left) blocks."""
    out, used = [], 2
    for i in range(groups):
        n = (depth - used) // (block_depth * (groups - i))
        used += n * block_depth
        out.append(n)
    return out


class DFNMR(nn.Module):
    """DFN-MR for 32x32 inputs.

    Args:
        depth: the code's ``--depth`` (110, 62, 98...): 2 + 4·blocks.
        widen: width factor k (channels 16k, 32k, 64k).
        num_classes: classifier outputs.
    """

    def __init__(self, depth: int, widen: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        c = 16 * widen
        widths = [c, c, 2 * c, 4 * c]
        self.stem = _conv_bn(3, c, 3, 1, True)
        blocks: list[nn.Module] = []
        for g, n in enumerate(blocks_per_group(depth)):
            for j in range(n):
                cin = widths[g] if j == 0 else widths[g + 1]
                blocks.append(MergeRunBlock(cin, widths[g + 1], last=(g == 2 and j == n - 1)))
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * c, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        y, _ = self.blocks((x, x))
        return self.head(y)


def dfn_mr1_cifar10(*, num_classes: int = 10) -> DFNMR:
    """DFN-MR1: branch depth 56 (9, 9, 9 blocks), width ×1 (README: 1.7M params)."""
    return DFNMR(110, 1, num_classes)


def dfn_mr2_cifar10(*, num_classes: int = 10) -> DFNMR:
    """DFN-MR2: branch depth 32 (5, 5, 5 blocks), width ×4 (README: 14.9M params)."""
    return DFNMR(62, 4, num_classes)


def dfn_mr3_cifar10(*, num_classes: int = 10) -> DFNMR:
    """DFN-MR3: branch depth 50 (8, 8, 8 blocks), width ×4 (README: 24.8M params)."""
    return DFNMR(98, 4, num_classes)
