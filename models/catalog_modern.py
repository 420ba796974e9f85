"""Registry entries for our implementations of networks neither torchvision nor timm ship: CondenseNet,
ESPNetv2, DRN, FractalNet, DARTS and InternImage.

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_modern.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_CONDENSENET = "CondenseNet: An Efficient DenseNet using Learned Group Convolutions"
_ESPNETV2 = "ESPNetv2: A Light-weight, Power Efficient, and General Purpose Convolutional Neural Network"
_DRN = "Dilated Residual Networks"
_FRACTALNET = "FractalNet: Ultra-Deep Neural Networks without Residuals"
_DARTS = "DARTS: Differentiable Architecture Search"
_INTERNIMAGE = "InternImage: Exploring Large-Scale Vision Foundation Models with Deformable Convolutions"

_CONDENSE_NOTE = (
    "Converted (inference) form, which is what the paper counts: each learned group 1x1 conv becomes "
    "index_select → BN → ReLU → G-group conv → channel shuffle; the classifier keeps half its inputs. "
    "Our MACs count conv/linear only (the authors' counter also counts BN/pool), hence a few % low."
)

_DRN_NOTE = (
    "The paper gives parameters only; our MACs are conv/linear MACs at output stride 8 (28x28 final maps), "
    "hence several times a ResNet of the same depth."
)

_FRACTAL_NOTE = (
    "C=3 columns, B=5 blocks, widths 64-128-256-512-512: the paper's 20-layer CIFAR network. Table 1 lists "
    "38.6M params, but this architecture has 33.7M (identical to the khanrc/pt.fractalnet and osmr/imgclsmob "
    "re-implementations: 33,724,618 for 10 classes); the paper does not explain the extra 4.9M, hence the 15% "
    "tolerance. C=4 with these widths would be 76M, so the 38.6M row is not a 4-column net. Input 32x32 "
    "(the classifier reads the 1x1x512 map)."
)

_DARTS_NOTE = (
    "Params match (4.72M). Conv+linear MACs are 530M vs the paper's 574M (-7.7%); the authors never released "
    "their counter and others get 523-545M for the same genotype (quark0/darts issue #46), hence the 8% "
    "tolerance. No auxiliary head (training only)."
)

_INTERNIMAGE_NOTE = (
    "DCNv3 in plain PyTorch (the official dcnv3_core_pytorch path, grid_sample). torch's FLOP formulas do not "
    "cover grid_sampler_2d or the mask-weighted point sum, so static MACs miss the DCNv3 core "
    "(~45·C·H·W per block, ~0.1G in total, ~2% of the published 5G); params are exact."
)


SPECS: tuple[ModelSpec, ...] = (
    # CondenseNet-74, ImageNet (stages 4-6-8-10-8, growth 8-16-32-64-128)
    _spec("condensenet74_c4_g4", "condensenet", "condensenet:condensenet74_c4_g4", _CONDENSENET, 2018,
          paper_params=4_800_000, paper_macs=529_000_000, paper_table="Table 5 (ImageNet); official README",
          note=_CONDENSE_NOTE),
    _spec("condensenet74_c8_g8", "condensenet", "condensenet:condensenet74_c8_g8", _CONDENSENET, 2018,
          aliases=("condensenet",), paper_params=2_900_000, paper_macs=274_000_000,
          paper_table="Table 5 (ImageNet); official README", note=_CONDENSE_NOTE),
    # ESPNetv2 ImageNet classifier at three width scales
    _spec("espnetv2_s050", "espnet", "espnetv2:espnetv2_s050", _ESPNETV2, 2019,
          paper_params=1_240_000, paper_macs=28_370_000,
          paper_table="ImageNet table of sacmehta/ESPNetv2 imagenet/README (s=0.5)",
          note="Conv/linear MACs; the unused input-reinforcement module of the last down-sampler is omitted."),
    _spec("espnetv2_s100", "espnet", "espnetv2:espnetv2_s100", _ESPNETV2, 2019, aliases=("espnetv2",),
          paper_params=1_670_000, paper_macs=85_720_000,
          paper_table="ImageNet table of sacmehta/ESPNetv2 imagenet/README (s=1.0)",
          note="Conv/linear MACs; the unused input-reinforcement module of the last down-sampler is omitted."),
    _spec("espnetv2_s200", "espnet", "espnetv2:espnetv2_s200", _ESPNETV2, 2019,
          paper_params=3_490_000, paper_macs=284_800_000,
          paper_table="ImageNet table of sacmehta/ESPNetv2 imagenet/README (s=2.0)",
          note="Conv/linear MACs; the unused input-reinforcement module of the last down-sampler is omitted."),
    # Dilated Residual Networks (ImageNet, 224x224)
    _spec("drn_a_50", "drn", "drn:drn_a_50", _DRN, 2017, paper_params=25_600_000,
          paper_table="ImageNet classification table; fyu/drn README", note=_DRN_NOTE),
    _spec("drn_c_26", "drn", "drn:drn_c_26", _DRN, 2017, paper_params=21_100_000,
          paper_table="ImageNet classification table; fyu/drn README", note=_DRN_NOTE),
    _spec("drn_c_42", "drn", "drn:drn_c_42", _DRN, 2017, paper_params=31_200_000,
          paper_table="ImageNet classification table; fyu/drn README", note=_DRN_NOTE),
    _spec("drn_d_22", "drn", "drn:drn_d_22", _DRN, 2017, paper_params=16_400_000,
          paper_table="ImageNet classification table; fyu/drn README", note=_DRN_NOTE),
    _spec("drn_d_54", "drn", "drn:drn_d_54", _DRN, 2017, paper_params=35_800_000,
          paper_table="ImageNet classification table; fyu/drn README", note=_DRN_NOTE),
    # FractalNet, CIFAR (the paper reports one parameter count for CIFAR-10/100 and SVHN)
    _spec("fractalnet20_cifar10", "fractalnet", "fractalnet:fractalnet20_cifar10", _FRACTALNET, 2017,
          input_size=(3, 32, 32), paper_params=38_600_000, paper_table="Table 1 (CIFAR/SVHN, 20 layers)",
          paper_tolerance=0.15, note=_FRACTAL_NOTE),
    _spec("fractalnet20_cifar100", "fractalnet", "fractalnet:fractalnet20_cifar100", _FRACTALNET, 2017,
          aliases=("fractalnet",), input_size=(3, 32, 32), paper_params=38_600_000,
          paper_table="Table 1 (CIFAR/SVHN, 20 layers)", paper_tolerance=0.15, note=_FRACTAL_NOTE),
    # DARTS-V2 genotype, ImageNet mobile setting
    _spec("darts_v2_imagenet", "darts", "darts:darts_v2_imagenet", _DARTS, 2019, aliases=("darts",),
          paper_params=4_700_000, paper_macs=574_000_000, paper_table="Table 3 (ImageNet mobile setting)",
          paper_tolerance=0.08, note=_DARTS_NOTE),
    # InternImage-T
    _spec("internimage_t", "internimage", "internimage:internimage_t", _INTERNIMAGE, 2023,
          paper_params=30_000_000, paper_macs=5_000_000_000, paper_table="Table 1 (ImageNet-1K, 224)",
          note=_INTERNIMAGE_NOTE),
)

for _s in SPECS:
    register(_s)
