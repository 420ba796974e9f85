"""Every torchvision model: the classifiers registered under their torchvision names, every other task as
``torchvision:NAME``.

Torch-free at import (``cnnbench list`` stays fast). Aliases users type — ``mobilenetv2``,
``ResNet-50`` — resolve through the registry's case/separator-insensitive lookup.

Each classifier spec names the torchvision weights whose metadata (``num_params``, ``_ops`` in GMACs,
``_file_size`` in MiB) is the oracle the tests check us against, and the builder reproduces the
architecture those weights describe (e.g. Inception-v3 keeps its auxiliary head, GoogLeNet drops
it; ViT-H/14's published weights run at 518 px). Weights are never downloaded: every build is random init
(``weights=None``, and ``weights_backbone=None`` for the segmentation and detection builders, whose default would
fetch an ImageNet backbone).

The other tasks (segmentation, detection, video, optical flow, and the quantizable classifiers) are not in the
catalogue; ``TASK_INPUTS`` gives each its task and default inputs, the inputs its published weights' transforms
feed it (the ones torchvision measured its ``_ops`` at).
"""

from __future__ import annotations

from typing import Any

from cnnbench.catalog.registry import ModelSpec, register

# (paper title, year)
P0 = ("ImageNet Classification with Deep Convolutional Neural Networks", 2012)
P1 = ("A ConvNet for the 2020s", 2022)
P2 = ("Densely Connected Convolutional Networks", 2017)
P3 = ("EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", 2019)
P4 = ("EfficientNetV2: Smaller Models and Faster Training", 2021)
P5 = ("Going Deeper with Convolutions", 2015)
P6 = ("Rethinking the Inception Architecture for Computer Vision", 2016)
P7 = ("MaxViT: Multi-Axis Vision Transformer", 2022)
P8 = ("MnasNet: Platform-Aware Neural Architecture Search for Mobile", 2019)
P9 = ("MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018)
P10 = ("Searching for MobileNetV3", 2019)
P11 = ("Designing Network Design Spaces", 2020)
P12 = ("Deep Residual Learning for Image Recognition", 2016)
P13 = ("Aggregated Residual Transformations for Deep Neural Networks", 2017)
P14 = ("ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", 2018)
P15 = ("SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size", 2016)
P16 = ("Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", 2021)
P17 = ("Swin Transformer V2: Scaling Up Capacity and Resolution", 2022)
P18 = ("Very Deep Convolutional Networks for Large-Scale Image Recognition", 2015)
P19 = ("An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale", 2021)
P20 = ("Wide Residual Networks", 2016)

# name, family, paper, default input side (the weights' own crop size), oracle weights
_MODELS = [
    ("alexnet", "alexnet", P0, 224, "AlexNet_Weights.IMAGENET1K_V1"),
    ("convnext_base", "convnext", P1, 224, "ConvNeXt_Base_Weights.IMAGENET1K_V1"),
    ("convnext_large", "convnext", P1, 224, "ConvNeXt_Large_Weights.IMAGENET1K_V1"),
    ("convnext_small", "convnext", P1, 224, "ConvNeXt_Small_Weights.IMAGENET1K_V1"),
    ("convnext_tiny", "convnext", P1, 224, "ConvNeXt_Tiny_Weights.IMAGENET1K_V1"),
    ("densenet121", "densenet", P2, 224, "DenseNet121_Weights.IMAGENET1K_V1"),
    ("densenet161", "densenet", P2, 224, "DenseNet161_Weights.IMAGENET1K_V1"),
    ("densenet169", "densenet", P2, 224, "DenseNet169_Weights.IMAGENET1K_V1"),
    ("densenet201", "densenet", P2, 224, "DenseNet201_Weights.IMAGENET1K_V1"),
    ("efficientnet_b0", "efficientnet", P3, 224, "EfficientNet_B0_Weights.IMAGENET1K_V1"),
    ("efficientnet_b1", "efficientnet", P3, 240, "EfficientNet_B1_Weights.IMAGENET1K_V1"),
    ("efficientnet_b2", "efficientnet", P3, 288, "EfficientNet_B2_Weights.IMAGENET1K_V1"),
    ("efficientnet_b3", "efficientnet", P3, 300, "EfficientNet_B3_Weights.IMAGENET1K_V1"),
    ("efficientnet_b4", "efficientnet", P3, 380, "EfficientNet_B4_Weights.IMAGENET1K_V1"),
    ("efficientnet_b5", "efficientnet", P3, 456, "EfficientNet_B5_Weights.IMAGENET1K_V1"),
    ("efficientnet_b6", "efficientnet", P3, 528, "EfficientNet_B6_Weights.IMAGENET1K_V1"),
    ("efficientnet_b7", "efficientnet", P3, 600, "EfficientNet_B7_Weights.IMAGENET1K_V1"),
    ("efficientnet_v2_l", "efficientnet", P4, 480, "EfficientNet_V2_L_Weights.IMAGENET1K_V1"),
    ("efficientnet_v2_m", "efficientnet", P4, 480, "EfficientNet_V2_M_Weights.IMAGENET1K_V1"),
    ("efficientnet_v2_s", "efficientnet", P4, 384, "EfficientNet_V2_S_Weights.IMAGENET1K_V1"),
    ("googlenet", "inception", P5, 224, "GoogLeNet_Weights.IMAGENET1K_V1"),
    ("inception_v3", "inception", P6, 299, "Inception_V3_Weights.IMAGENET1K_V1"),
    ("maxvit_t", "maxvit", P7, 224, "MaxVit_T_Weights.IMAGENET1K_V1"),
    ("mnasnet0_5", "mnasnet", P8, 224, "MNASNet0_5_Weights.IMAGENET1K_V1"),
    ("mnasnet0_75", "mnasnet", P8, 224, "MNASNet0_75_Weights.IMAGENET1K_V1"),
    ("mnasnet1_0", "mnasnet", P8, 224, "MNASNet1_0_Weights.IMAGENET1K_V1"),
    ("mnasnet1_3", "mnasnet", P8, 224, "MNASNet1_3_Weights.IMAGENET1K_V1"),
    ("mobilenet_v2", "mobilenet", P9, 224, "MobileNet_V2_Weights.IMAGENET1K_V1"),
    ("mobilenet_v3_large", "mobilenet", P10, 224, "MobileNet_V3_Large_Weights.IMAGENET1K_V1"),
    ("mobilenet_v3_small", "mobilenet", P10, 224, "MobileNet_V3_Small_Weights.IMAGENET1K_V1"),
    ("regnet_x_16gf", "regnet", P11, 224, "RegNet_X_16GF_Weights.IMAGENET1K_V1"),
    ("regnet_x_1_6gf", "regnet", P11, 224, "RegNet_X_1_6GF_Weights.IMAGENET1K_V1"),
    ("regnet_x_32gf", "regnet", P11, 224, "RegNet_X_32GF_Weights.IMAGENET1K_V1"),
    ("regnet_x_3_2gf", "regnet", P11, 224, "RegNet_X_3_2GF_Weights.IMAGENET1K_V1"),
    ("regnet_x_400mf", "regnet", P11, 224, "RegNet_X_400MF_Weights.IMAGENET1K_V1"),
    ("regnet_x_800mf", "regnet", P11, 224, "RegNet_X_800MF_Weights.IMAGENET1K_V1"),
    ("regnet_x_8gf", "regnet", P11, 224, "RegNet_X_8GF_Weights.IMAGENET1K_V1"),
    ("regnet_y_128gf", "regnet", P11, 384, "RegNet_Y_128GF_Weights.IMAGENET1K_SWAG_E2E_V1"),
    ("regnet_y_16gf", "regnet", P11, 224, "RegNet_Y_16GF_Weights.IMAGENET1K_V1"),
    ("regnet_y_1_6gf", "regnet", P11, 224, "RegNet_Y_1_6GF_Weights.IMAGENET1K_V1"),
    ("regnet_y_32gf", "regnet", P11, 224, "RegNet_Y_32GF_Weights.IMAGENET1K_V1"),
    ("regnet_y_3_2gf", "regnet", P11, 224, "RegNet_Y_3_2GF_Weights.IMAGENET1K_V1"),
    ("regnet_y_400mf", "regnet", P11, 224, "RegNet_Y_400MF_Weights.IMAGENET1K_V1"),
    ("regnet_y_800mf", "regnet", P11, 224, "RegNet_Y_800MF_Weights.IMAGENET1K_V1"),
    ("regnet_y_8gf", "regnet", P11, 224, "RegNet_Y_8GF_Weights.IMAGENET1K_V1"),
    ("resnet101", "resnet", P12, 224, "ResNet101_Weights.IMAGENET1K_V1"),
    ("resnet152", "resnet", P12, 224, "ResNet152_Weights.IMAGENET1K_V1"),
    ("resnet18", "resnet", P12, 224, "ResNet18_Weights.IMAGENET1K_V1"),
    ("resnet34", "resnet", P12, 224, "ResNet34_Weights.IMAGENET1K_V1"),
    ("resnet50", "resnet", P12, 224, "ResNet50_Weights.IMAGENET1K_V1"),
    ("resnext101_32x8d", "resnext", P13, 224, "ResNeXt101_32X8D_Weights.IMAGENET1K_V1"),
    ("resnext101_64x4d", "resnext", P13, 224, "ResNeXt101_64X4D_Weights.IMAGENET1K_V1"),
    ("resnext50_32x4d", "resnext", P13, 224, "ResNeXt50_32X4D_Weights.IMAGENET1K_V1"),
    ("shufflenet_v2_x0_5", "shufflenet", P14, 224, "ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1"),
    ("shufflenet_v2_x1_0", "shufflenet", P14, 224, "ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1"),
    ("shufflenet_v2_x1_5", "shufflenet", P14, 224, "ShuffleNet_V2_X1_5_Weights.IMAGENET1K_V1"),
    ("shufflenet_v2_x2_0", "shufflenet", P14, 224, "ShuffleNet_V2_X2_0_Weights.IMAGENET1K_V1"),
    ("squeezenet1_0", "squeezenet", P15, 224, "SqueezeNet1_0_Weights.IMAGENET1K_V1"),
    ("squeezenet1_1", "squeezenet", P15, 224, "SqueezeNet1_1_Weights.IMAGENET1K_V1"),
    ("swin_b", "swin", P16, 224, "Swin_B_Weights.IMAGENET1K_V1"),
    ("swin_s", "swin", P16, 224, "Swin_S_Weights.IMAGENET1K_V1"),
    ("swin_t", "swin", P16, 224, "Swin_T_Weights.IMAGENET1K_V1"),
    ("swin_v2_b", "swin", P17, 256, "Swin_V2_B_Weights.IMAGENET1K_V1"),
    ("swin_v2_s", "swin", P17, 256, "Swin_V2_S_Weights.IMAGENET1K_V1"),
    ("swin_v2_t", "swin", P17, 256, "Swin_V2_T_Weights.IMAGENET1K_V1"),
    ("vgg11", "vgg", P18, 224, "VGG11_Weights.IMAGENET1K_V1"),
    ("vgg11_bn", "vgg", P18, 224, "VGG11_BN_Weights.IMAGENET1K_V1"),
    ("vgg13", "vgg", P18, 224, "VGG13_Weights.IMAGENET1K_V1"),
    ("vgg13_bn", "vgg", P18, 224, "VGG13_BN_Weights.IMAGENET1K_V1"),
    ("vgg16", "vgg", P18, 224, "VGG16_Weights.IMAGENET1K_V1"),
    ("vgg16_bn", "vgg", P18, 224, "VGG16_BN_Weights.IMAGENET1K_V1"),
    ("vgg19", "vgg", P18, 224, "VGG19_Weights.IMAGENET1K_V1"),
    ("vgg19_bn", "vgg", P18, 224, "VGG19_BN_Weights.IMAGENET1K_V1"),
    ("vit_b_16", "vit", P19, 224, "ViT_B_16_Weights.IMAGENET1K_V1"),
    ("vit_b_32", "vit", P19, 224, "ViT_B_32_Weights.IMAGENET1K_V1"),
    ("vit_h_14", "vit", P19, 518, "ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1"),
    ("vit_l_16", "vit", P19, 224, "ViT_L_16_Weights.IMAGENET1K_V1"),
    ("vit_l_32", "vit", P19, 224, "ViT_L_32_Weights.IMAGENET1K_V1"),
    ("wide_resnet101_2", "wide_resnet", P20, 224, "Wide_ResNet101_2_Weights.IMAGENET1K_V1"),
    ("wide_resnet50_2", "wide_resnet", P20, 224, "Wide_ResNet50_2_Weights.IMAGENET1K_V1"),
]

# what the published weights describe, where it differs from the builder's defaults
_BUILD_KWARGS: dict[str, dict[str, Any]] = {
    "googlenet": {"aux_logits": False, "init_weights": False},
    "inception_v3": {"aux_logits": True, "init_weights": False},
    "vit_h_14": {"image_size": 518},
}

_ALIASES = {
    "googlenet": ("inception_v1",),
    "resnext50_32x4d": ("resnext50",),
    "resnext101_32x8d": ("resnext101",),
    "wide_resnet50_2": ("wrn50_2", "wideresnet50"),
    "wide_resnet101_2": ("wrn101_2", "wideresnet101"),
    "shufflenet_v2_x1_0": ("shufflenetv2",),
    "mobilenet_v3_large": ("mobilenetv3",),
    "mnasnet1_0": ("mnasnet",),
    "squeezenet1_0": ("squeezenet",),
    "efficientnet_b0": ("efficientnet",),
    "vgg16": ("vgg",),
}


# ---- the other tasks: torchvision:NAME, not in the catalogue ------------------------------------------------------
# Default inputs (shapes without the batch dimension) = what the published weights' transforms feed the model:
_SEG = ((3, 520, 520),)  # SemanticSegmentation(resize_size=520); the output is a dict ({"out": N x 21 x H x W})
# a detector takes a list of 3xHxW images: the batch tensor B x 3 x H x W is read as B images (GeneralizedRCNN, SSD,
# RetinaNet and FCOS iterate over it). The side is the one torchvision measured _ops at: the transform's min_size
# (800; 320 for the *320* models) or SSD's fixed size (300), which the model's own resize keeps.
_DET, _DET320, _DET300 = ((3, 800, 800),), ((3, 320, 320),), ((3, 300, 300),)
# a video clip is C x T x H x W (16 frames, the weights' crop: 112 for the ResNet-3D family, 224 for the others)
_CLIP112, _CLIP224 = ((3, 16, 112, 112),), ((3, 16, 224, 224),)
# RAFT: two images (sides divisible by 8); torchvision measured _ops at 512 x 512
_FLOW = ((3, 512, 512), (3, 512, 512))
_Q = "classification (quantizable)"  # the float model torchvision quantizes; same input as its float twin

TASK_INPUTS: dict[str, tuple[str, tuple[tuple[int, ...], ...]]] = {
    "deeplabv3_mobilenet_v3_large": ("segmentation", _SEG),
    "deeplabv3_resnet101": ("segmentation", _SEG),
    "deeplabv3_resnet50": ("segmentation", _SEG),
    "fcn_resnet101": ("segmentation", _SEG),
    "fcn_resnet50": ("segmentation", _SEG),
    "lraspp_mobilenet_v3_large": ("segmentation", _SEG),
    "fasterrcnn_mobilenet_v3_large_320_fpn": ("detection", _DET320),
    "fasterrcnn_mobilenet_v3_large_fpn": ("detection", _DET),
    "fasterrcnn_resnet50_fpn": ("detection", _DET),
    "fasterrcnn_resnet50_fpn_v2": ("detection", _DET),
    "fcos_resnet50_fpn": ("detection", _DET),
    "keypointrcnn_resnet50_fpn": ("detection", _DET),
    "maskrcnn_resnet50_fpn": ("detection", _DET),
    "maskrcnn_resnet50_fpn_v2": ("detection", _DET),
    "retinanet_resnet50_fpn": ("detection", _DET),
    "retinanet_resnet50_fpn_v2": ("detection", _DET),
    "ssd300_vgg16": ("detection", _DET300),
    "ssdlite320_mobilenet_v3_large": ("detection", _DET320),
    "mc3_18": ("video", _CLIP112),
    "r2plus1d_18": ("video", _CLIP112),
    "r3d_18": ("video", _CLIP112),
    "mvit_v1_b": ("video", _CLIP224),
    "mvit_v2_s": ("video", _CLIP224),
    "s3d": ("video", _CLIP224),
    "swin3d_b": ("video", _CLIP224),
    "swin3d_s": ("video", _CLIP224),
    "swin3d_t": ("video", _CLIP224),
    "raft_large": ("optical_flow", _FLOW),
    "raft_small": ("optical_flow", _FLOW),
    **{f"quantized_{n}": (_Q, ((3, 224, 224),)) for n in (
        "googlenet", "mobilenet_v2", "mobilenet_v3_large", "resnet18", "resnet50", "resnext101_32x8d",
        "resnext101_64x4d", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0")},
    "quantized_inception_v3": (_Q, ((3, 299, 299),)),
}


#: Friendly names for the task models the reading lists name (seed 003: DeepLabv3, LR-ASPP, SSDLite). They resolve
#: to ``torchvision:NAME`` (built offline, random init) and are not registry entries: ``source="torchvision"`` in
#: the registry means the 80 classifiers. Any task model's own name (``deeplabv3_resnet50``) resolves the same way.
TASK_ALIASES = {
    "deeplabv3": "deeplabv3_resnet50",
    "mobile_deeplabv3": "deeplabv3_mobilenet_v3_large",
    "lraspp": "lraspp_mobilenet_v3_large",
    "lr_aspp": "lraspp_mobilenet_v3_large",
    "ssdlite": "ssdlite320_mobilenet_v3_large",
}


def torchvision_builder(*, model_name: str, **kwargs: Any):
    """Build a torchvision model with random init; never downloads.

    ``get_model(model_name, weights=None, **kwargs)``, with ``weights_backbone=None`` for the builders that take it
    (segmentation, detection: its default is ImageNet backbone weights, downloaded at build). The registered specs name
    the published weights' architecture in their ``builder_kwargs`` (``_BUILD_KWARGS``), so ``torchvision:NAME``
    builds torchvision's default. Quantizable classifiers (``quantized_*``) are built as torchvision builds them
    without weights: the float model (``quantize=False``) with its quant/dequant stubs.
    """
    import inspect

    import torchvision

    builder = torchvision.models.get_model_builder(model_name)
    if "weights_backbone" in inspect.signature(builder).parameters:
        kwargs = {**kwargs, "weights_backbone": None}
    return builder(**{**kwargs, "weights": None})


def default_inputs(model_name: str) -> tuple[tuple[int, ...], ...]:
    """The inputs of ``get_model(model_name)`` as built by default, without the batch dimension (one shape per
    positional input: RAFT takes two images); ViT-H/14 is built for 224 px unless told 518."""
    if model_name in TASK_INPUTS:
        return TASK_INPUTS[model_name][1]
    if "image_size" in _BUILD_KWARGS.get(model_name, {}):
        return ((3, 224, 224),)
    return (weights_input_size(model_name),)


def task_of(model_name: str) -> str:
    """``classification`` for the registered classifiers, else the task ``TASK_INPUTS`` names."""
    return TASK_INPUTS[model_name][0] if model_name in TASK_INPUTS else "classification"


def weights_input_size(model_name: str) -> tuple[int, int, int]:
    for name, _family, _paper, side, _weights in _MODELS:
        if name == model_name:
            return (3, side, side)
    return (3, 224, 224)


def weights_meta(spec: ModelSpec) -> dict[str, Any]:
    """The oracle: torchvision's published metadata for ``spec.tv_weights`` (no download)."""
    import torchvision

    return dict(torchvision.models.get_weight(spec.tv_weights or "").meta)


for _name, _family, (_title, _year), _side, _weights in _MODELS:
    register(
        ModelSpec(
            name=_name,
            family=_family,
            source="torchvision",
            builder=torchvision_builder,
            paper=_title,
            year=_year,
            input_size=(3, _side, _side),
            aliases=_ALIASES.get(_name, ()),
            tv_weights=_weights,
            builder_kwargs={"model_name": _name, **_BUILD_KWARGS.get(_name, {})},
        )
    )
