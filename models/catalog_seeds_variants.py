"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: variants — ResNet-1001, CIFAR Wide ResNets, the paper's GC-ResNet-50, the 2011 GPU CNNs).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_variants.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_PREACT = "Identity Mappings in Deep Residual Networks"
_WRN = "Wide Residual Networks"
_GCNET = "GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond"
_CIFAR = (3, 32, 32)

_WRN_NOTE = ("Layer for layer from the authors' PyTorch code (szagoruyko/wide-residual-networks, pytorch/resnet.py): "
             "pre-activation basic blocks, widths 16k/32k/64k, 1x1 projection where the width changes, no conv "
             "bias; dropout (no parameters) left out. The paper gives parameters only, no MACs. The published "
             "figure is the paper's CIFAR table as recalled (the paper PDF was not "
             "reachable offline); the released-code count asserted in osmr/imgclsmob "
             "pytorch/pytorchcv/models/wrn_cifar.py equals ours where it lists the net.")


def _wrn(depth: int, k: int, params: int, extra: str = "") -> ModelSpec:
    return _spec(f"wrn_{depth}_{k}_cifar10", "wrn", f"resnet_cifar:wrn_{depth}_{k}_cifar10", _WRN, 2016,
                 input_size=_CIFAR, paper_params=params,
                 paper_table=f"CIFAR results table (WRN-{depth}-{k}: {params / 1e6:.1f}M params)",
                 note=f"WRN-{depth}-{k}: {(depth - 4) // 6} blocks per group, widths {16 * k}/{32 * k}/{64 * k}. "
                 + extra + _WRN_NOTE)


SPECS: tuple[ModelSpec, ...] = (
    # Pre-activation ResNet-1001 for CIFAR-10
    _spec("preact_resnet1001_cifar10", "preact_resnet", "resnet_cifar:preact_resnet1001_cifar10", _PREACT, 2016,
          input_size=_CIFAR, paper_params=10_200_000,
          paper_table="CIFAR-10 comparison table (ResNet-1001: 10.2M params, 4.92% error; the error also in the "
          "szagoruyko/wide-residual-networks README)",
          note="Layer for layer from the authors' Torch file (KaimingHe/resnet-1k-layers, resnet-pre-act.lua): "
          "111 pre-activation bottleneck units per stage (outputs 64/128/256, bottleneck 1/4), projection shortcut "
          "from the shared BN-ReLU in each stage's first unit, no conv bias. 10,327,706 params = the count "
          "osmr/imgclsmob asserts for preresnet1001_cifar10; 10.2M is the paper's figure as quoted in the issue "
          "brief (PDF not reachable offline). The paper gives no MACs."),
    _wrn(40, 4, 8_900_000),
    _wrn(16, 8, 11_000_000),
    _wrn(16, 10, 17_100_000, "osmr asserts 17,116,634 (wrn16_10_cifar10). "),
    _wrn(28, 10, 36_500_000, "osmr asserts 36,479,194 (wrn28_10_cifar10). "),
    _wrn(40, 8, 35_700_000, "osmr asserts 35,748,314 (wrn40_8_cifar10). "),
    # GC-ResNet-50 (ImageNet)
    _spec("gc_resnet50", "gcnet", "gc_resnet:gc_resnet50", _GCNET, 2019, paper_params=28_080_000,
          paper_table=("ImageNet classification table (ResNet-50 + GC r16 at c3-c5: 28.08M params), recalled, "
                       "not checked against the PDF offline"),
          note="torchvision ResNet-50 with the GC block (ratio 1/16, LayerNorm) after bn3 of all 13 bottlenecks of "
          "c3-c5, placed as in the authors' code (xvjiarui/GCNet README: 'inserted after 1x1 conv of backbone'; "
          "configs *_r16_gcb_c3-c5_*). Params 28,078,773 = 25,557,032 + 2,521,741 (hand sum in gc_resnet.py). "
          "paper_macs left unset: the brief quoted 3.87G, which could not be checked offline and is below "
          "ResNet-50's own 4.09G MACs; the 13 GC blocks add 8,712,192 MACs (mask 1x1 and attention pooling, C·HW "
          "each, plus the 2·C²/16 transform), 4,097,896,448 in all."),
)

for _s in SPECS:
    register(_s)

# issue 21, part "DeCAF / EfficientNet-X": kept out of SPECS (whose test expects CIFAR outputs and published
# params on every row); checked by tests/test_models_seeds_decaf_x.py
_ALEXNET = "ImageNet Classification with Deep Convolutional Neural Networks"
_EFFNET_X = "Searching for Fast Model Families on Multiple Accelerators"
_EFFNET_X_NOTE = (
    "Layer for layer from the authors' TF code (tensorflow/tpu models/official/efficientnet/tpu/"
    "efficientnet_x_builder.py block strings + efficientnet_model.py MBConvBlock/Model._build): learned 2x2/2 "
    "space-to-depth conv in the first stage, fused MBConv in stages 2-3 (swish), MBConv with ReLU after, SE squeezed "
    "by se_ratio x se_coefficient. No published count was found offline: the paper's table could not be read and "
    "no README or port in the search index states EfficientNet-X params/FLOPs, so paper_params/paper_macs are unset "
    "and the tests check pieces by hand arithmetic. ")

DECAF_X_SPECS: tuple[ModelSpec, ...] = (
    _spec("alexnet_2012", "alexnet", "alexnet_2012:alexnet_2012", _ALEXNET, 2012, input_size=(3, 227, 227),
          aliases=("decaf",), paper_params=60_000_000,
          paper_table="Abstract ('60 million parameters'); Caffe models/bvlc_alexnet/deploy.prototxt (BVLC/caffe, "
          "first release with group: 2): 60,965,224",
          note="The 2012 two-GPU AlexNet that DeCAF (Donahue et al. 2014) re-implemented: conv2/4/5 in 2 groups, LRN "
          "after conv1/conv2, 227x227 input, biases everywhere; 60,965,224 params = Caffe's bvlc_alexnet (hand sum "
          "in the test), +1.6% on the paper's rounded 60M. The paper gives no operation count. torchvision's "
          "alexnet is the later one-GPU variant (61.1M); Caffe's prototxt later dropped the groups (62.4M)."),
    _spec("efficientnet_x_b0", "efficientnet_x", "efficientnet_x:efficientnet_x_b0", _EFFNET_X, 2021,
          paper_table="none found offline (see note)",
          note="Width 1.0, depth 1.0, SE coefficient 4 (efficientnet_x_params). " + _EFFNET_X_NOTE
          + "From memory of the paper's comparison table, not verified offline: about 7.6M params and 0.91B FLOPs "
          "for B0, which our 7,584,104 / 0.920G would match; not asserted."),
    _spec("efficientnet_x_b1", "efficientnet_x", "efficientnet_x:efficientnet_x_b1", _EFFNET_X, 2021,
          input_size=(3, 240, 240), paper_table="none found offline (see note)",
          note="Width 1.0, depth 1.1 (each stage's repeats rounded up: 2/3/3/4/4/5/2), SE coefficient 2, 240x240 "
          "(efficientnet_x_params). " + _EFFNET_X_NOTE),
)

for _s in DECAF_X_SPECS:
    register(_s)
