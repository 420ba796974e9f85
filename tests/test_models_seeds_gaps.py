"""Tests for the networks of ``cnnbench_models.catalog_seeds_gaps`` (issue 21, part gaps): published counts on the
meta device, the roadmap's endpoints against torchvision, hand-checked pieces, and the ``convnext-roadmap``
reproduction."""

from __future__ import annotations

import itertools

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.catalog_seeds_gaps import ROADMAP, SPECS
from cnnbench_models.convnext_roadmap import STEPS, RoadmapBlock, config

IDS = [s.name for s in SPECS]


def _meta_counts(build) -> tuple[int, int]:
    with torch.device("meta"):
        m = build()
    prof = analyze(m, (1, 3, 224, 224))
    return prof.params, prof.macs


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_table
    assert spec.paper_params is not None or spec.paper_macs is not None or "no " in spec.note


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


# ---------------------------------------------------------------- ConvNeXt roadmap


def test_roadmap_covers_every_step():
    assert [s for s, *_ in ROADMAP] == list(STEPS)
    assert [g for _, g, _ in ROADMAP] == [4.1, 4.5, 4.4, 2.4, 5.3, 4.6, 4.1, 4.2, 4.2, 4.5]
    # every step changes exactly one field of the step before (micro design counts as one)
    fields = ("depths", "stem", "width", "depthwise", "block", "kernel", "micro")
    for prev, cur in itertools.pairwise(STEPS[:-1]):
        a, b = config(prev), config(cur)
        assert sum(getattr(a, f) != getattr(b, f) for f in fields) == 1, (prev, cur)


def test_roadmap_endpoints_equal_torchvision():
    from torchvision.models import convnext_tiny, resnet50

    # ResNet-50: 25,557,032 params, 4,089,184,256 MACs (torchvision's 4.09 GFLOPs)
    assert _meta_counts(resolve("convnext_roadmap_resnet50").build) == _meta_counts(resnet50) \
        == (25_557_032, 4_089_184_256)
    assert _meta_counts(resolve("convnext_roadmap_convnext_t").build) == _meta_counts(convnext_tiny)


def test_roadmap_inverted_block_macs_by_hand():
    # stage 1 inverted bottleneck, d=96 at 56x56: 1x1 96→384, dw 3x3 on 384, 1x1 384→96
    # (96*384 + 384*9 + 384*96) * 56*56 = 77,184 * 3,136 = 242,049,024
    with torch.device("meta"):
        block = RoadmapBlock(config("inverted"), 96, 96, 96, 1)
    assert analyze(block, (1, 96, 56, 56)).macs == 242_049_024
    # moved up: dw 3x3 on 96 instead of 384 → (96*9 + 2*96*384) * 3136 = 74,592 * 3136 = 233,920,512
    with torch.device("meta"):
        block = RoadmapBlock(config("move_up"), 96, 96, 96, 1)
    assert analyze(block, (1, 96, 56, 56)).macs == 233_920_512


def test_roadmap_forward_small_input():
    model = resolve("convnext_roadmap_kernel7").build().eval()
    with torch.no_grad():
        y = model(torch.randn(1, 3, 64, 64))
    assert y.shape == (1, 1000) and torch.isfinite(y).all()


@pytest.mark.slow
def test_convnext_roadmap_reproduction(tmp_path):
    from cnnbench.reproduce.base import RunOptions, write_outputs
    from cnnbench.reproduce.convnext_roadmap import run

    res = run(RunOptions(latency=False))
    df = res.sections[0].df
    assert list(df["step"]) == list(STEPS)
    assert all(v.startswith("reproduces") for v in df["verdict"])
    ours = dict(zip(df["step"], df["ours GMACs (conv+linear)"]))
    assert ours["resnet50"] == pytest.approx(4.089184256)
    assert ours["width96"] == pytest.approx(5.26797696)  # the notes' "FLOPs 5.3G"
    names = {p.name for p in write_outputs(res, tmp_path)}
    assert names == {"convnext-roadmap.md", "convnext-roadmap.csv", "convnext-roadmap_steps.png"}


