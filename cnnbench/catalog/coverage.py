"""Which items of the project's reading lists (``shared/seeds``) cnnbench covers, item by item, and why not the rest.

``ITEMS`` is plain data (torch-free): one row per item a seed list names — every paper line of 000 (and the
networks its notes and tables name), every bullet of 003 (repeats included: a bullet that appears in two sections
is two rows), the headings and design steps of 001 — as ``(seed, section, item as written, names, kind, text)``.

``names`` are registry names (``resnet50``, aliases allowed), block names (``block:se``), reproductions
(``repro:resnet-checkpoints``) or fnmatch patterns over registry/block names (``shufflenet_v1_*``,
``block:*maxout*``), comma-separated; ``a|b`` is one name that exists when either alternative does. ``kind`` says
how the row's status is computed when it is rendered:

* ``net`` — a network, block or cost claim cnnbench measures: ``covered`` when every name exists at render time,
  else ``planned`` (``text`` is a note on a covered row).
* ``stand-in`` — what is registered differs from the paper's object, or covers it only in part: ``stand-in`` when
  every name exists, else ``planned``; ``text`` says what differs.
* ``not`` — ``not a network``: a training method, a theory paper, a survey, a non-CNN model; ``text`` says why.

The status is computed, never written down: rows whose networks other issue-21 work adds turn from ``planned`` to
``covered`` as soon as those names are registered.
"""

from __future__ import annotations

import fnmatch

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

