"""ProxylessNAS (Cai, Zhu & Han, "ProxylessNAS: Direct Neural Architecture Search on Target Task and Hardware",
ICLR 2019): the three searched ImageNet networks of Fig. 4 — GPU, CPU and mobile.

Every network is MobileNetV2's skeleton with a searched choice per layer: an MBConv (1×1 expansion by 3 or 6 →
k×k depthwise, k ∈ {3, 5, 7} → linear 1×1 projection; BN after each conv, ReLU6 after the first two) or "zero"
(the layer is skipped; only layers whose input and output match may be skipped). Stem 3×3/2 conv, a first MBConv
with expansion 1, five stages at 112/56/28/14/7 px (the first layer of each strided), a 1×1 conv to the feature
width, global pool and a linear classifier. The per-layer choices are those of the released networks
(mit-han-lab/proxylessnas net configs, Fig. 4 of the paper); ``_CONFIGS`` lists them as (output width, kernel,
expansion) with ``None`` where the search picked "zero". Published counts are the authors' training logs
(logs/imagenet_*_log.txt: "Total training params", "Total FLOPs" = MACs).
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import ConvBNAct

Layer = tuple[int, int, int] | None  # (output channels, kernel, expansion), None = skipped ("zero" op)

# stem, first MBConv (expansion 1), then four layers per stage ×(1, 1, 2, 1.25) — the stage at 14 px has two
# widths, the last stage ends in one unrepeated layer — and the final 1×1 width
_CONFIGS: dict[str, tuple[int, tuple[tuple[Layer, ...], ...], int]] = {
    "gpu": (40, (
        ((24, 3, 1),),
        ((32, 5, 3), None, None, None),
        ((56, 7, 3), None, None, (56, 3, 3)),
        ((112, 7, 6), None, None, (112, 5, 3), (128, 5, 6), None, (128, 3, 3), (128, 5, 3)),
        ((256, 7, 6), (256, 7, 6), (256, 7, 6), (256, 5, 6), (432, 7, 6)),
    ), 1728),
    "cpu": (40, (
        ((24, 3, 1),),
        ((32, 3, 6), (32, 3, 3), (32, 3, 3), (32, 3, 3)),
        ((48, 3, 6), (48, 3, 3), (48, 3, 3), (48, 5, 3)),
        ((88, 3, 6), None, None, (88, 3, 3), (104, 5, 6), (104, 3, 3), (104, 3, 3), (104, 3, 3)),
        ((216, 5, 6), (216, 5, 3), (216, 5, 3), (216, 3, 3), (360, 5, 6)),
    ), 1432),
    "mobile": (32, (
        ((16, 3, 1),),
        ((32, 5, 3), (32, 3, 3), None, None),
        ((40, 7, 3), (40, 3, 3), (40, 5, 3), (40, 5, 3)),
        ((80, 7, 6), (80, 5, 3), (80, 5, 3), (80, 5, 3), (96, 5, 6), (96, 5, 3), (96, 5, 3), (96, 5, 3)),
        ((192, 7, 6), (192, 7, 6), (192, 7, 3), (192, 7, 3), (320, 7, 6)),
    ), 1280),
}


class MBConv(nn.Module):
    """1×1 expansion (left out when the ratio is 1) → k×k depthwise → linear 1×1; residual when shapes match."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        mid = in_ch * expansion
        layers: list[nn.Module] = [] if expansion == 1 else [ConvBNAct(in_ch, mid, 1, act=nn.ReLU6)]
        layers += [ConvBNAct(mid, mid, kernel, stride, groups=mid, act=nn.ReLU6), ConvBNAct(mid, out_ch, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.residual else self.body(x)


class ProxylessNAS(nn.Module):
    def __init__(self, version: str = "mobile", num_classes: int = 1000) -> None:
        super().__init__()
        stem, stages, final = _CONFIGS[version]
        layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2, act=nn.ReLU6)]
        ch = stem
        for s, stage in enumerate(stages):
            for i, layer in enumerate(stage):
                if layer is None:  # "zero": the identity shortcut alone
                    continue
                out, k, e = layer
                layers.append(MBConv(ch, out, k, 2 if i == 0 and s > 0 else 1, e))
                ch = out
        layers.append(ConvBNAct(ch, final, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(final, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def proxylessnas(*, version: str = "mobile", num_classes: int = 1000) -> ProxylessNAS:
    if version not in _CONFIGS:
        raise ValueError(f"unknown ProxylessNAS version {version!r}: choose {', '.join(_CONFIGS)}")
    return ProxylessNAS(version, num_classes)
