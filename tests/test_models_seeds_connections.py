"""Tests for the networks registered by ``cnnbench_models.catalog_seeds_connections`` (issue 21, part: connections —
ResNet in ResNet, CRU-Net, deeply-fused nets, DAG-CNN, the recursive CNN): published counts on the meta device,
small real forwards, hand-checked pieces."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.catalog_seeds_connections import SPECS

IDS = [s.name for s in SPECS]
BIG = {"dagcnn_vgg16"}  # 139M parameters: no CPU forward (its taps are checked by arithmetic below)
# side of the CPU forward: the CIFAR nets and CaffeNet's fixed fc6 need their own size; CRU-Net pools adaptively
SIDE = {"crunet56": 32, "crunet116": 32}
SLOW_FORWARD = {"rir_18_wide_cifar100", "dfn_mr1_cifar10", "crunet116"}  # > 5 s each on a shared 2-core CPU
FORWARD_SPECS = [pytest.param(s, marks=pytest.mark.slow) if s.name in SLOW_FORWARD else s
                 for s in SPECS if s.name not in BIG]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_table
    if spec.paper_params is None:  # no published count: the note says what was searched and what the test checks
        assert spec.paper_table.startswith("none published") and len(spec.note) > 40


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", FORWARD_SPECS, ids=[n for n in IDS if n not in BIG])
def test_cpu_forward(spec):
    torch.manual_seed(0)
    model = spec.build().eval()
    c, h, _ = spec.input_size
    side = SIDE.get(spec.name, h)
    with torch.no_grad():
        y = model(torch.randn(2, c, side, side))
    assert y.shape == (2, {"rir_18_wide_cifar100": 100, "dagcnn_caffenet": 397}.get(spec.name, 10)
                       if not spec.name.startswith("crunet") else 1000)
    assert torch.isfinite(y).all()


def _params(name: str) -> int:
    with torch.device("meta"):
        return n_params(resolve(name).build())


# ---------------------------------------------------------------- ResNet in ResNet


def test_rir_generalized_layer_params():
    from cnnbench_models.rir import GeneralizedResidualLayer

    # four 3x3 convs with bias 4·(8·8·9 + 8) = 2336, two BNs 2·2·8 = 32
    assert n_params(GeneralizedResidualLayer(8, 8)) == 2336 + 32
    # 8 → 16 at stride 2: 4·(8·16·9 + 16) = 4672, 1x1 projection 8·16 + 16 = 144, BNs 2·2·16 = 64
    assert n_params(GeneralizedResidualLayer(8, 16, 2)) == 4672 + 144 + 64


def test_rir_exact_params_and_head():
    # head: conv 384→100 3x3 (345,600 + 100), BN 200, FC 900→450 (405,450), FC 450→100 (45,100) = 796,450
    assert _params("rir_18_wide_cifar100") == 10_293_634
    from cnnbench_models.rir import rir_18_wide_cifar100

    assert n_params(rir_18_wide_cifar100().head) == 796_450


# ---------------------------------------------------------------- CRU-Net


def test_crunet_exact_params():
    # the counts osmr/imgclsmob's crunetb.py asserts for the converted released models
    assert _params("crunet56") == 26_139_432
    assert _params("crunet116") == 44_321_000


def test_cru_unit_shares_first_two_convs():
    from cnnbench_models.crunet import CRUUnit

    own = CRUUnit(1024, 1024, 1, 640)
    # BN 2·1024 + 1x1 1024·640 = 657,408; depthwise 640·9 = 5,760; BN 1,280 + 1x1 640·640 = 410,880;
    # BN 1,280 + 1x1 640·1024 = 656,640
    assert n_params(own) == 657_408 + 5_760 + 410_880 + 656_640
    shared = CRUUnit(1024, 1024, 1, 640, own.conv1[2], own.conv2)
    pair = torch.nn.ModuleList([own, shared])
    # the second unit adds only its BNs and unshared 1x1 convs: 2·1024 + 410,880 + 656,640
    assert n_params(pair) - n_params(own) == 2_048 + 410_880 + 656_640


# ---------------------------------------------------------------- deeply-fused nets (merge-and-run)


def test_dfn_blocks_and_block_params():
    from cnnbench_models.dfn import MergeRunBlock, blocks_per_group

    # the authors' set_blocks: (110 − 2)//12 = 9, (110 − 38)//8 = 9, (110 − 74)//4 = 9
    assert blocks_per_group(110) == [9, 9, 9]
    assert blocks_per_group(62) == [5, 5, 5] and blocks_per_group(98) == [8, 8, 8]
    # two branches × two convs 16·16·9 = 2,304 + BN 32: 2·2·2,336 = 9,344
    assert n_params(MergeRunBlock(16, 16)) == 9_344
    # 16 → 32: per branch 16·32·9 + 64 + 32·32·9 + 64 = 13,952, shortcut 16·32 + 64 = 576 → 2·14,528 = 29,056
    assert n_params(MergeRunBlock(16, 32)) == 29_056


def test_dfn_merge_and_run_mixes_branches():
    from cnnbench_models.dfn import MergeRunBlock

    block = MergeRunBlock(4, 4).eval()
    for branch in (block.deep1, block.deep2):
        for m in branch.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.zeros_(m.weight)
    x1, x2 = torch.rand(1, 4, 5, 5), torch.rand(1, 4, 5, 5)
    y1, y2 = block((x1, x2))
    # zero convs: both branches are relu((x1 + x2) / 2) (BN of zeros with eval statistics is its bias, 0)
    assert torch.allclose(y1, (x1 + x2) / 2) and torch.allclose(y2, (x1 + x2) / 2)


# ---------------------------------------------------------------- DAG-CNN


def test_dagcnn_tap_params():
    for name, chans in (("dagcnn_caffenet", [96, 256, 384, 384, 256, 4096, 4096]),
                        ("dagcnn_vgg16", [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512,
                                          4096, 4096])):
        with torch.device("meta"):
            model = resolve(name).build()
        # one FC per tap: Σ (C + 1)·397; CaffeNet (9,568 + 7)·397 = 3,801,275; VGG-16 (12,416 + 15)·397 = 4,935,107
        assert n_params(model.taps) == (sum(chans) + len(chans)) * 397
        assert n_params(model.taps) == {"dagcnn_caffenet": 3_801_275, "dagcnn_vgg16": 4_935_107}[name]
    # chains without their 1000-way fc8: CaffeNet 60,965,224 − 4,097,000; VGG-16 138,357,544 − 4,097,000
    assert _params("dagcnn_caffenet") == 56_868_224 + 3_801_275
    assert _params("dagcnn_vgg16") == 134_260_544 + 4_935_107


def test_dagcnn_sums_tap_scores():
    from cnnbench_models.dagcnn import dagcnn_caffenet

    model = dagcnn_caffenet(num_classes=5).eval()
    for tap in model.taps[:-1]:  # silence all taps but the last: the output is the fc7 tap alone
        torch.nn.init.zeros_(tap.weight)
        torch.nn.init.zeros_(tap.bias)
    x = torch.randn(1, 3, 227, 227)
    with torch.no_grad():
        feats = x
        for stage in model.stages:
            feats = stage(feats)
        expected = model.taps[-1](torch.nn.functional.normalize(feats, dim=1))
        assert torch.allclose(model(x), expected, atol=1e-6)


# ---------------------------------------------------------------- recursive CNN


def test_recursive_params_formula():
    from cnnbench_models.recursive_cnn import RecursiveConvNet

    # tied: input (3·64 + 1)·32 = 6,176, one bank (9·32 + 1)·32 = 9,248, softmax 32·4·4·10 + 10 = 5,130
    assert _params("recursive_cnn_cifar10_m32_l4_tied") == 6_176 + 9_248 + 5_130
    # untied: three more banks, 3·9,248 = 27,744
    assert _params("recursive_cnn_cifar10_m32_l4_untied") == 20_554 + 27_744
    # tying: parameters do not grow with depth, MACs do — each extra layer is 16·16·32·32·9 = 2,359,296 MACs
    with torch.device("meta"):
        l4, l8 = RecursiveConvNet(32, 4), RecursiveConvNet(32, 8)
    assert n_params(l4) == n_params(l8)
    assert analyze(l8, (1, 3, 32, 32)).macs - analyze(l4, (1, 3, 32, 32)).macs == 4 * 2_359_296
