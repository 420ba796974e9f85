"""EfficientNet-X (Li et al., "Searching for Fast Model Families on Multiple Accelerators", CVPR 2021).

Layer for layer from the authors' TensorFlow code (tensorflow/tpu, ``models/official/efficientnet/tpu/
efficientnet_x_builder.py`` for the block strings and size table, ``efficientnet_model.py`` for ``MBConvBlock``
and ``Model._build``). Block strings (version 1, the "x" family):

    r1_k3_s11_e1_i32_o16_se0.25_d1_a0      space-to-depth (d1), ReLU
    r2_k3_s22_e6_i16_o24_se0.25_f1_d2_a1   fused MBConv, after space-to-depth (d2), swish
    r2_k5_s22_e6_i24_o40_se0.25_f1_a1      fused MBConv, swish
    r3_k3_s22_e6_i40_o80_se0.25_a0         MBConv, ReLU
    r3_k5_s11_e6_i80_o112_se0.25_a0
    r4_k5_s22_e6_i112_o192_se0.25_a0
    r1_k3_s11_e6_i192_o320_se0.25_a0

What the TF code does with them, reproduced here:
- stem conv 3x3/2 → round(32), BN, ReLU (the global activation is ``tf.nn.relu``); head 1x1 → round(1280), BN,
  ReLU, global average pool, dropout, FC.
- ``d1`` (stride 1): the block's filters ×4 and kernel (k+1)//2: a 2x2/2 conv C→4·i (the learned space-to-depth),
  BN, act, then a 2x2 depthwise conv (TF "same" padding), SE and the 1x1 projection to 4·o.
- ``d2`` with stride 2: depth factor 4/(2·2) = 1, the stride becomes 1 (the resolution was already halved by the
  space-to-depth), the kernel stays; later repeats are ordinary blocks.
- ``f1``: fused MBConv, one k×k conv C→e·i (no separate expansion), BN, act, SE, projection.
- SE squeezes to int(i · se_ratio · se_coefficient) (÷4 in a ``d1`` block) with biases, using the block's
  activation; se_coefficient is 4 for B0, 2 for B1, 1 from B2 on.
- identity shortcut when the stride is 1 and the input and output channels agree.
BN layers carry 2 parameters per channel (gamma, beta), as TF's trainable variables. Drop-connect (no
parameters) is left out. TF "same" padding is symmetric k//2 here for odd kernels (same output sizes and
counts) and TF's asymmetric (0 before, 1 after) zero padding for the 2x2 stride-1 depthwise conv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

__all__ = ["EfficientNetX", "MBConvX", "efficientnet_x_b0", "efficientnet_x_b1"]

# (width, depth, resolution, dropout, se_coefficient) from efficientnet_x_params()
SIZES = {
    "b0": (1.0, 1.0, 224, 0.2, 4),
    "b1": (1.0, 1.1, 240, 0.2, 2),
    "b2": (1.1, 1.2, 260, 0.3, 1),
    "b3": (1.2, 1.4, 300, 0.3, 1),
}


@dataclass(frozen=True)
class BlockArgs:
    repeats: int
    kernel: int
    stride: int
    expand: int
    in_f: int
    out_f: int
    se_ratio: float
    fused: bool = False
    space2depth: int = 0
    swish: bool = False


# the version-1 block strings above, decoded
BLOCKS = (
    BlockArgs(1, 3, 1, 1, 32, 16, 0.25, space2depth=1),
    BlockArgs(2, 3, 2, 6, 16, 24, 0.25, fused=True, space2depth=2, swish=True),
    BlockArgs(2, 5, 2, 6, 24, 40, 0.25, fused=True, swish=True),
    BlockArgs(3, 3, 2, 6, 40, 80, 0.25),
    BlockArgs(3, 5, 1, 6, 80, 112, 0.25),
    BlockArgs(4, 5, 2, 6, 112, 192, 0.25),
    BlockArgs(1, 3, 1, 6, 192, 320, 0.25),
)


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """``efficientnet_model.round_filters``: nearest multiple of 8, never more than 10% down."""
    scaled = filters * width
    new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return int(new + divisor if new < 0.9 * scaled else new)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MBConvX(nn.Module):
    """``efficientnet_model.MBConvBlock`` with EfficientNet-X's options (space-to-depth, fused conv, per-block
    activation, SE coefficient). ``in_channels`` is the tensor's width, ``args.in_f`` the block's nominal input
    filters (they differ in the first block after a space-to-depth)."""

    def __init__(self, in_channels: int, args: BlockArgs, se_coefficient: float) -> None:
        super().__init__()
        act = nn.SiLU if args.swish else nn.ReLU
        k, s = args.kernel, args.stride
        layers: list[nn.Module] = []
        c = in_channels
        if args.space2depth == 1:
            layers += [nn.Conv2d(c, args.in_f, 2, 2, bias=False), _bn(args.in_f), act()]
            c = args.in_f
        filters = args.in_f * args.expand
        pad, same = k // 2, []
        if s == 1 and k % 2 == 0:  # TF "same" for an even kernel: the extra row/column goes below/right
            pad, same = 0, [nn.ZeroPad2d(((k - 1) // 2, k // 2, (k - 1) // 2, k // 2))]
        if args.fused:
            layers += [*same, nn.Conv2d(c, filters, k, s, pad, bias=False), _bn(filters), act()]
        else:
            if args.expand != 1:
                layers += [nn.Conv2d(c, filters, 1, bias=False), _bn(filters), act()]
            layers += [*same, nn.Conv2d(filters, filters, k, s, pad, groups=filters, bias=False), _bn(filters),
                       act()]
        self.body = nn.Sequential(*layers)
        reduced = int(args.in_f * args.se_ratio * se_coefficient)
        reduced = max(1, reduced // 4 if args.space2depth == 1 else reduced)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(filters, reduced, 1), act(),
                                nn.Conv2d(reduced, filters, 1), nn.Sigmoid())
        self.project = nn.Sequential(nn.Conv2d(filters, args.out_f, 1, bias=False), _bn(args.out_f))
        self.residual = s == 1 and in_channels == args.out_f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        y = self.project(y * self.se(y))
        return x + y if self.residual else y


class EfficientNetX(nn.Module):
    """EfficientNet-X, built as ``efficientnet_model.Model._build`` builds it."""

    def __init__(self, width: float = 1.0, depth: float = 1.0, se_coefficient: float = 4, dropout: float = 0.2,
                 num_classes: int = 1000) -> None:
        super().__init__()
        stem = round_filters(32, width)
        self.stem = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False), _bn(stem), nn.ReLU())
        blocks: list[nn.Module] = []
        c = stem
        for a in BLOCKS:
            in_f, out_f, kernel = round_filters(a.in_f, width), round_filters(a.out_f, width), a.kernel
            a = replace(a, in_f=in_f, out_f=out_f, repeats=math.ceil(depth * a.repeats))
            if a.space2depth:
                factor = 4 // (a.stride * a.stride)
                a = replace(a, in_f=in_f * factor, out_f=out_f * factor,
                            kernel=(kernel + 1) // 2 if factor > 1 else kernel)
                if a.stride == 2:
                    a = replace(a, stride=1)
                    blocks.append(MBConvX(c, a, se_coefficient))
                    a = replace(a, space2depth=0, in_f=in_f, out_f=out_f, kernel=kernel)
                else:  # d1: only the first block holds the space-to-depth conv
                    blocks.append(MBConvX(c, a, se_coefficient))
                    a = replace(a, space2depth=2)
            else:
                blocks.append(MBConvX(c, a, se_coefficient))
            c = a.out_f
            a = replace(a, in_f=a.out_f, stride=1)
            for _ in range(a.repeats - 1):
                blocks.append(MBConvX(c, a, se_coefficient))
        self.blocks = nn.Sequential(*blocks)
        head = round_filters(1280, width)
        self.head = nn.Sequential(nn.Conv2d(c, head, 1, bias=False), _bn(head), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout))
        self.fc = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.head(self.blocks(self.stem(x))))


def _build(size: str, num_classes: int) -> EfficientNetX:
    width, depth, _, dropout, se_coefficient = SIZES[size]
    return EfficientNetX(width, depth, se_coefficient, dropout, num_classes)


def efficientnet_x_b0(*, num_classes: int = 1000) -> EfficientNetX:
    """EfficientNet-X-B0 (width 1.0, depth 1.0, SE coefficient 4) for 3x224x224 inputs."""
    return _build("b0", num_classes)


def efficientnet_x_b1(*, num_classes: int = 1000) -> EfficientNetX:
    """EfficientNet-X-B1 (width 1.0, depth 1.1, SE coefficient 2) for 3x240x240 inputs."""
    return _build("b1", num_classes)
