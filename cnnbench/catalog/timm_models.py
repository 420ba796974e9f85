"""timm networks the reading lists name, under friendly names, with the counts their papers publish.

Torch-free at import: every entry is a ``ModelSpec`` whose builder is the string
``"cnnbench.catalog.timm_models:timm_builder"``; timm is imported only when a model is built. Anything else
timm ships is still reachable as ``timm:<name>`` (see ``cnnbench.catalog.resolve``).

Conventions:
  * ``input_size`` is timm's pretrained-config ``input_size`` for that model. Where the paper's counts are
    at another resolution (the timm config's ``test_input_size``, e.g. NFNet, EfficientNetV2-XL), the
    paper's resolution is used so ``paper_macs`` and our count describe the same forward pass; the
    ``note`` says so.
  * ``paper_macs`` are multiply-accumulates (what these papers call "FLOPs" or "Mult-Adds").
  * ``year`` is the year the paper first appeared (arXiv).
  * Names that torchvision already covers (``resnet50``, ``convnext_tiny``, ``regnet_y_400mf``,
    ``efficientnet_b0`` ...) are not repeated here; only timm's variants beyond them are.
"""

from __future__ import annotations

from typing import Any

from cnnbench.catalog.registry import ModelSpec, register

BUILDER = "cnnbench.catalog.timm_models:timm_builder"

# every spec this module registers, in registration order (tests parametrize over it)
SPECS: list[ModelSpec] = []


def timm_builder(*, model_name: str, reparameterize: bool = False, **kwargs: Any):
    """Build ``timm.create_model(model_name)`` with random weights.

    Args:
        model_name: timm model name.
        reparameterize: fuse re-parameterizable branches (RepVGG, MobileOne, ...) into their
            inference form, the form whose counts papers like RepVGG publish (``cnnbench.catalog.build.fuse_model``;
            ``timm:NAME`` never sets it: the default is the model exactly as ``timm.create_model`` builds it,
            and ``fuse=True`` / ``--fuse`` fuse any model).
        **kwargs: passed to ``timm.create_model``; ``None`` values are dropped so they never override
            a model's own defaults (timm's own convention).

    Returns:
        The ``nn.Module``; never downloads weights (``pretrained=False``).
    """
    import timm

    model = timm.create_model(model_name, pretrained=False, **{k: v for k, v in kwargs.items() if v is not None})
    if reparameterize:
        from cnnbench.catalog.build import fuse_model

        model, _ = fuse_model(model, inplace=True)  # fused weights are created on the model's device (meta too)
    return model


def _add(
    name: str,
    timm_name: str,
    family: str,
    paper: tuple[str, int],
    size: int = 224,
    *,
    aliases: tuple[str, ...] = (),
    params: float | None = None,
    macs: float | None = None,
    table: str = "",
    tol: float = 0.05,
    note: str = "",
    paper_fused: bool = False,
    **builder_kwargs: Any,
) -> None:
    """Register one timm model; ``params``/``macs`` as published (absolute counts)."""
    spec = register(
        ModelSpec(
            name=name,
            family=family,
            source="timm",
            builder=BUILDER,
            paper=paper[0],
            year=paper[1],
            input_size=(3, size, size),
            aliases=aliases,
            paper_params=None if params is None else round(params),
            paper_macs=None if macs is None else round(macs),
            paper_table=table,
            paper_tolerance=tol,
            note=note,
            paper_fused=paper_fused,
            builder_kwargs={"model_name": timm_name, **builder_kwargs},
        )
    )
    SPECS.append(spec)


M = 1e6
G = 1e9

