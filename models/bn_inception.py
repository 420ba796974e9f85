"""BN-Inception (Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
Internal Covariate Shift", ICML 2015), the Inception variant of the paper's appendix (Figure 5).

GoogLeNet with batch normalisation after every convolution, the 5x5 branches replaced by two stacked 3x3
convolutions ("double 3x3"), a third 28x28 module, and stride-2 modules 3c/4e (no 1x1 branch; max-pool
"pass through" branch) instead of pooling layers between stages. The module widths are Figure 5's columns
(#1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool + proj). Note Figure 5 prints 576 as the
output width of 4c/4d although their columns sum to 608; we follow the columns (as every released
implementation does).

The appendix says the first convolution was a separable one (depthwise 7x7 with depth multiplier 8, then
1x1); ``separable_stem=True`` builds that, the default is the plain 7x7 conv of the released models.

Counts (224x224): 11.3M parameters, 2.0G MACs. The paper's text says "13.6·10^6 parameters", which its own
Figure 5 table does not reproduce (11.30M incl. conv biases in the Caffe/osmr conversions); see the note in
the catalogue.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ClassifierHead, ConvBNAct


class InceptionModule(nn.Module):
    """Four parallel branches concatenated on channels.

    Args:
        in_ch: input channels.
        c1: #1x1 (0 = no 1x1 branch, as in the stride-2 modules).
        c3r, c3: 3x3 branch reduce / output.
        cd3r, cd3: double-3x3 branch reduce / output.
        pool: ``"avg"`` or ``"max"``.
        proj: pool-projection width; 0 = pass the pooled input through (stride-2 modules).
        stride: 1, or 2 for modules 3c/4e.
    """

    def __init__(self, in_ch: int, c1: int, c3r: int, c3: int, cd3r: int, cd3: int, pool: str, proj: int,
                 stride: int = 1) -> None:
        super().__init__()
        self.out_channels = c1 + c3 + cd3 + (proj or in_ch)
        self.branch1 = ConvBNAct(in_ch, c1, 1) if c1 else None
        self.branch3 = nn.Sequential(ConvBNAct(in_ch, c3r, 1), ConvBNAct(c3r, c3, 3, stride))
        self.branch_d3 = nn.Sequential(ConvBNAct(in_ch, cd3r, 1), ConvBNAct(cd3r, cd3, 3),
                                       ConvBNAct(cd3, cd3, 3, stride))
        if stride == 1:
            pool_layer: nn.Module = (nn.AvgPool2d(3, 1, 1, ceil_mode=True, count_include_pad=True) if pool == "avg"
                                     else nn.MaxPool2d(3, 1, 1, ceil_mode=True))
        else:
            pool_layer = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.branch_pool = nn.Sequential(pool_layer, ConvBNAct(in_ch, proj, 1)) if proj else pool_layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [self.branch1(x)] if self.branch1 is not None else []
        outs += [self.branch3(x), self.branch_d3(x), self.branch_pool(x)]
        return torch.cat(outs, 1)


# name: (#1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool, proj, stride) - Figure 5
_MODULES = [
    ("3a", 64, 64, 64, 64, 96, "avg", 32, 1),
    ("3b", 64, 64, 96, 64, 96, "avg", 64, 1),
    ("3c", 0, 128, 160, 64, 96, "max", 0, 2),
    ("4a", 224, 64, 96, 96, 128, "avg", 128, 1),
    ("4b", 192, 96, 128, 96, 128, "avg", 128, 1),
    ("4c", 160, 128, 160, 128, 160, "avg", 128, 1),
    ("4d", 96, 128, 192, 160, 192, "avg", 128, 1),
    ("4e", 0, 128, 192, 192, 256, "max", 0, 2),
    ("5a", 352, 192, 320, 160, 224, "avg", 128, 1),
    ("5b", 352, 192, 320, 192, 224, "max", 128, 1),
]


class BNInception(nn.Module):
    """BN-Inception: stem (7x7/2, 1x1+3x3) and ten Inception modules, global pool, linear classifier."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.0, separable_stem: bool = False) -> None:
        super().__init__()
        self.num_classes = num_classes
        if separable_stem:
            # depthwise 7x7 with depth multiplier 8 (3 -> 24 maps), then pointwise to 64 (appendix note)
            conv1: nn.Module = nn.Sequential(nn.Conv2d(3, 24, 7, 2, 3, groups=3, bias=False),
                                             ConvBNAct(24, 64, 1))
        else:
            conv1 = ConvBNAct(3, 64, 7, 2)
        self.stem = nn.Sequential(
            conv1,  # 112x112
            nn.MaxPool2d(3, 2, ceil_mode=True),  # 56x56
            ConvBNAct(64, 64, 1),
            ConvBNAct(64, 192, 3),
            nn.MaxPool2d(3, 2, ceil_mode=True),  # 28x28
        )
        blocks: list[nn.Module] = []
        in_ch = 192
        for _name, c1, c3r, c3, cd3r, cd3, pool, proj, stride in _MODULES:
            block = InceptionModule(in_ch, c1, c3r, c3, cd3r, cd3, pool, proj, stride)
            blocks.append(block)
            in_ch = block.out_channels
        self.blocks = nn.Sequential(*blocks)
        self.head = ClassifierHead(in_ch, num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


def bn_inception(*, num_classes: int = 1000, dropout: float = 0.0, separable_stem: bool = False) -> BNInception:
    """BN-Inception (Figure 5 of the BN paper) for 3x224x224 inputs."""
    return BNInception(num_classes=num_classes, dropout=dropout, separable_stem=separable_stem)
