"""CondenseNet (Huang, Liu, van der Maaten & Weinberger, "CondenseNet: An Efficient DenseNet using Learned Group
Convolutions", CVPR 2018), ImageNet CondenseNet-74.

This is the *converted* (test-time) network the paper counts: after training, each learned group convolution
(LGC) has pruned ``1 - 1/C`` of its input connections per group, and is rewritten as

    index_select (a fixed permutation that gathers each group's surviving input channels)
    → BN → ReLU → standard group conv (G groups) → channel shuffle (G),

and the classifier keeps half of its inputs (``index_select`` → Linear). With G = C, a 1x1 LGC of ``c_in`` inputs
and ``c_out`` outputs therefore costs ``c_in * c_out / G`` weights, exactly a G-group conv. The ``index`` buffers
are identity/first-half selections at random init; a converted checkpoint overwrites them with the learned ones.
BN parameters are counted over the selected (duplicated) channels, as in the authors' converted model.

ImageNet configuration (official README / paper §5): stages 4-6-8-10-8, growth 8-16-32-64-128, bottleneck 4,
3x3 group conv with G groups, stride-2 3x3 stem, 2x2 average-pool transitions without convs. Paper Table 5 (also
the official README): G=C=4 → 4.8M params, 529M FLOPs (mult-adds); G=C=8 → 2.9M params, 274M.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import channel_shuffle


class CondensedConv1x1(nn.Module):
    """A learned group 1x1 conv after condensation: gather → BN → ReLU → G-group conv → shuffle."""

    def __init__(self, in_ch: int, out_ch: int, groups: int, condense_factor: int) -> None:
        super().__init__()
        # each group keeps in_ch / C inputs, so the gathered tensor holds G * in_ch / C channels
        kept = in_ch * groups // condense_factor
        self.groups = groups
        self.register_buffer("index", torch.arange(kept) % in_ch)
        self.norm = nn.BatchNorm2d(kept)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(kept, out_ch, 1, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.index_select(x, 1, self.index)
        x = self.conv(self.relu(self.norm(x)))
        # the LGC's output channels are interleaved across groups during training; undo it with a shuffle
        return channel_shuffle(x, self.groups)


class DenseLayer(nn.Module):
    """Condensed 1x1 (c → 4k) then BN-ReLU-3x3 group conv (4k → k); output concatenated to the input."""

    def __init__(self, in_ch: int, growth: int, bottleneck: int, groups: int, condense_factor: int) -> None:
        super().__init__()
        mid = bottleneck * growth
        self.conv_1 = CondensedConv1x1(in_ch, mid, groups, condense_factor)
        self.conv_2 = nn.Sequential(nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
                                    nn.Conv2d(mid, growth, 3, padding=1, groups=groups, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.conv_2(self.conv_1(x))], 1)


class CondenseLinear(nn.Module):
    """Classifier that keeps ``keep`` of its input features (selected by ``index``)."""

    def __init__(self, in_features: int, out_features: int, keep: float = 0.5) -> None:
        super().__init__()
        kept = int(in_features * keep)
        self.register_buffer("index", torch.arange(kept))
        self.linear = nn.Linear(kept, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(torch.index_select(x, 1, self.index))


class CondenseNet(nn.Module):
    """Converted ImageNet CondenseNet.

    Args:
        stages: dense layers per stage.
        growth: growth rate per stage (fully dense connectivity, exponentially increasing growth).
        groups: G, groups of the 1x1 and 3x3 convs.
        condense_factor: C, the LGC condensation factor (defaults to G).
        bottleneck: width multiplier of the 1x1 bottleneck.
        num_classes: classifier outputs.
    """

    def __init__(self, stages: tuple[int, ...] = (4, 6, 8, 10, 8), growth: tuple[int, ...] = (8, 16, 32, 64, 128),
                 groups: int = 4, condense_factor: int | None = None, bottleneck: int = 4,
                 num_classes: int = 1000) -> None:
        super().__init__()
        if len(stages) != len(growth):
            raise ValueError("stages and growth need the same length")
        condense_factor = condense_factor or groups
        ch = 2 * growth[0]
        layers: list[nn.Module] = [nn.Conv2d(3, ch, 3, stride=2, padding=1, bias=False)]
        for i, (n, k) in enumerate(zip(stages, growth)):
            for _ in range(n):
                layers.append(DenseLayer(ch, k, bottleneck, groups, condense_factor))
                ch += k
            if i < len(stages) - 1:
                layers.append(nn.AvgPool2d(2, stride=2))  # transitions have no conv in CondenseNet
        # the official model ends with AvgPool2d(7) at 224; adaptive pooling equals it there
        layers += [nn.BatchNorm2d(ch), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(1)]
        self.features = nn.Sequential(*layers)
        self.num_features = ch
        self.classifier = CondenseLinear(ch, num_classes, keep=0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def condensenet74_c4_g4(*, num_classes: int = 1000) -> CondenseNet:
    """CondenseNet-74 (G=C=4), converted: Table 5, 4.8M params, 529M mult-adds at 224."""
    return CondenseNet(groups=4, condense_factor=4, num_classes=num_classes)


def condensenet74_c8_g8(*, num_classes: int = 1000) -> CondenseNet:
    """CondenseNet-74 (G=C=8), converted: Table 5, 2.9M params, 274M mult-adds at 224."""
    return CondenseNet(groups=8, condense_factor=8, num_classes=num_classes)
