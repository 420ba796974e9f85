"""ShuffleNet V1 (Zhang, Zhou, Lin & Sun, "ShuffleNet: An Extremely Efficient Convolutional Neural Network
for Mobile Devices", CVPR 2018).

Architecture of the paper's Table 1: conv 3x3/2 (24) → max-pool 3x3/2 → three stages of ShuffleNet units
(1+3, 1+7, 1+3; the first unit of each stage has stride 2) → global pool → FC. A unit is
1x1 group conv (bottleneck = out/4) → BN-ReLU → channel shuffle → 3x3 depthwise (BN, no ReLU) →
1x1 group conv → BN, added to the input (stride 1) or concatenated with a 3x3/2 average-pooled input
(stride 2, so the residual branch produces ``out - in`` channels). The first 1x1 of Stage 2 is not grouped.

Widths: Table 1 gives the 1x stage widths per group count g (g=1: 144, g=2: 200, g=3: 240, g=4: 272,
g=8: 384, doubling per stage). "ShuffleNet s×" scales them by s; we round to a multiple of 4g so the
bottleneck splits into g groups, which reproduces the authors' released widths (e.g. g=3: 0.5x 120,
1.5x 360, 2x 480). The stem has 24 channels except 12 at 0.5x and 48 at 2x (as in the authors' released
ShuffleNet-Series code), rounded up to a multiple of g. That code has no 0.25x; we use 12 there too, which
gives Table 2's 13M (a scaled 6-channel stem would give 11.0M, a 24-channel one 17.9M).

Complexity (MFLOPs in the paper = MACs): Table 1 (1x: g=1 143M, g=2 140M, g=3 137M, g=4 133M, g=8 137M),
Table 2 (0.5x 38M, 0.25x 13M), Table 5 (g=3: 1.5x 292M, 2x 524M). The paper gives no parameter counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct, channel_shuffle

# Table 1: Stage-2 output channels of ShuffleNet 1x for each group count
_STAGE2_CHANNELS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
_STEM_CHANNELS = {0.25: 12, 0.5: 12, 2.0: 48}  # otherwise 24
_REPEATS = (4, 8, 4)


class MergeUnit(nn.Module):
    """The shell of a ShuffleNet V1 unit: stride 1 adds the input (residual), stride 2 concatenates the input
    average-pooled 3×3/2 (Fig. 2c); ReLU after the merge."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.shortcut = nn.AvgPool2d(3, 2, 1) if stride == 2 else None
        self.relu = nn.ReLU(inplace=True)

    def merge(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if self.shortcut is not None:
            return torch.cat([self.shortcut(x), self.relu(out)], 1)
        return self.relu(x + out)


def skeleton(stem_ch: int, stage2_ch: int, make_unit: Callable[[int, int, int, int, int], nn.Module]
             ) -> tuple[nn.Sequential, nn.Sequential, int]:
    """Table 1's layout: conv 3×3/2 + max pool 3×3/2 stem, then stages of 4/8/4 units (the first strided) whose
    width doubles from ``stage2_ch``. ``make_unit(in_ch, out_ch, stride, stage, index)`` builds one unit.

    Returns (stem, stages, output channels).
    """
    stem = nn.Sequential(ConvBNAct(3, stem_ch, 3, 2), nn.MaxPool2d(3, 2, 1))
    units: list[nn.Module] = []
    in_ch = stem_ch
    for stage, repeats in enumerate(_REPEATS):
        out_ch = stage2_ch * 2 ** stage
        for i in range(repeats):
            units.append(make_unit(in_ch, out_ch, 2 if i == 0 else 1, stage, i))
            in_ch = out_ch
    return stem, nn.Sequential(*units), in_ch


class ShuffleUnit(MergeUnit):
    """ShuffleNet unit (paper Fig. 2b for stride 1, Fig. 2c for stride 2)."""

    def __init__(self, in_ch: int, out_ch: int, groups: int, stride: int, group_first: bool = True) -> None:
        super().__init__(stride)
        branch_out = out_ch - in_ch if stride == 2 else out_ch
        mid = out_ch // 4
        first_groups = groups if group_first else 1
        if mid % groups or branch_out % groups or in_ch % first_groups:
            raise ValueError(f"ShuffleNet unit {in_ch}->{out_ch} channels do not split into {groups} groups")
        self.shuffle_groups = first_groups
        self.conv1 = ConvBNAct(in_ch, mid, 1, groups=first_groups)
        self.dwconv = ConvBNAct(mid, mid, 3, stride, groups=mid, act=None)
        self.conv2 = ConvBNAct(mid, branch_out, 1, groups=groups, act=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x)
        if self.shuffle_groups > 1:
            out = channel_shuffle(out, self.shuffle_groups)
        return self.merge(x, self.conv2(self.dwconv(out)))


class ShuffleNetV1(nn.Module):
    """ShuffleNet V1 with ``groups`` pointwise groups and width multiplier ``width``."""

    def __init__(self, groups: int = 3, width: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        if groups not in _STAGE2_CHANNELS:
            raise ValueError(f"groups must be one of {sorted(_STAGE2_CHANNELS)}, got {groups}")
        self.num_classes = num_classes
        quantum = 4 * groups  # bottleneck (out/4) must split into `groups`
        stage2 = max(quantum, round(_STAGE2_CHANNELS[groups] * width / quantum) * quantum)
        stem = math.ceil(_STEM_CHANNELS.get(width, 24) / groups) * groups
        # Stage 2's first pointwise layer is ungrouped: its 24 input channels are too few
        self.stem, self.stages, in_ch = skeleton(
            stem, stage2, lambda cin, cout, stride, stage, i: ShuffleUnit(
                cin, cout, groups, stride, group_first=not (stage == 0 and i == 0)))
        self.head = ClassifierHead(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def shufflenet_v1(*, groups: int = 3, width: float = 1.0, num_classes: int = 1000) -> ShuffleNetV1:
    """ShuffleNet V1 ``width``x with ``groups`` groups (Table 1), 3x224x224 input."""
    return ShuffleNetV1(groups=groups, width=width, num_classes=num_classes)
