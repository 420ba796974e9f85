"""GC-ResNet-50: ResNet-50 with a global context block in every bottleneck of stages c3, c4 and c5 ("GCNet:
Non-local Networks Meet Squeeze-Excitation Networks and Beyond", Cao et al., 2019).

Placement as in the authors' code (xvjiarui/GCNet: "GC block is inserted after 1x1 conv of backbone", configs
``*_r16_gcb_c3-c5_*``, i.e. ``stage_with_gcb=(False, True, True, True)``, ratio 1/16): after the last 1x1 conv and
its BN, before the residual addition. The GC block is ``cnnbench_models.blocks.attention.GlobalContext``
(softmax attention pooling, 1x1 → LayerNorm → ReLU → 1x1 transform, added to every position). The backbone is
torchvision's ResNet-50 (random init); the block is appended to each bottleneck's ``bn3``.

Added parameters per block at C output channels (C/16 hidden): mask C + 1, transform C·C/16 + C/16, LayerNorm
2·C/16, C/16·C + C. c3 (C = 512, 4 blocks) 33,889 each; c4 (1,024, 6 blocks) 133,313 each; c5 (2,048, 3 blocks)
528,769 each → 135,556 + 799,878 + 1,586,307 = 2,521,741 on top of ResNet-50's 25,557,032 = 28,078,773.
"""

from __future__ import annotations

from torch import nn
from torchvision.models import resnet50

from cnnbench_models.blocks.attention import GlobalContext

__all__ = ["gc_resnet50"]


def gc_resnet50(*, num_classes: int = 1000, ratio: float = 1 / 16, stages: tuple[int, ...] = (2, 3, 4)
                ) -> nn.Module:
    """ResNet-50 + GC (r16) after ``bn3`` of every bottleneck of ``layer{stages}`` (c3-c5 by default)."""
    model = resnet50(weights=None, num_classes=num_classes)
    for s in stages:
        for block in getattr(model, f"layer{s}"):
            c = block.bn3.num_features
            block.bn3 = nn.Sequential(block.bn3, GlobalContext(c, ratio))
    return model
