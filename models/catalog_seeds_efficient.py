"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: efficient).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_efficient.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_ZIPCODE = "Backpropagation Applied to Handwritten Zip Code Recognition"
_MCDNN = "Multi-column Deep Neural Networks for Image Classification"
_ESPNET = "ESPNet: Efficient Spatial Pyramid of Dilated Convolutions for Semantic Segmentation"
_SHIFT = "Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions"
_DICENET = "DiCENet: Dimension-wise Convolutions for Efficient Networks"
_MAXOUT = "Maxout Networks"
_DEEP_FRIED = "Deep Fried Convnets"
_PCDARTS = "PC-DARTS: Partial Channel Connections for Memory-Efficient Architecture Search"

_ZIPCODE_NOTE = (
    "Params are the paper's 9,760 exactly: shared 5x5 kernels but one bias per unit (H1 300 + 768, H2 2,400 + "
    "192, H3 5,790, out 310). The paper counts 64,660 connections, not multiply-adds: MACs = 64,660 - 1,000 bias "
    "connections = 63,660. Which 8 of H1's 12 maps each H2 map reads is not in the paper (Karpathy's 2022 choice)."
)

_MCDNN_NOTE = (
    "The paper gives no parameter or operation counts; the test checks the column by hand "
    "(76,040 params = 340 + 20,040 + 54,150 + 1,510; 1,891,820 MACs). Scaled-tanh hidden units, softmax output."
)

_DEEP_FRIED_NOTE = (
    "Adaptive Fastfood (S·H·G·Π·H·B, d=16,384, fast Walsh-Hadamard by add/subtract stages) on CaffeNet's convs. "
    "Fastfood params are 3d per block, exactly; its MACs show as 0 (no multiply-accumulates: 3d multiplies + "
    "2·d·log2 d adds per block), a dense Hadamard matmul would have claimed d² per H. No published count is "
    "compared: the paper's ImageNet table was not available to check offline; our FC part (Fastfood + softmax) vs "
    "CaffeNet's fc6-fc8 (58,631,144) is given in docs/seeds-efficient.md."
)

_SHIFT_NOTE = (
    "CSC blocks (1x1 → shift → 1x1, expansion applied to the output width as in alvinwan/shiftresnet-cifar); "
    "the paper's counts are parameters only (millions, two decimals). Shift is slice copies: 0 params, 0 MACs."
)


# DiCENet width scale → (params, MACs) as the authors publish them (EdgeNets: dicenet_config.py results table for
# params in millions, model_zoo README for FLOPs = multiply-adds in millions)
_DICENET_ROWS = {
    0.2: (1_130_000, 14_900_000), 0.5: (1_210_000, 24_710_000), 0.75: (1_500_000, 46_830_000),
    1.0: (1_810_000, 70_710_000), 1.25: (2_160_000, 98_110_000), 1.5: (2_650_000, 135_480_000),
    1.75: (3_260_000, 182_240_000), 2.0: (3_980_000, 236_290_000),
}


