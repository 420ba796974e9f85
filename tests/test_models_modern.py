"""Tests for the networks registered by ``cnnbench_models.catalog_modern`` (CondenseNet, ESPNetv2, DRN,
FractalNet, DARTS, InternImage): published counts, real forwards, and hand-checked pieces."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench_models.catalog_modern import SPECS
from cnnbench_models.condensenet import CondensedConv1x1
from cnnbench_models.darts import DARTS_V2, DARTSImageNet, make_op
from cnnbench_models.drn import drn_a_50, drn_c_26
from cnnbench_models.espnetv2 import EESP
from cnnbench_models.fractalnet import ConvBlock, Fractal, FractalNet
from cnnbench_models.internimage import DCNv3, dcnv3_core

IDS = [s.name for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.family in {"condensenet", "espnet", "drn", "fractalnet", "darts", "internimage"}
    assert spec.paper_params is not None and spec.paper_table


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert spec.paper_params is not None
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_cpu_forward_small_input(spec):
    torch.manual_seed(0)
    model = spec.build().eval()
    size = 32 if spec.input_size[-1] == 32 else 64  # FractalNet's classifier needs exactly 32x32
    with torch.no_grad():
        y = model(torch.randn(2, 3, size, size))
    num_classes = 100 if spec.name.endswith("cifar100") else 10 if spec.name.endswith("cifar10") else 1000
    assert y.shape == (2, num_classes)
    assert torch.isfinite(y).all()


# ---------------------------------------------------------------- hand-checked pieces


def test_darts_sep_conv_params_and_macs():
    op = make_op("sep_conv_3x3", 4, stride=1)
    # two (depthwise 3x3 + pointwise 1x1 + BN) units on C=4: 2 * (4*9 + 4*4 + 2*4) = 2 * 60 = 120
    assert n_params(op) == 120
    with torch.device("meta"):
        op = make_op("sep_conv_3x3", 4, stride=1)
    # MACs at 8x8: 2 * (4*9 + 4*4) * 64 = 6656
    assert analyze(op, (1, 4, 8, 8)).macs == 6656


def test_darts_reduce_ops_and_shapes():
    skip = make_op("skip_connect", 8, stride=2)  # FactorizedReduce: 2 * (8*4) 1x1 weights + BN(8) = 64 + 16
    assert n_params(skip) == 80
    # the second branch reads the grid shifted by one pixel; like the original it needs even sizes
    assert skip(torch.randn(1, 8, 8, 8)).shape == (1, 8, 4, 4)
    assert isinstance(make_op("skip_connect", 8, stride=1), torch.nn.Identity)
    net = DARTSImageNet(DARTS_V2, channels=8, layers=5, num_classes=3)  # reductions at cells 1 and 3
    assert [c.multiplier for c in net.cells] == [4] * 5
    assert net(torch.randn(1, 3, 64, 64)).shape == (1, 3)


def test_condensed_conv_is_a_group_conv():
    layer = CondensedConv1x1(16, 32, groups=4, condense_factor=4)
    # grouped 1x1: 16*32/4 = 128 weights; BN over the 16 gathered channels: 32 → 160
    assert n_params(layer) == 160
    with torch.device("meta"):
        layer = CondensedConv1x1(16, 32, groups=4, condense_factor=4)
    assert analyze(layer, (1, 16, 5, 5)).macs == 128 * 25


def test_eesp_branch_dilations():
    unit = EESP(32, 32, k=4, r_lim=7)
    # kernel sizes 3,5,7,9 → 9 exceeds r_lim=7 and falls back to 3; sorted → dilations 1,1,2,3
    assert [c.dilation[0] for c in unit.spp_dw] == [1, 1, 2, 3]
    x = torch.randn(1, 32, 9, 9)
    assert unit(x).shape == x.shape


def test_drn_output_stride_8():
    feats = {}
    for name, build in (("a", drn_a_50), ("c", drn_c_26)):
        with torch.device("meta"):
            m = build()
        last = m.layer4 if name == "a" else m.layer8
        last.register_forward_hook(lambda mod, i, o, name=name: feats.__setitem__(name, o.shape))
        m(torch.empty(1, 3, 224, 224, device="meta"))
    assert feats["a"][-2:] == (28, 28) and feats["c"][-2:] == (28, 28)


def test_fractal_block_structure():
    # f_C holds 2^C - 1 convs; the deepest column is 2^(C-1) convs long
    block = Fractal(3, 4, columns=3, dropout=0.0, drop_prob=0.0)
    assert sum(isinstance(m, ConvBlock) for m in block.modules()) == 7
    # one block (C=2, width 4) + classifier on a 1x1 map: convs 3*4*9*2 + 4*4*9 = 360, 3 BNs 24, fc 4*2+2 = 10
    net = FractalNet(columns=2, channels=(4,), dropouts=(0.0,), num_classes=2)
    assert n_params(net) == 394
    # the join is a flat mean of the two columns: conv(x) and conv(conv(x))
    f = net.blocks[0].eval()
    x = torch.randn(1, 3, 2, 2)
    expected = (f.conv(x) + f.second.conv(f.first.conv(x))) / 2
    torch.testing.assert_close(f(x), expected)
    net.eval()
    net.deepest = True
    assert net(x).shape == (1, 2)


def test_dcnv3_core_zero_offsets_sample_the_regular_grid():
    x = torch.arange(2 * 4 * 5 * 2, dtype=torch.float32).reshape(1, 4, 5, 4)
    offset = torch.zeros(1, 4, 5, 2 * 9 * 2)
    # points are ordered x-major: index 4 is the centre, index 1 is (dx=-1, dy=0)
    centre = torch.zeros(1, 4, 5, 2 * 9)
    centre[..., 4] = centre[..., 9 + 4] = 1
    torch.testing.assert_close(dcnv3_core(x, offset, centre, 3, 1, 1, 2, 1.0), x)
    left = torch.zeros(1, 4, 5, 2 * 9)
    left[..., 1] = left[..., 9 + 1] = 1
    shifted = torch.cat([torch.zeros(1, 4, 1, 4), x[:, :, :-1]], 2)  # value of the left neighbour, zero-padded
    torch.testing.assert_close(dcnv3_core(x, offset, left, 3, 1, 1, 2, 1.0), shifted)
    # a learned offset of +1 pixel in x moves the left tap back onto the centre
    offset[..., 2] = offset[..., 18 + 2] = 1.0
    torch.testing.assert_close(dcnv3_core(x, offset, left, 3, 1, 1, 2, 1.0), x)


def test_dcnv3_params_and_meta_trace():
    op = DCNv3(8, groups=2)
    # dw 3x3 (8*9+8) + LN 16 + offset (8*36+36) + mask (8*18+18) + 2 projections 2*(64+8) = 80+16+324+162+144
    assert n_params(op) == 726
    with torch.device("meta"):
        op = DCNv3(8, groups=2)
    prof = analyze(op, (1, 5, 5, 8))  # channels-last input; grid_sample must trace on meta
    # linear/conv MACs only: 25 * (8*36 + 8*18 + 64 + 64 + 8*9) = 25 * 632
    assert prof.macs == 25 * 632
