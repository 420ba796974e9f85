"""Which entries of the project's reading lists (``shared/seeds``) cnnbench can profile, and why not the rest.

``COVERAGE`` is plain data (torch-free): one row per architecture/block heading of a seed list, as
``(seed file, heading as written, registry names covering it or None, reason)``. Covering names are
registry names (``resnet50``), block names (``block:se``) or fnmatch patterns over registry names
(``shufflenet_v1_*``) for families whose exact variants another catalogue defines. ``reason`` says why a
row is not covered; on a covered row it may note what part is missing.

Seed 000 and 001 are covered heading by heading. Seed 003 is a long annotated bibliography: its
architecture and module entries are listed by their bracketed label; whole sections that are about
training, compression or theory rather than networks get one row each.
"""

from __future__ import annotations

S000 = "000_6ebfadeeadb8f6cc.txt"
S001 = "001_516d23180918886b.txt"
S003 = "003_f04b7a342f1d4208.txt"

_NOT_IMPL = "not in torchvision or timm, and not implemented in models/"

COVERAGE: list[tuple[str, str, str | None, str]] = [
    # ---- 000: CNN ------------------------------------------------------------------------------------
    (S000, "[1998 IEEE] LeNet-5", "lenet5", ""),
    (S000, "[2012 NIPS] AlexNet", "alexnet", ""),
    (S000, "[2013] NIN", "nin*", ""),
    (S000, "[2014 ECCV] ZFNet", "zfnet", ""),
    (S000, "[2014] VGG", "vgg11, vgg13, vgg16, vgg19", ""),
    (S000, "[2015+] Inception", "googlenet, bn_inception, inception_v3, inception_v4, inception_resnet_v2, xception",
     ""),
    (S000, "[2016+] ResNet", ("resnet18, resnet34, resnet50, resnet101, resnet152, resnet200, preact_resnet50, "
     "resnext50_32x4d, wide_resnet50_2"), "ResNet-1001 (a CIFAR pre-activation net) is not registered"),
    (S000, "[2016] DenseNet", "densenet121, densenet161, densenet169, densenet201, densenet264", ""),
    (S000, "[2017] DPN", "dpn68, dpn92, dpn98, dpn107, dpn131", ""),
    (S000, "[2017] GUNN", None, _NOT_IMPL),
    (S000, "[2017] SENet", "se_resnet50, se_resnet101, se_resnet152, se_resnext50_32x4d, senet154, block:se", ""),
    (S000, "[2017] DLA", "dla34, dla60, dla102, dla169", ""),
    (S000, "[2018] BAM, CBAM", "block:bam, block:cbam, bam_resnet50, cbam_resnet50", ""),
    (S000, "[2021 CVPR] Coordinate attention", "block:coord_attention, mobilenetv2_ca", ""),
    (S000, "[2018 ECCV] IBN-Net", "resnet50_ibn_a", ""),
    (S000, "[2019] SKNet", "sknet50, skresnet18, skresnet34, block:sk", ""),
    (S000, "[2019] Res2Net", "res2net50_26w_4s, res2net101_26w_4s, res2next50", ""),
    (S000, "[2019] GCNet", "gcresnet50t, block:gc", ""),
    (S000, "[2020] ResNeSt", "resnest50d, resnest101e, resnest200e, resnest269e", ""),
    (S000, "[2019] SGE-NET", "block:sge, sge_resnet50", ""),
    (S000, "[2022 CVPR] ConvNeXt", "convnext_tiny, convnext_small, convnext_base, convnext_large, convnext_xlarge", ""),
    (S000, "[2022] FocalNet", "focalnet_tiny_srf, focalnet_small_srf, focalnet_base_srf, focalnet_tiny_lrf", ""),
    (S000, "[2022] InternImage", "internimage_t", "only InternImage-T; S/B/L/XL/H are not registered"),
    (S000, "[2022] MetaFormer", "poolformerv2_s12, convformer_s18, caformer_s18, poolformer_s12", ""),
    (S000, "[2016] SqueezeNet", "squeezenet1_0, squeezenet1_1", ""),
    (S000, "[2017] IGCV", "igcv3", "IGCV1 and IGCV2 are not registered"),
    (S000, "[2017] CondenseNet", "condensenet", ""),
    (S000, "[2018] SqueezeNext", "sqnxt23*", ""),
    (S000, "[2017+] MobileNet", ("mobilenet_v1_*, timm_mobilenetv1_100, mobilenet_v2, mobilenet_v3_large, "
     "mobilenet_v3_small"), ""),
    (S000, "[2017+] ShuffleNet", "shufflenet_v1_*, shufflenet_v2_x1_0", ""),
    (S000, "[2018] MobileFaceNets", "mobilefacenet", ""),
    (S000, "[2018] MnasNet", "mnasnet1_0, mnasnet_a1", ""),
    (S000, "[2018 NIPS] ChannelNets", None, _NOT_IMPL),
    (S000, "[2020] MobileNeXt", "mobilenext", ""),
    (S000, "[2020 CVPRW] CSPNet", "cspresnet50, cspresnext50, cspdarknet53", ""),
    # 000: MLP, convolution, attention
    (S000, "[2021 NeurIPS] MLP-Mixer", "mixer_b16, mixer_l16", ""),
    (S000, "[2017] Deformable convolution",
     "block:deform_conv_v1, block:deform_conv_v2, resnet50_dcnv1, resnet50_dcnv2", ""),
    (S000, "[2020] SlimConv", "block:slimconv", ""),
    (S000, "[2019] SKConv, Selective Kernel Convolution", "block:skconv", ""),
    (S000, "[2019 BMVC] MixConv", "block:mixconv, mixnet_s", ""),
    (S000, "[2019 ICCV] OctConv, Octave Convolution", "block:octconv, oct_resnet50_*", ""),
    (S000, "[2017] SE", "block:se", ""),
    (S000, "[2018 ECCV] CBAM", "block:cbam", ""),
    (S000, "[2021 ICCV] Residual Attention", "block:csra", ""),
    (S000, "[2018] CCNet", "block:criss_cross", ""),
    (S000, "[2020] AFF", "block:aff, block:iaff", ""),
    (S000, "[2018 CVPR] Non-local neural networks", "block:non_local", ""),
    (S000, "[2019 CVPR] DANet", "block:danet_pam, block:danet_cam", ""),
    # 000: pooling
    (S000, "[2013] Stochastic pooling", "block:stochastic_pool", ""),
    (S000, "[2014] Lp Pooling", "block:lp_pool", ""),
    (S000, "[2014 ECCV] SPP, Spatial pyramid pooling", "block:spp", ""),
    (S000, "[2014] Mixed Pooling", "block:mixed_pool, block:gated_pool", "tree pooling is not registered"),
    (S000, "[2015] FMP, Fractional Max-Pooling", "block:fractional_max_pool", ""),
    (S000, "[2018] Alpha-Pooling", None, "not implemented (not in the blocks list)"),
    (S000, "[2018] GNAP, Global Norm-Aware Pooling", None, "not implemented (not in the blocks list)"),
    (S000, "[2018 CVPR] DPP, Detail-Preserving Pooling", "block:dpp", ""),
    (S000, "[2015+] Bilinear Pooling Series",
     "block:bilinear_pool, block:compact_bilinear_pool, block:low_rank_bilinear_pool",
     "multimodal, Hadamard and hierarchical bilinear pooling are not registered"),
    # 000: activation functions
    (S000, "[2013 ICML] Leaky ReLU", "block:leaky_relu", ""),
    (S000, "[2014] Thresholded ReLU", "block:thresholded_relu", ""),
    (S000, "[2015] PReLU, Parametric ReLU", "block:prelu", ""),
    (S000, "[2015] ELU, Exponential Linear Unit", "block:elu", ""),
    (S000, "[2015] S-shaped ReLU", None, "not implemented (not in the blocks list)"),
    (S000, "[2016 ECCV] MPELU, Multiple Parametric Exponential Linear Unit", None,
     "not implemented (not in the blocks list)"),
    (S000, "[2017] SELU, Self-Normalizing Linear Unit", "block:selu", ""),
    (S000, "[2017] Swish", "block:silu", ""),
    (S000, "[2018] PoLU, Power Linear Unit", "block:polu", ""),
    (S000, "[2019] Mish", "block:mish", ""),
    (S000, "[2021] Squareplus", "block:squareplus, block:softplus", ""),
    (S000, "[2015] Empirical Evaluation of Rectified Activations in Convolution Network",
     "block:relu, block:leaky_relu, block:prelu", "randomized leaky ReLU (RReLU) is not registered"),
    (S000, "[2016 ICML] Noisy Activation Functions", None,
     "training-time noise injection; at inference it is the underlying saturating activation"),
    (S000, "[2016] Revise Saturated Activation Functions", None, "penalized tanh is not implemented"),
    (S000, "[2018] Activation Functions_ Comparison of trends in Practice and Research for Deep Learning", None,
     "survey, not an activation"),
    (S000, "[2018] Deep Neural Networks with Data Dependent Implicit Activation Function", None,
     "not implemented (not in the blocks list)"),
    (S000, "[2018] The Quest for the Golden Activation Function", None,
     "activation search method; not implemented"),
    (S000, "[2016] GELU, Gaussian Error Linear Unit", "block:gelu", ""),
    # 000: NAS, SNN
    (S000, "[2018 CVPR] NASNet", "nasnet_a_large", "NASNet-A mobile is not registered"),
    (S000, "[2018] DARTS", "darts_v2_imagenet", ""),
    (S000, "[2019] PC-DARTS", None, "the PC-DARTS cell is not registered (DARTS-V2 is: darts_v2_imagenet)"),
    (S000, "[2019 ICCV] MobileNetV3", ("mobilenet_v3_large, mobilenet_v3_small, mobilenet_v3_large_075, "
     "mobilenet_v3_small_075"), ""),
    (S000, "[2019 ICML] EfficientNet", "efficientnet_b0, efficientnet_b1, efficientnet_b4, efficientnet_b7", ""),
    (S000, "[2019 CVPR] Mnasnet", "mnasnet1_0, mnasnet_a1", ""),
    (S000, "[2020 CVPR] RegNet", "regnet_x_400mf, regnet_y_400mf, regnet_x_200mf, regnet_y_200mf", ""),
    (S000, "[2025] SpikeYOLO", None, "SNN-specific detection model (YOLOv8 + spike-driven blocks), not a CNN backbone"),
    (S000, "[2024 CVPR] Are Conventional SNNs Really Efficient_ A Perspective from Network Quantization", None,
     "SNN-specific efficiency analysis, not a network"),
    # ---- 001 -----------------------------------------------------------------------------------------
    (S001, "MobileNet V4", ("mobilenet_v4_conv_small, mobilenet_v4_conv_medium, mobilenet_v4_conv_large, "
     "mobilenet_v4_hybrid_medium, mobilenet_v4_hybrid_large"), ""),
    (S001, "ConvNeXt", "convnext_tiny, convnext_small, convnext_base, convnext_large", ""),
    (S001, "RegNet", "regnet_x_400mf, regnet_y_400mf, regnet_y_4gf", ""),
    (S001, "MobileNet V3", "mobilenet_v3_large, mobilenet_v3_small", ""),
    (S001, "MobileNet V2", "mobilenet_v2, mobilenet_v2_1_4", ""),
    (S001, "SE-ResNet", "se_resnet50, se_resnet101, se_resnet152", ""),
    (S001, "ShuffleNetV2", "shufflenet_v2_x0_5, shufflenet_v2_x1_0", ""),
    (S001, "MobileNet V1", "mobilenet_v1_*, timm_mobilenetv1_100", ""),
    (S001, "ResNeXt", "resnext50_32x4d, resnext101_32x8d, resnext101_64x4d", ""),
    (S001, "ShuffleNetV1", "shufflenet_v1_*", ""),
    (S001, "ResNet", "resnet18, resnet34, resnet50, resnet101, resnet152", ""),
    (S001, "VGG", "vgg16, vgg19", ""),
    (S001, "AlexNet", "alexnet", ""),
    # ---- 003: basics, topology -----------------------------------------------------------------------
    (S003, "Backpropagation Applied to Handwritten Zip Code Recognition", None,
     "LeNet-1989 zip-code net; only LeNet-5 is registered"),
    (S003, "LeNet", "lenet5", ""),
    (S003, "AlexNet", "alexnet", ""),
    (S003, "ZFNet", "zfnet", ""),
    (S003, "VGGNet", "vgg11, vgg13, vgg16, vgg19", ""),
    (S003, "Deconvolutional networks", None, "unsupervised sparse-coding model, not a feed-forward network"),
    (S003, "Adaptive Deconvolutional Networks", None, "unsupervised sparse-coding model, not a feed-forward network"),
    (S003, "Highway Networks", None, _NOT_IMPL),
    (S003, "Training Very Deep Networks", None, "highway networks again; " + _NOT_IMPL),
    (S003, "Stochastic Depth", None, "training method (random block dropping), not a network"),
    (S003, "FractalNet", "fractalnet*", ""),
    (S003, "DAG-CNN", None, _NOT_IMPL),
    (S003, "AdaNet", None, "structure-learning algorithm, no fixed network"),
    (S003, "Deeply-Supervised Networks (DSN)", None, "training method (auxiliary per-layer losses), not a network"),
    (S003, "Deeply-Fused Networks (DFN)", None, _NOT_IMPL),
    (S003, "Augmenting Supervised Neural Networks with Unsupervised Objectives for Large-scale Image Classification",
     None,
     "training objective (reconstruction losses), not a network"),
    (S003, "Semi-Supervised Learning with Ladder Networks", None, "semi-supervised training model, not a CNN backbone"),
    (S003, "Deconstructing the Ladder Network Architecture", None, "analysis of ladder networks, not a CNN backbone"),
    (S003, "ResNet", "resnet18, resnet34, resnet50, resnet101, resnet152, resnet200", ""),
    (S003, "ResNetV2", "preact_resnet50, preact_resnet101, preact_resnet152", ""),
    (S003, "Generalized ResNet", None, "ResNet in ResNet: " + _NOT_IMPL),
    (S003, "Residual Networks Behave Like Ensembles of Relatively Shallow Networks", None, "analysis paper"),
    (S003, "Wide Residual Networks (WRN)", "wide_resnet50_2, wide_resnet101_2",
     "the CIFAR WRN-d-k family is not registered"),
    (S003, "ResNeXt", "resnext50_32x4d, resnext101_32x8d, resnext101_64x4d", ""),
    (S003, "Collective Residual Unit (CRU)", None, _NOT_IMPL),
    (S003, "Res2Net", "res2net50_26w_4s, res2net101_26w_4s", ""),
    (S003, "ResNeSt", "resnest50d, resnest101e, resnest200e, resnest269e", ""),
    (S003, "ResNet-RS", ("resnet_rs50, resnet_rs101, resnet_rs152, resnet_rs200, resnet_rs270, resnet_rs350, "
     "resnet_rs420"), ""),
    (S003, "NFNet", "nfnet_f0, nfnet_f1, nfnet_f2, nfnet_f3, nf_resnet50", ""),
    (S003, "TResNet", "tresnet_m, tresnet_l, tresnet_xl", ""),
    (S003, "DenseNet", "densenet121, densenet169, densenet201, densenet264", ""),
    (S003, "Bridging the Gaps Between Residual Learning, Recurrent Neural Networks and Visual Cortex", None,
     "analysis (ResNets as unrolled RNNs), no new network"),
    (S003, "HORNN", None, "recurrent sequence model, not a CNN"),
    (S003, "Dual Path Networks (DPN)", "dpn68, dpn92, dpn98, dpn107, dpn131", ""),
    (S003, "Mixed Link Networks", None, _NOT_IMPL),
    (S003, "Deep Roots", None, _NOT_IMPL),
    (S003, "Inception-v1/GoogLeNet", "googlenet", ""),
    (S003, "Inception-v2/Batch Normalization", "bn_inception", ""),
    (S003, "Inception-v3", "inception_v3", ""),
    (S003, "Inception-v4/Inception-ResNet", "inception_v4, inception_resnet_v2", ""),
    (S003, "PolyInception", None, "PolyNet: " + _NOT_IMPL),
    (S003, "Multi-Column Networks", None, "ensemble of small CNN columns on MNIST/CIFAR; " + _NOT_IMPL),
    (S003, "High-Performance Neural Networks for Visual Object Classification", None, _NOT_IMPL),
    (S003, "Deep Columnar Convolutional Neural Network", None, _NOT_IMPL),
    # 003: kernels, attention
    (S003, "Deformable ConvNets v1", "block:deform_conv_v1", ""),
    (S003, "Deformable ConvNets v2", "block:deform_conv_v2", ""),
    (S003, "Dilated Convolutions", "block:dilated_conv", ""),
    (S003, "ESPNetV1", None, "semantic-segmentation network; only the ESPNetv2 classifier is registered"),
    (S003, "ESPNetv2", "espnetv2*", ""),
    (S003, "Dilated Residual Networks", "drn_*", ""),
    (S003, "Dynamic Filter Networks", None, "video/stereo prediction model with input-generated filters; "
     + _NOT_IMPL),
    (S003, "SKNet", "sknet50, block:sk, block:skconv", ""),
    (S003, "Speeding up Convolutional Neural Networks with Low Rank Expansions", None,
     "low-rank compression method, not a network"),
    (S003, "Xception: Deep Learning with Depthwise Separable Convolutions", "xception, block:depthwise_separable", ""),
    (S003, "NIN, see `mlp.md`.", "nin*", ""),
    (S003, "Look and Think Twice", None, "feedback inference procedure on an existing CNN, not a block"),
    (S003, "Deep Recurrent Attentive Writer (DRAW)", None, "recurrent generative model, not a CNN"),
    (S003, ("The Application of Two-level Attention Models in Deep Convolutional Neural Network for Fine-grained "
            "Image Classification"), None,
     "fine-grained recognition pipeline (patch proposals + CNNs), not a block"),
    # 003: light-weight networks
    (S003, "SqueezeNext", "sqnxt23*", ""),
    (S003, "ShiftNet", None, "shift operation: " + _NOT_IMPL),
    (S003, "CondenseNet", "condensenet", ""),
    (S003, "Inception Networks", "googlenet, inception_v3", ""),
    (S003, "Flattened Networks", None, _NOT_IMPL),
    (S003, "Factorized Networks", None, _NOT_IMPL),
    (S003, "Xception Networks", "xception", ""),
    (S003, "SqueezeNet", "squeezenet1_0, squeezenet1_1", ""),
    (S003, "Structured Transform Networks", None, "structured-matrix layers (compression), " + _NOT_IMPL),
    (S003, "Deep Fried Convnets", None, "Fastfood-transform FC layers (compression), " + _NOT_IMPL),
    (S003, "(2021, MobileViTv1) Light-Weight Networks (count=3+5)", "mobilevit_xxs, mobilevit_xs, mobilevit_s",
     "the heading's own source paper"),
    (S003, "DiCENet", None, _NOT_IMPL),
    (S003, "MobileNetV1, MobileNetV2, MobileNetV3.", "mobilenet_v1_*, mobilenet_v2, mobilenet_v3_large", ""),
    (S003, "ESPNetV2", "espnetv2*", ""),
    (S003, "Mixconv", "mixnet_s, mixnet_m, mixnet_l, block:mixconv", ""),
    (S003, "MnasNet (see neural_architecture_search.md)", "mnasnet1_0, mnasnet_a1", ""),
    (S003, "MobileNetV1", "mobilenet_v1_*, timm_mobilenetv1_100", ""),
    (S003, "MobileNetV2", "mobilenet_v2, mobilenet_v2_1_4", ""),
    (S003, "MobileNetV3", "mobilenet_v3_large, mobilenet_v3_small", ""),
    (S003, "Swish", "block:silu", ""),
    (S003, "SENet", "se_resnet50, senet154, block:se", ""),
    (S003, "EfficientNetV1", "efficientnet_b0, efficientnet_b7", ""),
    (S003, "EfficientNetV2", "efficientnet_v2_s, efficientnet_v2_m, efficientnet_v2_l, efficientnet_v2_xl", ""),
    (S003, "EfficientNet-X", None, "TPU/GPU-searched family released for TensorFlow only; " + _NOT_IMPL),
    (S003, "ShuffleNetV1", "shufflenet_v1_*", ""),
    (S003, "ShuffleNetV2", "shufflenet_v2_x1_0", ""),
    # 003: sections that are about methods, not networks
    (S003, "Model Compression", None, "compression methods (pruning, hashing, quantization), not networks"),
    (S003, "Low-bit Networks", None, "quantization/binarization methods, not architectures"),
    (S003, "Low-Rank Approximations", None, "low-rank factorization methods and tensor-algebra references"),
    (S003, "Sparsity", None, "sparsification methods, not networks"),
    (S003, "Expressive Power (2019, EfficientNetV1) (4)", None, "theory papers"),
    (S003, "Regularization Techniques", None, "training methods (dropout, DropConnect, DropIn)"),
    (S003, "Maxout", None, "maxout unit: not implemented (not in the blocks list)"),
    (S003, "Stochastic Pooling", "block:stochastic_pool", ""),
    (S003, "Data Augmentation", None, "training method (mixup), not a network"),
    (S003, "Progressive Learning", None, "training methods (train/test resolution), not networks"),
    (S003, "Unsupervised Learning", None, "training method (exemplar CNNs), not a network"),
    (S003, "Connectivity Learning (2018, MobileNetV2) (2)", None,
     "architecture-learning methods, no fixed network to register"),
    # 003: unclassified
    (S003, "HRNet", "hrnet_w18_small, hrnet_w18, hrnet_w32, hrnet_w48, hrnet_w64", ""),
    (S003, "DeCAF", None, "feature-transfer study on AlexNet features (the network itself is alexnet)"),
    (S003, "Understanding Deep Architectures using a Recursive Convolutional Network", None,
     "analysis with a weight-tied recursive CNN; " + _NOT_IMPL),
    (S003, "On Network Design Spaces for Visual Recognition", None,
     "design-space methodology; its follow-up models are the regnet_* entries"),
    (S003, "ConvNeXt", "convnext_tiny, convnext_small, convnext_base, convnext_large", ""),
    (S003, "Flexible, high performance convolutional neural networks for image classification", None,
     "2011 GPU CNNs for small benchmarks (Ciresan et al.); " + _NOT_IMPL),
    (S003, "FitNets", None, "knowledge-distillation training method, not a network"),
    (S003, "RegNet", "regnet_x_400mf, regnet_y_400mf, regnet_x_200mf, regnet_y_600mf, regnet_y_4gf", ""),
    (S003, "Provable Bounds for Learning Some Deep Representations", None, "theory paper"),
]


