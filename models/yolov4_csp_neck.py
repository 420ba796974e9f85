"""The YOLOv4-CSP neck (Wang, Bochkovskiy & Liao, "Scaled-YOLOv4: Scaling Cross Stage Partial Network", CVPR 2021,
Sec. 4.1 and Fig. 2–3): the CSP-ized PAN with the CSP-ized SPP, over CSPDarknet53.

Sec. 4.1 CSP-izes YOLOv4's PAN: each group of five 1×1/3×3 convs of the PAN becomes a "reversed" CSP dark layer
(Fig. 3, ``CSPBlock2`` below): a 1×1 conv splits off a base path; one part runs ``n`` plain (no shortcut) 1×1 → 3×3
bottlenecks, the other a single 1×1 conv; the two are concatenated, batch-normalised, activated and fused by a 1×1
conv. The SPP module sits in the middle of the first such group (``SPPCSP``: max-pools 5/9/13). Layer by layer it
follows the authors' yolov4-csp configuration (WongKinYiu/ScaledYOLOv4, branch yolov4-csp): top-down P5 → P4 → P3
with 2 bottlenecks per block, then bottom-up P3 → P4 → P5 with strided 3×3 convs, and a 3×3 conv per output
(256/512/1024 channels at strides 8/16/32) in front of the detection 1×1 convs, which are left out (their size
depends on the classes and anchors). Conv = conv (no bias) → BN → Mish.

The backbone is the registered ``cspdarknet53`` (timm's; its stages' outputs at strides 8/16/32). The paper gives
no parameter or FLOP count for the neck alone, so the tests check one CSP-PAN block by hand.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .layers import ConvBNAct


def _conv(c1: int, c2: int, k: int = 1, s: int = 1) -> ConvBNAct:
    return ConvBNAct(c1, c2, k, s, act=nn.Mish)


class CSPBlock2(nn.Module):
    """Reversed CSP dark layer (``BottleneckCSP2``): c1 → c (1×1); [n × (1×1 → 3×3)] ‖ 1×1; BN, Mish; 1×1 → c."""

    def __init__(self, c1: int, c: int, n: int = 2) -> None:
        super().__init__()
        self.cv1 = _conv(c1, c)
        self.m = nn.Sequential(*[nn.Sequential(_conv(c, c), _conv(c, c, 3)) for _ in range(n)])
        self.cv2 = nn.Conv2d(c, c, 1, bias=False)
        self.bn = nn.BatchNorm2d(2 * c)
        self.act = nn.Mish()
        self.cv3 = _conv(2 * c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.cv1(x)
        return self.cv3(self.act(self.bn(torch.cat([self.m(x1), self.cv2(x1)], 1))))


class SPPCSP(nn.Module):
    """CSP-ized SPP: 1×1 → 3×3 → 1×1, max-pools 5/9/13 concatenated, 1×1 → 3×3, beside a 1×1 of the input."""

    def __init__(self, c1: int, c: int, pools: tuple[int, ...] = (5, 9, 13)) -> None:
        super().__init__()
        self.pre = nn.Sequential(_conv(c1, c), _conv(c, c, 3), _conv(c, c))
        self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in pools)
        self.post = nn.Sequential(_conv(c * (len(pools) + 1), c), _conv(c, c, 3))
        self.cv2 = nn.Conv2d(c1, c, 1, bias=False)
        self.bn = nn.BatchNorm2d(2 * c)
        self.act = nn.Mish()
        self.cv7 = _conv(2 * c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.pre(x)
        y1 = self.post(torch.cat([x1, *(p(x1) for p in self.pools)], 1))
        return self.cv7(self.act(self.bn(torch.cat([y1, self.cv2(x)], 1))))


class CSPPAN(nn.Module):
    """The neck on (P3, P4, P5) with channels ``c3, c4, c5`` (256, 512, 1024); returns three maps of 256/512/1024."""

    def __init__(self, c3: int = 256, c4: int = 512, c5: int = 1024, n: int = 2) -> None:
        super().__init__()
        self.spp = SPPCSP(c5, c5 // 2)  # 1024 → 512
        self.lat5 = _conv(c5 // 2, c4 // 2)  # 512 → 256, upsampled
        self.lat4 = _conv(c4, c4 // 2)  # backbone P4 512 → 256
        self.td4 = CSPBlock2(c4, c4 // 2, n)  # cat 512 → 256
        self.lat4b = _conv(c4 // 2, c3 // 2)  # 256 → 128, upsampled
        self.lat3 = _conv(c3, c3 // 2)  # backbone P3 256 → 128
        self.td3 = CSPBlock2(c3, c3 // 2, n)  # cat 256 → 128
        self.out3 = _conv(c3 // 2, c3, 3)  # 128 → 256 (stride 8 output)
        self.down3 = _conv(c3 // 2, c3, 3, 2)  # 128 → 256, stride 2
        self.bu4 = CSPBlock2(c3 + c4 // 2, c4 // 2, n)  # cat 512 → 256
        self.out4 = _conv(c4 // 2, c4, 3)  # 256 → 512 (stride 16 output)
        self.down4 = _conv(c4 // 2, c4, 3, 2)  # 256 → 512, stride 2
        self.bu5 = CSPBlock2(c4 + c5 // 2, c5 // 2, n)  # cat 1024 → 512
        self.out5 = _conv(c5 // 2, c5, 3)  # 512 → 1024 (stride 32 output)

    def forward(self, p3: torch.Tensor, p4: torch.Tensor, p5: torch.Tensor) -> tuple[torch.Tensor, ...]:
        s5 = self.spp(p5)
        t4 = self.td4(torch.cat([self.lat4(p4), F.interpolate(self.lat5(s5), scale_factor=2.0)], 1))
        t3 = self.td3(torch.cat([self.lat3(p3), F.interpolate(self.lat4b(t4), scale_factor=2.0)], 1))
        b4 = self.bu4(torch.cat([self.down3(t3), t4], 1))
        b5 = self.bu5(torch.cat([self.down4(b4), s5], 1))
        return self.out3(t3), self.out4(b4), self.out5(b5)


class CSPDarknet53PAN(nn.Module):
    """timm's cspdarknet53 (strides 8/16/32 taken) followed by the CSP-PAN neck."""

    def __init__(self) -> None:
        super().__init__()
        import timm

        self.backbone = timm.create_model("cspdarknet53", features_only=True, out_indices=(3, 4, 5))
        self.neck = CSPPAN(*self.backbone.feature_info.channels())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.neck(*self.backbone(x))


def cspdarknet53_csppan(**kwargs) -> CSPDarknet53PAN:
    return CSPDarknet53PAN(**kwargs)