# (seed, section, item as written, names, kind, text)
ITEMS: list[tuple[str, str, str, str, str, str]] = [
    # ---- 000: CNN ------------------------------------------------------------------------------------
    (S000, "[1998 IEEE] LeNet-5", "[1998 IEEE] Gradient-based learning applied to document recognition", "lenet5", "net", ""),
    (S000, "[2012 NIPS] AlexNet", "[2012 NIPS] ImageNet Classification with Deep Convolutional Neural Networks", "alexnet",
     "net", ""),
    (S000, "[2013] NIN", "[2013] Network in network", "nin*", "net", ""),
    (S000, "[2014 ECCV] ZFNet", "[2014 ECCV] Visualizing and understanding convolutional networks", "zfnet", "net", ""),
    (S000, "[2014] VGG", "[2014] Very Deep Convolutional Networks for Large-Scale Image Recognition",
     "vgg11, vgg13, vgg16, vgg19", "net", ""),
    (S000, "[2014] VGG", "a stack of three 3*3 conv. layers", "repro:vgg-3x3-stack, block:conv3x3", "net",
     "the quoted 3×3-stack vs 7×7 argument, measured"),
    (S000, "[2015+] Inception", "[2015 CVPR] Going deeper with convolutions", "googlenet", "net", ""),
    (S000, "[2015+] Inception", ("[2015 ICML] Batch normalization: Accelerating deep network training by reducing "
                                 "internal covariate shift"), "bn_inception, block:batch_norm", "net", ""),
    (S000, "[2015+] Inception", "[2015] Rethinking the inception architecture for computer vision", "inception_v3",
     "net", ""),
    (S000, "[2015+] Inception", "[2016] Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning",
     "inception_v4, inception_resnet_v2, inception_resnet_v1", "net", ""),
    (S000, "[2015+] Inception", "[2017 CVPR] Xception_ Deep Learning with Depthwise Separable Convolutions",
     "xception, block:depthwise_separable", "net", ""),
    (S000, "[2016+] ResNet", "ResNet 18/34/50/101/152/200/1001", ("resnet18, resnet34, resnet50, resnet101, resnet152, "
     "resnet200"), "stand-in", "all but ResNet-1001 (a 1001-layer pre-activation net for CIFAR), which is not registered"),
    (S000, "[2016+] ResNet", "checkpoint size (torchvision)", "repro:resnet-checkpoints", "net",
     "the table's checkpoint sizes and the 'size / 4' rule"),
    (S000, "[2016+] ResNet", "[2016 CVPR] Deep residual learning for image recognition",
     "resnet18, resnet34, resnet50, resnet101, resnet152", "net", ""),
    (S000, "[2016+] ResNet", "[2016 ECCV] Identity mappings in deep residual networks",
     "preact_resnet50, preact_resnet101, preact_resnet152", "net", ""),
    (S000, "[2016+] ResNet", "[2016] Aggregated Residual Transformations for Deep Neural Networks",
     "resnext50_32x4d, resnext101_32x8d, block:group_conv", "net", ""),
    (S000, "[2016+] ResNet", "[2016 BMVC] Wide Residual Networks", "wide_resnet50_2, wide_resnet101_2", "stand-in",
     "the ImageNet WRN-50-2/101-2 only; the paper's CIFAR WRN-d-k family (WRN-28-10...) is not registered"),
    (S000, "[2016] DenseNet", "[2016] Densely Connected Convolutional Networks",
     "densenet121, densenet161, densenet169, densenet201, densenet264", "net", ""),
    (S000, "[2016] DenseNet", "three 3×3 convolution layers and one 2×2 mean pooling layer", "repro:stdn-stem", "net",
     "the STDN/DSOD stem against DenseNet's 7×7 + max-pool stem"),
    (S000, "[2017] DPN", "[2017] Dual Path Networks", "dpn68, dpn92, dpn98, dpn107, dpn131", "net", ""),
    (S000, "[2017] GUNN", "[2017] Gradually Updated Neural Networks for Large-Scale Image Recognition", "gunn18, gunn15_cifar10", "net",
     ""),
    (S000, "[2017] SENet", "[2017] Squeeze-and-Excitation Networks",
     "se_resnet50, se_resnet101, se_resnet152, se_resnext50_32x4d, senet154, block:se", "net", ""),
    (S000, "[2017] DLA", "[2017] Deep Layer Aggregation", "dla34, dla60, dla102, dla169", "net", ""),
    (S000, "[2018] BAM, CBAM", "[2018 BMVC] BAM_ Bottleneck Attention Module", "block:bam, bam_resnet50", "net", ""),
    (S000, "[2018] BAM, CBAM", "[2018 ECCV] CBAM_ Convolutional Block Attention Module", "block:cbam, cbam_resnet50",
     "net", ""),
    (S000, "[2021 CVPR] Coordinate attention", "[2021 CVPR] Coordinate attention for efficient mobile network design",
     "block:coord_attention, mobilenetv2_ca", "net", ""),
    (S000, "[2018 ECCV] IBN-Net", "[2018 ECCV] Two at Once_ Enhancing Learning and Generalization Capacities via IBN-Net",
     "resnet50_ibn_a, resnet50_ibn_b, block:ibn_a, block:ibn_b", "net", ""),
    (S000, "[2019] SKNet", "[2019] Selective Kernel Networks", "sknet50, skresnet18, skresnet34, block:sk", "net", ""),
    (S000, "[2019] Res2Net", "[2019] Res2Net_ A New Multi-scale Backbone Architecture",
     "res2net50_26w_4s, res2net101_26w_4s, res2next50", "net", ""),
    (S000, "[2019] GCNet", "[2019] GCNet_ Non-local Networks Meet Squeeze-Excitation Networks and Beyond",
     "block:gc, gcresnet50t", "stand-in", ("block:gc is the paper's GC block, but gcresnet50t is timm's tiered-stem "
                                          "ResNet-50-T with GC blocks, not the paper's GC-ResNet-50")),
    (S000, "[2020] ResNeSt", "[2020] ResNeSt_ Split-Attention Networks",
     "resnest50d, resnest101e, resnest200e, resnest269e", "net", ""),
    (S000, "[2019] SGE-NET", ("[2019] Spatial group-wise enhance: Improving semantic feature learning in convolutional "
                              "networks"), "block:sge, sge_resnet50", "net", ""),
    (S000, "[2022 CVPR] ConvNeXt", "[2022 CVPR] A ConvNet for the 2020s",
     "convnext_tiny, convnext_small, convnext_base, convnext_large, convnext_xlarge", "net", ""),
    (S000, "[2022] FocalNet", "[2022] Focal Modulation Networks",
     "focalnet_tiny_srf, focalnet_small_srf, focalnet_base_srf, focalnet_tiny_lrf", "net", ""),
    (S000, "[2022] InternImage",
     "[2022] InternImage_ Exploring Large-Scale Vision Foundation Models with Deformable Convolutions", "internimage_t",
     "net", "InternImage-T; its MACs leave DCNv3's bilinear sampling uncounted (no MACs counted for the gather)"),
    (S000, "[2022] InternImage", "InternImage-S", "internimage_s", "net", "table: 50M"),
    (S000, "[2022] InternImage", "InternImage-B", "internimage_b", "net", "table: 97M"),
    (S000, "[2022] InternImage", "InternImage-L", "internimage_l", "net", "table: 223M"),
    (S000, "[2022] InternImage", "InternImage-XL", "internimage_xl", "net", "table: 335M"),
    (S000, "[2022] InternImage", "InternImage-H", "internimage_h", "net", "table: 1.08B"),
    (S000, "[2022] MetaFormer", "[2022] MetaFormer Baselines for Vision",
     "poolformerv2_s12, convformer_s18, caformer_s18, poolformer_s12", "net", ""),
    # 000: light-weight CNNs
    (S000, "[2016] SqueezeNet",
     "[2016] SqueezeNet_ AlexNet-level accuracy with 50x fewer parameters and less than 0.5MB model size",
     "squeezenet1_0, squeezenet1_1", "net", ""),
    (S000, "[2017] IGCV", "[2017 ICCV] Interleaved Group Convolutions for Deep Neural Networks", "igcv1*", "net",
     "not built in issue 21: no part was given it (only IGCV3 is registered: igcv3)"),
    (S000, "[2017] IGCV", "[2018] IGCV2_ Interleaved Structured Sparse Convolutional Neural Networks", "igcv2*", "net",
     "not built in issue 21: no part was given it (only IGCV3 is registered: igcv3)"),
    (S000, "[2017] IGCV", "[2018] IGCV3_ Interleaved low-rank group convolutions for efficient deep neural networks",
     "igcv3", "net", ""),
    (S000, "[2017] CondenseNet", "[2017] CondenseNet_ An Efficient DenseNet using Learned Group Convolutions",
     "condensenet", "net", ""),
    (S000, "[2018] SqueezeNext", "[2018] SqueezeNext_ Hardware-Aware Neural Network Design",
     "sqnxt23_*, sqnxt23v5_*", "stand-in",
     ("1.0-SqNxt-23 (x1, x2) and 23v5 (x1, x2) only; 1.0-SqNxt-44 is not built (its block distribution and published "
      "row were not available offline)")),
    (S000, "[2017+] MobileNet", "[2017] MobileNets_ Efficient Convolutional Neural Networks for Mobile Vision Applications",
     "mobilenet_v1_*, timm_mobilenetv1_100", "net", ""),
    (S000, "[2017+] MobileNet", ("[2018] Inverted Residuals and Linear Bottlenecks_ Mobile Networks for Classification, "
                                 "Detection and Segmentation"), "mobilenet_v2, block:inverted_residual", "net", ""),
    (S000, "[2017+] MobileNet", "[2019] Searching for MobileNetV3", "mobilenet_v3_large, mobilenet_v3_small", "net", ""),
    (S000, "[2017+] ShuffleNet",
     "[2017] ShuffleNet_ An Extremely Efficient Convolutional Neural Network for Mobile Devices", "shufflenet_v1_*",
     "net", ""),
    (S000, "[2017+] ShuffleNet", "[2018] ShuffleNet V2_ Practical Guidelines for Efficient CNN Architecture Design",
     "shufflenet_v2_x0_5, shufflenet_v2_x1_0, repro:shufflenetv2-g1", "net", ""),
    (S000, "[2018] MobileFaceNets",
     "[2018] MobileFaceNets_ Efficient CNNs for Accurate Real-time Face Verification on Mobile Devices", "mobilefacenet",
     "net", ""),
    (S000, "[2018] MnasNet", "[2018] MnasNet_ Platform-Aware Neural Architecture Search for Mobile",
     "mnasnet1_0, mnasnet_a1", "net", ""),
    (S000, "[2018 NIPS] ChannelNets",
     "[2018 NIPS] ChannelNets_ Compact and Efficient Convolutional Neural Networks via Channel-Wise Convolutions",
     "channelnet_v1", "net", ""),
    (S000, "[2020] MobileNeXt", "[2020] MobileNeXt_ Rethinking Bottleneck Structure for Efficient Mobile Network Design",
     "mobilenext", "net", ""),
    (S000, "[2020 CVPRW] CSPNet", "[2020 CVPRW] CSPNet_ A new backbone that can enhance learning capability of CNN",
     "cspresnet50, cspresnext50, cspdarknet53, cspdensenet201", "net", ""),
    (S000, "[2020 CVPRW] CSPNet", "Scaled-YOLOV4", "cspdarknet53_csppan", "net",
     "Scaled-YOLOv4's YOLOv4-CSP neck (CSP-PAN + CSP-SPP) over cspdarknet53"),
    # 000: MLP, convolution, attention
    (S000, "[2021 NeurIPS] MLP-Mixer", "[2021 NeurIPS] Mlp-mixer: An all-mlp architecture for vision",
     "mixer_b16, mixer_l16", "net", ""),
    (S000, "[2017] Deformable convolution", "[2017] Deformable Convolutional Networks",
     "block:deform_conv_v1, resnet50_dcnv1", "net", ""),
    (S000, "[2017] Deformable convolution", "[2019 CVPR] Deformable convnets v2: More deformable, better results",
     "block:deform_conv_v2, resnet50_dcnv2", "net", ""),
    (S000, "[2020] SlimConv",
     "[2020] SlimConv: Reducing Channel Redundancy in Convolutional Neural Networks by Weights Flipping",
     "block:slimconv", "net", ""),
    (S000, "[2019] SKConv, Selective Kernel Convolution", "[2019 CVPR] Selective Kernel Networks", "block:skconv", "net",
     ""),
    (S000, "[2019 BMVC] MixConv", "[2019 BMVC] MixConv: Mixed Depthwise Convolutional Kernels",
     "block:mixconv, mixnet_s", "net", ""),
    (S000, "[2019 ICCV] OctConv, Octave Convolution",
     ("[2019 ICCV] Drop an Octave: Reducing Spatial Redundancy in Convolutional Neural Networks with Octave "
      "Convolution"), "block:octconv, oct_resnet50_*", "net", ""),
    (S000, "[2017] SE", "[2017] Squeeze-and-Excitation Networks", "block:se", "net", ""),
    (S000, "[2018 ECCV] CBAM", "[2018 ECCV] CBAM_ Convolutional Block Attention Module", "block:cbam", "net", ""),
    (S000, "[2021 ICCV] Residual Attention",
     "[2021 ICCV] Residual Attention: A Simple but Effective Method for Multi-Label Recognition", "block:csra", "net",
     ""),
    (S000, "[2018] CCNet", "[2018] CCNet_ Criss-Cross Attention for Semantic Segmentation", "block:rcca, block:criss_cross",
     "net", "rcca is RCCA (R=2, shared weights, 2× criss_cross's cost) without the head's reduce/fuse 3×3 convs"),
    (S000, "[2020] AFF", "[2020] Attentional Feature Fusion", "block:aff, block:iaff", "stand-in",
     ("AFF/iAFF fuse two inputs; the blocks are wrapped to one input (x fused with branch(x), identity branch by "
     "default)")),
    (S000, "[2018 CVPR] Non-local neural networks", "[2018 CVPR] Non-local neural networks", "block:non_local", "net",
     ""),
    (S000, "[2019 CVPR] DANet", "[2019 CVPR] Dual attention network for scene segmentation",
     "block:danet_pam, block:danet_cam", "net", ""),
    # 000: pooling
    (S000, "[2013] Stochastic pooling", "[2013] Stochastic pooling for regularization of deep convolutional neural networks",
     "block:stochastic_pool", "net", ""),
    (S000, "[2014] Lp Pooling", "[2014] Learned-Norm Pooling for Deep Feedforward and Recurrent Neural Networks",
     "block:lp_pool_learned, block:lp_pool", "net",
     "lp_pool_learned learns p per channel (the paper's optional centre c omitted); lp_pool is the fixed p=2 case"),
    (S000, "[2014 ECCV] SPP, Spatial pyramid pooling",
     "[2014 ECCV] Spatial pyramid pooling in deep convolutional networks for visual recognition", "block:spp", "net",
     ""),
    (S000, "[2014] Mixed Pooling", "[2014] Mixed Pooling for Convolutional Neural Networks", "block:mixed_pool", "net",
     ""),
    (S000, "[2014] Mixed Pooling",
     "[2015] Generalizing Pooling Functions in Convolutional Neural Networks_ Mixed, Gated, and Tree",
     "block:mixed_pool, block:gated_pool", "stand-in", "mixed and gated pooling; the paper's tree pooling is not registered"),
    (S000, "[2015] FMP, Fractional Max-Pooling", "[2015] Fractional Max-Pooling", "block:fractional_max_pool", "net", ""),
    (S000, "[2018] Alpha-Pooling", "[2018] Alpha-Pooling for Convolutional Neural Networks", "block:alpha_pool", "net", ""),
    (S000, "[2018] GNAP, Global Norm-Aware Pooling",
     "[2018] Global Norm-Aware Pooling for Pose-Robust Face Recognition at Low False Positive Rate", "block:gnap",
     "net", ""),
    (S000, "[2018 CVPR] DPP, Detail-Preserving Pooling", "[2018 CVPR] Detail-Preserving Pooling in Deep Networks",
     "block:dpp", "net", ""),
    (S000, "[2015+] Bilinear Pooling Series", "[2015] Bilinear CNNs for Fine-grained Visual Recognition",
     "block:bilinear_pool", "net", ""),
    (S000, "[2015+] Bilinear Pooling Series", "[2016] Compact Bilinear Pooling", "block:compact_bilinear_pool", "net", ""),
    (S000, "[2015+] Bilinear Pooling Series", "[2016] Low-rank Bilinear Pooling for Fine-Grained Classification",
     "block:low_rank_bilinear_pool", "net", ""),
    (S000, "[2015+] Bilinear Pooling Series",
     "[2016] Multimodal Compact Bilinear Pooling for Visual Question Answering and Visual Grounding",
     "block:compact_bilinear_pool", "stand-in",
     "MCB pools two modalities (image × text); the block applies the same Tensor Sketch to one feature map with itself"),
    (S000, "[2015+] Bilinear Pooling Series", "[2017 BMVC] Improved Bilinear Pooling with CNNs", "block:bilinear_pool",
     "stand-in", "bilinear pooling without the paper's matrix square-root normalisation"),
    (S000, "[2015+] Bilinear Pooling Series", "[2017 ICLR] Hadamard Product for Low-rank Bilinear Pooling",
     "block:low_rank_bilinear_pool", "stand-in",
     "MLB fuses two inputs by a Hadamard product of projections; the block projects one feature map twice"),
    (S000, "[2015+] Bilinear Pooling Series", "[2018] Hierarchical Bilinear Pooling for Fine-Grained Visual Recognition",
     "block:bilinear_pool", "stand-in",
     "HBP multiplies features of different layers (cross-layer); the block pools one layer with itself"),
    # 000: activation functions
    (S000, "[2013 ICML] Leaky ReLU", "[2013 ICML] Rectifier nonlinearities improve neural network acoustic models",
     "block:leaky_relu", "net", ""),
    (S000, "[2014] Thresholded ReLU", "[2014] Zero-Bias Autoencoders and the Benefits of Co-Adapting Features",
     "block:thresholded_relu", "net", ""),
    (S000, "[2015] PReLU, Parametric ReLU",
     "[2015] Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet Classification",
     "block:prelu", "net", ""),
    (S000, "[2015] ELU, Exponential Linear Unit",
     "[2015] Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)", "block:elu", "net", ""),
    (S000, "[2015] S-shaped ReLU", "[2015] Deep Learning with S-shaped Rectified Linear Activation Units",
     "block:srelu", "net", ""),
    (S000, "[2016 ECCV] MPELU, Multiple Parametric Exponential Linear Unit",
     "[2016 ECCV] Improving Deep Neural Network with Multiple Parametric Exponential Linear Units", "block:mpelu",
     "net", ""),
    (S000, "[2017] SELU, Self-Normalizing Linear Unit", "[2017] Self-Normalizing Neural Networks", "block:selu", "net",
     ""),
    (S000, "[2017] Swish", "[2017] Swish_ a Self-Gated Activation Function", "block:swish", "net", ""),
    (S000, "[2018] PoLU, Power Linear Unit", "[2018] Training Neural Networks by Using Power Linear Units (PoLUs)",
     "block:polu", "net", ""),
    (S000, "[2019] Mish", "[2019] Mish_ A self regularized non-monotonic neural activation function", "block:mish",
     "net", ""),
    (S000, "[2021] Squareplus", "[2021] Squareplus: A Softplus-Like Algebraic Rectifier",
     "block:squareplus, block:softplus", "net", ""),
    (S000, "[2015] Empirical Evaluation of Rectified Activations in Convolution Network",
     "[2015] Empirical Evaluation of Rectified Activations in Convolution Network",
     "block:relu, block:leaky_relu, block:prelu", "stand-in",
     ("ReLU, leaky ReLU and PReLU; the paper's randomized leaky ReLU (RReLU) is random only in training, at inference "
     "it is a leaky ReLU with the mean slope")),
    (S000, "[2016 ICML] Noisy Activation Functions", "[2016 ICML] Noisy Activation Functions", "", "not",
     "training-time noise injection; at inference it is the underlying saturating activation (tanh/sigmoid)"),
    (S000, "[2016] Revise Saturated Activation Functions", "[2016] Revise Saturated Activation Functions",
     "block:penalized_tanh", "net", ""),
    (S000, "[2018] Activation Functions_ Comparison of trends in Practice and Research for Deep Learning",
     "[2018] Activation Functions_ Comparison of trends in Practice and Research for Deep Learning", "", "not",
     "a survey of activation functions; the ones it compares are the activation blocks above"),
    (S000, "[2018] Deep Neural Networks with Data Dependent Implicit Activation Function",
     "[2018] Deep Neural Networks with Data Dependent Implicit Activation Function", "", "not",
     ("the 'activation' is a graph-based interpolation over the training set (a transductive output layer), not a "
     "feed-forward function of one input")),
    (S000, "[2018] The Quest for the Golden Activation Function",
     "[2018] The Quest for the Golden Activation Function", "", "not",
     ("an evolutionary search method for activations; the functions it reports (ELiSH, HardELiSH) are elementwise "
     "like block:silu and are not registered")),
    (S000, "[2016] GELU, Gaussian Error Linear Unit",
     "[2016] Bridging nonlinearities and stochastic regularizers with gaussian error linear units", "block:gelu", "net",
     ""),
    # 000: NAS, SNN
    (S000, "[2018 CVPR] NASNet", "[2018 CVPR] Learning transferable architectures for scalable image recognition",
     "nasnet_a_large, nasnet_a_mobile", "net", ""),
    (S000, "[2018] DARTS", "[2018] DARTS: Differentiable architecture search", "darts_v2_imagenet", "net", ""),
    (S000, "[2019] PC-DARTS",
     "[2019] PC-DARTS: Partial channel connections for memory-efficient differentiable architecture search",
     "pc_darts_imagenet", "net", ""),
    (S000, "[2019 ICCV] MobileNetV3", "[2019 ICCV] Searching for mobilenetv3",
     "mobilenet_v3_large, mobilenet_v3_small, mobilenet_v3_large_075, mobilenet_v3_small_075", "net", ""),
    (S000, "[2019 ICML] EfficientNet", "[2019 ICML] Rethinking model scaling for convolutional neural networks",
     "efficientnet_b0, efficientnet_b1, efficientnet_b4, efficientnet_b7", "net", ""),
    (S000, "[2019 CVPR] Mnasnet", "[2019 CVPR] Mnasnet_ Platform-aware neural architecture search for mobile",
     "mnasnet1_0, mnasnet_a1", "net", ""),
    (S000, "[2020 CVPR] RegNet", "[2020 CVPR] Designing network design spaces",
     "regnet_x_400mf, regnet_y_400mf, regnet_x_200mf, regnet_y_200mf", "net", ""),
    (S000, "[2025] SpikeYOLO", ("[2025] Integer-Valued Training and Spike-Driven Inference Spiking Neural Network for "
                                "High-performance and Energy-efficient Object Detection"), "", "not",
     ("a spiking detector (YOLOv8 macro design + spike-driven blocks): binary spikes over time steps, not a "
     "feed-forward CNN whose MACs cnnbench counts")),
    (S000, "[2024 CVPR] Are Conventional SNNs Really Efficient_ A Perspective from Network Quantization",
     "[2024 CVPR] Are Conventional SNNs Really Efficient_ A Perspective from Network Quantization", "", "not",
     "an efficiency analysis of spiking networks, not a network"),
    # ---- 001: headings and the ConvNeXt walk-through -----------------------------------------------------
    (S001, "MobileNet V4", "MobileNet V4", ("mobilenet_v4_conv_small, mobilenet_v4_conv_medium, mobilenet_v4_conv_large, "
                                            "mobilenet_v4_hybrid_medium, mobilenet_v4_hybrid_large"), "net", ""),
    (S001, _CNX, "ConvNeXt", "convnext_tiny, convnext_small, convnext_base, convnext_large", "net", ""),
    (S001, _CNX, "训练技巧", "", "not",
     ("the training recipe (300 epochs, AdamW, Mixup, CutMix, RandAugment, Random Erasing, stochastic depth, label "
     "smoothing): changes no layer, so no cost")),
    (S001, _CNX, "Stage Compute Ration", "convnext_roadmap_stage_ratio, repro:convnext-roadmap", "net",
     "ResNet-50 with (3,3,9,3) blocks"),
    (S001, _CNX, "Change stem to “Patchify”", "convnext_roadmap_patchify, repro:convnext-roadmap", "net", ""),
    (S001, _CNX, "ResNeXt-ify", "convnext_roadmap_depthwise, convnext_roadmap_width96, repro:convnext-roadmap", "net",
     "depthwise 3×3, then width 64 → 96"),
    (S001, _CNX, "Inverted Bottleneck", "convnext_roadmap_inverted, repro:convnext-roadmap", "net", ""),
    (S001, _CNX, "Large Kernel Sizes", "convnext_roadmap_move_up, convnext_roadmap_kernel7, repro:convnext-roadmap", "net",
     "depthwise conv moved up, then 7×7"),
    (S001, _CNX, "Micro Design", "convnext_roadmap_micro, convnext_roadmap_convnext_t, convnext_tiny, repro:convnext-roadmap",
     "net", "the micro-design steps end at ConvNeXt-T itself"),
    (S001, "RegNet", "RegNet", "regnet_x_400mf, regnet_y_400mf, regnet_y_4gf, repro:regnet-activations", "net", ""),
    (S001, "MobileNet V3", "MobileNet V3", "mobilenet_v3_large, mobilenet_v3_small", "net", ""),
    (S001, "MobileNet V3", "BNeck", "block:bneck", "net", "the inverted residual with SE"),
    (S001, "MobileNet V3", "h-swish", "block:hard_swish", "net", ""),
    (S001, "MobileNet V2", "MobileNet V2", "mobilenet_v2, mobilenet_v2_1_4", "net", ""),
    (S001, "MobileNet V2", "Inverted residual block", "block:inverted_residual", "net", ""),
    (S001, "SE-ResNet", "SE-ResNet", "se_resnet50, se_resnet101, se_resnet152, block:se", "net", ""),
    (S001, "ShuffleNetV2", "ShuffleNetV2", "shufflenet_v2_x0_5, shufflenet_v2_x1_0", "net", ""),
    (S001, "ShuffleNetV2", "Channel Split", "block:shufflenet_v2_unit", "net", "the ShuffleNet V2 unit"),
    (S001, "MobileNet V1", "MobileNet V1", "mobilenet_v1_*, timm_mobilenetv1_100", "net", ""),
    (S001, "MobileNet V1", "深度可分离卷积", "block:depthwise_separable, repro:mobilenetv1-pointwise", "net",
     "and the '75% of parameters in the 1x1 convs' note"),
    (S001, "ResNeXt", "ResNeXt", "resnext50_32x4d, resnext101_32x8d, resnext101_64x4d", "net", ""),
    (S001, "ResNeXt", "Cardinality", "block:group_conv", "net", "the grouped 3×3 (32 groups)"),
    (S001, "ShuffleNetV1", "ShuffleNetV1", "shufflenet_v1_*", "net", ""),
    (S001, "ShuffleNetV1", "channel shuffle", "block:shufflenet_v1_unit", "net", "the ShuffleNet V1 unit"),
    (S001, "ResNet", "ResNet", "resnet18, resnet34, resnet50, resnet101, resnet152", "net", ""),
    (S001, "VGG", "VGG", "vgg16, vgg19, repro:vgg-3x3-stack", "net", ""),
    (S001, "AlexNet", "AlexNet", "alexnet", "net", ""),
    # ---- 003: one row per bullet ---------------------------------------------------------------------
    (S003, "Basics", "Backpropagation Applied to Handwritten Zip Code Recognition", "zipcode_lenet_1989", "net", ""),
    (S003, "Basics", "LeNet", "lenet5", "net", ""),
    (S003, "Basics", "AlexNet", "alexnet", "net", ""),
    (S003, "Basics", "ZFNet", "zfnet", "net", ""),
    (S003, "Basics", "VGGNet", "vgg11, vgg13, vgg16, vgg19", "net", ""),
    (S003, "Deconvolution", "Deconvolutional networks", "", "not",
     ("an unsupervised sparse-coding model: features are inferred by optimisation per image, not computed by a "
     "feed-forward pass")),
    (S003, "Deconvolution", "Adaptive Deconvolutional Networks", "", "not",
     "an unsupervised sparse-coding model (inference by optimisation per image), not a feed-forward network"),
    (S003, _TOPO, "Highway Networks", "highway_*", "net", ""),
    (S003, _TOPO, "Training Very Deep Networks", "highway_*", "net", "the highway networks paper's longer version"),
    (S003, _TOPO, "Stochastic Depth", "", "not",
     "a training method (blocks dropped at random in training); at inference the network is the plain ResNet"),
    (S003, _TOPO, "FractalNet", "fractalnet*", "net", ""),
    (S003, _TOPO, "DAG-CNN", "*dag_cnn*|dagcnn*", "net", "not built in issue 21: not reached in its time box"),
    (S003, _TOPO, "AdaNet", "", "not", "a structure-learning algorithm (boosting-style growth), no fixed network"),
    (S003, _TOPO, "Deeply-Supervised Networks (DSN)", "", "not",
     "a training method (auxiliary per-layer losses); the heads are dropped at inference"),
    (S003, _TOPO, "Deeply-Fused Networks (DFN)", "*deeply_fused*|dfn_*|dfn", "net", "not built in issue 21: not reached in its time box"),
    (S003, _TOPO, ("Augmenting Supervised Neural Networks with Unsupervised Objectives for Large-scale Image "
                   "Classification"), "", "not",
     "a training objective (reconstruction losses on a VGG/AlexNet), not a new network"),
    (S003, "Ladder Networks", "Semi-Supervised Learning with Ladder Networks", "", "not",
     "a semi-supervised training model (denoising decoder + lateral costs); the encoder at inference is a plain MLP/CNN"),
    (S003, "Ladder Networks", "Deconstructing the Ladder Network Architecture", "", "not",
     "an ablation study of ladder networks"),
    (S003, _RES, "ResNet", "resnet18, resnet34, resnet50, resnet101, resnet152, resnet200", "net", ""),
    (S003, _RES, "ResNetV2", "preact_resnet50, preact_resnet101, preact_resnet152", "net", ""),
    (S003, _RES, "Generalized ResNet", "*resnet_in_resnet*|rir_*|rir", "net",
     ("not built in issue 21: ResNet in ResNet's CIFAR layer table could not be read, and the only port does not "
      "match the paper's size")),
    (S003, _RES, "Residual Networks Behave Like Ensembles of Relatively Shallow Networks", "", "not",
     "an analysis paper (lesion studies on ResNets)"),
    (S003, _RES, "Wide Residual Networks (WRN)", "wide_resnet50_2, wide_resnet101_2", "stand-in",
     "the ImageNet WRN-50-2/101-2 only; the CIFAR WRN-d-k family is not registered"),
    (S003, _RES, "ResNeXt", "resnext50_32x4d, resnext101_32x8d, resnext101_64x4d", "net", ""),
    (S003, _RES, "Collective Residual Unit (CRU)", "*cru_net*|crunet*|cru_*|*_cru*", "net",
     "not built in issue 21: the official repository has no architecture, and the sharing scheme could not be confirmed"),
    (S003, _RES, "Res2Net", "res2net50_26w_4s, res2net101_26w_4s", "net", ""),
    (S003, _RES, "ResNeSt", "resnest50d, resnest101e, resnest200e, resnest269e", "net", ""),
    (S003, _RES, "ResNet-RS", ("resnet_rs50, resnet_rs101, resnet_rs152, resnet_rs200, resnet_rs270, resnet_rs350, "
                               "resnet_rs420"), "net", ""),
    (S003, _RES, "NFNet", "nfnet_f0, nfnet_f1, nfnet_f2, nfnet_f3, nf_resnet50", "net", ""),
    (S003, _RES, "TResNet", "tresnet_m, tresnet_l, tresnet_xl", "net", ""),
    (S003, _RES, "PSPNet", "pspnet_resnet50", "net", "named in ResNet's comments and ESPNet's abstract"),
    (S003, _DENSE, "DenseNet", "densenet121, densenet169, densenet201, densenet264", "net", ""),
    (S003, _DENSE, "Bridging the Gaps Between Residual Learning, Recurrent Neural Networks and Visual Cortex", "", "not",
     "an analysis (ResNets as unrolled shallow RNNs), no new feed-forward network"),
    (S003, _DENSE, "HORNN", "", "not", "a recurrent sequence model (higher-order RNN), not a CNN"),
    (S003, _DENSE, "Dual Path Networks (DPN)", "dpn68, dpn92, dpn98, dpn107, dpn131", "net", ""),
    (S003, _DENSE, "Mixed Link Networks", "mixlinknet*", "net", ""),
    (S003, "Grouped Convolutions", "Deep Roots", "*deep_roots*|*_root*|root*|*roots*", "net",
     "not built in issue 21: the paper's table of root-k group counts, params and FLOPs could not be read"),
    (S003, "Grouped Convolutions", "Aggregated Residual Transformations for Deep Neural Networks (ResNeXt)",
     "resnext50_32x4d, block:group_conv", "net", ""),
    (S003, "Grouped Convolutions", "Inception Networks.", _INCEPTION, "net", ""),
    (S003, "InceptionNet Series", "Inception-v1/GoogLeNet", "googlenet", "net", ""),
    (S003, "InceptionNet Series", "Inception-v2/Batch Normalization", "bn_inception", "net", ""),
    (S003, "InceptionNet Series", "Inception-v3", "inception_v3", "net", ""),
    (S003, "InceptionNet Series", "Inception-v4/Inception-ResNet", ("inception_v4, inception_resnet_v2, "
     "inception_resnet_v1"), "net", ""),
    (S003, "InceptionNet Series", "PolyInception", "polynet", "net", ""),
    (S003, "Multi-Column Networks", "Multi-Column Networks", "mcdnn_mnist_35, mcdnn_mnist_column", "net", ""),
    (S003, "Multi-Column Networks", "High-Performance Neural Networks for Visual Object Classification", "mcdnn_mnist_column",
     "stand-in", "the 2011 GPU CNN is one column of the multi-column net (same authors, same small-image layers)"),
    (S003, "Multi-Column Networks", "Deep Columnar Convolutional Neural Network", "*columnar*", "net",
     "not built in issue 21: no part was given it, and the paper's layer table is not at hand"),
    (S003, "Deformable Kernels", "Deformable ConvNets v1", "block:deform_conv_v1", "net", ""),
    (S003, "Deformable Kernels", "Deformable ConvNets v2", "block:deform_conv_v2", "net", ""),
    (S003, "Dilated Kernels", "Dilated Convolutions", "block:context_module, block:dilated_conv", "net",
     "context_module is the paper's basic context module (Table 1); dilated_conv is one dilated 3×3"),
    (S003, "Dilated Kernels", "ESPNetV1", "espnet_cityscapes", "net", ""),
    (S003, "Dilated Kernels", "ENet", "enet", "net", "named in ESPNet's abstract"),
    (S003, "Dilated Kernels", "ESPNetv2", "espnetv2*", "net", ""),
    (S003, "Dilated Kernels", "Dilated Residual Networks", "drn_*", "net", ""),
    (S003, "Adaptive Kernels", "Dynamic Filter Networks", "", "not",
     ("a video/stereo prediction model whose filters are generated from the input frame; no image-classification "
     "network or fixed layer to profile")),
    (S003, "Adaptive Kernels", "SKNet", "sknet50, block:sk, block:skconv", "net", ""),
    (S003, "Cross-Channel Correlations", "Speeding up Convolutional Neural Networks with Low Rank Expansions",
     f"block:factorized_conv, {_LOWRANK}", "net", "k×1 + 1×k factorisation of a conv"),
    (S003, "Cross-Channel Correlations", "Xception: Deep Learning with Depthwise Separable Convolutions",
     "xception, block:depthwise_separable", "net", ""),
    (S003, "Cross-Channel Correlations", "NIN, see `mlp.md`.", "nin*", "net", ""),
    (S003, "Research on Attention Mechanism", "Look and Think Twice", "", "not",
     "a feedback inference procedure (iterative top-down gating) on an existing GoogLeNet/VGG, not a new block"),
    (S003, "Research on Attention Mechanism", "Deep Recurrent Attentive Writer (DRAW)", "", "not",
     "a recurrent generative model (VAE with LSTM), not a CNN"),
    (S003, "Research on Attention Mechanism", ("The Application of Two-level Attention Models in Deep Convolutional "
                                               "Neural Network for Fine-grained Image Classification"), "", "not",
     "a fine-grained pipeline (patch proposals filtered and classified by off-the-shelf CNNs), not a block"),
    (S003, "Light-Weight Networks (Others)", "SqueezeNext", "sqnxt23_*, sqnxt23v5_*",
     "stand-in",
     ("1.0-SqNxt-23 (x1, x2) and 23v5 (x1, x2) only; 1.0-SqNxt-44 is not built (its block distribution and published "
      "row were not available offline)")),
    (S003, "Light-Weight Networks (Others)", "ShiftNet", "shiftresnet*, block:shift, repro:shift-zero-flop",
     "stand-in", "the CIFAR ShiftResNets; the ImageNet ShiftNet-A/B/C are not built (layer table not available offline)"),
    (S003, "Light-Weight Networks (Others)", "CondenseNet", "condensenet", "net", ""),
    (S003, _LW1, "Inception Networks", _INCEPTION, "net", ""),
    (S003, _LW1, "Flattened Networks", "*flattened*", "net",
     "not built in issue 21: the paper's network table (widths, params/MACs) was not available offline"),
    (S003, _LW1, "Factorized Networks", "*factorized*|*factorised*", "net",
     "not built in issue 21: the paper's network table (widths, params/MACs) was not available offline"),
    (S003, _LW1, "Xception Networks", "xception", "net", ""),
    (S003, _LW1, "SqueezeNet", "squeezenet1_0, squeezenet1_1", "net", ""),
    (S003, _LW1, "Structured Transform Networks", "*structured*|*toeplitz*|*circulant*", "net",
     "not built in issue 21: not reached in its time box, and the experimental network sizes were not at hand"),
    (S003, _LW1, "Deep Fried Convnets", "deep_fried_caffenet_ff16, deep_fried_caffenet_ff32", "net", ""),
    (S003, _LW2, "Flattened Networks", "*flattened*", "net",
     "not built in issue 21: the paper's network table (widths, params/MACs) was not available offline"),
    (S003, _LW2, "Xception Networks", "xception", "net", ""),
    (S003, _LW2, "DiCENet", "dicenet_*", "net", ""),
    (S003, _LW2, "DeepLabv3", "*deeplabv3*|torchvision:deeplabv3_resnet50, *deeplabv3*|torchvision:deeplabv3_mobilenet_v3_large",
     "net", "named in MobileViT's abstract and MobileNetV3's"),
    (S003, _LW2, "MobileNetV1, MobileNetV2, MobileNetV3.", "mobilenet_v1_*, mobilenet_v2, mobilenet_v3_large", "net", ""),
    (S003, _LW2, "ShuffleNetV2", "shufflenet_v2_x1_0", "net", ""),
    (S003, _LW2, "ESPNetV2", "espnetv2*", "net", ""),
    (S003, _LW2, "Mixconv", "mixnet_s, mixnet_m, mixnet_l, block:mixconv", "net", ""),
    (S003, _LW2, "ProxylessNAS", "proxylessnas_gpu, proxylessnas_cpu, proxylessnas_mobile", "net", "named in MixConv's abstract"),
    (S003, _LW2, "MnasNet (see neural_architecture_search.md)", "mnasnet1_0, mnasnet_a1", "net", ""),
    (S003, _MBS, "MobileNetV1", "mobilenet_v1_*, timm_mobilenetv1_100", "net", ""),
    (S003, _MBS, "MobileNetV2", "mobilenet_v2, mobilenet_v2_1_4", "net", ""),
    (S003, _MBS, "SSDLite", "*ssdlite*|torchvision:ssdlite320_mobilenet_v3_large", "net", "named in MobileNetV2's abstract"),
    (S003, _MBS, "MobileNetV3", "mobilenet_v3_large, mobilenet_v3_small", "net", ""),
    (S003, _MBS, "LR-ASPP", "*lraspp*|torchvision:lraspp_mobilenet_v3_large", "net", "named in MobileNetV3's abstract"),
    (S003, _MBS, "Swish", "block:swish", "net", ""),
    (S003, _MBS, "SENet", "se_resnet50, senet154, block:se", "net", ""),
    (S003, "EfficientNets (count=3)", "EfficientNetV1", "efficientnet_b0, efficientnet_b7, block:mbconv", "net", ""),
    (S003, "EfficientNets (count=3)", "EfficientNetV2",
     "efficientnet_v2_s, efficientnet_v2_m, efficientnet_v2_l, efficientnet_v2_xl, block:fused_mbconv", "net", ""),
    (S003, "EfficientNets (count=3)", "EfficientNet-X", "efficientnet_b0", "stand-in",
     ("EfficientNet-X is EfficientNet searched for TPU/GPU (space-to-depth stem, fused convs), released for TensorFlow "
     "only; efficientnet_b0 is its baseline, not the searched family")),
    (S003, "ShuffleNets (count=2)", "ShuffleNetV1", "shufflenet_v1_*", "net", ""),
    (S003, "ShuffleNets (count=2)", "ShuffleNetV2", "shufflenet_v2_x1_0", "net", ""),
    # 003: compression, low-bit, low-rank, sparsity: the claims are sizes and MACs (reproductions)
    (S003, _COMP, "Exploiting Linear Structure Within Convolutional Networks for Efficient Evaluation", _LOWRANK, "net",
     "low-rank/CP approximation of a conv layer: the static savings"),
    (S003, _COMP, "Compression of Deep Convolutional Neural Networks for Fast and Low Power Mobile Applications",
     _LOWRANK, "net", "Tucker decomposition of a conv layer"),
    (S003, _COMP, "Speeding up Convolutional Neural Networks with Low Rank Expansions", _LOWRANK, "net",
     "Jaderberg's k×1 + 1×k scheme"),
    (S003, _COMP, "Deep roots", "*deep_roots*|*_root*|root*|*roots*", "net",
     "not built in issue 21: the paper's table of root-k group counts, params and FLOPs could not be read"),
    (S003, _COMP2, "Hashing", _COMPRESS, "net", "HashedNets: weight sharing by hashing, as the weight-sharing estimate"),
    (S003, _COMP2, "Pruning", _COMPRESS, "net", "Deep Compression: AlexNet 240 → 6.9 MB, VGG-16 552 → 11.3 MB"),
    (S003, _COMP2, "Vector Quantization", _COMPRESS, "net", "codebook (weight-sharing) storage"),
    (S003, _COMP2, "Constrained Optimization Based Low-Rank Approximation of Deep Neural Networks", _LOWRANK, "net",
     "the ranks are chosen by an optimisation; the transform's savings at a given rank are what is measured"),
    (S003, _COMP2, "Learning Structured Sparsity in Deep Neural Networks", _COMPRESS, "net",
     "structured sparsity: sparse storage with its index overhead"),
    (S003, _LB1, "Training deep neural networks with low precision multiplications", _COMPRESS, "net", _QUANT),
    (S003, _LB1, "XNOR-Net", _COMPRESS, "net", "'32× memory saving'"),
    (S003, _LB1, "Quantized Neural Networks", _COMPRESS, "net", _QUANT),
    (S003, _LB2, "XNOR-Net", _COMPRESS, "net", "'32× memory saving'"),
    (S003, _LB2, "Quantized Neural Networks", _COMPRESS, "net", _QUANT),
    (S003, _LB2, "Fixed-point Networks", _COMPRESS, "net", _QUANT),
    (S003, _LB2, "Binarized Networks", _COMPRESS, "net", _QUANT),
    (S003, _LB3, "XNOR-Net", _COMPRESS, "net", "'32× memory saving'"),
    (S003, _LB3, "Quantized Neural Networks", _COMPRESS, "net", _QUANT),
    (S003, _LB3, "Expectation Backpropagation", "", "not",
     "a Bayesian training algorithm for binary-weight networks; the binary-weight size is the XNOR-Net row"),
    (S003, _LR, "Deformable kernels for early vision", "", "not",
     "1995 filter design (steerable filter bases), the maths behind separable filters, not a network"),
    (S003, _LR, "A rank minimization heuristic with application to minimum order system approximation", "", "not",
     "control-theory maths (nuclear-norm rank minimisation), not a network"),
    (S003, _LR, "Decompositions of a Higher-Order Tensor in Block Terms—Part II: Definitions and Uniqueness", "", "not",
     "tensor-algebra reference (block-term decompositions), not a network"),
    (S003, _LR, "Tensor Decompositions and Applications", "", "not",
     "tensor-algebra survey (CP/Tucker), the maths `repro:low-rank` applies, not a network"),
    (S003, _LR, "Exploiting Linear Structure", _LOWRANK, "net", "Denton et al. again"),
    (S003, _LR2, "Simplifying convnets for fast learning", _LOWRANK, "net", "rank-1 separable filters"),
    (S003, _LR2, "Learning Separable Filters", _LOWRANK, "net", "separable (rank-1) filter banks"),
    (S003, _LR2, "Training CNNs with Low-Rank Filters for Efficient Image Classification",
     f"block:factorized_conv, {_LOWRANK}", "net", "1×3 and 3×1 basis filters"),
    (S003, _LR2, "Speeding up Convolutional Neural Networks with Low Rank Expansions", _LOWRANK, "net",
     "Jaderberg's k×1 + 1×k scheme"),
    (S003, _LR2, "Speeding-up Convolutional Neural Networks Using Fine-tuned CP-Decomposition", _LOWRANK, "net",
     "CP decomposition of a conv layer"),
    (S003, _LR2, "Compression of Deep Convolutional Neural Networks for Fast and Low Power Mobile Applications",
     _LOWRANK, "net", "Tucker decomposition of a conv layer"),
    (S003, _TD, "Efficient and accurate approximations of nonlinear convolutional networks", _LOWRANK, "net",
     "low-rank (channel) decomposition of a conv layer"),
    (S003, _TD, "Accelerating very deep convolutional networks for classification and detection", _LOWRANK, "net",
     "low-rank (channel + spatial) decomposition of VGG-16's layers"),
    (S003, "(2018, ESPNetV1) (count=3)", "Sparse Decomposition", _COMPRESS, "stand-in",
     "sparse storage of the weights; the paper's sparse decomposition (two-stage basis + sparse kernels) is not built"),
    (S003, "(2018, ESPNetV1) (count=3)", "Structural Sparsity Learning", _COMPRESS, "net",
     "structured sparsity: sparse storage with its index overhead"),
    (S003, "(2018, ESPNetV1) (count=3)", "LCNN", _COMPRESS, "stand-in",
     "LCNN's shared dictionary is estimated as weight sharing; its lookup-based convolution is not built"),
    (S003, "(2018, MobileNetV2) (count=1)", "The Power of Sparsity in Convolutional Neural Networks", _COMPRESS, "net",
     "sparse (deactivated-connection) storage"),
    (S003, _EXP, "On the Expressive Power of Deep Neural Networks", "", "not", _THEORY),
    (S003, _EXP, "The Expressive Power of Neural Networks: A View from the Width", "", "not", _THEORY),
    (S003, _EXP, "On the Expressive Power of Overlapping Architectures of Deep Learning", "", "not", _THEORY),
    (S003, _EXP, "ResNet with one-neuron hidden layers is a Universal Approximator", "", "not", _THEORY),
    (S003, _REG, "Dropout", "", "not", "a training method; identity at inference"),
    (S003, _REG, "Dropout", "", "not", "a training method; identity at inference"),
    (S003, _REG, "DropConnect", "", "not", "a training method (random weight masking); plain layers at inference"),
    (S003, _REG, "Maxout", "block:maxout, maxout_cifar10", "net", "the maxout unit and the maxout network"),
    (S003, _REG, "Stochastic Pooling", "block:stochastic_pool", "net", ""),
    (S003, _REG, "DropIn", "", "not", "a training method (layers faded in during training)"),
    (S003, "Data Augmentation", "Mixup", "", "not", "data augmentation, not a network"),
    (S003, "Progressive Learning", "FixRes", "", "not",
     "train/test resolution policy; the cost at another input size is `--input-size`"),
    (S003, "Progressive Learning", "Mix & Match", "", "not", "a training schedule over input sizes, not a network"),
    (S003, "Unsupervised Learning",
     "Discriminative Unsupervised Feature Learning with Exemplar Convolutional Neural Networks", "", "not",
     "an unsupervised training method (surrogate classes), the network is a plain small CNN"),
    (S003, _CONN, "Connectivity Learning in Multi-Branch Networks", "", "not",
     "a method that learns the connections; no fixed network is published to profile"),
    (S003, _CONN, "Learning Time/Memory-Efficient Deep Architectures with Budgeted Super Networks", "", "not",
     "an architecture-search method (super networks), no fixed network"),
    (S003, _UNCL, "HRNet", "hrnet_w18_small, hrnet_w18, hrnet_w32, hrnet_w48, hrnet_w64", "net", ""),
    (S003, _UNCL, "DeCAF", "alexnet", "stand-in",
     "DeCAF is AlexNet's features transferred to other tasks; the network is alexnet"),
    (S003, _UNCL, "Understanding Deep Architectures using a Recursive Convolutional Network", "*recursive*", "net",
     "not built in issue 21: not reached in its time box, and the experimental network sizes were not at hand"),
    (S003, _UNCL, "On Network Design Spaces for Visual Recognition", "", "not",
     "a design-space methodology (distributions of sampled models); its follow-up models are the regnet_* rows"),
    (S003, _UNCL, "ConvNeXt", "convnext_tiny, convnext_small, convnext_base, convnext_large", "net", ""),
    (S003, _UNCL, "Flexible, high performance convolutional neural networks for image classification", "mcdnn_mnist_column",
     "stand-in", "the 2011 GPU CNN (Ciresan et al.) is one column of the multi-column net"),
    (S003, _UNCL, "FitNets", "", "not", "a knowledge-distillation training method (thin students), not a network"),
    (S003, _UNCL, "RegNet", "regnet_x_400mf, regnet_y_400mf, regnet_x_200mf, regnet_y_600mf, regnet_y_4gf", "net", ""),
    (S003, _UNCL, "Provable Bounds for Learning Some Deep Representations", "", "not",
     "theory paper (provable learning of sparse deep nets), no network to profile"),
]

