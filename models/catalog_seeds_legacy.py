"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: legacy).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_legacy.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_INTERNIMAGE = "InternImage: Exploring Large-Scale Vision Foundation Models with Deformable Convolutions"

_HIGHWAY = "Training Very Deep Networks"
_POLYNET = "PolyNet: A Pursuit of Structural Diversity in Very Deep Networks"
_MIXLINK = "Mixed Link Networks"
_MIXLINK_NOTE = ("Layer for layer from the authors' PyTorch code (DeepInsight-PCALab/MixNet); named mixlinknet_* to "
                 "keep it apart from timm's MixNet (MixConv). Parameters only are checked; our MACs are conv/linear.")
_CHANNELNETS = ("ChannelNets: Compact and Efficient Convolutional Neural Networks via Channel-Wise "
                "Convolutions")
_GUNN = "Gradually Updated Neural Networks for Large-Scale Image Recognition"
_GUNN_NOTE = ("Layer for layer from the authors' Torch code (joe-siyuan-qiao/GUNN models/); the paper and README give "
              "parameters only, no MACs. Our MACs count every channel-wise update once (C/S outputs each).")

_INTERNIMAGE_SIZES_NOTE = (
    "Configuration from the official classification/configs (OpenGVLab/InternImage). DCNv3 in plain PyTorch "
    "(grid_sample): static MACs cover the convs/linears but not DCNv3's sampling and mask-weighted sum "
    "(~45·C·H·W per block, ~2% of the total), as for internimage_t; params are exact."
)


