"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: gaps).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds").
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_CONVNEXT = "A ConvNet for the 2020s"

#: ConvNeXt roadmap (Figure 2, ResNet-50/Swin-T regime): step → (published GFLOPs, what the step changes)
ROADMAP = (
    ("resnet50", 4.1, "torchvision's ResNet-50 (built by our roadmap code; identical counts)"),
    ("stage_ratio", 4.5, "blocks per stage (3,4,6,3) → (3,3,9,3)"),
    ("patchify", 4.4, "stem → 4x4 stride-4 conv (no max-pool)"),
    ("depthwise", 2.4, "bottleneck 3x3 → depthwise 3x3 (ResNeXt-ify, width still 64)"),
    ("width96", 5.3, "base width 64 → 96 (Swin-T's C; the 001 notes' 'FLOPs 5.3G')"),
    ("inverted", 4.6, "inverted bottleneck: block width 96·2^i, 1x1 → 4x, dw 3x3, 1x1 back"),
    ("move_up", 4.1, "depthwise conv moved to the front of the block"),
    ("kernel7", 4.2, "depthwise kernel 3x3 → 7x7"),
    ("micro", 4.2, "GELU, one activation and one LayerNorm per block (ResNet-style downsampling kept)"),
    ("convnext_t", 4.5, "separate 2x2/2 downsampling layers + LNs: torchvision's convnext_tiny = ConvNeXt-T"),
)
_ROADMAP_PARAMS = {"resnet50": 25_600_000, "convnext_t": 28_000_000}
_ROADMAP_NOTE = (
    "Figure 2 gives GFLOPs (= MACs) per step but no parameter counts (only the endpoints: ResNet-50 25.6M, "
    "ConvNeXt-T 28M in Table 1). Ours count conv/linear MACs; the authors' fvcore counter also counts norm "
    "layers (~0.01-0.05G here), which is why 'depthwise' is 2.35G vs 2.4 (-2.1%, 2.37G with norms). "
    "Reproduction: cnnbench reproduce convnext-roadmap."
)


SPECS: tuple[ModelSpec, ...] = tuple(
    _spec(f"convnext_roadmap_{step}", "convnext_roadmap", "convnext_roadmap:convnext_roadmap", _CONVNEXT, 2022,
          builder_kwargs={"step": step}, paper_params=_ROADMAP_PARAMS.get(step), paper_macs=round(gflops * 1e9),
          paper_table=f"Figure 2 and appendix (ResNet-50 → ConvNeXt-T roadmap): {what}, {gflops} GFLOPs",
          note=_ROADMAP_NOTE)
    for step, gflops, what in ROADMAP
)

_IRV1 = "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning"
_IBN = "Two at Once: Enhancing Learning and Generalization Capacities via IBN-Net"

SPECS += (
    _spec("inception_resnet_v1", "inception_resnet", "inception_resnet_v1:inception_resnet_v1", _IRV1, 2017,
          input_size=(3, 299, 299),
          paper_table="Figs. 10-15 (stem, Inception-ResNet-A/B/C v1, Reduction-A k=192 l=192 m=256 n=384 "
                      "(Table 1), Reduction-B v1); no count published",
          note="The paper gives no parameter or MAC count for Inception-ResNet-v1 (only 'roughly the "
               "computational cost of Inception-v3'); ours: 22.76M params, 6.21 GMACs at 299x299 (Inception-v3: "
               "23.8M, 5.7G). tests/test_models_seeds_gaps.py checks one A block's arithmetic by hand."),
    _spec("resnet50_ibn_b", "ibn", "ibn_b:resnet50_ibn_b", _IBN, 2018, paper_params=25_550_000,
          paper_table="IBN-Net (ECCV 2018) Fig. 3(b); official XingangPan/IBN-Net README: resnet50_ibn_b 25.55M",
          note="IN replaces the stem's BN and follows the addition of the last block of conv2_x and conv3_x "
               "(official resnet_ibn_b); the two extra affine INs add 2*(256+512) = 1,536 params to ResNet-50's "
               "25,557,032 = 25,558,568 (README rounds to 25.55M). MACs equal ResNet-50's 4.09G (norms uncounted)."),
)

_CSP = "CSPNet: A New Backbone that can Enhance Learning Capability of CNN"
_SQNXT = "SqueezeNext: Hardware-Aware Neural Network Design"

SPECS += (
    _spec("cspdensenet201", "cspnet", "cspdensenet:cspdensenet201", _CSP, 2020, aliases=("cspdensenet",),
          paper_table="Sec. 3.1, Fig. 2(b) (Cross Stage Partial DenseNet); no count published for this variant",
          note="The paper publishes no count for plain CSPDenseNet-201: its ImageNet table lists only "
               "CSPDenseNet-201-Elastic (20.17M params, 7.13 BFLOPs vs DenseNet-201-Elastic 19.48M / 8.77), "
               "whose ELASTIC branches are not built here. Ours (DenseNet-201 widths, partial ratio 0.5, "
               "partial transition halving): 21.28M params, 4.25 GMACs vs torchvision densenet201's 20.01M / "
               "4.29G; tests check one stage's arithmetic by hand."),
    _spec("sqnxt23v5_x2_0", "squeezenext", "squeezenext:squeezenext", _SQNXT, 2018, aliases=("2.0-SqNxt-23v5",),
          builder_kwargs={"version": "23v5", "width": 2.0}, paper_params=3_366_344, paper_macs=897_600_000,
          paper_table="osmr/imgclsmob README (sqnxt23v5_w2, converted from the authors' Caffe model "
                      "amirgholami/SqueezeNext 2.0-SqNxt-23v5)",
          note="Blocks [2,4,14,1] at 2x widths (the existing squeezenext builder). The paper's table was not "
               "available offline; the count is that of the authors' released model as converted by "
               "osmr/imgclsmob (3,366,344 params, 897.6M MACs). Ours 3,351,976 (-0.4%): exactly imgclsmob's "
               "count less its conv biases (Caffe convs carry biases before BN: 14,368 = the summed conv output "
               "channels). Our 879.8M MACs are 2.0% under imgclsmob's 897.6M, whose counter is not ours (gap not "
               "analysed)."),
)

for _s in SPECS:
    register(_s)
