"""Tests for the networks registered by ``cnnbench_models.catalog_seeds_variants`` (issue 21, part: variants) and
the three blocks added with them (block:rrelu, block:tree_pool, block:improved_bilinear_pool): published counts on
the meta device, small real forwards, hand-checked pieces and formulas on tiny inputs."""

from __future__ import annotations

import math

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, cpu_forward, n_params
from torchvision.models import resnet50

from cnnbench.catalog import resolve
from cnnbench_models.blocks.attention import GlobalContext
from cnnbench_models.blocks.pool import ImprovedBilinearPool, TreePool2d
from cnnbench_models.catalog_seeds_variants import SPECS
from cnnbench_models.resnet_cifar import (
    PreActBottleneck,
    PreActResNetCifar,
    WideBasic,
    WideResNetCifar,
    preact_resnet164_cifar10,
)

IDS = [s.name for s in SPECS]
SLOW_TRACE = {"preact_resnet1001_cifar10"}  # ~6 s to trace its 1,001 layers on meta
COUNT_SPECS = [pytest.param(s, marks=pytest.mark.slow) if s.name in SLOW_TRACE else s for s in SPECS]
# CPU forwards: ResNet-1001 runs as its 164-layer sibling below; the 5 GMAC WRNs are slow on a shared CPU
NO_FORWARD = {"preact_resnet1001_cifar10"}
SLOW_FORWARD = {"wrn_28_10_cifar10", "wrn_40_8_cifar10", "wrn_40_4_cifar10", "gc_resnet50"}
FORWARD_SPECS = [pytest.param(s, marks=pytest.mark.slow) if s.name in SLOW_FORWARD else s
                 for s in SPECS if s.name not in NO_FORWARD]
FORWARD_IDS = [s.name for s in SPECS if s.name not in NO_FORWARD]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_params is not None and spec.paper_table
    assert spec.paper_tolerance == 0.05  # no row needs a loosened tolerance
    assert len(spec.note) > 40  # every row says where its layout and figures come from