# ---------------------------------------------------------------- Inception-ResNet-v1, IBN-b


def test_inception_resnet_v1_block_a_by_hand():
    from cnnbench_models.inception_resnet_v1 import block_a

    block = block_a()
    # conv weights: 1x1 256→32 (8192) | 8192 + 3x3 32→32 (9216) | 8192 + 2*9216 | linear 1x1 96→256 (24576)
    #   = 8192 + 17408 + 26624 + 24576 = 76,800; BN 2*32 on each of 6 convs = 384; up bias 256
    assert n_params(block) == 76_800 + 384 + 256
    with torch.device("meta"):
        block = block_a()
    assert analyze(block, (1, 256, 35, 35)).macs == 76_800 * 35 * 35  # 94,080,000


def test_inception_resnet_v1_grid_sizes():
    from cnnbench_models.inception_resnet_v1 import InceptionResNetV1

    with torch.device("meta"):
        net = InceptionResNetV1()
    shapes = []
    for i in (0, 5, 6, 16, 17):  # stem, last A, reduction-A, last B, reduction-B
        net.features[i].register_forward_hook(lambda m, a, o: shapes.append(tuple(o.shape[1:])))
    net(torch.empty(1, 3, 299, 299, device="meta"))
    assert shapes == [(256, 35, 35), (256, 35, 35), (896, 17, 17), (896, 17, 17), (1792, 8, 8)]
    assert sum(type(m).__name__ == "_Residual" for m in net.features) == 5 + 10 + 5


def test_ibn_b_instance_norm_placement():
    from torchvision.models import resnet50

    from cnnbench_models.ibn_b import resnet50_ibn_b

    net = resnet50_ibn_b()
    ins = [n for n, m in net.named_modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert ins == ["bn1", "layer1.2.IN", "layer2.3.IN"]
    # two affine INs after the additions: 2 * (256 + 512) = 1,536 params over ResNet-50's 25,557,032
    assert n_params(net) - n_params(resnet50()) == 1_536
    x = torch.randn(2, 3, 64, 64)
    assert net.eval()(x).shape == (2, 1000)


# ---------------------------------------------------------------- CSPDenseNet, SqueezeNext 2.0-23v5


def test_cspdensenet_stage_by_hand():
    from cnnbench_models.cspdensenet import CSPDenseStage

    stage = CSPDenseStage(64, 6)  # 32 channels bypass, 32 enter a 6-layer dense block (growth 32)
    # dense layer i reads 32+32i channels: BN 2(32+32i) + 1x1 (32+32i)*128 + BN 256 + 3x3 128*32*9 (36,864);
    # sum of inputs 32*(1+...+6) = 672 → 1,344 + 86,016 + 6*256 + 6*36,864 = 310,080
    # partial transition on 32+6*32 = 224 channels: BN 448 + 1x1 224→112 (25,088) = 25,536
    assert n_params(stage) == 310_080 + 25_536
    assert stage.out_channels == 32 + 112 and stage.dense_width == 64 + 6 * 32
    y = stage(torch.randn(1, 64, 8, 8))
    assert y.shape == (1, 144, 8, 8)


def test_cspdensenet_keeps_densenet201_widths():
    from cnnbench_models.cspdensenet import cspdensenet201

    net = cspdensenet201()
    convs = [m for m in net.features if isinstance(m, torch.nn.Sequential)]  # the four transitions
    assert [t[-1].out_channels for t in convs] == [128, 256, 896, 1920]
    assert net.classifier.in_features == 1920


def test_sqnxt23v5_x2_params_are_the_released_models_less_conv_biases():
    net = resolve("sqnxt23v5_x2_0").build()
    biases = sum(m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d))
    # imgclsmob's port of the authors' Caffe model: 3,366,344 params, every conv with a bias
    assert n_params(net) + biases == 3_366_344
    assert biases == 14_368
