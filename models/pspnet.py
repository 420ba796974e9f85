"""PSPNet (Zhao, Shi, Qi, Wang & Jia, "Pyramid Scene Parsing Network", CVPR 2017).

A dilated ResNet (Sec. 3.3: "pretrained ResNet with the dilated network strategy to extract the feature map. The
final feature map size is 1/8 of the input image") followed by the pyramid pooling module (Fig. 3): the 2048-channel
map is average-pooled to 1×1, 2×2, 3×3 and 6×6 bins, each reduced by a 1×1 conv (+BN+ReLU) to 1/N = 1/4 of the
channels (512), bilinearly upsampled and concatenated with the map (2048 + 4·512 = 4096 channels); a 3×3 conv to 512
(+BN+ReLU), dropout 0.1 and a 1×1 classifier give the prediction, upsampled ×8 to the input.

The backbone is ResNet-50 as in the authors' code (hszhao/PSPNet, hszhao/semseg): the "deep base" stem of three
3×3 convs (64, 64, 128) in place of the 7×7, stages 3 and 4 dilated by 2 and 4 instead of strided. The auxiliary
loss branch on stage 3 is training-only and left out. 150 classes (ADE20K, the paper's first benchmark) and the
473×473 crop of the paper's experiments.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .layers import ConvBNAct


class PyramidPooling(nn.Module):
    """Fig. 3's pyramid pooling module: ``in_ch`` → ``in_ch + len(bins) · in_ch/len(bins)`` channels."""

    def __init__(self, in_ch: int = 2048, bins: tuple[int, ...] = (1, 2, 3, 6)) -> None:
        super().__init__()
        red = in_ch // len(bins)
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), ConvBNAct(in_ch, red, 1)) for b in bins)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        return torch.cat([x, *(F.interpolate(s(x), size, mode="bilinear", align_corners=True)
                               for s in self.stages)], 1)


def dilated_resnet50(deep_stem: bool = True) -> nn.Module:
    """torchvision's ResNet-50 at output stride 8 (layer3/layer4 dilated 2/4), with the 3×3 "deep base" stem."""
    from torchvision.models import resnet50

    net = resnet50(weights=None, replace_stride_with_dilation=[False, True, True])
    if deep_stem:
        net.conv1 = nn.Sequential(ConvBNAct(3, 64, 3, 2), ConvBNAct(64, 64, 3), nn.Conv2d(64, 128, 3, 1, 1, bias=False))
        net.bn1 = nn.BatchNorm2d(128)
        first = net.layer1[0]
        first.conv1 = nn.Conv2d(128, 64, 1, bias=False)
        first.downsample[0] = nn.Conv2d(128, 256, 1, bias=False)
    net.avgpool, net.fc = nn.Identity(), nn.Identity()
    return net


class PSPNet(nn.Module):
    def __init__(self, num_classes: int = 150, bins: tuple[int, ...] = (1, 2, 3, 6), dropout: float = 0.1) -> None:
        super().__init__()
        self.backbone = dilated_resnet50()
        self.ppm = PyramidPooling(2048, bins)
        self.head = nn.Sequential(ConvBNAct(4096, 512, 3), nn.Dropout2d(dropout), nn.Conv2d(512, num_classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        b = self.backbone
        f = b.layer4(b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x))))))))
        return F.interpolate(self.head(self.ppm(f)), size, mode="bilinear", align_corners=True)


def pspnet_resnet50(*, num_classes: int = 150, **kwargs) -> PSPNet:
    return PSPNet(num_classes=num_classes, **kwargs)