# items that are not a paper line (000) or a bullet (003): named in 000's notes/tables or in 003's abstracts
EXTRA_ITEMS = {
    S000: ("a stack of three 3*3 conv. layers", "ResNet 18/34/50/101/152/200/1001", "checkpoint size (torchvision)",
           "three 3×3 convolution layers and one 2×2 mean pooling layer", "InternImage-S", "InternImage-B",
           "InternImage-L", "InternImage-XL", "InternImage-H", "Scaled-YOLOV4"),
    S003: ("PSPNet", "ENet", "DeepLabv3", "ProxylessNAS", "SSDLite", "LR-ASPP"),
}


def covering_names(names: str | None) -> list[str]:
    """Split a ``names`` cell into its names (``[]`` for ``None`` or ``""``)."""
    return [n.strip() for n in names.split(",")] if names else []


def _known() -> tuple[set[str], set[str], set[str]]:
    """Registered network names, block names and reproduction names, now."""
    from cnnbench.catalog import list_specs
    from cnnbench.reproduce import REPRODUCTIONS

    nets = {s.name for s in list_specs(kind="network")}
    blocks = {s.name for s in list_specs(kind="block")}
    return nets, blocks, {r.name for r in REPRODUCTIONS}


def name_exists(name: str, known: tuple[set[str], set[str], set[str]] | None = None) -> bool:
    """Whether ``name`` (a registry name or alias, ``block:NAME``, ``repro:NAME`` or an fnmatch pattern) exists."""
    from cnnbench.catalog.registry import lookup

    nets, blocks, repros = known or _known()
    if "|" in name:
        return any(name_exists(alt, (nets, blocks, repros)) for alt in name.split("|"))
    if name.startswith("repro:"):
        return name[6:] in repros
    if name.startswith("torchvision:"):  # builds offline without registration (imports torchvision)
        from cnnbench.catalog import resolve
        from cnnbench.errors import CnnbenchError

        try:
            return resolve(name).kind == "network"
        except CnnbenchError:
            return False
    if name.startswith("block:"):
        rest = name[6:]
        if any(c in rest for c in "*?["):
            return bool(fnmatch.filter(blocks, rest))
        spec = lookup(rest)
        return spec is not None and spec.kind == "block"
    if any(c in name for c in "*?["):
        return bool(fnmatch.filter(nets, name))
    spec = lookup(name)
    return spec is not None and spec.kind == "network"