def covering_names(covered_by: str | None) -> list[str]:
    """Split a ``covered_by`` cell into its names (``[]`` for ``None``)."""
    return [n.strip() for n in covered_by.split(",")] if covered_by else []


def coverage_rows() -> list[dict[str, str]]:
    """``COVERAGE`` as dicts: seed, heading, covered_by, status (covered | not covered), reason."""
    return [
        {
            "seed": seed,
            "heading": heading,
            "covered_by": covered_by or "",
            "status": "covered" if covered_by else "not covered",
            "reason": reason,
        }
        for seed, heading, covered_by, reason in COVERAGE
    ]


def render_markdown() -> str:
    """A Markdown report: per-seed totals, then one table row per heading."""
    rows = coverage_rows()
    lines = ["# Reading-list coverage", "", "| seed | headings | covered | not covered |", "|---|---:|---:|---:|"]
    for seed in dict.fromkeys(r["seed"] for r in rows):
        mine = [r for r in rows if r["seed"] == seed]
        n_cov = sum(r["status"] == "covered" for r in mine)
        lines.append(f"| {seed} | {len(mine)} | {n_cov} | {len(mine) - n_cov} |")
    lines += ["", "| seed | heading | covered by | status | reason |", "|---|---|---|---|---|"]
    for r in rows:
        cells = [r["seed"], r["heading"], f"`{r['covered_by']}`" if r["covered_by"] else "", r["status"], r["reason"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
