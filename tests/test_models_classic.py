"""Tests for the networks registered by ``cnnbench_models.catalog_classic`` (LeNet-5, NIN, ZFNet, BN-Inception,
ShuffleNet V1, MobileNet V1, compact Xception, IGCV3, MobileFaceNet, MobileNeXt, SqueezeNext): published counts,
real CPU forwards, and hand-checked pieces."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.bn_inception import bn_inception
from cnnbench_models.catalog_classic import SPECS
from cnnbench_models.lenet import lenet5
from cnnbench_models.mobilenet_v1 import _dw_separable
from cnnbench_models.shufflenet_v1 import ShuffleNetV1, ShuffleUnit
from cnnbench_models.squeezenext import SqueezeNext
from cnnbench_models.xception_small import TABLE8_WIDTHS, xception_small

IDS = [s.name for s in SPECS]
FAMILIES = {"lenet", "nin", "zfnet", "inception", "shufflenet", "mobilenet", "xception", "igcv", "mobilefacenet",
            "mobilenext", "squeezenext"}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These forwards are tiny: extra intra-op threads only spin (and triple CPU time on a loaded machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _macs(m: torch.nn.Module, shape: tuple[int, ...]) -> int:
    return analyze(m, shape).macs


def test_catalogue_covers_the_brief():
    names = set(IDS)
    assert {f"shufflenet_v1_g{g}_x1_0" for g in (1, 2, 3, 4, 8)} <= names
    assert {f"shufflenet_v1_g3_x{w}" for w in ("0_25", "0_5", "1_0", "1_5", "2_0")} <= names
    assert {f"mobilenet_v1_x{w}" for w in ("0_25", "0_5", "0_75", "1_0")} <= names
    assert len([n for n in names if n.startswith("xception_small")]) == 4
    assert {s.family for s in SPECS} == FAMILIES


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.family in FAMILIES
    if spec.paper_params is None and spec.paper_macs is None:  # no published count to check against: say so
        assert spec.note


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert assert_counts_match_paper(spec).macs > 0


def _expected_outputs(name: str) -> int:
    return {"lenet5": 10, "nin_cifar10": 10, "mobilefacenet": 128}.get(name, 1000)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_cpu_forward_small_input(spec):
    torch.manual_seed(0)
    model = spec.build().eval()
    c, h, _ = spec.input_size
    # LeNet's FC and MobileFaceNet's 7x7 GDConv fix their input size; the rest pool adaptively, so 64 px is enough
    size = h if h <= 112 else 64
    with torch.no_grad():
        y = model(torch.randn(1, c, size, size))
    assert y.shape == (1, _expected_outputs(spec.name)) == (1, model.num_classes)
    assert torch.isfinite(y).all()


# ---------------------------------------------------------------- hand-checked pieces


def test_lenet5_counts_by_hand():
    with torch.device("meta"):
        model = lenet5()
    # (5*5*1+1)*6 + (5*5*6+1)*16 + (400+1)*120 + (120+1)*84 + (84+1)*10
    #  = 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706
    assert n_params(model) == 61_706
    # C1 28*28*6*25 + C3 10*10*16*150 + 400*120 + 120*84 + 84*10
    #  = 117,600 + 240,000 + 48,000 + 10,080 + 840 = 416,520
    assert _macs(model, (1, 1, 32, 32)) == 416_520


def test_shufflenet_unit_matches_paper_formula():
    # Sec. 3.2: a stride-1 unit costs hw(2cm/g + 9m) with c channels, bottleneck m, g groups.
    # c=240, m=60, g=3 at 14x14: 196 * (2*240*60/3 + 9*60) = 196 * (9,600 + 540) = 1,987,440
    with torch.device("meta"):
        unit = ShuffleUnit(240, 240, groups=3, stride=1)
    assert _macs(unit, (1, 240, 14, 14)) == 1_987_440
    # stride 2 concatenates the pooled input: 240 in → 240 pooled + 240 branch = 480 out
    unit = ShuffleUnit(240, 480, groups=3, stride=2)
    assert unit(torch.randn(1, 240, 14, 14)).shape == (1, 480, 7, 7)


def test_shufflenet_widths_follow_table1():
    model = ShuffleNetV1(groups=8)
    last_units = [model.stages[i] for i in (3, 11, 15)]  # last unit of each stage
    assert [u.conv2[0].out_channels for u in last_units] == [384, 768, 1536]
    with pytest.raises(ValueError):
        ShuffleNetV1(groups=5)


def test_mobilenet_depthwise_separable_cost():
    # Sec. 3.1: D_K*D_K*M*D_F*D_F + M*N*D_F*D_F; M=32, N=64, D_F=112, D_K=3:
    # 9*32*12,544 + 32*64*12,544 = 3,612,672 + 25,690,112 = 29,302,784
    with torch.device("meta"):
        layer = _dw_separable(32, 64, 1)
    assert _macs(layer, (1, 32, 112, 112)) == 29_302_784


def test_mobilenet_v1_matches_timm_oracle():
    timm = pytest.importorskip("timm")
    with torch.device("meta"):
        ours, theirs = resolve("mobilenet_v1_x1_0").build(), timm.create_model("mobilenetv1_100")
    a, b = analyze(ours, (1, 3, 224, 224)), analyze(theirs, (1, 3, 224, 224))
    assert (a.params, a.macs) == (b.params, b.macs) == (4_231_976, 568_740_352)


@pytest.mark.parametrize(("name", "params"), [
    ("igcv3_d_x1_0", 3_491_688),  # osmr/imgclsmob igcv3_w1 (a port of the authors' model)
    ("shufflenet_v1_g3_x0_5", 718_324),  # osmr/imgclsmob shufflenet_g3_wd2
])
def test_params_match_third_party_ports(name, params):
    with torch.device("meta"):
        assert n_params(resolve(name).build()) == params


def test_xception_small_widths_and_shapes():
    for width, stage2 in TABLE8_WIDTHS.items():
        last_unit_of_stage2 = xception_small(width=width).stages[3]
        assert last_unit_of_stage2.branch[-1][1][0].out_channels == stage2  # last 1x1 of the residual branch
    model = xception_small(width=0.5, num_classes=7).eval()
    assert model(torch.randn(1, 3, 64, 64)).shape == (1, 7)


def test_bn_inception_module_widths_and_separable_stem():
    model = bn_inception()
    # Figure 5 columns summed (4c/4d: 160+160+160+128 = 608, although the figure prints 576)
    assert [b.out_channels for b in model.blocks] == [256, 320, 576, 576, 576, 608, 608, 1056, 1024, 1024]
    # plain 7x7 stem conv: 3*64*49 = 9,408 weights; separable (depth multiplier 8): 24*49 + 24*64 = 2,712
    assert n_params(model) - n_params(bn_inception(separable_stem=True)) == 9_408 - 2_712


def test_aliases_resolve():
    assert resolve("1.0-SqNxt-23").name == "sqnxt23_x1_0"
    assert resolve("BN-Inception").name == "bn_inception"
    assert resolve("shufflenet_v1").name == "shufflenet_v1_g3_x1_0"


def test_squeezenext_block_count_and_version_check():
    model = SqueezeNext("23")
    # 21 SqueezeNext blocks + the final 1x1 conv; 1 stem conv + 21 blocks + FC = the "23" of the name
    assert len(model.features) == 22
    with pytest.raises(ValueError):
        SqueezeNext("34")
