"""NASNet-A Mobile (Zoph, Vasudevan, Shlens & Le, "Learning Transferable Architectures for Scalable Image
Recognition", CVPR 2018): "NASNet-A (4 @ 1056)", Table 2 — 5.3M parameters, 564M mult-adds at 224×224.

N = 4 normal cells per stage and 1056 penultimate filters (44 per cell branch: 1056 / 24), the stem of the
ImageNet models (a 3×3/2 conv with 32 filters and two reduction "stem" cells), normal cells at 28, 14 and 7 px
separated by the two reduction cells, ReLU, global pool and a 1000-way classifier. timm ships only the
"6 @ 4032" NASNet-A Large; its cells (``timm.models.nasnet``: the learned normal and reduction cells of Fig. 4,
TF-style "same" padding) take their widths as arguments, so this file stacks them in the mobile configuration —
the layout of Cadene's ``pretrainedmodels`` NASNetAMobile and the TF-slim ``nasnet_mobile`` reference.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn


class NASNetAMobile(nn.Module):
    """NASNet-A (N @ penultimate): ``cells`` normal cells per stage; the cell width is ``penultimate // 24``."""

    def __init__(self, num_classes: int = 1000, stem_size: int = 32, penultimate: int = 1056, cells: int = 4,
                 mult: int = 2) -> None:
        super().__init__()
        from timm.layers import ConvNormAct
        from timm.models.nasnet import CellStem0, CellStem1, FirstCell, NormalCell, ReductionCell0, ReductionCell1

        f = penultimate // 24
        pad = "same"
        self.conv0 = ConvNormAct(3, stem_size, kernel_size=3, padding=0, stride=2, apply_act=False,
                                 norm_layer=partial(nn.BatchNorm2d, eps=0.001, momentum=0.1))
        self.cell_stem_0 = CellStem0(stem_size, num_channels=f // mult**2, pad_type=pad)
        self.cell_stem_1 = CellStem1(stem_size, num_channels=f // mult, pad_type=pad)
        stages: list[nn.ModuleList] = []
        reductions: list[nn.Module] = []
        # (width of the cell's branches w, the stage's input width from two cells back, from the previous cell)
        for s, (w, prev2, prev1) in enumerate(((f, f, 2 * f), (2 * f, 6 * f, 8 * f), (4 * f, 12 * f, 16 * f))):
            first = FirstCell(in_chs_left=prev2, out_chs_left=w // 2, in_chs_right=prev1, out_chs_right=w,
                              pad_type=pad)
            normals = [NormalCell(in_chs_left=(prev1 if i == 0 else 6 * w), out_chs_left=w, in_chs_right=6 * w,
                                  out_chs_right=w, pad_type=pad) for i in range(cells - 1)]
            stages.append(nn.ModuleList([first, *normals]))
            if s < 2:
                red = ReductionCell0 if s == 0 else ReductionCell1
                reductions.append(red(in_chs_left=6 * w, out_chs_left=2 * w, in_chs_right=6 * w,
                                      out_chs_right=2 * w, pad_type=pad))
        self.stages = nn.ModuleList(stages)
        self.reductions = nn.ModuleList(reductions)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24 * f, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x0 = self.conv0(x)
        s0 = self.cell_stem_0(x0)
        prev2, prev1 = s0, self.cell_stem_1(x0, s0)
        for i, stage in enumerate(self.stages):
            for cell in stage:
                prev2, prev1 = prev1, cell(prev1, prev2)
            if i < len(self.reductions):
                # a reduction cell reads the last two normal cells; the next stage's first cell reads it and the
                # last-but-one normal cell (prev2 stays the same)
                prev1 = self.reductions[i](prev1, prev2)
        return self.fc(torch.flatten(self.pool(self.act(prev1)), 1))


def nasnet_a_mobile(*, num_classes: int = 1000, **kwargs) -> NASNetAMobile:
    return NASNetAMobile(num_classes=num_classes, **kwargs)
