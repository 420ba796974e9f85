"""Registry entries of kind ``block``: attention, convolution, pooling and activation modules.

Torch-free (builders are ``"module:function"`` strings). Mobile units (``mobile.py``) are listed with the
convolutions and normalisation layers (``norm.py``) with the activations, so ``cnnbench blocks`` keeps four kinds. Every block is built with ``channels=256`` by
default and profiled on its ``input_size`` (256×56×56: ResNet-50's conv2_x map); ``spec.build(channels=64)``
rebuilds it for another width. ``family`` equals ``block_kind``. The fusion blocks (``fusion.py``: AFF/iAFF with
the attention blocks, MCB/MLB/HBP with the pools) take several inputs: their shapes are in ``_SHAPES``
(``input_size`` + ``more_inputs``), so a profile feeds each its own.

Overhead relative to a reference: ``REFERENCE[block_kind]`` names the block to subtract — ``identity``
(an ``nn.Identity``, zero cost) for attention, pooling and activations; ``conv3x3`` for convolutions,
so a conv block's overhead reads "versus the plain 3×3 conv it replaces".
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register

REFERENCE = {"attention": "identity", "conv": "conv3x3", "pool": "identity", "activation": "identity",
             "norm": "identity"}

_INPUT = (256, 56, 56)
_MOD = "cnnbench_models.blocks"

# (name, builder function, paper title, year, note, aliases)
_ATTENTION = [
    ("se", "se", "Squeeze-and-Excitation Networks", 2018, "reduction 16; FCs as 1x1 convs with bias", ()),
    ("cbam", "cbam", "CBAM: Convolutional Block Attention Module", 2018,
     "reduction 16, 7x7 spatial conv + BN (official code)", ()),
    ("bam", "bam", "BAM: Bottleneck Attention Module", 2018, "reduction 16, two 3x3 convs with dilation 4", ()),
    ("eca", "eca", "ECA-Net: Efficient Channel Attention for Deep Convolutional Neural Networks", 2020,
     "adaptive 1-D kernel: k=5 at C=256", ()),
    ("coord_attention", "coord_attention", "Coordinate Attention for Efficient Mobile Network Design", 2021,
     "reduction 32, mip=max(8, C/32), h-swish", ("coordatt", "ca_block")),
    ("gc", "gc", "GCNet: Non-local Networks Meet Squeeze-Excitation Networks and Beyond", 2019,
     "ratio 1/16, LayerNorm in the transform", ("global_context",)),
    ("sk", "sk", "Selective Kernel Networks", 2019,
     "SK unit M=2 (3x3, dilated 3x3), G=32, r=16, L=32; same operator as block:skconv", ("selective_kernel",)),
    ("non_local", "non_local", "Non-local Neural Networks", 2018,
     "embedded Gaussian, inter channels C/2, no sub-sampling: the HWxHW attention dominates", ()),
    ("criss_cross", "criss_cross", "CCNet: Criss-Cross Attention for Semantic Segmentation", 2019,
     "one criss-cross step: a stand-in for the paper's RCCA, which applies it R=2 times (block:rcca)",
     ("ccnet_attention",)),
    ("rcca", "rcca", "CCNet: Criss-Cross Attention for Semantic Segmentation", 2019,
     ("RCCA's recurrence R=2: one criss-cross module applied twice, shared weights (params = block:criss_cross, "
      "2x its cost); the RCCA head's reduce/fuse 3x3 convs are not included"), ("recurrent_criss_cross",)),
    ("danet_pam", "danet_pam", "Dual Attention Network for Scene Segmentation", 2019,
     "position attention module: HWxHW attention, query/key at C/8", ()),
    ("danet_cam", "danet_cam", "Dual Attention Network for Scene Segmentation", 2019,
     "channel attention module: CxC attention, one parameter (gamma)", ()),
    ("sge", "sge", "Spatial Group-wise Enhance: Improving Semantic Feature Learning in Convolutional Networks",
     2019, "64 groups; all work is elementwise/reductions, so 0 MACs", ()),
    ("csra", "csra", "Residual Attention: A Simple but Effective Method for Multi-Label Recognition", 2021,
     "a classification head: output is class logits (N, 1000), not a feature map; T=1, lambda=0.1", ()),
]

_CONV = [
    ("conv3x3", "conv3x3", "Very Deep Convolutional Networks for Large-Scale Image Recognition", 2015,
     "plain 3x3 conv, no bias: the conv reference", ()),
    ("group_conv", "group_conv", "Aggregated Residual Transformations for Deep Neural Networks", 2017,
     "3x3, 32 groups", ("groupconv",)),
    ("depthwise_separable", "depthwise_separable",
     "Xception: Deep Learning with Depthwise Separable Convolutions", 2017,
     "depthwise 3x3 + pointwise 1x1, no norm/activation", ("dsconv", "separable_conv")),
    ("dilated_conv", "dilated_conv", "Multi-Scale Context Aggregation by Dilated Convolutions", 2016,
     ("one 3x3 conv, dilation 2: the operator only; the paper's object is the context module "
      "(block:context_module)"), ("atrous_conv",)),
    ("deform_conv_v1", "deform_conv_v1", "Deformable Convolutional Networks", 2017,
     ("torchvision.ops.deform_conv2d (traces on meta) with offsets from a 3x3 conv (18 ch). cnnbench counts "
     "torchvision::deform_conv2d as a conv (Cout*Cin*9*HW MACs, 1.85G here); the bilinear sampling is not "
     "counted, as in the DCN papers"), ("dcn_v1",)),
    ("deform_conv_v2", "deform_conv_v2", "Deformable ConvNets v2: More Deformable, Better Results", 2019,
     "modulated: offsets + sigmoid masks from a 3x3 conv (27 ch); deform_conv2d counted as in deform_conv_v1",
     ("dcn_v2",)),
    ("octconv", "octconv",
     "Drop an Octave: Reducing Spatial Redundancy in Convolutional Neural Networks with Octave Convolution", 2019,
     ("3x3, alpha_in=alpha_out=0.5; the input is split/pooled into (high, low) and the output re-merged "
     "(avg pool + nearest upsample, no MACs)"), ("octave_conv",)),
    ("mixconv", "mixconv", "MixConv: Mixed Depthwise Convolutional Kernels", 2019,
     "depthwise, kernels 3/5/7/9 on 4 equal channel groups", ()),
    ("slimconv", "slimconv",
     "SlimConv: Reducing Channel Redundancy in Convolutional Neural Networks by Features Recombining", 2021,
     "official slim_conv_3x3: output has 3C/4 channels (192 at C=256)", ()),
    ("skconv", "skconv", "Selective Kernel Networks", 2019,
     "M=2, G=32, r=16, L=32, with BN/ReLU; same operator as block:sk (listed in both catalogues)", ()),
    ("ghost_module", "ghost_module", "GhostNet: More Features from Cheap Operations", 2020,
     "replaces a 1x1 conv: primary 1x1 to C/2 + depthwise 3x3 ghosts, BN+ReLU each", ("ghost",)),
    ("factorized_conv", "factorized_conv", "Rethinking the Inception Architecture for Computer Vision", 2016,
     "3x1 then 1x3, C->C, no bias: 2*3*C^2 weights, 2/3 of the 3x3's", ("asymmetric_conv",)),
    ("context_module", "context_module", "Multi-Scale Context Aggregation by Dilated Convolutions", 2016,
     ("basic context module (Table 1): seven 3x3 convs C->C with dilations 1,1,2,4,8,16,1 and ReLU, then a 1x1 "
      "C->C; biases; receptive field 67x67"), ("dilated_context",)),
]

# mobile units (models/blocks/mobile.py), listed with the convolutions: Δ is versus the plain 3x3 conv
_MOBILE = [
    ("inverted_residual", "inverted_residual", "MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018,
     "t=6, 3x3 depthwise, ReLU6, linear bottleneck, identity shortcut (torchvision mobilenetv2.InvertedResidual)",
     ("mobilenetv2_block",)),
    ("mbconv", "mbconv", "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", 2019,
     "MBConv6 3x3 with SE (squeeze to C/4), SiLU, identity shortcut (torchvision efficientnet.MBConv)", ()),
    ("bneck", "bneck", "Searching for MobileNetV3", 2019,
     ("bneck as Table 1's last stage: 5x5 depthwise, expansion 6, SE (squeeze to 6C/4, hard-sigmoid), h-swish "
      "(torchvision mobilenetv3.InvertedResidual)"), ("mobilenetv3_block",)),
    ("fused_mbconv", "fused_mbconv", "EfficientNetV2: Smaller Models and Faster Training", 2021,
     "Fused-MBConv4 3x3: 3x3 conv C->4C + 1x1 4C->C, BN, SiLU, no SE (torchvision efficientnet.FusedMBConv)", ()),
    ("shufflenet_v1_unit", "shufflenet_v1_unit",
     "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices", 2018,
     "stride-1 unit, g=8, bottleneck C/4 (the paper's g=3 does not divide 256)", ("shuffle_unit",)),
    ("shufflenet_v2_unit", "shufflenet_v2_unit",
     "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design", 2018,
     "basic unit, stride 1: channel split, 1x1 / DW 3x3 / 1x1 on C/2, concat, shuffle (torchvision)", ()),
    ("shift", "shift", "Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions", 2018,
     ("3x3 shift: 9 channel groups each moved one pixel, 0 params, 0 MACs; written as pad + cat, so its memory "
      "access is that of a copy (see `cnnbench reproduce shift-zero-flop`)"), ("shift_conv",)),
]

# sparse-combination convolutions (models/blocks/sparse_conv.py), listed with the convolutions: Δ vs the 3x3 conv
_SPARSE = [
    ("lookup_conv", "lookup_conv", "LCNN: Lookup-based Convolutional Neural Network", 2017,
     ("replaces a 3x3 conv: 1x1 C->m dictionary (m=100, the authors' -poolSize default, hessamb/lcnn opts.lua), "
      "then s=3 (index, coefficient) lookups per output channel and kernel position (s ours: the paper learns the "
      "sparsity). Params m*C + C*9*s (indices are an integer buffer); MACs HW*(m*C + C*9*s), the authors' "
      "count (benchmark/PerformanceModule.lua: nonzeros of the sparse k x k conv only)"), ("lcnn",)),
    ("sparse_decomposed_conv", "sparse_decomposed_conv", "Sparse Convolutional Neural Networks", 2015,
     ("replaces a 3x3 conv: dense 1x1 C->m bases (m=C), q=2 sparse 3x3 kernels per basis with 3 of 9 taps, each "
      "output a sparse sum of 10% of the m*q responses; params and MACs count nonzeros only, the convention of "
      "the paper's speed-up claims. Layout from the paper's description (the PDF and any authors' code were not "
      "found offline); q, taps and 10% are ours"), ("sparse_cnn_conv",)),
]

_POOL = [
    ("max_pool", "max_pool", "What is the Best Multi-Stage Architecture for Object Recognition?", 2009,
     "2x2, stride 2", ("maxpool",)),
    ("avg_pool", "avg_pool", "Gradient-Based Learning Applied to Document Recognition", 1998,
     "2x2, stride 2", ("avgpool",)),
    ("lp_pool", "lp_pool", "Convolutional Neural Networks Applied to House Numbers Digit Classification", 2012,
     ("p fixed at 2, 2x2, stride 2 (L2 pooling); the seed's Learned-Norm Pooling learns p: "
      "block:lp_pool_learned"), ("l2_pool",)),
    ("lp_pool_learned", "lp_pool_learned", "Learned-Norm Pooling for Deep Feedforward and Recurrent Neural Networks",
     2014, ("2x2/2, one learned p >= 1 per channel (p = 1 + softplus(rho), init 2); mean-normalised Lp, the "
            "paper's optional centre c omitted"), ("learned_norm_pool",)),
    ("stochastic_pool", "stochastic_pool", ("Stochastic Pooling for Regularization of Deep Convolutional Neural "
     "Networks"), 2013, ("2x2/2; train mode samples one activation per window (p ~ activation), eval mode "
     "returns the probability-weighted mean sum(a^2)/sum(a) - profiles run in eval mode"), ()),
    ("mixed_pool", "mixed_pool", ("Generalizing Pooling Functions in Convolutional Neural Networks: Mixed, Gated, "
     "and Tree"), 2016, "a*max + (1-a)*avg, one learned a", ()),
    ("gated_pool", "gated_pool", ("Generalizing Pooling Functions in Convolutional Neural Networks: Mixed, Gated, "
     "and Tree"), 2016, "sigmoid(w . window) gates max vs avg; w has k^2=4 weights shared by all channels", ()),
    ("tree_pool", "tree_pool", ("Generalizing Pooling Functions in Convolutional Neural Networks: Mixed, Gated, "
     "and Tree"), 2016, ("2x2/2, level-2 tree: two learned leaf pooling filters v1, v2 and a learned root gating "
     "mask w (k^2=4 weights each, shared by all channels: 12 params), sigmoid(w.x)*v1.x + (1-sigmoid(w.x))*v2.x"),
     ("tree_pooling",)),
    ("fractional_max_pool", "fractional_max_pool", "Fractional Max-Pooling", 2014,
     "nn.FractionalMaxPool2d, kernel 2, ratio 1/sqrt(2) (56->39); regions re-drawn every call, also in eval",
     ("fmp",)),
    ("spp", "spp", "Spatial Pyramid Pooling in Deep Convolutional Networks for Visual Recognition", 2014,
     "levels 6/3/2/1 (50 bins): output is a vector (N, 50*C)", ("spatial_pyramid_pool",)),
    ("dpp", "dpp", "Detail-Preserving Pooling in Deep Networks", 2018,
     "2x2/2, symmetric reward; per-channel alpha, lambda and one shared 3x3 downscaling filter", ()),
    ("bilinear_pool", "bilinear_pool", "Bilinear CNN Models for Fine-grained Visual Recognition", 2015,
     "full X X^T / HW + signed sqrt + L2: output is a vector (N, C^2)", ()),
    ("improved_bilinear_pool", "improved_bilinear_pool", "Improved Bilinear Pooling with CNNs", 2017,
     ("X X^T / HW, matrix square root by 5 coupled Newton-Schulz iterations (3 CxC products each, 3*C^3 MACs), "
      "then element-wise signed sqrt + L2: output is a vector (N, C^2)"), ("matrix_sqrt_bilinear_pool",)),
    ("compact_bilinear_pool", "compact_bilinear_pool", "Compact Bilinear Pooling", 2016,
     ("Tensor Sketch, d=8192: output (N, 8192). Count sketch (scatter-add) and FFTs carry no MACs in torch's "
     "flop counter (~2*HW*d*log2 d per FFT is uncounted)"), ("tensor_sketch_pool",)),
    ("low_rank_bilinear_pool", "low_rank_bilinear_pool", ("Low-rank Bilinear Pooling for Fine-Grained "
     "Classification"), 2017, "a classifier: output is class scores (N, 200); 1x1 reduce to m=100, rank 8", ()),
    ("alpha_pool", "alpha_pool", "Alpha-Pooling for Convolutional Neural Networks", 2017,
     ("one learned alpha (init 1.5) between average (alpha=1) and bilinear (alpha=2) pooling: sum |x|^(alpha-1) "
      "x^T / HW + signed sqrt + L2: output is a vector (N, C^2)"), ("alpha_pooling",)),
    ("gnap", "gnap", "Global Norm-Aware Pooling for Pose-Robust Face Recognition at Low False Positive Rate", 2018,
     "BN, each position scaled by mean norm / its L2 norm, GAP, BN (no affine): output is a vector (N, C)",
     ("global_norm_aware_pool",)),
]

_ACTIVATION = [
    ("relu", "relu", "Rectified Linear Units Improve Restricted Boltzmann Machines", 2010, "", ()),
    ("leaky_relu", "leaky_relu", "Rectifier Nonlinearities Improve Neural Network Acoustic Models", 2013,
     "negative slope 0.01", ()),
    ("rrelu", "rrelu", "Empirical Evaluation of Rectified Activations in Convolutional Network", 2015,
     ("randomized leaky ReLU (nn.RReLU, l=1/8, u=1/3): training draws each negative slope from U(l, u); eval "
      "(as profiled) is a leaky ReLU with the fixed slope (l+u)/2 = 11/48"), ("randomized_leaky_relu",)),
    ("prelu", "prelu", ("Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet "
     "Classification"), 2015, "channel-wise: C parameters", ()),
    ("elu", "elu", "Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)", 2016,
     "alpha 1", ()),
    ("selu", "selu", "Self-Normalizing Neural Networks", 2017, "", ()),
    ("thresholded_relu", "thresholded_relu", "Zero-bias Autoencoders and the Benefits of Co-adapting Features",
     2015, "theta 1 (nn.Threshold)", ()),
    ("swish", "swish", "Searching for Activation Functions", 2017, "beta=1, i.e. SiLU (nn.SiLU)", ("silu",)),
    ("hard_swish", "hard_swish", "Searching for MobileNetV3", 2019, "", ("h_swish", "hswish")),
    ("mish", "mish", "Mish: A Self Regularized Non-Monotonic Activation Function", 2019, "", ()),
    ("gelu", "gelu", "Gaussian Error Linear Units (GELUs)", 2016, "exact erf form", ()),
    ("softplus", "softplus", "Incorporating Second-Order Functional Knowledge for Better Option Pricing", 2000,
     "", ()),
    ("squareplus", "squareplus", "Squareplus: A Softplus-Like Algebraic Rectifier", 2021,
     "(x + sqrt(x^2 + b)) / 2, b=4; our implementation", ()),
    ("polu", "polu", "Training Neural Networks by Using Power Linear Units (PoLUs)", 2018,
     "x for x>=0, (1-x)^-n - 1 for x<0, n=1; our implementation", ()),
    ("srelu", "srelu", "Deep Learning with S-shaped Rectified Linear Activation Units", 2016,
     "4 learned values per channel (t_l, a_l, t_r, a_r): 4C params; init t_l=0, a_l=0, t_r=1, a_r=1 (ours)",
     ("s_shaped_relu",)),
    ("mpelu", "mpelu", "Improving Deep Neural Network with Multiple Parametric Exponential Linear Units", 2016,
     "channel-wise alpha and beta: 2C params; init alpha 0.25, beta 1", ()),
    ("penalized_tanh", "penalized_tanh", "Revise Saturated Activation Functions", 2016,
     "tanh(x) for x>0, 0.25*tanh(x) otherwise; no params", ()),
    ("maxout", "maxout", "Maxout Networks", 2013,
     ("a layer, not a pointwise function: 1x1 conv C->2C (k=2 pieces, bias) + max over the pieces; its MACs are "
      "the conv's"), ()),
]

# normalisation layers (models/blocks/norm.py): their own kind, against the identity (same shape)
_NORM = [
    ("batch_norm", "batch_norm", ("Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
     "Covariate Shift"), 2015, "norm layer: 2C params + 2C running statistics; folds into a conv at inference",
     ("bn", "batchnorm")),
    ("layer_norm", "layer_norm", "Layer Normalization", 2016,
     "norm layer: over C at each position (timm LayerNorm2d, as ConvNeXt uses it); 2C params", ("layernorm",)),
    ("group_norm", "group_norm", "Group Normalization", 2018, "norm layer: 32 groups; 2C params", ("groupnorm",)),
    ("instance_norm", "instance_norm", "Instance Normalization: The Missing Ingredient for Fast Stylization", 2016,
     "norm layer: affine, 2C params", ("instancenorm",)),
    ("ibn_a", "ibn_a", "Two at Once: Enhancing Learning and Generalization Capacities via IBN-Net", 2018,
     "norm layer: IBN-a's mix, IN (affine) on C/2 + BN on C/2", ()),
    ("ibn_b", "ibn_b", "Two at Once: Enhancing Learning and Generalization Capacities via IBN-Net", 2018,
     ("norm layer: IBN-b's tail of a residual unit, IN (affine) on all C after the addition + ReLU (IBN-b differs "
      "from IBN-a by where the IN sits)"), ()),
]


# multi-input fusion blocks (models/blocks/fusion.py): registered with their own inputs (``_SHAPES``)
_FUSION_ATTENTION = [
    ("aff", "aff", "Attentional Feature Fusion", 2021,
     ("forward(x, y), two 256x56x56 maps, as the official aff_pytorch/aff_net/fusion.py (YimianDai/open-aff): "
      "MS-CAM (r=4) on x+y, out = 2*x*w + 2*y*(1-w)"), ()),
    ("iaff", "iaff", "Attentional Feature Fusion", 2021,
     ("forward(x, y), iterative AFF: two MS-CAMs, out = x*w2 + y*(1-w2) (official fusion.py; its second "
      "global branch reuses the first's weights, here the second MS-CAM is whole: same params and MACs)"), ()),
]

_FUSION_POOL = [
    ("mcb", "mcb", "Multimodal Compact Bilinear Pooling for Visual Question Answering and Visual Grounding", 2016,
     ("attention MCB at every position (akirafukui/vqa-mcb train_att_bc.py: question 2048 tiled over the "
      "2048x14x14 image map, d=16000, sum_pool=False, signed sqrt, L2): output (N, 16000, 14, 14); 0 params. "
      "Count sketch (index_add) and FFTs have no MAC formula: 0 MACs counted, ~3 FFTs of length d per "
      "position uncounted"), ("multimodal_compact_bilinear",)),
    ("mlb", "mlb", "Hadamard Product for Low-rank Bilinear Pooling", 2017,
     ("MLB attention network after the encoders (jnhwkim/MulLowBiVQA netdef/MLB.lua, train.lua defaults): "
      "image 2048x14x14 + question 2400 (skip-thought GRU, not included), d=1200, 2 glimpses, 2000 answers: "
      "output (N, 2000)"), ("multimodal_low_rank_bilinear",)),
    ("hbp", "hbp", "Hierarchical Bilinear Pooling for Fine-Grained Visual Recognition", 2018,
     ("head on VGG-16 relu5_1/5_2/5_3 (three 512x28x28 maps, 448 input; ChaojianYu/Hierarchical-Bilinear-Pooling "
      "ft_last_layer.prototxt): 1x1 convs to d=8192, 3 pairwise products, sum pool, signed sqrt + L2, concat, "
      "FC to 200 (CUB): output (N, 200)"), ("hierarchical_bilinear_pool",)),
]

# (input_size, more_inputs) of the fusion blocks; every other block takes one _INPUT map
_SHAPES = {
    "aff": (_INPUT, (_INPUT,)),
    "iaff": (_INPUT, (_INPUT,)),
    "mcb": ((2048, 14, 14), ((2048,),)),
    "mlb": ((2048, 14, 14), ((2400,),)),
    "hbp": ((512, 28, 28), ((512, 28, 28), (512, 28, 28))),
}


def _register_all() -> None:
    for block_kind, module, rows in (
        ("attention", "attention", _ATTENTION),
        ("attention", "fusion", _FUSION_ATTENTION),
        ("conv", "conv", _CONV),
        ("conv", "mobile", _MOBILE),
        ("conv", "sparse_conv", _SPARSE),
        ("pool", "pool", _POOL),
        ("pool", "fusion", _FUSION_POOL),
        ("activation", "activation", _ACTIVATION),
        ("norm", "norm", _NORM),
    ):
        for name, fn, paper, year, note, aliases in rows:
            first, more = _SHAPES.get(name, (_INPUT, ()))
            register(ModelSpec(
                name=name, family=block_kind, source="cnnbench", builder=f"{_MOD}.{module}:{fn}",
                paper=paper, year=year, input_size=first, more_inputs=more, kind="block", block_kind=block_kind,
                aliases=aliases, note=note,
            ))
    register(ModelSpec(
        name="identity", family="reference", source="cnnbench", builder=f"{_MOD}.activation:identity",
        input_size=_INPUT, kind="block", block_kind="reference",
        note="nn.Identity: the zero-cost reference for attention, pooling and activations",
    ))


_register_all()