# ---- papers ------------------------------------------------------------------------------------------
INCEPTION_V4 = ("Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", 2016)
XCEPTION = ("Xception: Deep Learning with Depthwise Separable Convolutions", 2016)
DEEPLABV3P = ("Encoder-Decoder with Atrous Separable Convolution for Semantic Image Segmentation", 2018)
RESNET = ("Deep Residual Learning for Image Recognition", 2015)
BAG_OF_TRICKS = ("Bag of Tricks for Image Classification with Convolutional Neural Networks", 2018)
PREACT = ("Identity Mappings in Deep Residual Networks", 2016)
DENSENET = ("Densely Connected Convolutional Networks", 2016)
DPN = ("Dual Path Networks", 2017)
SENET = ("Squeeze-and-Excitation Networks", 2017)
DLA = ("Deep Layer Aggregation", 2017)
SKNET = ("Selective Kernel Networks", 2019)
RES2NET = ("Res2Net: A New Multi-scale Backbone Architecture", 2019)
RESNEST = ("ResNeSt: Split-Attention Networks", 2020)
GCNET = ("GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond", 2019)
RESNET_RS = ("Revisiting ResNets: Improved Training and Scaling Strategies", 2021)
NFNET = ("High-Performance Large-Scale Image Recognition Without Normalization", 2021)
NF_RESNET = ("Characterizing signal propagation to close the performance gap in unnormalized ResNets", 2021)
TRESNET = ("TResNet: High Performance GPU-Dedicated Architecture", 2020)
HRNET = ("Deep High-Resolution Representation Learning for Visual Recognition", 2019)
REGNET = ("Designing Network Design Spaces", 2020)
REGNETZ = ("Fast and Accurate Model Scaling", 2021)
CONVNEXT = ("A ConvNet for the 2020s", 2022)
FOCALNET = ("Focal Modulation Networks", 2022)
POOLFORMER = ("MetaFormer Is Actually What You Need for Vision", 2021)
METAFORMER = ("MetaFormer Baselines for Vision", 2022)
MIXER = ("MLP-Mixer: An all-MLP Architecture for Vision", 2021)
MOBILENET_V1 = ("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications", 2017)
MOBILENET_V2 = ("MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018)
MOBILENET_V3 = ("Searching for MobileNetV3", 2019)
MOBILENET_V4 = ("MobileNetV4: Universal Models for the Mobile Ecosystem", 2024)
MIXCONV = ("MixConv: Mixed Depthwise Convolutional Kernels", 2019)
NASNET = ("Learning Transferable Architectures for Scalable Image Recognition", 2017)
PNASNET = ("Progressive Neural Architecture Search", 2017)
MNASNET = ("MnasNet: Platform-Aware Neural Architecture Search for Mobile", 2018)
CSPNET = ("CSPNet: A New Backbone that can Enhance Learning Capability of CNN", 2019)
EFFICIENTNET_V2 = ("EfficientNetV2: Smaller Models and Faster Training", 2021)
GHOSTNET = ("GhostNet: More Features from Cheap Operations", 2019)
REPVGG = ("RepVGG: Making VGG-style ConvNets Great Again", 2021)
MOBILEVIT = ("MobileViT: Light-weight, General-purpose, and Mobile-friendly Vision Transformer", 2021)
EFFICIENTFORMER = ("EfficientFormer: Vision Transformers at MobileNet Speed", 2022)

# ---- Inception / Xception ----------------------------------------------------------------------------
_add("inception_v4", "inception_v4", "inception", INCEPTION_V4, 299)
_add("inception_resnet_v2", "inception_resnet_v2", "inception", INCEPTION_V4, 299)
_add("xception", "legacy_xception", "xception", XCEPTION, 299, aliases=("legacy_xception",),
     params=22_855_952, table="Xception paper, Table 3 (parameter count)", tol=0.01)
_XCEPTION_ALIGNED = "Aligned Xception (DeepLabv3+ backbone): deeper, all max-pools replaced by strided separable convs"
for _d in (41, 65, 71):
    _add(f"xception{_d}", f"xception{_d}", "xception", DEEPLABV3P, 299, note=_XCEPTION_ALIGNED)

# ---- ResNet-200, pre-activation ResNets, DenseNet-264 ------------------------------------------------
_add("resnet200", "resnet200", "resnet", RESNET, 224,
     note="He et al. trained ResNet-200 only in pre-activation form (Identity Mappings, 2016); this is the "
          "original post-activation bottleneck ResNet at depth 200 (layers 3-24-36-3)")
_add("resnet200d", "resnet200d", "resnet", BAG_OF_TRICKS, 256,
     note="timm's ResNet-D: deep 3x3 stem and avg-pool downsampling shortcut (Bag of Tricks), not He et al.'s stem")
for _d in (50, 101, 152):
    _add(f"preact_resnet{_d}", f"resnetv2_{_d}", "preact_resnet", PREACT, 224, aliases=(f"resnetv2_{_d}",))
_add("densenet264", "densenet121", "densenet", DENSENET, 224, block_config=(6, 12, 64, 48),
     note="DenseNet-264 of Table 1 (growth 32, blocks 6-12-64-48), built with timm's DenseNet")

# ---- DPN, SENet -------------------------------------------------------------------------------------
_add("dpn68", "dpn68", "dpn", DPN, 224)
for _n, _macs in (("dpn92", 6.5), ("dpn98", 11.7), ("dpn107", 18.3), ("dpn131", 16.0)):
    _add(_n, _n, "dpn", DPN, 224, macs=_macs * G, table="DPN paper, ImageNet-1k comparison table (GFLOPs = MACs, 224)")
# timm's legacy_* SE nets are ports of the authors' Caffe models: stride on the first 1x1 conv of a bottleneck,
# as in the paper. timm's newer seresnet50 strides the 3x3 (ResNet v1.5) and counts 4.09 GMACs, not 3.87.
_SE_NOTE = "timm legacy_* port of the authors' Caffe model (stride on the bottleneck's first 1x1 conv)"
_add("senet154", "legacy_senet154", "senet", SENET, 224, params=115 * M, macs=20.7 * G,
     table="SENet paper, SENet-154 (params, GFLOPs = MACs, 224x224)", note=_SE_NOTE)
_SE_TABLE = "SENet paper (TPAMI), Table 2 (GFLOPs = MACs, 224x224)"
for _n, _macs in (("resnet50", 3.87), ("resnet101", 7.60), ("resnet152", 11.32), ("resnext50_32x4d", 4.25),
                  ("resnext101_32x4d", 8.00)):
    _add(f"se_{_n}", f"legacy_se{_n}", "senet", SENET, 224, macs=_macs * G, table=_SE_TABLE, note=_SE_NOTE)

# ---- DLA, SKNet, Res2Net, ResNeSt, GCNet ------------------------------------------------------------
for _n in ("dla34", "dla46_c", "dla46x_c", "dla60", "dla60x", "dla60x_c", "dla102", "dla102x", "dla102x2", "dla169"):
    _add(_n, _n, "dla", DLA, 224)
_SK_NOTE = "timm's SK-ResNet: SK convolution in a ResNet basic block (not a model of the paper)"
_add("skresnet18", "skresnet18", "sknet", SKNET, 224, note=_SK_NOTE)
_add("skresnet34", "skresnet34", "sknet", SKNET, 224, note=_SK_NOTE)
_add("sknet50", "skresnext50_32x4d", "sknet", SKNET, 224, aliases=("skresnext50_32x4d",),
     params=27.5 * M, macs=4.47 * G, table="SKNet paper, ImageNet comparison table (SKNet-50)")
_add("res2net50_26w_4s", "res2net50_26w_4s", "res2net", RES2NET, 224, aliases=("res2net50",),
     params=25.7 * M, macs=4.2 * G, table="Res2Net paper, ImageNet table (Res2Net-50, 26w x 4s)")
for _n in ("res2net50_14w_8s", "res2net50_26w_6s", "res2net50_26w_8s", "res2net50_48w_2s", "res2net101_26w_4s"):
    _add(_n, _n, "res2net", RES2NET, 224)
_add("res2next50", "res2next50", "res2net", RES2NET, 224)
_RESNEST_TABLE = "ResNeSt paper, model comparison table (params)"
_add("resnest14d", "resnest14d", "resnest", RESNEST, 224, aliases=("resnest14",))
_add("resnest26d", "resnest26d", "resnest", RESNEST, 224, aliases=("resnest26",))
_add("resnest50d", "resnest50d", "resnest", RESNEST, 224, aliases=("resnest50",), params=27.5 * M, macs=5.39 * G,
     table="ResNeSt paper, ImageNet comparison table (ResNeSt-50, 224x224)")
_add("resnest101e", "resnest101e", "resnest", RESNEST, 256, aliases=("resnest101",), params=48.3 * M,
     table=_RESNEST_TABLE)
_add("resnest200e", "resnest200e", "resnest", RESNEST, 320, aliases=("resnest200",), params=70.2 * M,
     table=_RESNEST_TABLE)
_add("resnest269e", "resnest269e", "resnest", RESNEST, 416, aliases=("resnest269",), params=110.9 * M,
     table=_RESNEST_TABLE)
_add("gcresnet50t", "gcresnet50t", "gcnet", GCNET, 256, aliases=("gcnet_resnet50t",),
     note="timm's GC-ResNet-50-T: tiered 3-conv stem, GC block in every bottleneck; the paper adds GC blocks "
          "to a plain ResNet-50 (stages c3-c5)")

# ---- ResNet-RS, NFNet, TResNet -----------------------------------------------------------------------
_RS = {50: (160, 36), 101: (192, 64), 152: (256, 87), 200: (256, 93), 270: (256, 130), 350: (288, 164), 420: (320, 192)}
for _d, (_size, _p) in _RS.items():
    _add(f"resnet_rs{_d}", f"resnetrs{_d}", "resnet_rs", RESNET_RS, _size, params=_p * M,
         table="ResNet-RS paper, appendix model table (params)")
# (params M, GFLOPs, test resolution): the paper's counts are at the test resolution
_NF = {0: (71.5, 12.38, 256), 1: (132.6, 35.54, 320), 2: (193.8, 62.59, 352), 3: (254.9, 114.76, 416),
       4: (316.1, 215.24, 512), 5: (377.2, 289.76, 544), 6: (438.4, 377.28, 576)}
for _f, (_p, _g, _size) in _NF.items():
    _add(f"nfnet_f{_f}", f"dm_nfnet_f{_f}", "nfnet", NFNET, _size, aliases=(f"dm_nfnet_f{_f}",),
         params=_p * M, macs=_g * G, table="NFNet paper, model table (params, FLOPs = MACs at test resolution)",
         note="DeepMind-exact NFNet (timm dm_nfnet); input is the paper's test resolution, not timm's train size")
_add("nf_resnet50", "nf_resnet50", "nfnet", NF_RESNET, 256, note="timm's NF-ResNet-50 (pre-act, scaled WS, no BN)")
for _v, _g in (("m", 5.5), ("l", 10.9), ("xl", 15.9)):
    _add(f"tresnet_{_v}", f"tresnet_{_v}", "tresnet", TRESNET, 224, macs=_g * G,
         table="TResNet paper, Table 1 (GFLOPs = MACs, 224x224)",
         note="timm's TResNet (v1): within 5% of the paper's GFLOPs (M +4%, XL -5%)")

# ---- HRNet ------------------------------------------------------------------------------------------
_HR_TABLE = "HRNet paper (TPAMI), appendix ImageNet classification table (params, GFLOPs = MACs, 224x224)"
# params match to 0.1% for all nine; the paper's GFLOPs for W18-C..W40-C are ~7% below this count while
# W44-C..W64-C match, so the tolerance is 8%: a wrong width or stage would still fail.
_HR_NOTE = "GFLOPs of W18-C..W40-C in the paper are ~7% below our count (W44-C..W64-C match); cause not identified"
for _n, _p, _g in (("hrnet_w18_small", 13.2, 1.49), ("hrnet_w18_small_v2", 15.6, 2.42), ("hrnet_w18", 21.3, 3.99),
                   ("hrnet_w30", 37.7, 7.55), ("hrnet_w32", 41.2, 8.31), ("hrnet_w40", 57.6, 11.8),
                   ("hrnet_w44", 67.1, 14.9), ("hrnet_w48", 77.5, 17.36), ("hrnet_w64", 128.1, 29.0)):
    _add(_n, _n, "hrnet", HRNET, 224, params=_p * M, macs=_g * G, table=_HR_TABLE, tol=0.08, note=_HR_NOTE)

# ---- RegNet sizes torchvision lacks, RegNetZ -----------------------------------------------------------
_RG_TABLE = "RegNet paper, appendix model tables (params, flops = MACs, 224x224)"
for _x, _tag, _flops, _px, _py in (("002", "200mf", 0.2, 2.7, 3.2), ("006", "600mf", 0.6, 6.2, 6.1),
                                   ("040", "4gf", 4.0, 22.1, 20.6), ("064", "6_4gf", 6.4, 26.2, 30.6),
                                   ("120", "12gf", 12.0, 46.1, 51.8)):
    _add(f"regnet_x_{_tag}", f"regnetx_{_x}", "regnet", REGNET, 224, aliases=(f"regnetx_{_x}",),
         params=_px * M, macs=_flops * G, table=_RG_TABLE)
    _add(f"regnet_y_{_tag}", f"regnety_{_x}", "regnet", REGNET, 224, aliases=(f"regnety_{_x}",),
         params=_py * M, macs=_flops * G, table=_RG_TABLE)
_add("regnetz_005", "regnetz_005", "regnet", REGNETZ, 224)
_add("regnetz_040", "regnetz_040", "regnet", REGNETZ, 256)
for _n, _size in (("regnetz_b16", 224), ("regnetz_c16", 256), ("regnetz_d8", 256), ("regnetz_d32", 256),
                  ("regnetz_e8", 256)):
    _add(_n, _n, "regnet", REGNETZ, _size,
         note="timm's RegNetZ-style ByobNet (its own widths/group sizes), inspired by the paper's RegNetZ")

# ---- ConvNeXt sizes torchvision lacks, FocalNet, MetaFormer ----------------------------------------
for _n in ("atto", "femto", "pico", "nano"):
    _add(f"convnext_{_n}", f"convnext_{_n}", "convnext", CONVNEXT, 224,
         note="timm's small ConvNeXt (not in the paper; sizes named after ConvNeXt V2's atto..nano)")
_add("convnext_xlarge", "convnext_xlarge", "convnext", CONVNEXT, 224, params=350 * M, macs=60.9 * G,
     table="ConvNeXt paper, Table 1 (ImageNet-22K rows, 224x224)")
_add("convnext_xxlarge", "convnext_xxlarge", "convnext", CONVNEXT, 256,
     note="OpenCLIP's ConvNeXt-XXLarge (not in the paper)")
_FN_TABLE = "FocalNet paper, ImageNet-1K table (params, FLOPs = MACs, 224x224)"
for _n, _p, _g in (("tiny_srf", 28.4, 4.4), ("tiny_lrf", 28.6, 4.5), ("small_srf", 49.9, 8.6),
                   ("small_lrf", 50.3, 8.7), ("base_srf", 88.1, 15.3), ("base_lrf", 88.7, 15.4)):
    _add(f"focalnet_{_n}", f"focalnet_{_n}", "focalnet", FOCALNET, 224, params=_p * M, macs=_g * G, table=_FN_TABLE)
# timm's configs for these are the ImageNet-22K checkpoints: build the ImageNet-1K head like every other entry
for _n in ("large_fl3", "large_fl4", "xlarge_fl3", "xlarge_fl4", "huge_fl3", "huge_fl4"):
    _add(f"focalnet_{_n}", f"focalnet_{_n}", "focalnet", FOCALNET, 224 if _n.startswith("huge") else 384,
         note="1000-class head (timm's default config is the ImageNet-22K checkpoint)", num_classes=1000)
_PF = {"s12": (12, 1.8), "s24": (21, 3.4), "s36": (31, 5.0), "m36": (56, 8.8), "m48": (73, 11.6)}
for _n, (_p, _g) in _PF.items():
    _add(f"poolformer_{_n}", f"poolformer_{_n}", "metaformer", POOLFORMER, 224, params=_p * M, macs=_g * G,
         table="PoolFormer paper, Table 1 (params, MACs, 224x224)")
    _add(f"poolformerv2_{_n}", f"poolformerv2_{_n}", "metaformer", METAFORMER, 224, params=_p * M, macs=_g * G,
         table="MetaFormer Baselines paper, ImageNet-1K table (params, MACs, 224x224)")
_MF_TABLE = "MetaFormer Baselines paper, ImageNet-1K table (params, MACs, 224x224)"
for _n, _p, _g in (("convformer_s18", 27, 3.9), ("convformer_s36", 40, 7.6), ("convformer_m36", 57, 12.8),
                   ("convformer_b36", 100, 22.6), ("caformer_s18", 26, 4.1), ("caformer_s36", 39, 8.0),
                   ("caformer_m36", 56, 13.2), ("caformer_b36", 99, 23.2)):
    _add(_n, _n, "metaformer", METAFORMER, 224, params=_p * M, macs=_g * G, table=_MF_TABLE)

# ---- MLP-Mixer ---------------------------------------------------------------------------------------
for _n, _p in (("s32", 19), ("s16", 18), ("b32", 60), ("b16", 59), ("l32", 206), ("l16", 208)):
    _add(f"mixer_{_n}", f"mixer_{_n}_224", "mlp_mixer", MIXER, 224, aliases=(f"mixer_{_n}_224",), params=_p * M,
         table="MLP-Mixer paper, Table 1 (params)")

# ---- MobileNets, MixNet, MnasNet, NAS ------------------------------------------------------------------
_add("timm_mobilenetv1_100", "mobilenetv1_100", "mobilenet_v1", MOBILENET_V1, 224, params=4.2 * M, macs=569 * M,
     table="MobileNets paper, Table 8 (1.0 MobileNet-224)")
_add("timm_mobilenetv1_125", "mobilenetv1_125", "mobilenet_v1", MOBILENET_V1, 224,
     note="timm's width-1.25 MobileNet v1 (the paper goes up to 1.0)")
_add("mobilenet_v2_1_4", "mobilenetv2_140", "mobilenet_v2", MOBILENET_V2, 224, aliases=("mobilenetv2_140",),
     macs=585 * M, table="MobileNetV2 paper, Table 4 (MobileNetV2 (1.4): 585M MAdds)",
     note="params 6.11M vs the paper's 6.9M: the paper's figure is not reproduced by the official TF-slim "
          "mobilenet_v2_1.4_224 either (6.06M); the MACs agree")
_add("mobilenet_v3_large_075", "mobilenetv3_large_075", "mobilenet_v3", MOBILENET_V3, 224, params=4.0 * M,
     macs=155 * M, table="MobileNetV3 paper, Table 3 (Large 0.75)")
_add("mobilenet_v3_small_075", "mobilenetv3_small_075", "mobilenet_v3", MOBILENET_V3, 224, params=2.0 * M,
     macs=44 * M, table="MobileNetV3 paper, Table 3 (Small 0.75)")
_add("mobilenet_v3_small_050", "mobilenetv3_small_050", "mobilenet_v3", MOBILENET_V3, 224,
     note="timm's width-0.5 MobileNetV3-Small (not in the paper's tables)")
_MN4_TABLE = "MobileNetV4 paper, ImageNet classification table (params, MACs at each model's resolution)"
_MN4_NOTE = "timm's MNv4 counts run 0-8% above the paper's rounded figures (e.g. Conv-L 6.4 vs 5.9 GMACs at 384)"
for _n, _size, _p, _g in (("conv_small", 224, 3.8, 0.2), ("conv_medium", 256, 9.2, 1.0), ("conv_large", 384, 32, 5.9),
                          ("hybrid_medium", 256, 10.5, 1.2), ("hybrid_large", 384, 35.9, 7.2)):
    _add(f"mobilenet_v4_{_n}", f"mobilenetv4_{_n}", "mobilenet_v4", MOBILENET_V4, _size,
         aliases=(f"mnv4_{_n}",), params=_p * M, macs=_g * G, table=_MN4_TABLE, tol=0.1, note=_MN4_NOTE)
for _n, _p, _m in (("s", 4.1, 256), ("m", 5.0, 360), ("l", 7.3, 565)):
    _add(f"mixnet_{_n}", f"mixnet_{_n}", "mixnet", MIXCONV, 224, params=_p * M, macs=_m * M,
         table="MixConv paper, ImageNet results table (params, FLOPS = MACs)", tol=0.08,
         note="our MACs are 2-7% below the paper's (S 239M vs 256M, M 339M vs 360M, L 555M vs 565M)")
_add("mixnet_xl", "mixnet_xl", "mixnet", MIXCONV, 224, note="timm's MixNet-XL (depth/width scaled; not in the paper)")
_add("mnasnet_a1", "semnasnet_100", "mnasnet", MNASNET, 224, aliases=("semnasnet_100",), params=3.9 * M,
     macs=312 * M, table="MnasNet paper, Table 1 (MnasNet-A1, with SE)")
_add("mnasnet_small", "mnasnet_small", "mnasnet", MNASNET, 224, note="MnasNet-Small from the paper's appendix")
_add("nasnet_a_large", "nasnetalarge", "nasnet", NASNET, 331, params=88.9 * M,
     macs=23.8 * G, table="NASNet paper, Table 2 (NASNet-A (6 @ 4032), 331x331)")
_add("pnasnet_5_large", "pnasnet5large", "pnasnet", PNASNET, 331, params=86.1 * M, macs=25.0 * G,
     table="PNAS paper, ImageNet large-setting table (PNASNet-5, 331x331)")

# ---- EfficientNetV2 sizes torchvision lacks ---------------------------------------------------------
_add("efficientnet_v2_xl", "tf_efficientnetv2_xl", "efficientnet_v2", EFFICIENTNET_V2, 512,
     aliases=("tf_efficientnetv2_xl",), params=208 * M, macs=94 * G,
     table="EfficientNetV2 paper, Table 7 (EfficientNetV2-XL, 512x512)",
     note="input is the paper's 512 test resolution (timm trains it at 384)")
for _b, _size in ((0, 224), (1, 240), (2, 260), (3, 300)):
    _add(f"efficientnet_v2_b{_b}", f"tf_efficientnetv2_b{_b}", "efficientnet_v2", EFFICIENTNET_V2, _size,
         aliases=(f"tf_efficientnetv2_b{_b}",), note="input is the official test resolution (timm trains smaller)")

# ---- CSPNet, GhostNet, RepVGG, MobileViT, EfficientFormer -------------------------------------------
for _n in ("cspresnet50", "cspresnext50", "cspdarknet53"):
    _add(_n, _n, "cspnet", CSPNET, 256)
for _n, _p, _m in (("050", 2.6, 42), ("100", 5.2, 141), ("130", 7.3, 226)):
    _add(f"ghostnet_{_n}", f"ghostnet_{_n}", "ghostnet", GHOSTNET, 224, aliases=("ghostnet",) if _n == "100" else (),
         params=_p * M, macs=_m * M, table="GhostNet paper, Table 7 (params, FLOPs = MACs)")
# inference-time (re-parameterized) counts: the form the RepVGG paper reports
_RV = {"a0": (8.30, 1.4), "a1": (12.78, 2.4), "a2": (25.49, 5.1), "b0": (14.33, 3.1), "b1": (51.82, 11.8),
       "b1g4": (36.12, None), "b2": (80.31, 18.4), "b2g4": (55.77, None), "b3": (110.96, 26.2), "b3g4": (75.62, None)}
for _n, (_p, _g) in _RV.items():
    _add(f"repvgg_{_n}", f"repvgg_{_n}", "repvgg", REPVGG, 224, params=_p * M,
         macs=None if _g is None else _g * G,
         table="RepVGG paper, ImageNet results table (inference-time params, Theo FLOPs = MACs)",
         note="built as timm creates it (training-time 3x3 + 1x1 + identity branches); the paper's counts are "
              "of the re-parameterized model (one 3x3 conv per block): profile with --fuse to compare",
         paper_fused=True)
for _n, _p in (("xxs", 1.3), ("xs", 2.3), ("s", 5.6)):
    _add(f"mobilevit_{_n}", f"mobilevit_{_n}", "mobilevit", MOBILEVIT, 256, params=_p * M,
         table="MobileViT paper, ImageNet-1k results (params)")
for _n, _p, _g in (("l1", 12.3, 1.3), ("l3", 31.3, 3.9), ("l7", 82.1, 10.2)):
    _add(f"efficientformer_{_n}", f"efficientformer_{_n}", "efficientformer", EFFICIENTFORMER, 224, params=_p * M,
         macs=_g * G, table="EfficientFormer paper, Table 1 (params, GMACs)")
