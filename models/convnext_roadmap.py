"""The ConvNeXt roadmap (Liu, Mao, Wu, Feichtenhofer, Darrell & Xie, "A ConvNet for the 2020s", CVPR 2022,
Section 2 and Figure 2): ResNet-50 modernised step by step into ConvNeXt-T.

Each step keeps everything of the step before and changes one thing (paper GFLOPs = multiply-accumulates):

====================  ===========================================================================  ======
step                  change                                                                        GFLOPs
====================  ===========================================================================  ======
``resnet50``          torchvision's ResNet-50: stem 7x7/2 + max-pool, bottlenecks (3, 4, 6, 3)      4.1
``stage_ratio``       blocks per stage (3, 4, 6, 3) → (3, 3, 9, 3), as Swin-T's 1:1:3:1               4.5
``patchify``          stem → one 4x4 stride-4 conv (+BN-ReLU), no max-pool                          4.4
``depthwise``         the bottleneck's 3x3 becomes depthwise (groups = width), width still 64       2.4
``width96``           base width 64 → 96 (Swin-T's C): bottleneck widths 96·2^i, outputs 384·2^i   5.3
``inverted``          inverted bottleneck: block width d = 96·2^i, 1x1 d→4d, dw 3x3 on 4d, 1x1 4d→d   4.6
``move_up``           the depthwise conv moves to the front of the block (on d channels)            4.1
``kernel7``           depthwise kernel 3x3 → 7x7                                                     4.2
``micro``             GELU, one activation and one norm per block, BN → LN (no MAC change)           4.2
``convnext_t``        separate 2x2/2 downsampling layers with LNs = torchvision's convnext_tiny      4.5
====================  ===========================================================================  ======

Until ``micro`` downsampling stays ResNet-style: the first block of stages 2-4 has stride 2 (in its spatial
conv) and a 1x1 stride-2 projection shortcut, which the paper names as the reason the inverted bottleneck *lowers*
FLOPs (the shortcut shrinks from 4·96·2^i to 96·2^i channels). The last step is torchvision's ``convnext_tiny``
itself (Table 1's ConvNeXt-T: 28M params, 4.5G FLOPs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

STEPS = ("resnet50", "stage_ratio", "patchify", "depthwise", "width96", "inverted", "move_up", "kernel7", "micro",
         "convnext_t")


@dataclass(frozen=True)
class RoadmapConfig:
    """One network on the roadmap."""

    depths: tuple[int, ...] = (3, 4, 6, 3)
    stem: str = "resnet"  # resnet (7x7/2 + max-pool) | patchify (4x4/4)
    width: int = 64  # bottleneck width (ResNet-style) or block width d (inverted) of stage 1
    depthwise: bool = False
    block: str = "bottleneck"  # bottleneck | inverted | move_up
    kernel: int = 3
    micro: bool = False  # GELU once, one LayerNorm per block, biases as ConvNeXt


def config(step: str) -> RoadmapConfig:
    """The configuration of roadmap step ``step`` (one of :data:`STEPS` but ``convnext_t``)."""
    if step not in STEPS[:-1]:
        raise ValueError(f"step must be one of {STEPS[:-1]}, got {step!r}")
    cfg = RoadmapConfig()
    for s in STEPS[1:STEPS.index(step) + 1]:
        cfg = replace(cfg, **{
            "stage_ratio": {"depths": (3, 3, 9, 3)},
            "patchify": {"stem": "patchify"},
            "depthwise": {"depthwise": True},
            "width96": {"width": 96},
            "inverted": {"block": "inverted"},
            "move_up": {"block": "move_up"},
            "kernel7": {"kernel": 7},
            "micro": {"micro": True},
        }[s])
    return cfg


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW tensor (as ConvNeXt's channels-first LayerNorm)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _conv(cfg: RoadmapConfig, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=cfg.micro)


def _unit(cfg: RoadmapConfig, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1,
          act: bool = True) -> nn.Sequential:
    """conv → BN → ReLU (before the micro step); in the micro step the bare conv (norm/GELU placed by the block)."""
    if cfg.micro:
        return nn.Sequential(_conv(cfg, cin, cout, k, stride, groups))
    layers: list[nn.Module] = [_conv(cfg, cin, cout, k, stride, groups), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class RoadmapBlock(nn.Module):
    """A residual block of the roadmap: ResNet bottleneck, inverted bottleneck, or dw-first inverted bottleneck.

    Args:
        cin / cout: block input / output channels; ``mid`` the width of the spatial conv's neighbourhood:
            bottleneck ``cin → mid → mid → cout`` (cout = 4·mid); inverted ``cin → 4·cout → dw → cout``;
            move_up ``dw on cin → 4·cout → cout``.
    """

    def __init__(self, cfg: RoadmapConfig, cin: int, cout: int, mid: int, stride: int) -> None:
        super().__init__()
        k = cfg.kernel
        if cfg.block == "bottleneck":
            self.body = nn.Sequential(
                _unit(cfg, cin, mid),
                _unit(cfg, mid, mid, k, stride, groups=mid if cfg.depthwise else 1),
                _unit(cfg, mid, cout, act=False))
        elif cfg.block == "inverted":
            hid = 4 * cout
            self.body = nn.Sequential(
                _unit(cfg, cin, hid), _unit(cfg, hid, hid, k, stride, groups=hid), _unit(cfg, hid, cout, act=False))
        elif cfg.micro:  # move_up with ConvNeXt's micro design: dw → LN → 1x1 → GELU → 1x1
            hid = 4 * cout
            self.body = nn.Sequential(
                _conv(cfg, cin, cin, k, stride, groups=cin), LayerNorm2d(cin, eps=1e-6),
                _conv(cfg, cin, hid), nn.GELU(), _conv(cfg, hid, cout))
        else:  # move_up
            hid = 4 * cout
            self.body = nn.Sequential(
                _unit(cfg, cin, cin, k, stride, groups=cin), _unit(cfg, cin, hid), _unit(cfg, hid, cout, act=False))
        if stride != 1 or cin != cout:
            proj: list[nn.Module] = [_conv(cfg, cin, cout, 1, stride)]
            proj.append(LayerNorm2d(cout, eps=1e-6) if cfg.micro else nn.BatchNorm2d(cout))
            self.shortcut: nn.Module = nn.Sequential(*proj)
        else:
            self.shortcut = nn.Identity()
        self.act = nn.Identity() if cfg.micro else nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class RoadmapNet(nn.Module):
    """One network of the ConvNeXt roadmap (every step but the last; see the module docstring)."""

    def __init__(self, cfg: RoadmapConfig, num_classes: int = 1000) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        if cfg.stem == "resnet":
            self.stem = nn.Sequential(nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
        elif cfg.micro:
            self.stem = nn.Sequential(nn.Conv2d(3, w, 4, 4), LayerNorm2d(w, eps=1e-6))
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, w, 4, 4, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True))
        blocks: list[nn.Module] = []
        cin = w
        for i, n in enumerate(cfg.depths):
            mid = w * 2**i
            cout = 4 * mid if cfg.block == "bottleneck" else mid
            for j in range(n):
                blocks.append(RoadmapBlock(cfg, cin, cout, mid, 2 if (j == 0 and i > 0) else 1))
                cin = cout
        self.stages = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))


def convnext_roadmap(*, step: str = "resnet50", num_classes: int = 1000) -> nn.Module:
    """The network of roadmap step ``step``; ``convnext_t`` is torchvision's ``convnext_tiny`` (random init)."""
    if step == "convnext_t":
        from torchvision.models import convnext_tiny

        return convnext_tiny(weights=None, num_classes=num_classes)
    return RoadmapNet(config(step), num_classes=num_classes)
