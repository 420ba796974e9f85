"""Tests for the networks registered by ``cnnbench_models.catalog_seeds_legacy`` (issue 21, part: legacy):
published counts on the meta device, small real forwards, hand-checked pieces, and the ``internimage-sizes``
reproduction."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, cpu_forward, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.catalog_seeds_legacy import SPECS
from cnnbench_models.internimage import DCNv3, InternImage, InternImageLayer

IDS = [s.name for s in SPECS]
# no CPU forward for these (hundreds of MB to GBs of weights); their building blocks run below on small widths
BIG = {"internimage_s", "internimage_b", "internimage_l", "internimage_xl", "internimage_h", "polynet"}
SLOW_TRACE = {"polynet"}  # ~10 s to trace on meta
COUNT_SPECS = [pytest.param(s, marks=pytest.mark.slow) if s.name in SLOW_TRACE else s for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_params is not None and spec.paper_table


@pytest.mark.parametrize("spec", COUNT_SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name not in BIG], ids=[n for n in IDS if n not in BIG])
def test_cpu_forward(spec):
    _, y = cpu_forward(spec)
    assert y.shape[0] == 2 and y.ndim == 2
    assert torch.isfinite(y).all()


# ---------------------------------------------------------------- InternImage S/B/L/XL/H


def test_internimage_exact_params():
    # static counts of the six configurations (T from catalog_modern), one fixed number each
    expected = {"internimage_t": 29_918_424, "internimage_s": 50_079_880, "internimage_b": 97_461_832,
                "internimage_l": 223_334_810, "internimage_xl": 334_819_780, "internimage_h": 1_089_636_760}
    for name, n in expected.items():
        with torch.device("meta"):
            model = resolve(name).build()
        assert n_params(model) == n, name


def test_internimage_layer_options_params():
    c, g = 16, 2
    plain = n_params(InternImageLayer(c, g))
    # layer scale adds γ1, γ2 (2·C); residual post-norm adds two LNs (2·2·C)
    assert n_params(InternImageLayer(c, g, post_norm=True, layer_scale=1e-5)) - plain == 2 * c
    assert n_params(InternImageLayer(c, g, res_post_norm=True)) - plain == 4 * c
    # centre gate: Linear(C, G) = C·G + G = 16·2 + 2 = 34; 5x5 depthwise offset branch: (25 - 9)·C = 256
    assert n_params(DCNv3(c, g, center_feature_scale=True)) - n_params(DCNv3(c, g)) == 34
    assert n_params(DCNv3(c, g, dw_kernel=5)) - n_params(DCNv3(c, g)) == 16 * c


def test_internimage_small_h_style_forward():
    # every H option on a tiny net: 5x5 offset branch, residual post-norm, centre gate, stage-3 extra LNs,
    # attention-pooling head (stage-3 tokens at stride 16 + pixel-shuffled stage-4)
    torch.manual_seed(0)
    net = InternImage(16, (1, 1, 3, 1), (2, 2, 4, 8), num_classes=7, dw_kernel=5, res_post_norm=True,
                      center_feature_scale=True, level2_post_norm_ids=(0, 2), clip_head=True).eval()
    assert sum(isinstance(m, torch.nn.LayerNorm) for m in net.levels[2].children()) == 2 + 1  # two extra + stage end
    with torch.no_grad():
        y = net(torch.randn(2, 3, 64, 64))
    assert y.shape == (2, 7) and torch.isfinite(y).all()
    post = InternImage(16, (1, 1, 1, 1), (2, 2, 4, 8), num_classes=5, post_norm=True, layer_scale=1e-5).eval()
    # post-norm without the centre gate drops the stage-end LN: levels 0-2 end with the down-sampler
    assert not isinstance(post.levels[3][-1], torch.nn.LayerNorm)
    with torch.no_grad():
        assert post(torch.randn(1, 3, 64, 64)).shape == (1, 5)


def test_internimage_core_macs_estimate():
    from cnnbench.reproduce.internimage_sizes import dcnv3_core_macs

    # T at 224: 45 · (4·64·56² + 4·128·28² + 18·256·14² + 4·512·7²) = 45 · 2,207,744 = 99,348,480
    assert dcnv3_core_macs(224, 64, (4, 4, 18, 4)) == 99_348_480


@pytest.mark.slow
def test_internimage_sizes_reproduction(tmp_path):
    from cnnbench.reproduce.base import RunOptions, write_outputs
    from cnnbench.reproduce.internimage_sizes import run

    res = run(RunOptions(latency=False))
    df = res.sections[0].df.set_index("registry")
    assert list(df.index) == ["internimage_t", "internimage_s", "internimage_b", "internimage_l",
                              "internimage_xl", "internimage_h"]
    # 29,918,424 vs 30M: -0.27%; 1,089,636,760 vs 1.08B: +0.89% (outside the 10M rounding)
    assert df.loc["internimage_t", "params Δ %"] == pytest.approx(-0.272, abs=1e-3)
    assert df.loc["internimage_h", "params Δ %"] == pytest.approx(0.892, abs=1e-3)
    assert df["within rounding"].tolist() == [True] * 5 + [False]
    assert df["GMACs Δ %"].abs().max() < 5
    assert res.verdicts[0].startswith("Holds within 1%") and "not H" in res.verdicts[0]
    names = {p.name for p in write_outputs(res, tmp_path)}
    assert {"internimage-sizes.md", "internimage-sizes.csv", "internimage-sizes_params.png"} <= names


# ---------------------------------------------------------------- Highway networks


def test_highway_layer_params_macs_and_gate():
    from cnnbench_models.highway import HighwayConv

    layer = HighwayConv(8)
    # two 3x3 convs with bias: 2 · (8·8·9 + 8) = 2 · 584 = 1168
    assert n_params(layer) == 1168
    with torch.device("meta"):
        meta_layer = HighwayConv(8)
    # MACs at 16x16: 2 · 8·8·9 · 256 = 294,912 (the gate's products are element-wise, not MACs)
    assert analyze(meta_layer, (1, 8, 16, 16)).macs == 294_912
    # with H and T weights zero, T = σ(−2) and H = relu(bias) = 0: y = x·(1 − σ(−2))
    torch.nn.init.zeros_(layer.h.weight)
    torch.nn.init.zeros_(layer.t.weight)
    torch.nn.init.zeros_(layer.h.bias)
    x = torch.rand(1, 8, 4, 4)
    assert torch.allclose(layer(x), x * (1 - torch.sigmoid(torch.tensor(-2.0))))


def test_highway_cifar_layer_count():
    from cnnbench_models.highway import HighwayCifar, HighwayConv

    net = HighwayCifar()
    plain = [m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    highway = [m for m in net if isinstance(m, HighwayConv)]
    assert len(plain) + len(highway) == 19  # 3 convs + 1x1 conv + FC, and 4 + 5 + 5 highway layers
    # 896 + 4·18,496 + 23,120 + 5·115,360 + 92,288 + 5·295,168 + 12,900 + 1,010 = 2,256,838
    assert n_params(net) == 2_256_838


# ---------------------------------------------------------------- PolyNet


def test_polynet_poly3_shares_convs_not_bns():
    from cnnbench_models.polynet import InceptionBody, PolyInception

    body = n_params(InceptionBody("B"))
    convs = 1152 * 128 + 128 * 160 * 7 + 160 * 192 * 7 + 1152 * 192  # the shared branch convs = 727,040
    bns = 2 * (128 + 160 + 192 + 192)  # their BNs (γ, β) = 1,344
    assert body == convs + bns + 384 * 1152 + 2 * 1152  # + projection conv + BN = 1,171,008
    # poly-3: the branch convs once, BNs and projections three times; 2-way: two full bodies
    assert n_params(PolyInception("B", 1.0, order=3)) == convs + 3 * (body - convs)
    assert n_params(PolyInception("B", 1.0, ways=2)) == 2 * body


def test_polynet_modules_and_scales():
    from cnnbench_models.polynet import PolyInception, PolyNet

    with torch.device("meta"):
        net = PolyNet()
    mods = [m for m in net.modules() if isinstance(m, PolyInception)]
    assert [len(net.stage_a), len(net.stage_b), len(net.stage_c)] == [10, 20, 10]
    # 40 modules, scales 1 - 0.3·i/39: 1.0, 0.992308, ..., 0.7
    assert mods[0].scale == 1.0 and mods[1].scale == pytest.approx(0.992308, abs=1e-6)
    assert mods[-1].scale == pytest.approx(0.7)
    assert n_params(net) == 95_366_600


def test_polynet_small_forward():
    from cnnbench_models.polynet import PolyNet

    torch.manual_seed(0)
    net = PolyNet(num_classes=4, modules=(1, 2, 2)).eval()  # every module kind; 139 → 15 → 7 → 3x3 maps
    with torch.no_grad():
        y = net(torch.randn(1, 3, 139, 139))
    assert y.shape == (1, 4) and torch.isfinite(y).all()


# ---------------------------------------------------------------- GUNN


def test_gunn_layer_params_and_order():
    from cnnbench_models.gunn import GunnLayer

    layer = GunnLayer(8, 4, shortcut=True)  # o = 2 channels per segment
    # per segment: 1x1 8→4 (32) + BN 8, 3x3 4→4 (144) + BN 8, 1x1 4→2 (8) + BN 4, shortcut 1x1 8→2 (16) + BN 4 = 224
    assert n_params(layer) == 4 * 224
    assert n_params(GunnLayer(8, 4, shortcut=False)) == 4 * (224 - 20)
    # gradual update: segment i sees segments < i already updated. Zero every last BN and shortcut BN except the
    # first segment's bias: segment 0 gains +1, later segments are untouched (their update = 0 + 0).
    layer.eval()
    for upd, sc in zip(layer.updates, layer.shortcuts):
        for bn in (upd[-1], sc[-1]):
            torch.nn.init.zeros_(bn.weight)
            torch.nn.init.zeros_(bn.bias)
    torch.nn.init.ones_(layer.updates[0][-1].bias)
    x = torch.randn(1, 8, 5, 5)
    y = layer(x)
    assert torch.allclose(y[:, :2], x[:, :2] + 1) and torch.allclose(y[:, 2:], x[:, 2:])


def test_gunn_update_depends_on_updated_segments():
    from cnnbench_models.gunn import GunnLayer

    torch.manual_seed(0)
    layer = GunnLayer(4, 2, shortcut=False).eval()
    x = torch.randn(1, 4, 3, 3)
    y = layer(x)
    # recompute segment 1 from the updated segment 0 by hand
    seg0 = x[:, :2] + layer.updates[0](x)
    seg1 = x[:, 2:] + layer.updates[1](torch.cat([seg0, x[:, 2:]], 1))
    assert torch.allclose(y, torch.cat([seg0, seg1], 1), atol=1e-6)


# ---------------------------------------------------------------- Mixed Link Networks


def test_mixlink_layer_inner_adds_outer_appends():
    from cnnbench_models.mixlink import MixLayer

    layer = MixLayer(6, k1=2, k2=3)
    # two bottlenecks: BN(6) + 1x1 6→4k + BN(4k) + 3x3 4k→k; k=2: 12+48+16+144 = 220; k=3: 12+72+24+324 = 432
    assert n_params(layer) == 220 + 432
    layer.eval()
    x = torch.randn(1, 6, 4, 4)
    y = layer(x)
    assert y.shape == (1, 9, 4, 4)  # 6 + k2
    assert torch.equal(y[:, :4], x[:, :4])  # the first C − k1 channels pass untouched
    assert torch.allclose(y[:, 4:6], x[:, 4:6] + layer.inner(x))  # the last k1 get the inner link added
    assert torch.allclose(y[:, 6:], layer.outer(x))  # k2 new channels


def test_mixlink_cifar_other_widths():
    from cnnbench_models.mixlink import mixlink_cifar

    # the paper's bigger CIFAR nets: MixNet-250 (k = 24) 29.0M and MixNet-190 (k = 40) 48.5M
    with torch.device("meta"):
        assert n_params(mixlink_cifar(250, 24, 24)) == 28_964_122
        assert n_params(mixlink_cifar(190, 40, 40)) == 48_537_770
    with pytest.raises(ValueError):
        mixlink_cifar(101)


# ---------------------------------------------------------------- ChannelNets


def test_channelwise_conv_params_macs_and_values():
    from cnnbench_models.channelnet import ChannelWiseConv

    cw = ChannelWiseConv(kernel=8, stride=2)
    assert n_params(cw) == 8  # one 1-D kernel along the channels, shared by every position
    with torch.device("meta"):
        meta_cw = ChannelWiseConv(8, 2)
    # 16 → 8 channels at 5x5: 8 · 5·5 outputs · 8 taps = 1,600 MACs
    assert analyze(meta_cw, (1, 16, 5, 5)).macs == 1600
    # an all-ones kernel sums 8 consecutive channels (TF SAME: 3 zero channels before, 3 after)
    torch.nn.init.ones_(cw.conv.weight)
    x = torch.arange(16.0).reshape(1, 16, 1, 1)
    y = cw(x).flatten()
    assert y[0] == 0 + 1 + 2 + 3 + 4 and y[1] == 21  # 0+…+6; windows -3..4 and -1..6; negatives are zero pads


def test_channelnet_gcwm_params():
    from cnnbench_models.channelnet import GCWM

    # G = 2 paths: 8-tap channel-wise conv + 6 × (dw 256·9 + pw 256·256 + BN 512) = 8 + 6·68,352 = 410,120
    assert n_params(GCWM(512, 2, 6)) == 2 * 410_120
