"""ResNet in ResNet (Targ, Almeida & Lyman, "Resnet in Resnet: Generalizing Residual Architectures", ICLR 2016
workshop; arXiv 1603.08029).

A generalized residual layer keeps two streams of equal width: a residual stream r (with a shortcut) and a
transient stream t (without); four 3x3 convs carry r → r, t → t and across (r → t, t → r):

    r' = σ(W_rr * r + W_tr * t + shortcut(r)),   t' = σ(W_rt * r + W_tt * t)

with σ = BN + ReLU per stream and the shortcut the identity, or a 1x1 projection when the shape changes. RiR puts
these layers inside ResNet blocks of two layers. The CIFAR network is the "18-layer + wide RiR": a 3x3 conv per
stream, 8 RiR blocks of 2 generalized layers (16 layers) of 96/192/384 channels in all (48/96/192 per stream,
stride 2 entering blocks 3 and 6), and a classifier (18 weight layers in depth).

Layer for layer after the PyTorch port weiaicunzai/pytorch-cifar100 ``models/rir.py`` (convs with bias, the
projection shortcut inside each generalized layer, no extra shortcut around the RiR block), classifier included:
both streams concatenated (384 channels at 8x8), a 3x3/2 unpadded conv to one map per class + BN + ReLU (3x3
maps), then FC 9·classes → 450, ReLU, dropout, FC 450 → classes. With 100 classes that is 10,293,634 parameters,
the 10.3M the paper reports for this network.
"""

from __future__ import annotations

import torch
from torch import nn


def _bn_relu(c: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))


class GeneralizedResidualLayer(nn.Module):
    """One generalized residual layer on a (residual, transient) pair of tensors."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.rr = nn.Conv2d(cin, cout, 3, stride, 1)
        self.rt = nn.Conv2d(cin, cout, 3, stride, 1)
        self.tt = nn.Conv2d(cin, cout, 3, stride, 1)
        self.tr = nn.Conv2d(cin, cout, 3, stride, 1)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if (cin != cout or stride != 1) else nn.Identity()
        self.bn_r, self.bn_t = _bn_relu(cout), _bn_relu(cout)

    def forward(self, xs: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        r, t = xs
        return (self.bn_r(self.rr(r) + self.tr(t) + self.shortcut(r)),
                self.bn_t(self.rt(r) + self.tt(t)))


class ResNetInResNet(nn.Module):
    """RiR for 32x32 inputs.

    Args:
        width: channels per stream in the first stage (doubling at each of the two strides).
        blocks: RiR blocks per stage (each of ``layers_per_block`` generalized layers).
        layers_per_block: generalized residual layers per RiR block.
        num_classes: classifier outputs.
    """

    def __init__(self, width: int = 48, blocks: tuple[int, int, int] = (2, 3, 3), layers_per_block: int = 2,
                 num_classes: int = 100) -> None:
        super().__init__()
        self.stem_r = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1), _bn_relu(width))
        self.stem_t = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1), _bn_relu(width))
        layers: list[nn.Module] = []
        cin = width
        for stage, n in enumerate(blocks):
            cout = width * 2 ** stage
            for b in range(n):
                for j in range(layers_per_block):
                    stride = 2 if (stage > 0 and b == 0 and j == 0) else 1
                    layers.append(GeneralizedResidualLayer(cin, cout, stride))
                    cin = cout
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Conv2d(2 * cin, num_classes, 3, 2), nn.BatchNorm2d(num_classes), nn.ReLU(inplace=True),
            nn.Flatten(), nn.Linear(9 * num_classes, 450), nn.ReLU(), nn.Dropout(), nn.Linear(450, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r, t = self.layers((self.stem_r(x), self.stem_t(x)))
        return self.head(torch.cat([r, t], 1))  # 8x8 → 3x3 maps: the head needs 32x32 inputs


def rir_18_wide_cifar100(*, num_classes: int = 100) -> ResNetInResNet:
    """18-layer + wide RiR, CIFAR-100 (96/192/384 channels over both streams; 10.3M params reported)."""
    return ResNetInResNet(48, (2, 3, 3), 2, num_classes)
