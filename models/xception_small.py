"""Compact Xception-style network: the "Xception" baseline of ShuffleNet V2's Table 8.

ShuffleNet V2 (Ma et al., ECCV 2018) compares against "Xception 0.5x/1x/1.5x/2x (our impl.)" at
40/145/305/525 MFLOPs (Table 8), "a modified light weight Xception structure" taken from Light-Head R-CNN
(Li et al., 2017), whose building blocks have a receptive field of 7 (three stacked 3x3 depthwise convs,
ShuffleNet V2 Sec. 4, object detection). ShuffleNet V1 (Sec. 4.2) likewise builds its "Xception-like"
baseline by putting depthwise-separable units into its own Table 1 skeleton. Neither paper lists the
unit, so this is a reconstruction under those constraints:

* skeleton of ShuffleNet V1 Table 1 (a public re-implementation of the Light-Head backbone uses the same
  layout, with 144/288/576 channels): conv 3x3/2 (24) →
  max-pool 3x3/2 → stages of 1+3, 1+7, 1+3 units (first unit stride 2) at 28/14/7 px → global pool → FC;
* Xception unit: three separable convs ``dw3x3 → BN → 1x1 → BN(-ReLU)`` with bottleneck width out/4,
  the stride on the first depthwise conv, the last 1x1 linear, and an identity shortcut (stride 1) or a
  3x3/2 average-pooled input concatenated to the branch (stride 2), as in the ShuffleNet units it is
  compared with.

Widths: Stage-2 channels ``c`` (Stage 3 = 2c, Stage 4 = 4c). This unit is a little more expensive than
ShuffleNet's, so ShuffleNet V1's c=144 would cost 155M MACs, not Table 8's 145M. The four complexity levels of
Table 8 are instead set by ``c``, read off a sweep of MACs(c) over multiples of 8 at 224x224
(``TABLE8_WIDTHS``): c=64 → 40.5M (0.5x, paper 40M), 136 → 140.1M (1x, 145M), 208 → 306.8M (1.5x, 305M),
272 → 511.2M (2x, 525M). The MAC match is thus by construction, not an independent check of the paper.
Other multipliers scale c=136 and round to a multiple of 8.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct
from .shufflenet_v1 import MergeUnit, skeleton

# Stage-2 width giving the MACs of ShuffleNet V2 Table 8's Xception 0.5x/1x/1.5x/2x (40/145/305/525M)
TABLE8_WIDTHS = {0.5: 64, 1.0: 136, 1.5: 208, 2.0: 272}


def _separable(in_ch: int, out_ch: int, stride: int = 1, act: bool = True) -> nn.Sequential:
    return nn.Sequential(ConvBNAct(in_ch, in_ch, 3, stride, groups=in_ch, act=None),
                         ConvBNAct(in_ch, out_ch, 1, act=nn.ReLU if act else None))


class XceptionUnit(MergeUnit):
    """Three depthwise-separable convs (receptive field 7) with a residual/concat shortcut."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__(stride)
        mid = out_ch // 4
        branch_out = out_ch - in_ch if stride == 2 else out_ch
        self.branch = nn.Sequential(
            _separable(in_ch, mid, stride),
            _separable(mid, mid),
            _separable(mid, branch_out, act=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.merge(x, self.branch(x))


class XceptionSmall(nn.Module):
    """Xception-style network on ShuffleNet V1's skeleton with Stage-2 width ``stage2_channels``."""

    def __init__(self, stage2_channels: int = 136, num_classes: int = 1000, stem_channels: int = 24) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.stem, self.stages, in_ch = skeleton(
            stem_channels, stage2_channels, lambda cin, cout, stride, _stage, _i: XceptionUnit(cin, cout, stride))
        self.head = ClassifierHead(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def xception_small(*, width: float = 1.0, stage2_channels: int | None = None,
                   num_classes: int = 1000) -> XceptionSmall:
    """Compact Xception at Table 8 level ``width`` (0.5/1/1.5/2); ``stage2_channels`` overrides it."""
    if stage2_channels is None:
        stage2_channels = TABLE8_WIDTHS.get(width) or max(8, int(136 * width / 8 + 0.5) * 8)
    return XceptionSmall(stage2_channels=stage2_channels, num_classes=num_classes)
