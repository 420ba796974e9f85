"""CSPDenseNet-201 (Wang, Liao, Yeh, Wu, Chen & Hsieh, "CSPNet: A New Backbone that can Enhance Learning
Capability of CNN", CVPR Workshops 2020, Sec. 3.1 and Fig. 2(b)): DenseNet-201 with every dense stage made
cross-stage partial.

A stage's input (c channels) is split in two: the first c/2 channels bypass the stage, the other c/2 run through
the dense block (growth 32, bottleneck 4·32, DenseNet-201's 6/12/48/32 layers) and a *partial transition* (BN →
ReLU → 1x1 halving the width, as DenseNet's compression 0.5); the two parts are concatenated and a transition
(BN → ReLU → 1x1 → 2x2 average pool in stages 1-3) maps them to DenseNet-201's stage widths (128, 256, 896, 1920),
so the network is DenseNet-201 with CSP alone: the dense layers read half the channels they read in DenseNet
(the gradient-duplication argument of Sec. 3.1). The partial-transition width and the exact fusion are our reading
of Fig. 2(b) ("fusion last" with partial ratio 0.5).

The paper's only CSPDenseNet row is CSPDenseNet-201-*Elastic* (20.17M params, 7.13 BFLOPs, ImageNet table; the
ELASTIC down/up-sampling branches are not built here and no config was released), so this plain CSPDenseNet-201
has no published count to match: its arithmetic is checked by hand in the tests.
"""

from __future__ import annotations

import torch
from torch import nn

DENSENET201 = (6, 12, 48, 32)


def _bn_relu_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1, bias=False))


class CSPDenseStage(nn.Module):
    """Cross-stage partial dense block: split → dense block + partial transition on one half → concat."""

    def __init__(self, cin: int, layers: int, growth: int = 32, bn_size: int = 4) -> None:
        super().__init__()
        from torchvision.models.densenet import _DenseBlock

        self.bypass = cin // 2
        c2 = cin - self.bypass
        self.block = _DenseBlock(layers, c2, bn_size, growth, drop_rate=0.0)
        dense_out = c2 + layers * growth
        self.partial_transition = _bn_relu_conv(dense_out, dense_out // 2)
        self.out_channels = self.bypass + dense_out // 2
        self.dense_width = cin + layers * growth  # DenseNet's block output width at this stage

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        part1, part2 = x[:, : self.bypass], x[:, self.bypass:]
        return torch.cat([part1, self.partial_transition(self.block(part2))], 1)


class CSPDenseNet(nn.Module):
    """DenseNet with cross-stage partial stages (DenseNet-201 layout by default)."""

    def __init__(self, block_layers: tuple[int, ...] = DENSENET201, growth: int = 32, init: int = 64,
                 num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, init, 7, 2, 3, bias=False), nn.BatchNorm2d(init),
                                   nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        c = init
        for i, n in enumerate(block_layers):
            stage = CSPDenseStage(c, n, growth)
            layers.append(stage)
            # transition to DenseNet-201's stage width ((c + 32n) / 2), then 2x2 average pool
            width = stage.dense_width // 2 if i < len(block_layers) - 1 else stage.dense_width
            layers.append(_bn_relu_conv(stage.out_channels, width))
            if i < len(block_layers) - 1:
                layers.append(nn.AvgPool2d(2, 2))
            c = width
        layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def cspdensenet201(*, num_classes: int = 1000) -> CSPDenseNet:
    """CSPDenseNet-201 (partial ratio 0.5) for 224x224 inputs."""
    return CSPDenseNet(num_classes=num_classes)