@pytest.mark.parametrize("spec", COUNT_SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", FORWARD_SPECS, ids=FORWARD_IDS)
def test_cpu_forward(spec):
    _, y = cpu_forward(spec, batch=1)
    assert y.shape == (1, 1000 if spec.name == "gc_resnet50" else 10)
    assert torch.isfinite(y).all()


def test_exact_params_equal_the_released_code_counts():
    # osmr/imgclsmob asserts these for the same nets (preresnet*_cifar10, wrn*_cifar10); the rest are ours
    expected = {"preact_resnet1001_cifar10": 10_327_706, "wrn_16_10_cifar10": 17_116_634,
                "wrn_28_10_cifar10": 36_479_194, "wrn_40_8_cifar10": 35_748_314, "wrn_40_4_cifar10": 8_949_210,
                "wrn_16_8_cifar10": 10_961_370, "gc_resnet50": 28_078_773}
    for name, n in expected.items():
        with torch.device("meta"):
            model = resolve(name).build()
        assert n_params(model) == n, name


def test_preact_resnet164_forward_and_count():
    # the 1001-layer net's 164-layer sibling (n = 18): 1,703,258 params, the count osmr asserts for preresnet164
    torch.manual_seed(0)
    net = preact_resnet164_cifar10().eval()
    assert n_params(net) == 1_703_258
    with torch.no_grad():
        y = net(torch.randn(2, 3, 32, 32))
    assert y.shape == (2, 10) and torch.isfinite(y).all()
    assert sum(isinstance(m, PreActBottleneck) for m in net.modules()) == 3 * 18


def test_preact_bottleneck_params_by_hand():
    # identity unit 256 -> 256 (bottleneck 64): BN 2*256 + 256*64 + BN 2*64 + 64*64*9 + BN 2*64 + 64*256
    # = 512 + 16,384 + 128 + 36,864 + 128 + 16,384 = 70,400
    assert n_params(PreActBottleneck(256, 256)) == 70_400
    # first unit of stage 1, 16 -> 64 (bottleneck 16), with a 1x1 projection from the shared BN-ReLU:
    # 32 + 16*16 + 32 + 16*16*9 + 32 + 16*64 + 16*64 = 32 + 256 + 32 + 2,304 + 32 + 1,024 + 1,024 = 4,704
    assert n_params(PreActBottleneck(16, 64)) == 4_704
    with pytest.raises(ValueError):
        PreActResNetCifar(100)  # not 9n + 2


def test_wide_basic_params_by_hand():
    # WRN-28-10 group 1 block, 160 -> 160: BN 2*160 + 160*160*9 + BN 2*160 + 160*160*9 = 320 + 230,400 + 320
    # + 230,400 = 461,440; its first block 16 -> 160 adds a 1x1 projection: 32 + 16*160*9 + 320 + 230,400
    # + 16*160 = 32 + 23,040 + 320 + 230,400 + 2,560 = 256,352
    assert n_params(WideBasic(160, 160)) == 461_440
    assert n_params(WideBasic(16, 160)) == 256_352
    with pytest.raises(ValueError):
        WideResNetCifar(30, 10)  # not 6n + 4


def test_gc_resnet50_adds_one_gc_block_per_c3_to_c5_bottleneck():
    with torch.device("meta"):
        gc, base = resolve("gc_resnet50").build(), resnet50(weights=None)
    blocks = [m for m in gc.modules() if isinstance(m, GlobalContext)]
    assert len(blocks) == 4 + 6 + 3  # c3, c4, c5 bottlenecks
    # at C = 512 (C/16 = 32): mask 512 + 1, 512*32 + 32, LayerNorm 2*32, 32*512 + 512 = 33,889
    assert n_params(GlobalContext(512)) == 33_889
    # 4 * 33,889 + 6 * 133,313 + 3 * 528,769 = 135,556 + 799,878 + 1,586,307 = 2,521,741
    assert n_params(gc) - n_params(base) == 2_521_741


# ---------------------------------------------------------------- blocks: rrelu, tree_pool, improved_bilinear_pool


def test_rrelu_eval_is_leaky_relu_with_the_mean_slope():
    act = resolve("block:rrelu").build().eval()
    x = torch.tensor([-48.0, 0.0, 3.0])
    # slope (1/8 + 1/3) / 2 = (6 + 16) / 96 = 11/48: -48 -> -11
    assert torch.allclose(act(x), torch.tensor([-11.0, 0.0, 3.0]))
    assert n_params(act) == 0


def test_tree_pool_is_the_gated_mix_of_two_leaf_filters():
    pool = TreePool2d(2)
    assert n_params(pool) == 12  # v1, v2, w: 3 * k^2 = 3 * 4
    with torch.no_grad():
        pool.nodes.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 1.0], [0, 0, 0, 0]]).view(3, 1, 2, 2))
    x = torch.tensor([[[[2.0, 5.0], [7.0, 4.0]]]])
    # v1.x = 2, v2.x = 4, gate sigmoid(0) = 1/2 -> 0.5 * 2 + 0.5 * 4 = 3
    assert torch.allclose(pool(x), torch.tensor([[[[3.0]]]]))
    fresh = TreePool2d(2)  # leaves start as averaging filters: the output is average pooling whatever the gate
    y = torch.randn(1, 3, 4, 4)
    assert torch.allclose(fresh(y), torch.nn.functional.avg_pool2d(y, 2), atol=1e-6)


def test_improved_bilinear_pool_takes_the_matrix_square_root():
    # channel 0 = [sqrt(8), 0], channel 1 = [0, sqrt(2)] on a 1x2 map: A = X X^T / 2 = diag(4, 1), sqrt(A) =
    # diag(2, 1); signed sqrt -> [sqrt 2, 0, 0, 1]; L2 (norm sqrt 3) -> [sqrt(2/3), 0, 0, sqrt(1/3)]
    x = torch.tensor([[[[math.sqrt(8.0), 0.0]], [[0.0, math.sqrt(2.0)]]]])
    y = ImprovedBilinearPool(iterations=20)(x)
    assert torch.allclose(y, torch.tensor([[math.sqrt(2 / 3), 0.0, 0.0, math.sqrt(1 / 3)]]), atol=1e-4)
    with pytest.raises(ValueError):
        ImprovedBilinearPool(iterations=0)


def test_new_block_counts_on_the_standard_map():
    from cnnbench.analysis import analyze

    def macs(name):
        with torch.device("meta"):
            block = resolve(f"block:{name}").build()
        return analyze(block.eval(), (1, 256, 56, 56)).macs

    # tree pool: 3 node responses * 4 taps * 256 channels * 28 * 28 = 2,408,448
    assert macs("tree_pool") == 2_408_448
    # X X^T: 256 * 256 * 3,136 = 205,520,896; 5 Newton-Schulz steps * 3 products * 256^3 = 251,658,240
    assert macs("improved_bilinear_pool") == 205_520_896 + 251_658_240
    assert macs("rrelu") == 0