def resolve_names(names: str, known: tuple[set[str], set[str], set[str]] | None = None) -> list[str]:
    """``names`` with each pattern replaced by the registered names it matches (sorted); missing names dropped."""
    nets, blocks, repros = known or _known()
    out: list[str] = []
    for n in covering_names(names):
        if "|" in n:
            out += [m for alt in n.split("|") for m in resolve_names(alt, (nets, blocks, repros)) if m not in out]
        elif n.startswith("block:") and any(c in n for c in "*?["):
            out += ["block:" + b for b in sorted(fnmatch.filter(blocks, n[6:]))]
        elif not n.startswith(("block:", "repro:")) and any(c in n for c in "*?["):
            out += sorted(fnmatch.filter(nets, n))
        elif name_exists(n, (nets, blocks, repros)):  # an exact name, block:, repro: or torchvision:
            out.append(n)
    return out


def item_rows() -> list[dict[str, str]]:
    """``ITEMS`` as dicts with the status computed now: seed, section, item, status, names, reason."""
    known = _known()
    rows = []
    for seed, section, item, names, kind, text in ITEMS:
        wanted = covering_names(names)
        missing = [n for n in wanted if not name_exists(n, known)]
        if kind == "not":
            status, reason = "not a network", text
        elif not wanted or missing:
            status = "planned"
            if not wanted:
                reason = text
            elif text.startswith(NOT_BUILT):
                reason = f"{text} (nothing registered matches {', '.join(missing)})"
            else:
                reason = f"{PLANNED}: {', '.join(missing)} not registered yet"
        else:
            status, reason = ("covered" if kind == "net" else "stand-in"), "" if text.startswith(NOT_BUILT) else text
        shown = ", ".join(resolve_names(names, known)) if status in ("covered", "stand-in") else names
        rows.append({"seed": seed, "section": section, "item": item, "status": status, "names": shown,
                     "reason": reason})
    return rows


