"""CRU-Net (Chen, Jin, Kang, Feng & Yan, "Sharing Residual Units Through Collective Tensor Factorization To Improve
Deep Neural Networks", IJCAI 2018; arXiv 1703.02180).

A collective residual unit (CRU) factorises the residual function of a ResNeXt-style unit and shares the first two
factors across the units of a stage: a 1x1 conv (C → W) and a 3x3 depthwise conv (W → W) are *one* pair of weights
for several units; each unit keeps its own 1x1 conv W → W and 1x1 conv W → C (pre-activation BN + ReLU before every
conv but the shared depthwise one). Layer for layer from the released ImageNet models as converted by osmr/imgclsmob
(``gluon/gluoncv2/models/crunetb.py``, which states 26,139,432 and 44,321,000 parameters):

* stem: 7x7/2 conv 64 + BN + ReLU + 3x3/2 max pool; stages of 256/512/1024/2048 channels, 3-4-6-3 units (CRU-Net-56)
  or 3-6-18-3 units (CRU-Net-116); the final pre-activation BN + ReLU, 7x7 average pool and FC;
* stages without sharing are pre-activation ResNeXt-32x4d units;
* "@x14": stage 3 (14x14) is CRU units of width W = 640 sharing one pair; "@x28x14": stage 2 (28x28) with W = 352
  and stage 3 with W = 704, its pair renewed every 6 units;
* in a CRU unit whose input width differs, a 1x1 pre-activation conv maps the input to C; at stride 1 the projection
  shortcut reuses that conv's weights (own BN); the stride-2 first unit has its own stride-2 depthwise conv, so
  the second unit starts the stride-1 pair the rest of the stage shares.

Parameters are counted once however many units share them (``nn.Module.parameters`` de-duplicates).
"""

from __future__ import annotations

import torch
from torch import nn


def _pre(cin: int, cout: int, stride: int = 1, conv: nn.Conv2d | None = None) -> nn.Sequential:
    """BN + ReLU + 1x1 conv (``conv`` given: that shared conv is used)."""
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=False),
                         conv if conv is not None else nn.Conv2d(cin, cout, 1, stride, bias=False))


class ResNeXtUnit(nn.Module):
    """Pre-activation ResNeXt unit: 1x1 (C_in → G·d), 3x3 grouped (stride), 1x1 (→ C_out); projection shortcut."""

    def __init__(self, cin: int, cout: int, stride: int, cardinality: int = 32, width: int = 4) -> None:
        super().__init__()
        mid = cardinality * (cout // 4 * width // 64)
        self.body = nn.Sequential(
            _pre(cin, mid),
            nn.BatchNorm2d(mid), nn.ReLU(), nn.Conv2d(mid, mid, 3, stride, 1, groups=cardinality, bias=False),
            _pre(mid, cout))
        self.shortcut = _pre(cin, cout, stride) if (cin != cout or stride != 1) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))


class CRUUnit(nn.Module):
    """Collective residual unit; ``shared_1x1`` / ``shared_dw`` are the stage's shared convs (None: own ones)."""

    def __init__(self, cin: int, cout: int, stride: int, width: int,
                 shared_1x1: nn.Conv2d | None = None, shared_dw: nn.Conv2d | None = None) -> None:
        super().__init__()
        self.input_conv = _pre(cin, cout) if cin != cout else None
        self.conv1 = _pre(cout, width, conv=shared_1x1)
        self.conv2 = shared_dw if shared_dw is not None else nn.Conv2d(width, width, 3, stride, 1, groups=width,
                                                                       bias=False)
        self.conv3 = _pre(width, width)
        self.conv4 = _pre(width, cout)
        self.shortcut = None
        if cin != cout or stride != 1:
            reuse = self.input_conv[2] if (stride == 1 and self.input_conv is not None) else None
            self.shortcut = _pre(cin, cout, stride, conv=reuse)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        if self.input_conv is not None:
            x = self.input_conv(x)
        return self.conv4(self.conv3(self.conv2(self.conv1(x)))) + identity


class CRUNet(nn.Module):
    """CRU-Net: ResNeXt stem/stages with CRU stages where ``widths[i]`` > 0 (shared pair renewed every
    ``refresh[i]`` units; 0 = one pair for the stage).

    Args:
        layers: units per stage.
        widths: CRU width W per stage (0 = plain pre-activation ResNeXt-32x4d units).
        refresh: units per shared pair (0 = the whole stage).
        num_classes: classifier outputs.
    """

    def __init__(self, layers: tuple[int, ...], widths: tuple[int, ...], refresh: tuple[int, ...],
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        stages, cin = [], 64
        for i, (n, w, step) in enumerate(zip(layers, widths, refresh)):
            cout, units, s1x1, sdw = 256 * 2 ** i, [], None, None
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1
                if w == 0:
                    units.append(ResNeXtUnit(cin, cout, stride))
                else:
                    if (step == 0 and j == 0) or (step and j % step == 0):
                        s1x1 = sdw = None
                    if sdw is not None and sdw.stride[0] != 1 and stride == 1:
                        sdw = None  # the stride-2 depthwise conv of a stage's first unit is not shared
                    unit = CRUUnit(cin, cout, stride, w, s1x1, sdw)
                    s1x1, sdw = unit.conv1[2], unit.conv2
                    units.append(unit)
                cin = cout
            stages.append(nn.Sequential(*units))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def crunet56(*, num_classes: int = 1000) -> CRUNet:
    """CRU-Net-56 @x14, 32x4d (released model: 98 MB)."""
    return CRUNet((3, 4, 6, 3), (0, 0, 640, 0), (0, 0, 0, 0), num_classes)


def crunet116(*, num_classes: int = 1000) -> CRUNet:
    """CRU-Net-116 @x28x14, 32x4d (released model: 168 MB)."""
    return CRUNet((3, 6, 18, 3), (0, 352, 704, 0), (0, 0, 6, 0), num_classes)
