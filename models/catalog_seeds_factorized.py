"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: factorized — Flattened, Factorized and Structured Transform networks, ShiftNet-A/B/C, SqueezeNext-44).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_factorized.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

# ---- factorized part: Flattened, Factorized, Structured Transform networks (constants) ----
_FLAT = "Flattened Convolutional Neural Networks for Feedforward Acceleration"
_FLAT_NOTE = (
    "No published count used: the paper's PDF and tables were not reachable offline; pages found (liner.com review, "
    "sciencestack TL;DR) give the layer (2 LVH stages, bias after each 1-D conv, no non-linearity inside, V/H in "
    "full mode) and '8-10x fewer parameters', no per-network counts. 1-D modules as the authors' Torch code "
    "(jhjin/flattened-cnn nn-conv1d). Widths, kernels and the plain first conv are ours, not the paper's: ")
_FACT = "Factorized Convolutional Neural Networks"
_FACT_NOTE = (
    "No published count used: only the abstract was reachable (arxiv-vanity 1608.04337, CVF open-access page: 'similar "
    "to VGG-16, ResNet-34/50/101 with 42x, 7.32x, 4.38x, 5.85x less computation'); the tables and model layouts were "
    "not reachable offline. SIC layer (depthwise kxk + 1x1 projection, residual) as the public conv_sic re-implementation; topological "
    "subdivisioning as a grouped 1x1 (groups=1 here); spatial bottleneck as stride-2 SIC, projection, 2x2 "
    "intra-channel deconvolution. The ImageNet stack (widths 128-1024, 3/4/6/3 SIC layers) is ours.")
_STRUCT = "Structured Transforms for Small-Footprint Deep Learning"
_STRUCT_NOTE = (
    "No published count used: the paper's experiment tables were not reachable offline (ar5iv 1510.01722 stored only "
    "from its start). Toeplitz-like M = sum_i Z_1(g_i) Z_-1(h_i)^T as HazyResearch/structured-nets "
    "pytorch/structure/toeplitz.py (toeplitz_mult, cycle=True): 2rn + n params; network = that repo's single hidden "
    "layer model (models/nets.py SHL: structured nxn, ReLU, Linear n->10). MACs are the definition's products, "
    "2*r*n^2 per sample (FFT path: O(r n log n)). ")

# ---- shift + sqnxt: ImageNet ShiftNet-A/B (models/shiftnet.py) ----
_SHIFT = "Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions"
_SHIFT_TABLE = ("ImageNet ShiftNet table (paper), quoted with top-1/top-5 in the lightweight-DL survey of Liu et al. "
                "2024, Table 1 (Params M, MACs G)")
_SHIFT_IN_NOTE = ("Layout from a public PyTorch port of ShiftNet-A (class ShiftNetA, pre-activation CSC blocks, "
                  "shift kernels 5-5-3-3, concat + 3x3/2 avg-pool shortcut at each stride; code-index file id "
                  "37336725033). Shift is slice copies: 0 params, 0 MACs.")

SPECS: tuple[ModelSpec, ...] = (
    # ---- factorized part: Flattened, Factorized, Structured Transform networks (begin) ----
    _spec("flattened_cifar10", "flattened", "flattened:flattened_cifar10", _FLAT, 2015, input_size=(3, 32, 32),
          paper_params=None, paper_table="none found (Section 4 CIFAR-10 network not reachable offline)",
          note=_FLAT_NOTE + "5x5 conv 96, flattened 128 (k=5), flattened 256 (k=3), 3x3/2 max pools, GAP, FC."),
    _spec("flattened_mnist", "flattened", "flattened:flattened_mnist", _FLAT, 2015, input_size=(1, 28, 28),
          paper_params=None, paper_table="none found (Section 4 MNIST network not reachable offline)",
          note=_FLAT_NOTE + "5x5 conv 32, flattened 64 (k=5), flattened 128 (k=3), 3x3/2 max pools, GAP, FC."),
    _spec("factorized_cnn_imagenet", "factorized_cnn", "factorized_cnn:factorized_cnn_imagenet", _FACT, 2017,
          paper_params=None, paper_table="none found (ImageNet model tables not reachable offline)", note=_FACT_NOTE),
    _spec("toeplitz_like_mnist_r1", "structured_transform", "structured_transform:toeplitz_like_mnist_r1", _STRUCT,
          2015, input_size=(1, 28, 28), paper_params=None,
          paper_table="none found (MNIST experiments not reachable offline)",
          note=_STRUCT_NOTE + "n = 784, displacement rank 1."),
    _spec("toeplitz_like_mnist_r4", "structured_transform", "structured_transform:toeplitz_like_mnist_r4", _STRUCT,
          2015, input_size=(1, 28, 28), paper_params=None,
          paper_table="none found (MNIST experiments not reachable offline)",
          note=_STRUCT_NOTE + "n = 784, displacement rank 4."),
    _spec("toeplitz_like_cifar10_r1", "structured_transform", "structured_transform:toeplitz_like_cifar10_r1",
          _STRUCT, 2015, input_size=(3, 32, 32), paper_params=None,
          paper_table="none found (CIFAR-10 experiments not reachable offline)",
          note=_STRUCT_NOTE + "n = 3072 (the flattened colour image), displacement rank 1."),
    # ---- factorized part (end) ----
    # ---- shift + sqnxt (begin) ----
    _spec("shiftnet_a", "shiftnet", "shiftnet:shiftnet_a", _SHIFT, 2018, aliases=("ShiftNet-A",),
          paper_params=4_100_000, paper_macs=1_400_000_000,
          paper_table=_SHIFT_TABLE + ": ShiftNet-A 4.1M, 1.4G",
          note=_SHIFT_IN_NOTE + " Ours 4,188,680 params (+2.2%), 1.424G MACs (+1.7%)."),
    _spec("shiftnet_b", "shiftnet", "shiftnet:shiftnet_b", _SHIFT, 2018, aliases=("ShiftNet-B",),
          paper_params=1_100_000, paper_macs=371_000_000, paper_tolerance=0.08,
          paper_table=_SHIFT_TABLE + ": ShiftNet-B 1.1M, 0.371G",
          note=_SHIFT_IN_NOTE + " B's own layout was not found: ShiftNet-A at half width (stem 16) is an inference "
          "that gives 371.0M MACs, the published 371M. Its 1,183,480 params are 7.6% over '1.1M', hence the 8% "
          "tolerance: the paper seems to truncate to one decimal, as A's 4,188,680 is printed '4.1M'."),
    # ---- shift + sqnxt (end) ----
)

for _s in SPECS:
    register(_s)
