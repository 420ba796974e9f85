"""Registry entries for the attention / special-conv networks (``attention_resnets.py``, ``mobilenetv2_ca.py``).

Torch-free: builders are ``"module:function"`` strings. ``paper_macs`` are the papers' "FLOPs", which are
multiply-accumulates. Our ResNet-50 skeleton is torchvision's (stride in the 3×3 conv, 4.09 GMACs); papers
that quote the original ResNet-50's 3.86 G baseline therefore sit ~6% below us on MACs, which the
tolerance and note of those entries say.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register

_G = 1_000_000_000
_NET = "cnnbench_models.attention_resnets"

_CBAM = "CBAM: Convolutional Block Attention Module"
_BAM = "BAM: Bottleneck Attention Module"
_SGE = "Spatial Group-wise Enhance: Improving Semantic Feature Learning in Convolutional Networks"
_IBN = "Two at Once: Enhancing Learning and Generalization Capacities via IBN-Net"
_CA = "Coordinate Attention for Efficient Mobile Network Design"
_OCT = "Drop an Octave: Reducing Spatial Redundancy in Convolutional Neural Networks with Octave Convolution"
_DCN1 = "Deformable Convolutional Networks"
_DCN2 = "Deformable ConvNets v2: More Deformable, Better Results"

_BASELINE_NOTE = ("the paper's ResNet-50 baseline is 3.86 GFLOPs (stride in the 1x1 conv); ours puts the stride "
                  "in the 3x3 conv like torchvision and the official code (4.09 GMACs), hence ~+6% MACs")

_SPECS = [
    ModelSpec(
        name="cbam_resnet50", family="cbam", source="cnnbench", builder=f"{_NET}:cbam_resnet50",
        paper=_CBAM, year=2018, paper_params=28_090_000, paper_macs=3_864_000_000,
        paper_table="CBAM (ECCV 2018), ImageNet-1K results table: ResNet50 + CBAM, 28.09M params, 3.864 GFLOPs",
        paper_tolerance=0.07, note="params match (28.09M); " + _BASELINE_NOTE,
    ),
    ModelSpec(
        name="bam_resnet50", family="bam", source="cnnbench", builder=f"{_NET}:bam_resnet50",
        paper=_BAM, year=2018, paper_params=25_920_000, paper_macs=3_940_000_000,
        paper_table="BAM (BMVC 2018), ImageNet-1K results table: ResNet50 + BAM, 25.92M params, 3.94 GFLOPs",
        paper_tolerance=0.07,
        note="BAM after conv2_x/conv3_x/conv4_x adds 0.36M params and 0.08 GMACs; " + _BASELINE_NOTE,
    ),
    ModelSpec(
        name="sge_resnet50", family="sge", source="cnnbench", builder=f"{_NET}:sge_resnet50",
        paper=_SGE, year=2019, paper_params=25_560_000, paper_macs=4_130_000_000,
        paper_table="SGE (arXiv 1905.09646, 2019), ImageNet table: SGE-ResNet50, 25.56M params, 4.13 GFLOPs",
        note="SGE adds 2 params per group (64 groups x 16 blocks = 2,048) and no MACs; the paper's 4.13 G "
             "counts some elementwise work we do not (ours 4.09 GMACs)",
    ),
    ModelSpec(
        name="resnet50_ibn_a", family="ibn", source="cnnbench", builder=f"{_NET}:resnet50_ibn_a",
        paper=_IBN, year=2018, aliases=("resnet50_ibn",), paper_params=25_550_000,
        paper_table="IBN-Net (ECCV 2018): ResNet-50-IBN-a keeps ResNet-50's parameter count (~25.55M)",
        note="half of bn1's channels use InstanceNorm in conv2_x-conv4_x; IN and BN both have 2 affine params "
             "per channel, so params equal ResNet-50's 25,557,032",
    ),
    ModelSpec(
        name="mobilenetv2_ca", family="coordattention", source="cnnbench",
        builder="cnnbench_models.mobilenetv2_ca:mobilenetv2_ca", paper=_CA, year=2021, aliases=("mbv2_ca",),
        paper_params=3_950_000, paper_macs=310_000_000,
        paper_table="Coordinate Attention (CVPR 2021), ImageNet comparison on MobileNetV2: +CA 3.95M params, "
                    "310M MAdds",
        note="CA (reduction 32) after the depthwise conv of every t=6 inverted residual, as the official code",
    ),
    ModelSpec(
        name="resnet50_dcnv1", family="dcn", source="cnnbench", builder=f"{_NET}:resnet50_dcn",
        paper=_DCN1, year=2017, builder_kwargs={"version": 1},
        note="3x3 convs of conv3_x-conv5_x deformable (offset convs add 0.58M params). No published ImageNet "
             "count to compare. torchvision::deform_conv2d is counted as the conv it replaces (cnnbench's "
             "extra formula; offset sampling not counted, as in the DCN papers)",
    ),
    ModelSpec(
        name="resnet50_dcnv2", family="dcn", source="cnnbench", builder=f"{_NET}:resnet50_dcn",
        paper=_DCN2, year=2019, builder_kwargs={"version": 2},
        note="as resnet50_dcnv1 with modulation (offset+mask convs add 0.87M params), the setting of DCNv2's "
             "ImageNet experiment; deform_conv2d counted as in resnet50_dcnv1",
    ),
]

# Drop an Octave, ImageNet ResNet-50 ablation over the low-frequency ratio α (GFLOPs per α; params 25.6M)
for _alpha, _gflops in ((0.125, 3.6), (0.25, 3.1), (0.5, 2.4), (0.75, 1.9)):
    _SPECS.append(ModelSpec(
        name=f"oct_resnet50_{_alpha}", family="octconv", source="cnnbench", builder=f"{_NET}:oct_resnet50",
        paper=_OCT, year=2019, builder_kwargs={"alpha": _alpha}, paper_params=25_600_000,
        paper_macs=int(_gflops * _G),
        paper_table=f"Drop an Octave (ICCV 2019), ImageNet ResNet-50 ablation over alpha: alpha={_alpha}, "
                    f"{_gflops} GFLOPs, 25.6M params",
        note="every conv an OctConv; conv5_x returns to alpha=0 in its first block (official code), so params "
             "equal ResNet-50's exactly; the paper's ablation nets are pre-activation ResNets",
    ))

for _spec in _SPECS:
    register(_spec)
