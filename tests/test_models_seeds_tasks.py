"""Tests for the networks registered by ``cnnbench_models.catalog_seeds_tasks`` (issue 21, part "tasks": ENet,
PSPNet, ...): published counts where the paper gives them, real forwards, and hand-checked pieces."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.catalog_seeds_tasks import SPECS
from cnnbench_models.enet import Bottleneck, InitialBlock
from cnnbench_models.nasnet_mobile import NASNetAMobile
from cnnbench_models.proxylessnas import MBConv, proxylessnas
from cnnbench_models.pspnet import PyramidPooling, pspnet_resnet50
from cnnbench_models.yolov4_csp_neck import CSPBlock2

IDS = [s.name for s in SPECS]
# networks whose paper publishes no counts: their pieces are checked by hand below
NO_PAPER_COUNTS = {"pspnet_resnet50", "cspdarknet53_csppan"}


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_table
    if spec.name in NO_PAPER_COUNTS:
        assert spec.paper_params is None and "no" in spec.note.lower()
    else:
        assert spec.paper_params is not None


# our exact counts (params, MACs) at each spec's input; the paper's figures are in the comments
EXACT = {
    "enet": (358_431, 1_774_252_800),  # Table 3: 0.37M (-3.1%), 3.83 GFLOPs / 2 = 1.915G MACs (-7.4%, see note)
    "pspnet_resnet50": (46_782_550, 161_874_838_720),  # no published counts
    "nasnet_a_mobile": (5_289_978, 563_638_816),  # Table 2: 5.3M, 564M
    "proxylessnas_gpu": (7_119_848, 465_260_160),  # authors' logs: 7.12M, 465.3M
    "proxylessnas_cpu": (4_361_648, 439_243_864),  # 4.36M, 439.2M
    "proxylessnas_mobile": (4_080_512, 320_427_584),  # 4.08M, 320.4M
    "cspdarknet53_csppan": (52_488_032, 39_350_960_128),  # no published counts for the neck alone
}


def test_every_spec_has_exact_counts():
    assert set(EXACT) == set(IDS)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    prof = assert_counts_match_paper(spec)
    assert (prof.params, prof.macs) == EXACT[spec.name]


# ---------------------------------------------------------------- ENet


def test_enet_forward_keeps_the_resolution():
    torch.manual_seed(0)
    model = resolve("enet").build().eval()
    with torch.no_grad():
        y = model(torch.randn(2, 3, 64, 96))
    assert y.shape == (2, 19, 64, 96) and torch.isfinite(y).all()


def test_enet_initial_block_by_hand():
    # conv 3x3, 3 → 13: 13*3*9 = 351; BN(16): 32; PReLU(16): 16 → 399
    assert n_params(InitialBlock()) == 399
    with torch.device("meta"):
        block = InitialBlock()
    # MACs: 13 filters * 27 weights * (8*8 output pixels of a 16x16 input) = 22,464; the max-pool has none
    assert analyze(block, (1, 3, 16, 16)).macs == 22_464


def test_enet_regular_bottleneck_by_hand():
    # C = 64, internal 16: 1x1 64*16 + BN 32 + PReLU 16 = 1072; 3x3 16*16*9 + 32 + 16 = 2352;
    # 1x1 16*64 + BN 128 + PReLU 64 = 1216; the output PReLU 64 → 4704
    assert n_params(Bottleneck(64)) == 4704
    # asymmetric 5: the 3x3 (2304) becomes 5x1 + 1x5 (2 * 16*16*5 = 2560) with one more BN+PReLU (48) → 5008
    assert n_params(Bottleneck(64, asymmetric=5)) == 5008


# ---------------------------------------------------------------- PSPNet


def test_pspnet_pyramid_pooling_by_hand():
    # four branches, each 1x1 2048 → 512 (1,048,576) + BN 1024: 4 * 1,049,600 = 4,198,400
    assert n_params(PyramidPooling(2048)) == 4_198_400
    with torch.device("meta"):
        ppm = PyramidPooling(2048)
    # MACs on a 60x60 map: the convs see 1 + 4 + 9 + 36 = 50 bins: 50 * 2048 * 512 = 52,428,800
    prof = analyze(ppm, (1, 2048, 60, 60))
    assert prof.macs == 52_428_800


def test_pspnet_output_stride_8_and_head():
    with torch.device("meta"):
        model = pspnet_resnet50()
    feats = {}
    model.backbone.layer4.register_forward_hook(lambda mod, i, o: feats.__setitem__("f", o.shape))
    model.eval()(torch.empty(1, 3, 473, 473, device="meta"))
    assert feats["f"] == (1, 2048, 60, 60)  # 473 → 237 → 119 → 60, then dilated
    # head: 3x3 4096 → 512 (18,874,368) + BN 1024 + 1x1 512 → 150 (76,800 + 150) = 18,952,342
    assert n_params(model.head) == 18_952_342


def test_pspnet_forward_small_input():
    torch.manual_seed(0)
    model = pspnet_resnet50(num_classes=5).eval()
    with torch.no_grad():
        y = model(torch.randn(1, 3, 65, 65))
    assert y.shape == (1, 5, 65, 65) and torch.isfinite(y).all()


# ---------------------------------------------------------------- NASNet-A Mobile


@pytest.mark.slow
def test_nasnet_cells_in_the_large_configuration_rebuild_timm_nasnetalarge():
    import timm

    with torch.device("meta"):
        ours = NASNetAMobile(stem_size=96, penultimate=4032, cells=6)
        theirs = timm.create_model("nasnetalarge")
    # the same cells in the 6 @ 4032 layout: every parameter and every MAC of timm's model
    a, b = analyze(ours, (1, 3, 331, 331)), analyze(theirs, (1, 3, 331, 331))
    assert (a.params, a.macs) == (b.params, b.macs) == (88_753_150, 23_783_414_658)


def test_nasnet_mobile_forward():
    torch.manual_seed(0)
    model = resolve("nasnet_a_mobile").build().eval()
    with torch.no_grad():
        y = model(torch.randn(1, 3, 96, 96))
    assert y.shape == (1, 1000) and torch.isfinite(y).all()


# ---------------------------------------------------------------- ProxylessNAS


def test_proxylessnas_mbconv_by_hand():
    block = MBConv(32, 32, kernel=5, stride=1, expansion=3)  # mid = 96
    # 1x1 32*96 = 3072 + BN 192; dw 96*25 = 2400 + BN 192; 1x1 96*32 = 3072 + BN 64 → 8992
    assert n_params(block) == 8992 and block.residual
    with torch.device("meta"):
        block = MBConv(32, 32, kernel=5, stride=1, expansion=3)
    # MACs on 14x14: (3072 + 2400 + 3072) * 196 = 1,674,624
    assert analyze(block, (1, 32, 14, 14)).macs == 1_674_624


def test_proxylessnas_forward_and_bad_version():
    torch.manual_seed(0)
    with torch.no_grad():
        y = proxylessnas(version="gpu").eval()(torch.randn(1, 3, 64, 64))
    assert y.shape == (1, 1000) and torch.isfinite(y).all()
    with pytest.raises(ValueError, match="unknown ProxylessNAS version 'tpu'"):
        proxylessnas(version="tpu")


# ---------------------------------------------------------------- YOLOv4-CSP neck over CSPDarknet53


def test_csp_pan_block_by_hand():
    # reversed CSP dark layer 512 → 256 with 2 bottlenecks:
    # cv1 1x1 512*256 + BN 512 = 131,584; 2 x (1x1 256*256 + 512 + 3x3 256*256*9 + 512) = 1,312,768;
    # cv2 1x1 256*256 = 65,536; BN(512) 1,024; cv3 1x1 512*256 + 512 = 131,584 → 1,642,496
    assert n_params(CSPBlock2(512, 256, n=2)) == 1_642_496
    with torch.device("meta"):
        block = CSPBlock2(512, 256, n=2)
    # MACs on 32x32: (131,072 + 2 * (65,536 + 589,824) + 65,536 + 131,072) * 1024 = 1,638,400 * 1024
    assert analyze(block, (1, 512, 32, 32)).macs == 1_677_721_600


def test_cspdarknet53_csppan_counts_and_outputs():
    with torch.device("meta"):
        model = resolve("cspdarknet53_csppan").build()
    assert n_params(model.backbone) == 26_617_184  # timm's cspdarknet53 without its classifier
    assert n_params(model.neck) == 25_870_848
    outs = model.eval()(torch.empty(1, 3, 512, 512, device="meta"))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 64, 64), (1, 512, 32, 32), (1, 1024, 16, 16)]


# ---------------------------------------------------------------- reproduction: abstract-costs


def test_abstract_costs_alexnet_and_squeezenet_rows():
    from cnnbench.reproduce.abstract_costs import CLAIMS, table

    claims = tuple(c for c in CLAIMS if c.paper.startswith(("AlexNet", "SqueezeNet ")))
    df = table(claims).set_index("quantity")
    # torchvision's AlexNet: 61,100,840 parameters (the abstract: "60 million", +1.8%)
    assert df.loc["params AlexNet (M)", "ours"] == pytest.approx(61.10084)
    # neurons = conv/fc outputs: 64*55*55 + 192*27*27 + 384*13*13 + 2 * 256*13*13 + 4096 + 4096 + 1000
    #         = 193,600 + 139,968 + 64,896 + 86,528 + 9,192 = 494,184 (the abstract as the seed quotes it: 500,000)
    assert df.loc["neurons AlexNet (k)", "ours"] == pytest.approx(494.184)
    # 61,100,840 / 1,248,424 (SqueezeNet v1.0) = 48.94x ("50x fewer parameters")
    assert df.loc["params AlexNet / SqueezeNet v1.0", "ours"] == pytest.approx(48.942, abs=1e-3)
    assert set(df["verdict"]) == {"reproduced"}


def test_abstract_costs_verdicts():
    from cnnbench.reproduce.abstract_costs import CLAIMS, verdict

    by_quantity = {c.quantity: c for c in CLAIMS}
    mixnet = by_quantity["MMACs MixNet-L"]  # "< 600M FLOPS": an upper bound
    assert verdict(mixnet, 555.3) == "holds" and verdict(mixnet, 600.1) == "does not hold"
    dpn = by_quantity["params DPN-98 / ResNeXt-101 (64x4d) − 1"]  # a % change: compared in points (±5)
    assert verdict(dpn, -21.5) == "reproduced" and verdict(dpn, -20.9) == "not reproduced"
    sqnxt = by_quantity["params AlexNet / 1.0-SqNxt-23"]  # a ratio: relative (±5%)
    assert verdict(sqnxt, 107) == "reproduced" and verdict(sqnxt, 85.1) == "not reproduced"


@pytest.mark.slow
def test_abstract_costs_run_and_outputs(tmp_path):
    from cnnbench.reproduce.abstract_costs import CLAIMS, run
    from cnnbench.reproduce.base import RunOptions, write_outputs

    res = run(RunOptions(latency=False))
    df = res.sections[0].df
    assert len(df) == len(CLAIMS) == 16
    verdicts = dict(zip(df["quantity"], df["verdict"], strict=True))
    assert verdicts["MACs ResNet-152 / VGG-19"] == "holds"  # 11.51G / 19.63G = 0.586
    assert verdicts["GMACs Inception-v3"] == "not reproduced"  # 5.71G vs "5 billion"
    assert verdicts["params AlexNet / 1.0-SqNxt-23"] == "not reproduced"  # 85x vs 112x
    assert res.verdicts[0].startswith("12 of 16")
    names = {p.name for p in write_outputs(res, tmp_path)}
    assert names == {"abstract-costs.md", "abstract-costs.csv", "abstract-costs_squeezenext.csv",
                     "abstract-costs_ratio.png"}