SPECS: tuple[ModelSpec, ...] = (
    _spec("zipcode_lenet_1989", "lenet", "zipcode_lenet:zipcode_lenet_1989", _ZIPCODE, 1989,
          input_size=(1, 16, 16), aliases=("lecun1989", "zipcode_net"), paper_params=9_760,
          paper_tolerance=1e-4,  # under one parameter: the count is exact
          paper_table="'Network Design' section, Fig. 3 (1,256 units, 64,660 connections, 9,760 parameters)",
          note=_ZIPCODE_NOTE),
    _spec("mcdnn_mnist_column", "mcdnn", "mcdnn:mcdnn_mnist_column", _MCDNN, 2012, input_size=(1, 29, 29),
          paper_table="§3.1: 1x29x29-20C4-MP2-40C5-MP3-150N-10N (no counts published)", note=_MCDNN_NOTE),
    _spec("mcdnn_mnist_35", "mcdnn", "mcdnn:mcdnn_mnist_35", _MCDNN, 2012, input_size=(1, 29, 29),
          aliases=("mcdnn",), paper_table="§3.1: 35 columns (7 normalisations x 5 nets), outputs averaged",
          note="35 identical-architecture columns averaged: 35 x 76,040 = 2,661,400 params. " + _MCDNN_NOTE),
    _spec("espnet_cityscapes", "espnet", "espnet:espnet_cityscapes", _ESPNET, 2018, input_size=(3, 512, 1024),
          aliases=("espnet_v1",), paper_params=364_000, paper_table="Cityscapes comparison with efficient networks (ESPNet: 0.364M params)",
          note="Full encoder-decoder, alpha_2=2, alpha_3=8, 20 classes; 1024x512 input (the paper's speed "
               "setting). The paper gives no MACs for this input; ours are conv/transposed-conv MACs."),
    _spec("shiftresnet20_e6_cifar10", "shiftnet", "shiftnet:shiftresnet20_e6_cifar10", _SHIFT, 2018,
          input_size=(3, 32, 32), aliases=("shiftresnet20",), paper_params=190_000,
          paper_table="CIFAR-10 table (paper; alvinwan/shiftresnet-cifar README), ShiftResNet-20, 6c 0.19M", note=_SHIFT_NOTE),
    _spec("shiftresnet20_e9_cifar10", "shiftnet", "shiftnet:shiftresnet20_e9_cifar10", _SHIFT, 2018,
          input_size=(3, 32, 32), paper_params=280_000,
          paper_table="CIFAR-10 table (paper; alvinwan/shiftresnet-cifar README), ShiftResNet-20, 9c 0.28M", note=_SHIFT_NOTE),
    _spec("shiftresnet56_e6_cifar10", "shiftnet", "shiftnet:shiftresnet56_e6_cifar10", _SHIFT, 2018,
          input_size=(3, 32, 32), aliases=("shiftresnet56",), paper_params=580_000,
          paper_table="CIFAR-10 table (paper; alvinwan/shiftresnet-cifar README), ShiftResNet-56, 6c 0.58M", note=_SHIFT_NOTE),
    _spec("shiftresnet56_e9_cifar10", "shiftnet", "shiftnet:shiftresnet56_e9_cifar10", _SHIFT, 2018,
          input_size=(3, 32, 32), paper_params=870_000,
          paper_table="CIFAR-10 table (paper; alvinwan/shiftresnet-cifar README), ShiftResNet-56, 9c 0.87M", note=_SHIFT_NOTE),
    _spec("maxout_cifar10", "maxout", "maxout_net:maxout_cifar10", _MAXOUT, 2013, input_size=(3, 32, 32),
          aliases=("maxout_net",), paper_table="§5.3 (CIFAR-10); layer sizes from the authors' pylearn2 cifar10.yaml",
          note="3 maxout conv layers (96/192/192 maps, 2 pieces; 8x8/8x8/5x5; ceil-mode pools as cuda-convnet), "
               "maxout dense 500x5, softmax. The paper publishes no parameter or operation counts; the test checks "
               "16,247,830 params and 732,290,696 MACs by hand."),
    _spec("deep_fried_caffenet_ff16", "deep_fried", "deep_fried:deep_fried_caffenet_ff16", _DEEP_FRIED, 2015,
          input_size=(3, 227, 227), aliases=("deep_fried_convnet",),
          paper_table="§5 ImageNet, Adaptive Fastfood with n = 16,384 features", note=_DEEP_FRIED_NOTE),
    _spec("deep_fried_caffenet_ff32", "deep_fried", "deep_fried:deep_fried_caffenet_ff32", _DEEP_FRIED, 2015,
          input_size=(3, 227, 227),
          paper_table="§5 ImageNet, Adaptive Fastfood with n = 32,768 features", note=_DEEP_FRIED_NOTE),
    _spec("pc_darts_imagenet", "darts", "pc_darts:pc_darts_imagenet", _PCDARTS, 2020, aliases=("pc_darts",),
          paper_params=5_300_000, paper_macs=597_000_000,
          paper_table="Table 2 (ImageNet mobile setting, searched on ImageNet): 5.3M params, 597M mult-adds",
          note="PC_DARTS_image genotype on DARTS' mobile ImageNet network (14 cells, C=48), no auxiliary head. "
               "Conv+linear MACs 582M vs 597M (-2.6%), the same counter gap DARTS-V2 shows."),
) + tuple(
    _spec(f"dicenet_s{round(100 * w):03d}", "dicenet", "dicenet:dicenet", _DICENET, 2020,
          aliases=("dicenet",) if w == 1.0 else (), paper_params=p, paper_macs=m,
          builder_kwargs={"s": w},
          paper_table=f"ImageNet, s={w}, 224x224: authors' EdgeNets model zoo (FLOPs) and dicenet_config.py (params)",
          note="Built from the authors' EdgeNets code: the height-/width-wise depthwise convs (H·9, W·9 weights) "
               "are sized for 224x224 input; other sizes are resized to it inside each DiCE unit.")
    for w, (p, m) in _DICENET_ROWS.items()
)

for _s in SPECS:
    register(_s)
