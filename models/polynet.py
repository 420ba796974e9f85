"""Very deep PolyNet (Zhang, Li, Loy & Lin, "PolyNet: A Pursuit of Structural Diversity in Very Deep Networks",
CVPR 2017).

PolyNet replaces the Inception-ResNet-v2 residual units with PolyInception modules. With F an Inception block:

* poly-2: x + F(x) + F(F(x)) — one F applied twice (convolutions shared; BatchNorm per application),
* poly-3: x + F(x) + F(F(x)) + F(F(F(x))), the same with three applications,
* 2-way: x + F(x) + G(x) — two different blocks on the same input.

The very deep PolyNet of the ILSVRC 2016 entry (Sec. 6) stacks on the Inception-ResNet-v2 stem: 10 2-way A modules
(35x35, 384 ch), reduction A, 20 B modules alternating poly-3 and 2-way (17x17, 1152 ch), reduction B, 10 C modules
alternating poly-3 and 2-way (8x8, 2048 ch), average pool, dropout, FC. Residual branches are scaled by
a factor that decays linearly from 1 to 0.7 over the 40 modules (the released model's "initialization by insertion"
scales). Widths and the 331x331 input follow the released model (as converted to PyTorch in
Cadene/pretrained-models.pytorch ``polynet``). Every F ends with a 1x1 conv + BN (no ReLU) that restores the width;
in poly-N modules the 1x1/7x1... convs are shared across applications, the closing 1x1 conv is not.
"""

from __future__ import annotations

import torch
from torch import nn

_KS = int | tuple[int, int]


class ConvBN(nn.Sequential):
    """Conv (no bias) → BN → optional ReLU."""

    def __init__(self, cin: int, cout: int, k: _KS, stride: int = 1, padding: _KS = 0, relu: bool = True) -> None:
        super().__init__(nn.Conv2d(cin, cout, k, stride, padding, bias=False), nn.BatchNorm2d(cout))
        if relu:
            self.append(nn.ReLU(inplace=True))


