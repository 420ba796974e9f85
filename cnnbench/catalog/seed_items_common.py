"""Names the seed item tables share: the seed files, statuses, section headings and repeated texts."""

from __future__ import annotations

S000 = "000_6ebfadeeadb8f6cc.txt"
S001 = "001_516d23180918886b.txt"
S003 = "003_f04b7a342f1d4208.txt"
SEEDS = (S000, S001, S003)

STATUSES = ("covered", "stand-in", "not a network", "planned")
PLANNED = "being added (issue 21)"
NOT_BUILT = "not built in issue 21"  # a planned row's text that starts so replaces PLANNED in its reason
KINDS = ("net", "stand-in", "not")

# sections of 003 (long headings, used many times)
_TOPO = "Reformulations of the Connections between Network Layers"
_RES = "Residual Networks Family"
_DENSE = "Dense Topology Framework"
_LW1 = "(2017, MobileNetV1) Light-Weight Networks (count=7)"
_LW2 = "(2021, MobileViTv1) Light-Weight Networks (count=3+5)"
_MBS = "MobileNet Series (count=3+2)"
_COMP = "Compressing Convolutional Networks"
_COMP2 = "Compressing Convolutional Networks (ESPNetV1, 2018) (3) + (ESPNetV2, 2018) (2)"
_LB1 = "Low-bit Networks (2017, MobileNetV1) (count=3)"
_LB2 = "Low-bit Networks (2018, ESPNetV1) (4)"
_LB3 = "Low-bit Networks (2018, ESPNetV2) (3)"
_LR = "Low-Rank Approximations"
_LR2 = "Low-Rank Approximations (2016, Deep Roots) (count=3+3)"
_TD = "Tensor Decomposition (ShuffleNet V2, 2018)"
_EXP = "Expressive Power (2019, EfficientNetV1) (4)"
_REG = "Regularization Techniques"
_CONN = "Connectivity Learning (2018, MobileNetV2) (2)"
_UNCL = "Unclassified (listed in to be read order)"
_CNX = "ConvNeXt"

# what the reproductions cover
_LOWRANK = "repro:low-rank"
_COMPRESS = "repro:compression-sizes"
_QUANT = ("a low-bit training/quantisation method; its size claim (32-bit → k-bit weights) is what "
          "`repro:compression-sizes` estimates")
_THEORY = "theory paper (expressive power of depth/width), no network to profile"

_INCEPTION = "googlenet, bn_inception, inception_v3, inception_v4, inception_resnet_v2, xception"