def totals(rows: list[dict[str, str]] | None = None) -> dict[str, dict[str, int]]:
    """Per seed (and ``all``): items and the count of each status."""
    rows = item_rows() if rows is None else rows
    out: dict[str, dict[str, int]] = {}
    for key in (*SEEDS, "all"):
        mine = [r for r in rows if key in ("all", r["seed"])]
        out[key] = {"items": len(mine), **{s: sum(r["status"] == s for r in mine) for s in STATUSES}}
    return out


def coverage_rows() -> list[dict[str, str]]:
    """The rows ``cnnbench list --coverage`` prints (one per item)."""
    return item_rows()


def render_markdown() -> str:
    """A Markdown report: per-seed item totals, then one table row per item."""
    rows = item_rows()
    t = totals(rows)
    lines = ["# Reading-list coverage", "",
             ("Every item the reading lists (`shared/seeds/`) name — networks, blocks, pooling, activations, "
              "techniques — with its status: covered (registry names), stand-in (what differs), not a network "
              "(why), planned (being added). Regenerate: `cnnbench list --coverage -f md > results/coverage.md`."),
             "", "| seed | items | covered | stand-in | not a network | planned |", "|---|---:|---:|---:|---:|---:|"]
    for key in (*SEEDS, "all"):
        c = t[key]
        lines.append(f"| {key} | {c['items']} | " + " | ".join(str(c[s]) for s in STATUSES) + " |")
    lines += ["", "| seed | section | item | status | covered by | reason / what differs |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r["seed"][:3], r["section"], r["item"], r["status"], f"`{r['names']}`" if r["names"] else "",
                 r["reason"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def coverage_table(rows: list[dict[str, str]]):
    """``cnnbench list --coverage`` as a rich table: the totals in the title, one row per item."""
    from rich.table import Table

    c = totals(rows)["all"]
    title = (f"seed coverage: {c['items']} items — {c['covered']} covered, {c['stand-in']} stand-in, "
             f"{c['not a network']} not a network, {c['planned']} planned")
    t = Table(title=title, header_style="bold")
    for col in ("seed", "item", "status", "covered by", "reason / what differs"):
        t.add_column(col, overflow="fold", max_width=50)
    for r in rows:
        style = None if r["status"] in ("covered", "not a network") else "yellow"
        t.add_row(r["seed"][:3], r["item"], r["status"], r["names"] or "—", r["reason"], style=style)
    return t