class Stem(nn.Module):
    """Inception-ResNet-v2 / Inception-v4 stem: 3x331x331 → 384x35x35."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(ConvBN(3, 32, 3, 2), ConvBN(32, 32, 3), ConvBN(32, 64, 3, padding=1))
        self.pool1, self.conv1b = nn.MaxPool2d(3, 2), ConvBN(64, 96, 3, 2)
        self.short = nn.Sequential(ConvBN(160, 64, 1), ConvBN(64, 96, 3))
        self.long = nn.Sequential(ConvBN(160, 64, 1), ConvBN(64, 64, (7, 1), padding=(3, 0)),
                                  ConvBN(64, 64, (1, 7), padding=(0, 3)), ConvBN(64, 96, 3))
        self.pool2, self.conv2b = nn.MaxPool2d(3, 2), ConvBN(192, 192, 3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = torch.cat([self.pool1(x), self.conv1b(x)], 1)
        x = torch.cat([self.short(x), self.long(x)], 1)
        return torch.cat([self.pool2(x), self.conv2b(x)], 1)


# Inception-ResNet-v2 block bodies: branches as (in, out, kernel, padding) chains, then the 1x1 projection.
_A = ((384, [(32, 1, 0), (48, 3, 1), (64, 3, 1)]), (384, [(32, 1, 0), (32, 3, 1)]), (384, [(32, 1, 0)]))
_B = ((1152, [(128, 1, 0), (160, (1, 7), (0, 3)), (192, (7, 1), (3, 0))]), (1152, [(192, 1, 0)]))
_C = ((2048, [(192, 1, 0), (224, (1, 3), (0, 1)), (256, (3, 1), (1, 0))]), (2048, [(192, 1, 0)]))
_WIDTH = {"A": 384, "B": 1152, "C": 2048}
_BRANCHES = {"A": _A, "B": _B, "C": _C}


class InceptionBody(nn.Module):
    """One Inception-ResNet-v2 residual function F (branches → concat → 1x1 conv + BN, no ReLU).

    ``convs_from`` shares the branch convolutions with another body (PolyNet's poly-N), keeping its own BNs.
    """

    def __init__(self, kind: str, convs_from: InceptionBody | None = None) -> None:
        super().__init__()
        self.branches = nn.ModuleList()
        for b, (cin, chain) in enumerate(_BRANCHES[kind]):
            layers = nn.Sequential()
            for i, (cout, k, pad) in enumerate(chain):
                unit = ConvBN(cin, cout, k, padding=pad)
                if convs_from is not None:
                    unit[0] = convs_from.branches[b][i][0]  # shared weights, separate BN
                layers.append(unit)
                cin = cout
            self.branches.append(layers)
        width = sum(chain[-1][0] for _, chain in _BRANCHES[kind])
        self.project = ConvBN(width, _WIDTH[kind], 1, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(torch.cat([b(x) for b in self.branches], 1))


class PolyInception(nn.Module):
    """poly-N (``order`` applications of one F, convolutions shared) or N-way (``ways`` different F on x).

    Output: ReLU(x + s·Σ terms), s = the residual scale.
    """

    def __init__(self, kind: str, scale: float, order: int = 1, ways: int = 1) -> None:
        super().__init__()
        self.scale, self.order = scale, order
        first = InceptionBody(kind)
        if order > 1:
            self.bodies = nn.ModuleList([first, *(InceptionBody(kind, convs_from=first) for _ in range(order - 1))])
        else:
            self.bodies = nn.ModuleList([first, *(InceptionBody(kind) for _ in range(ways - 1))])
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.order > 1:  # x + F(x) + F(F(x)) + ...
            h = x
            for body in self.bodies:
                h = body(h)
                out = out + self.scale * h
                h = self.relu(h)
        else:  # x + F(x) + G(x) + ...
            for body in self.bodies:
                out = out + self.scale * body(x)
        return self.relu(out)


class ReductionA(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.b0 = nn.Sequential(ConvBN(384, 256, 1), ConvBN(256, 256, 3, padding=1), ConvBN(256, 384, 3, 2))
        self.b1 = ConvBN(384, 384, 3, 2)
        self.pool = nn.MaxPool2d(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1(x), self.pool(x)], 1)


class ReductionB(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.b0 = nn.Sequential(ConvBN(1152, 256, 1), ConvBN(256, 256, 3, padding=1), ConvBN(256, 256, 3, 2))
        self.b1 = nn.Sequential(ConvBN(1152, 256, 1), ConvBN(256, 256, 3, 2))
        self.b2 = nn.Sequential(ConvBN(1152, 256, 1), ConvBN(256, 384, 3, 2))
        self.pool = nn.MaxPool2d(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1(x), self.b2(x), self.pool(x)], 1)


class PolyNet(nn.Module):
    """Very deep PolyNet: stem, 10 × 2-way A, reduction A, 20 × (poly-3 | 2-way) B, reduction B,
    10 × (poly-3 | 2-way) C, average pool, dropout 0.2, FC."""

    def __init__(self, num_classes: int = 1000, modules: tuple[int, int, int] = (10, 20, 10)) -> None:
        super().__init__()
        total = sum(modules)
        scales = iter([1 - 0.3 * i / (total - 1) for i in range(total)])  # 1 → 0.7, linear
        self.stem = Stem()
        self.stage_a = nn.Sequential(*(PolyInception("A", next(scales), ways=2) for _ in range(modules[0])))
        self.reduction_a = ReductionA()
        self.stage_b = nn.Sequential(*(PolyInception("B", next(scales), order=3) if i % 2 == 0
                                       else PolyInception("B", next(scales), ways=2) for i in range(modules[1])))
        self.reduction_b = ReductionB()
        self.stage_c = nn.Sequential(*(PolyInception("C", next(scales), order=3) if i % 2 == 0
                                       else PolyInception("C", next(scales), ways=2) for i in range(modules[2])))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.reduction_b(self.stage_b(self.reduction_a(self.stage_a(x))))
        x = self.stage_c(x)
        return self.fc(self.dropout(torch.flatten(self.pool(x), 1)))


def polynet(*, num_classes: int = 1000) -> PolyNet:
    """Very deep PolyNet (ILSVRC 2016), 331x331 input."""
    return PolyNet(num_classes=num_classes)
