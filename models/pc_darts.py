"""PC-DARTS ImageNet network (Xu, Xie, Zhang, Chen, Qi, Tian & Xiong, "PC-DARTS: Partial Channel Connections for
Memory-Efficient Architecture Search", ICLR 2020).

Partial channel connections and edge normalisation are search-time devices; the evaluated network is an ordinary
DARTS-space genotype. This is the genotype PC-DARTS searched directly on ImageNet (``PC_DARTS_image`` in the
authors' genotypes.py), stacked exactly as DARTS' mobile ImageNet setting (14 cells, C = 48, two stride-2 stems,
reductions at cells 4 and 9): the cell, operation and network code is :mod:`cnnbench_models.darts`'s. The
ImageNet table (Table 2) reports 5.3M parameters and 597M multiply-adds. No auxiliary head (training only).
"""

from __future__ import annotations

from cnnbench_models.darts import DARTSImageNet, Genotype

PC_DARTS_IMAGE = Genotype(
    normal=[("skip_connect", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 0), ("skip_connect", 1),
            ("sep_conv_3x3", 1), ("sep_conv_3x3", 3), ("sep_conv_3x3", 1), ("dil_conv_5x5", 4)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("sep_conv_3x3", 0), ("skip_connect", 1), ("dil_conv_5x5", 2), ("max_pool_3x3", 1),
            ("sep_conv_3x3", 2), ("sep_conv_3x3", 1), ("sep_conv_5x5", 0), ("sep_conv_3x3", 3)],
    reduce_concat=[2, 3, 4, 5],
)


def pc_darts_imagenet(*, num_classes: int = 1000, channels: int = 48, layers: int = 14) -> DARTSImageNet:
    """PC-DARTS' ImageNet-searched genotype in the mobile setting: Table 2, 5.3M params, 597M mult-adds."""
    return DARTSImageNet(PC_DARTS_IMAGE, channels=channels, layers=layers, num_classes=num_classes)
