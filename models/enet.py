"""ENet (Paszke, Chaurasia, Kim & Culurciello, "ENet: A Deep Neural Network Architecture for Real-Time Semantic
Segmentation", arXiv:1606.02147, 2016).

Table 1 of the paper, layer by layer (output sizes there are for a 512×512 input):

* initial: a 3×3/2 conv with 13 filters concatenated with a 2×2 max-pool of the input → 16 channels;
* stage 1: bottleneck1.0 (downsampling to 64) + four regular bottlenecks 1.x (dropout 0.01);
* stages 2 and 3: bottleneck2.0 (downsampling to 128, stage 2 only), then regular, dilated 2, asymmetric 5,
  dilated 4, regular, dilated 8, asymmetric 5, dilated 16 (dropout 0.1);
* stage 4: upsampling bottleneck4.0 (to 64) + two regular; stage 5: upsampling bottleneck5.0 (to 16) + one regular;
* fullconv: a 3×3/2 transposed convolution to the classes.

A bottleneck (Fig. 2b) is 1×1 projection (a 2×2/2 conv when downsampling) → main conv → 1×1 expansion, each
followed by BN + PReLU, with an internal width of a quarter of the input (the authors' Torch code); the main
branch of a downsampling bottleneck is max-pooling plus zero-padding of the channels, that of an upsampling one a
1×1 conv + BN and max-unpooling with the indices of the matching downsampling. Details the paper leaves open
follow the authors' Torch model (e-lab/ENet-training) and its PyTorch port (davidtvs/PyTorch-ENet): PReLU per
channel, conv biases off, the upsampling main conv a 2×2/2 transposed conv.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _cbp(in_ch: int, out_ch: int, kernel: int | tuple[int, int], stride: int = 1,
         padding: int | tuple[int, int] = 0, dilation: int = 1, act: bool = True) -> nn.Sequential:
    """Conv (no bias) → BN → PReLU (one slope per channel)."""
    layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, kernel, stride, padding, dilation=dilation, bias=False),
                               nn.BatchNorm2d(out_ch)]
    if act:
        layers.append(nn.PReLU(out_ch))
    return nn.Sequential(*layers)


class InitialBlock(nn.Module):
    """3×3/2 conv (13 filters) ‖ 2×2/2 max-pool of the RGB input → 16 channels → BN → PReLU."""

    def __init__(self, in_ch: int = 3, out_ch: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch - in_ch, 3, 2, 1, bias=False)
        self.pool = nn.MaxPool2d(2, 2)
        self.bn = nn.BatchNorm2d(out_ch)
        self.act = nn.PReLU(out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(torch.cat([self.conv(x), self.pool(x)], 1)))


class Bottleneck(nn.Module):
    """Regular bottleneck: 1×1 (C→C/4) → main conv (3×3, dilated 3×3, or 5×1 + 1×5) → 1×1 (C/4→C), residual."""

    def __init__(self, ch: int, dilation: int = 1, asymmetric: int = 0, dropout: float = 0.1) -> None:
        super().__init__()
        mid = ch // 4
        if asymmetric:
            k = asymmetric
            main: nn.Module = nn.Sequential(_cbp(mid, mid, (k, 1), padding=(k // 2, 0)),
                                            _cbp(mid, mid, (1, k), padding=(0, k // 2)))
        else:
            main = _cbp(mid, mid, 3, padding=dilation, dilation=dilation)
        self.ext = nn.Sequential(_cbp(ch, mid, 1), main, _cbp(mid, ch, 1), nn.Dropout2d(dropout))
        self.act = nn.PReLU(ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.ext(x))


class DownBottleneck(nn.Module):
    """Downsampling bottleneck: 2×2/2 conv → 3×3 → 1×1 beside max-pool (indices kept) + zero channels."""

    def __init__(self, in_ch: int, out_ch: int, dropout: float = 0.1) -> None:
        super().__init__()
        mid = in_ch // 4
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)
        self.ext = nn.Sequential(_cbp(in_ch, mid, 2, stride=2), _cbp(mid, mid, 3, padding=1), _cbp(mid, out_ch, 1),
                                 nn.Dropout2d(dropout))
        self.act = nn.PReLU(out_ch)
        self.extra = out_ch - in_ch

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        main, idx = self.pool(x)
        main = F.pad(main, (0, 0, 0, 0, 0, self.extra))  # zero-pad the channel dimension
        return self.act(main + self.ext(x)), idx


class UpBottleneck(nn.Module):
    """Upsampling bottleneck: 1×1 → 2×2/2 transposed conv → 1×1 beside 1×1 conv + BN + max-unpool."""

    def __init__(self, in_ch: int, out_ch: int, dropout: float = 0.1) -> None:
        super().__init__()
        mid = in_ch // 4
        self.main = _cbp(in_ch, out_ch, 1, act=False)
        self.unpool = nn.MaxUnpool2d(2)
        self.ext = nn.Sequential(
            _cbp(in_ch, mid, 1),
            nn.ConvTranspose2d(mid, mid, 2, 2, bias=False), nn.BatchNorm2d(mid), nn.PReLU(mid),
            _cbp(mid, out_ch, 1, act=False), nn.Dropout2d(dropout))
        self.act = nn.PReLU(out_ch)

    def forward(self, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        main = self.unpool(self.main(x), idx)
        return self.act(main + self.ext(x))


def _stage_2_3(ch: int = 128) -> nn.Sequential:
    # x.1 regular, x.2 dilated 2, x.3 asymmetric 5, x.4 dilated 4, x.5 regular, x.6 dilated 8, x.7 asymmetric 5,
    # x.8 dilated 16 (Table 1)
    return nn.Sequential(Bottleneck(ch), Bottleneck(ch, dilation=2), Bottleneck(ch, asymmetric=5),
                         Bottleneck(ch, dilation=4), Bottleneck(ch), Bottleneck(ch, dilation=8),
                         Bottleneck(ch, asymmetric=5), Bottleneck(ch, dilation=16))


class ENet(nn.Module):
    """ENet for ``num_classes`` classes; the output has the input's resolution (sides divisible by 8)."""

    def __init__(self, num_classes: int = 19) -> None:
        super().__init__()
        self.initial = InitialBlock(3, 16)
        self.down1 = DownBottleneck(16, 64, dropout=0.01)
        self.stage1 = nn.Sequential(*[Bottleneck(64, dropout=0.01) for _ in range(4)])
        self.down2 = DownBottleneck(64, 128)
        self.stage2 = _stage_2_3()
        self.stage3 = _stage_2_3()
        self.up4 = UpBottleneck(128, 64)
        self.stage4 = nn.Sequential(Bottleneck(64), Bottleneck(64))
        self.up5 = UpBottleneck(64, 16)
        self.stage5 = Bottleneck(16)
        self.fullconv = nn.ConvTranspose2d(16, num_classes, 3, 2, padding=1, output_padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.initial(x)
        x, idx1 = self.down1(x)
        x = self.stage1(x)
        x, idx2 = self.down2(x)
        x = self.stage3(self.stage2(x))
        x = self.stage4(self.up4(x, idx2))
        x = self.stage5(self.up5(x, idx1))
        return self.fullconv(x)


def enet(*, num_classes: int = 19, **kwargs) -> ENet:
    """ENet for Cityscapes' 19 evaluated classes (the paper's Table 3 counts)."""
    return ENet(num_classes=num_classes, **kwargs)