SPECS: tuple[ModelSpec, ...] = (
    # InternImage-S/B/L/XL/H (T is internimage_t in catalog_modern)
    _spec("internimage_s", "internimage", "internimage:internimage_s", _INTERNIMAGE, 2023,
          paper_params=50_000_000, paper_macs=8_000_000_000, paper_table="Table 1 (ImageNet-1K, 224)",
          note="80 channels, depths 4-4-21-4, groups 5-10-20-40, post-norm with layer scale. "
          + _INTERNIMAGE_SIZES_NOTE),
    _spec("internimage_b", "internimage", "internimage:internimage_b", _INTERNIMAGE, 2023,
          paper_params=97_000_000, paper_macs=16_000_000_000, paper_table="Table 1 (ImageNet-1K, 224)",
          note="112 channels, depths 4-4-21-4, groups 7-14-28-56, post-norm with layer scale. "
          + _INTERNIMAGE_SIZES_NOTE),
    _spec("internimage_l", "internimage", "internimage:internimage_l", _INTERNIMAGE, 2023,
          input_size=(3, 384, 384), paper_params=223_000_000, paper_macs=108_000_000_000,
          paper_table="Table 1 (ImageNet-1K, 384; IN-22K pre-trained)",
          note="160 channels, depths 5-5-22-5, groups 10-20-40-80, offset scale 2. " + _INTERNIMAGE_SIZES_NOTE),
    _spec("internimage_xl", "internimage", "internimage:internimage_xl", _INTERNIMAGE, 2023,
          input_size=(3, 384, 384), paper_params=335_000_000, paper_macs=163_000_000_000,
          paper_table="Table 1 (ImageNet-1K, 384; IN-22K pre-trained)",
          note="192 channels, depths 5-5-24-5, groups 12-24-48-96, offset scale 2. " + _INTERNIMAGE_SIZES_NOTE),
    _spec("internimage_h", "internimage", "internimage:internimage_h", _INTERNIMAGE, 2023,
          input_size=(3, 640, 640), paper_params=1_080_000_000, paper_macs=1_478_000_000_000,
          paper_table="Table 1 (ImageNet-1K, 640; joint pre-trained)",
          note="320 channels, depths 6-6-32-6, groups 10-20-40-80, 5x5 depthwise offset branch, residual "
          "post-norm, centre-feature gate, attention-pooling (CLIP projector, 1024→768) head "
          "(internimage_h_22kto1k_640.yaml). " + _INTERNIMAGE_SIZES_NOTE),
    # Highway networks: the 19-layer CIFAR-10 network (Highway B)
    _spec("highway_cifar10_19", "highway", "highway:highway_cifar10_19", _HIGHWAY, 2015,
          input_size=(3, 32, 32), paper_params=2_300_000,
          paper_table="Table 1 (CIFAR-10, Highway B, 19 layers, '~2.3M' params)",
          note="Layer for layer from the authors' Caffe file (flukeskywalker/highway-networks, "
          "examples/highways/cifar10-19layers): 3 plain convs, 14 highway 3x3 convs (32/80/128 ch), 1x1 conv 100, "
          "8x8 average pool, FC; 2,256,838 params with 10 classes (the file's FC has 100 outputs, +9,090). "
          "The paper gives no MACs."),
    # PolyNet: the very deep PolyNet (ILSVRC 2016), 331x331
    _spec("polynet", "polynet", "polynet:polynet", _POLYNET, 2017, input_size=(3, 331, 331),
          paper_params=92_000_000, paper_macs=34_700_000_000,
          paper_table="Very deep PolyNet as compared in Zoph et al. 2018 (NASNet), Table 2: 92M params, "
          "34.7B mult-adds at 331x331",
          note="10 2-way A, 20 B and 10 C modules (poly-3 and 2-way alternating), residual scales 1 → 0.7, widths of "
          "the released model. MACs match (34.70G). Params 95,366,600 = the released model's count (osmr "
          "imgclsmob asserts the same number): 92.96M conv + 0.36M BN + 2.05M FC, 3.7% above the quoted 92M, "
          "which the comparison table does not derive."),
    # GUNN: CIFAR GUNN-15 and ImageNet GUNN-18
    _spec("gunn15_cifar10", "gunn", "gunn:gunn15_cifar10", _GUNN, 2018, input_size=(3, 32, 32),
          paper_params=1_600_000, paper_table="CIFAR results table (GUNN-15: 1.6M); official README",
          note="Widths 240/300/360 in 20/25/30 segments, projection shortcuts in each update. " + _GUNN_NOTE),
    _spec("gunn18", "gunn", "gunn:gunn18", _GUNN, 2018, paper_params=28_900_000,
          paper_table="ImageNet results table (GUNN-18: 28.9M); official README",
          note="Widths 400/800/1600/2000 in 10/20/40/50 segments, no shortcut convs. " + _GUNN_NOTE),
    # Mixed Link Networks: CIFAR MixNet-100 (k1 = k2 = 12) and the ImageNet MixNet-105/121/141
    _spec("mixlinknet100_cifar10", "mixlinknet", "mixlink:mixlink100_cifar10", _MIXLINK, 2018,
          input_size=(3, 32, 32), paper_params=1_500_000,
          paper_table="CIFAR results table (MixNet-100, k1 = k2 = 12: 1.5M)",
          note="Three blocks of 16 mixed link layers, 3x3 stem to 24 channels. " + _MIXLINK_NOTE),
    _spec("mixlinknet105", "mixlinknet", "mixlink:mixlink105", _MIXLINK, 2018, paper_params=11_160_000,
          paper_table="ImageNet results table (MixNet-105: 11.16M)",
          note="Stem 64, k1 = k2 = 32, blocks 6-12-20-12. " + _MIXLINK_NOTE),
    _spec("mixlinknet121", "mixlinknet", "mixlink:mixlink121", _MIXLINK, 2018, paper_params=21_860_000,
          paper_table="ImageNet results table (MixNet-121: 21.86M)",
          note="Stem 80, k1 = k2 = 40, blocks 6-12-24-16. " + _MIXLINK_NOTE),
    _spec("mixlinknet141", "mixlinknet", "mixlink:mixlink141", _MIXLINK, 2018, paper_params=41_070_000,
          paper_table="ImageNet results table (MixNet-141: 41.07M)",
          note="Stem 96, k1 = k2 = 48, blocks 6-12-30-20. " + _MIXLINK_NOTE),
    # ChannelNet-v1
    _spec("channelnet_v1", "channelnet", "channelnet:channelnet_v1", _CHANNELNETS, 2018,
          paper_params=3_700_000, paper_macs=407_000_000, paper_tolerance=0.16,
          paper_table="ImageNet comparison table (ChannelNet-v1: 3.7M params, 407M FLOPs)",
          note="The authors' TF code (HongyangGao/ChannelNets) with a group channel-wise module of G = 2 groups x 6 "
          "residual DW blocks at 14x14: 3,703,416 params (the repo's default G = 4, B = 5 gives 3.24M). Our MACs are "
          "468M, +15%: the 0.53M params fewer than MobileNet v1 (4.23M) all sit at 14x14 (196 MACs per weight), so "
          "they save ~104M of MobileNet's 569M (→ ~465M); 407M would need 162M saved, which no 14x14-only change of "
          "this size gives. The paper's counting is not stated."),
)

for _s in SPECS:
    register(_s)
