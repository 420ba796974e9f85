"""ResNet-50 variants with attention or special convolutions, all from one skeleton.

``ResNet50Skeleton`` owns the stem, the (3, 4, 6, 3) bottleneck stages (stride in the 3×3 conv, as in
torchvision / "ResNet v1.5" and the official codes of the variants below) and the head; a variant is a
``make_block(stage, index, inplanes, planes, stride)`` factory plus an optional ``after_stage`` module.
The plain ``Bottleneck`` is itself parametrised by a ``BottleneckMods`` (what replaces the 3×3 conv,
the first norm, and which attention follows bn3), so most variants are a few lines. Stages are numbered
0-3 = conv2_x-conv5_x.

Variants (paper, year; where the paper counts come from — see ``catalog_attention.py``):
    CBAM-ResNet50   CBAM (Woo et al., ECCV 2018): CBAM on every bottleneck's residual branch.
    BAM-ResNet50    BAM (Park et al., BMVC 2018): BAM after conv2_x, conv3_x, conv4_x.
    SGE-ResNet50    Spatial Group-wise Enhance (Li et al., 2019): SGE (64 groups) on every residual branch.
    ResNet50-IBN-a  Two at Once: IBN-Net (Pan et al., ECCV 2018): bn1 → half IN / half BN in conv2_x-conv4_x.
    Oct-ResNet50    Drop an Octave (Chen et al., ICCV 2019): every conv an OctConv; the last stage is
                    brought back to α=0 by its first block (official code).
    DCN-ResNet50    Deformable ConvNets v1 (Dai et al., 2017) / v2 (Zhu et al., 2019): the 3×3 convs of
                    conv3_x-conv5_x are deformable (as in DCNv2's ImageNet experiment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cnnbench_models.blocks.attention import BAM, CBAM, SGE
from cnnbench_models.blocks.conv import DeformConv2d, OctConv2d

__all__ = [
    "IBN",
    "Bottleneck",
    "BottleneckMods",
    "OctBottleneck",
    "ResNet50Skeleton",
    "bam_resnet50",
    "cbam_resnet50",
    "oct_resnet50",
    "resnet50_dcn",
    "resnet50_ibn_a",
    "sge_resnet50",
]

EXPANSION = 4
STAGE_PLANES = (64, 128, 256, 512)

BlockFactory = Callable[[int, int, int, int, int], nn.Module]


def _plain_conv2(stage: int, width: int, stride: int) -> nn.Module:
    return nn.Conv2d(width, width, 3, stride, 1, bias=False)


def _plain_norm1(stage: int, width: int) -> nn.Module:
    return nn.BatchNorm2d(width)


@dataclass(frozen=True)
class BottleneckMods:
    """What a variant changes in a bottleneck; each callable gets the stage index (0-3) first.

    Attributes:
        conv2: ``(stage, width, stride) → module`` replacing the 3×3 conv (it carries the stride).
        norm1: ``(stage, width) → module`` replacing the BN after the first 1×1 conv.
        attention: ``(stage, out_channels) → module | None`` applied to the residual branch after bn3.
    """

    conv2: Callable[[int, int, int], nn.Module] = _plain_conv2
    norm1: Callable[[int, int], nn.Module] = _plain_norm1
    attention: Callable[[int, int], nn.Module | None] | None = None


class Bottleneck(nn.Module):
    """1×1 → 3×3 (stride) → 1×1 bottleneck with projection shortcut when the shape changes."""

    def __init__(self, inplanes: int, planes: int, stride: int, stage: int, mods: BottleneckMods) -> None:
        super().__init__()
        out = planes * EXPANSION
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = mods.norm1(stage, planes)
        self.conv2 = mods.conv2(stage, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        att = mods.attention(stage, out) if mods.attention is not None else None
        self.attention = att if att is not None else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.attention(self.bn3(self.conv3(y)))
        return self.relu(y + identity)


def bottleneck_factory(mods: BottleneckMods) -> BlockFactory:
    """A ``make_block`` building plain-structure bottlenecks with ``mods``."""

    def make(stage: int, index: int, inplanes: int, planes: int, stride: int) -> nn.Module:
        return Bottleneck(inplanes, planes, stride, stage, mods)

    return make


class ResNet50Skeleton(nn.Module):
    """Stem (7×7/2 conv, BN, ReLU, 3×3/2 max pool) → four bottleneck stages → GAP → FC.

    Args:
        make_block: ``(stage, index, inplanes, planes, stride) → module``; the first block of a stage gets
            the stage's stride (1, 2, 2, 2), the others stride 1.
        after_stage: optional ``(stage, channels) → module | None`` appended to a stage (e.g. BAM).
        layers: blocks per stage.
        num_classes: classifier outputs.
    """

    def __init__(self, make_block: BlockFactory, after_stage: Callable[[int, int], nn.Module | None] | None = None,
                 layers: tuple[int, int, int, int] = (3, 4, 6, 3), num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        inplanes = 64
        stages = []
        for stage, (planes, blocks, stride) in enumerate(zip(STAGE_PLANES, layers, (1, 2, 2, 2))):
            modules = []
            for i in range(blocks):
                modules.append(make_block(stage, i, inplanes, planes, stride if i == 0 else 1))
                inplanes = planes * EXPANSION
            extra = after_stage(stage, inplanes) if after_stage is not None else None
            if extra is not None:
                modules.append(extra)
            stages.append(nn.Sequential(*modules))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)
        for name, m in self.named_modules():
            # deformable offset predictors start at zero (plain-conv behaviour): leave them alone
            if isinstance(m, nn.Conv2d) and not name.endswith(".offset"):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class IBN(nn.Module):
    """IBN-a normalisation: InstanceNorm (affine) on the first half of the channels, BatchNorm on the rest."""

    def __init__(self, channels: int, ratio: float = 0.5) -> None:
        super().__init__()
        self.half = int(channels * ratio)
        self.instance = nn.InstanceNorm2d(self.half, affine=True)
        self.batch = nn.BatchNorm2d(channels - self.half)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.instance(x[:, : self.half]), self.batch(x[:, self.half:])], dim=1)


# ----------------------------------------------------------------------------- OctConv bottleneck

class _OctNorm(nn.Module):
    """BN (+ReLU) applied to the high part and, if present, the low part."""

    def __init__(self, channels: int, alpha: float, act: bool) -> None:
        super().__init__()
        lo = int(alpha * channels)
        self.bn_h = nn.BatchNorm2d(channels - lo)
        self.bn_l = nn.BatchNorm2d(lo) if lo else None
        self.act = act

    def forward(self, x):  # tensor or (high, low)
        if isinstance(x, tuple):
            out = (self.bn_h(x[0]), self.bn_l(x[1]))
            return tuple(torch.relu(t) for t in out) if self.act else out
        y = self.bn_h(x)
        return torch.relu(y) if self.act else y


def _oct_add_relu(a, b):  # tensors or (high, low) pairs of matching structure
    if isinstance(a, tuple):
        return torch.relu(a[0] + b[0]), torch.relu(a[1] + b[1])
    return torch.relu(a + b)


class OctBottleneck(nn.Module):
    """Bottleneck with every conv an OctConv: conv1 α_in→α_out, conv2/conv3 α_out→α_out, shortcut α_in→α_out."""

    def __init__(self, inplanes: int, planes: int, stride: int, alpha_in: float, alpha_out: float) -> None:
        super().__init__()
        out = planes * EXPANSION
        self.conv1 = OctConv2d(inplanes, planes, 1, 1, alpha_in, alpha_out)
        self.bn1 = _OctNorm(planes, alpha_out, act=True)
        self.conv2 = OctConv2d(planes, planes, 3, stride, alpha_out, alpha_out)
        self.bn2 = _OctNorm(planes, alpha_out, act=True)
        self.conv3 = OctConv2d(planes, out, 1, 1, alpha_out, alpha_out)
        self.bn3 = _OctNorm(out, alpha_out, act=False)
        self.downsample = None
        if stride != 1 or inplanes != out or alpha_in != alpha_out:
            self.downsample = nn.Sequential(OctConv2d(inplanes, out, 1, stride, alpha_in, alpha_out),
                                            _OctNorm(out, alpha_out, act=False))

    def forward(self, x):  # tensor or (high, low)
        identity = x if self.downsample is None else self.downsample(x)
        y = self.bn1(self.conv1(x))
        y = self.bn2(self.conv2(y))
        y = self.bn3(self.conv3(y))
        return _oct_add_relu(y, identity)


def _oct_factory(alpha: float) -> BlockFactory:
    def make(stage: int, index: int, inplanes: int, planes: int, stride: int) -> nn.Module:
        if stage == 3:  # last stage runs at α = 0; its first block folds the low branch back in
            a_in, a_out = (alpha if index == 0 else 0.0), 0.0
        else:
            a_in, a_out = (0.0 if stage == 0 and index == 0 else alpha), alpha
        return OctBottleneck(inplanes, planes, stride, a_in, a_out)

    return make


# ----------------------------------------------------------------------------- builders (registry entry points)

def cbam_resnet50(*, num_classes: int = 1000, reduction: int = 16) -> nn.Module:
    """ResNet-50 with CBAM (r=16, 7×7) after bn3 of every bottleneck."""
    mods = BottleneckMods(attention=lambda stage, c: CBAM(c, reduction))
    return ResNet50Skeleton(bottleneck_factory(mods), num_classes=num_classes)


def bam_resnet50(*, num_classes: int = 1000, reduction: int = 16) -> nn.Module:
    """ResNet-50 with BAM (r=16, d=4) at the three stage transitions (after conv2_x, conv3_x, conv4_x)."""
    return ResNet50Skeleton(bottleneck_factory(BottleneckMods()), num_classes=num_classes,
                            after_stage=lambda stage, c: BAM(c, reduction) if stage < 3 else None)


def sge_resnet50(*, num_classes: int = 1000, groups: int = 64) -> nn.Module:
    """ResNet-50 with SGE (64 groups) after bn3 of every bottleneck."""
    mods = BottleneckMods(attention=lambda stage, c: SGE(c, groups))
    return ResNet50Skeleton(bottleneck_factory(mods), num_classes=num_classes)


def resnet50_ibn_a(*, num_classes: int = 1000) -> nn.Module:
    """ResNet-50-IBN-a: bn1 of every bottleneck in conv2_x-conv4_x is IBN (half IN, half BN)."""
    mods = BottleneckMods(norm1=lambda stage, w: IBN(w) if stage < 3 else nn.BatchNorm2d(w))
    return ResNet50Skeleton(bottleneck_factory(mods), num_classes=num_classes)


def oct_resnet50(*, alpha: float = 0.5, num_classes: int = 1000) -> nn.Module:
    """Oct-ResNet-50 with low-frequency ratio ``alpha`` in conv2_x-conv4_x (conv5_x at α=0)."""
    return ResNet50Skeleton(_oct_factory(alpha), num_classes=num_classes)


def resnet50_dcn(*, version: int = 2, num_classes: int = 1000) -> nn.Module:
    """ResNet-50 whose 3×3 convs in conv3_x-conv5_x are deformable (v1: offsets; v2: offsets + masks)."""
    if version not in (1, 2):
        raise ValueError("version must be 1 or 2")

    def conv2(stage: int, width: int, stride: int) -> nn.Module:
        if stage == 0:
            return _plain_conv2(stage, width, stride)
        return DeformConv2d(width, width, 3, stride, modulated=version == 2)

    return ResNet50Skeleton(bottleneck_factory(BottleneckMods(conv2=conv2)), num_classes=num_classes)
