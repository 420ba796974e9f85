"""ResNet-50-IBN-b (Pan, Luo, Shi & Tang, "Two at Once: Enhancing Learning and Generalization Capacities via
IBN-Net", ECCV 2018, Fig. 3(b) / Sec. 4.1), following the official code (XingangPan/IBN-Net ``resnet_ibn_b``).

IBN-b adds InstanceNorm (affine) where appearance variance is removed without touching content features: on the
stem (its BatchNorm becomes InstanceNorm) and *after the residual addition* (before the ReLU) of the last block of
conv2_x and conv3_x; conv4_x and conv5_x stay plain. IN and BN both hold 2 affine parameters per channel and IN
keeps no running statistics, so parameters equal ResNet-50's (25,557,032) and the conv/linear MACs do too.
"""

from __future__ import annotations

import torch
from torch import nn


def _bottleneck_in_after_add(inplanes: int, planes: int) -> nn.Module:
    from torchvision.models.resnet import Bottleneck

    class BottleneckINb(Bottleneck):
        """torchvision's Bottleneck (stride 1, identity shortcut) with InstanceNorm between the add and the ReLU."""

        def __init__(self) -> None:
            super().__init__(inplanes, planes)
            self.IN = nn.InstanceNorm2d(planes * self.expansion, affine=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            return self.relu(self.IN(out + x))

    return BottleneckINb()


def resnet50_ibn_b(*, num_classes: int = 1000) -> nn.Module:
    """ResNet-50-IBN-b: IN on the stem and after the addition of the last block of conv2_x and conv3_x."""
    from torchvision.models import resnet50

    model = resnet50(weights=None, num_classes=num_classes)
    model.bn1 = nn.InstanceNorm2d(64, affine=True)
    for layer, planes in ((model.layer1, 64), (model.layer2, 128)):
        layer[-1] = _bottleneck_in_after_add(planes * 4, planes)
    return model
