"""Tests for the networks registered by ``cnnbench_models.catalog_seeds_efficient`` (issue 21, part "efficient"):
the 1989 zip-code net, MCDNN, ESPNet v1, ShiftResNet, PC-DARTS — published counts on the meta device, real
forwards on small inputs, and hand-checked pieces."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench_models.catalog_seeds_efficient import SPECS
from cnnbench_models.darts import DARTS_V2
from cnnbench_models.deep_fried import AdaptiveFastfood, deep_fried_caffenet_ff16, fwht
from cnnbench_models.dicenet import DiCE, DiCENet
from cnnbench_models.espnet import ESP
from cnnbench_models.maxout_net import MaxoutConv, MaxoutLinear, maxout_cifar10
from cnnbench_models.mcdnn import MultiColumn, mcdnn_mnist_column
from cnnbench_models.pc_darts import PC_DARTS_IMAGE, pc_darts_imagenet
from cnnbench_models.shiftnet import CSC, Shift
from cnnbench_models.zipcode_lenet import ZipCodeNet

IDS = [s.name for s in SPECS]
# one real forward per family stays in the fast run; the wider variants of a family are marked slow
_FAST_FORWARD = {"zipcode_lenet_1989", "mcdnn_mnist_column", "espnet_cityscapes", "shiftresnet20_e6_cifar10",
                 "dicenet_s050", "maxout_cifar10"}
FORWARD_SPECS = [s if s.name in _FAST_FORWARD else pytest.param(s, marks=pytest.mark.slow) for s in SPECS]


def _meta(builder, *args, **kw) -> torch.nn.Module:
    with torch.device("meta"):
        return builder(*args, **kw)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_table
    assert spec.family in {"lenet", "mcdnn", "espnet", "shiftnet", "darts", "dicenet", "maxout", "deep_fried"}
    if spec.paper_params is None:  # no published count compared: the note must say why
        assert "no parameter" in spec.note or "No published count" in spec.note


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", FORWARD_SPECS, ids=IDS)
def test_cpu_forward_small_input(spec):
    torch.manual_seed(0)
    model = spec.build().eval()
    c, h, w = spec.input_size
    if spec.family == "espnet":
        h, w = 64, 128  # any multiple of 8
    elif spec.family == "deep_fried":
        h = w = 227  # the Fastfood layer reads exactly the 256x6x6 = 9,216 conv5 features of a 227x227 input
    elif spec.family in ("darts", "dicenet"):
        h = w = 64  # DiCENet: resized inside each DiCE unit to the 224-input sizes it was built for
    with torch.no_grad():
        y = model(torch.randn(2, c, h, w))
    if spec.family == "espnet":
        assert y.shape == (2, 20, 64, 128)  # per-pixel logits at input resolution
    else:
        assert y.shape == (2, 1000 if spec.family in ("darts", "dicenet", "deep_fried") else 10)
    assert torch.isfinite(y).all()


# ---------------------------------------------------------------- 1989 zip-code net


def test_zipcode_paper_units_connections_parameters():
    net = ZipCodeNet()
    # free parameters per layer: shared kernels + one bias per unit
    assert n_params(net.h1) == 12 * 25 + 12 * 8 * 8 == 1_068
    assert n_params(net.h2) == 12 * 8 * 25 + 12 * 4 * 4 == 2_592
    assert n_params(net.h3) == 30 * 192 + 30 == 5_790
    assert n_params(net.out) == 10 * 30 + 10 == 310
    assert n_params(net) == 9_760  # the paper's "9760 independent parameters"
    prof = analyze(_meta(ZipCodeNet), (1, 1, 16, 16))
    units = 16 * 16 + 12 * 8 * 8 + 12 * 4 * 4 + 30 + 10
    bias_connections = units - 16 * 16  # 1,000: one per non-input unit
    assert units == 1_256
    # H1 768*25 + H2 192*200 + H3 5,760 + out 300 = 63,660 MACs; + 1,000 bias connections = 64,660 connections
    assert prof.macs == 768 * 25 + 192 * 200 + 5_760 + 300 == 63_660
    assert prof.macs + bias_connections == 64_660


def test_zipcode_h2_partial_connectivity_and_background_padding():
    net = ZipCodeNet()
    # each H2 map reads exactly 8 of the 12 H1 maps and every H1 map is read by 8 of the 12 H2 maps
    reads = [i for group in net.h2.inputs for _ in range(4) for i in group]
    assert len(reads) == 12 * 8 and all(reads.count(i) == 8 for i in range(12))
    with torch.no_grad():
        for p in net.h1.parameters():
            p.zero_()
        net.h1.convs[0].weight[0, 0, 0, 0] = 1.0  # top-left tap of map 0 reads the padded border at unit (0, 0)
        y = net.h1(torch.ones(1, 1, 16, 16))
    assert y[0, 0, 0, 0].item() == -1.0  # the border is the background level -1, not 0
    assert y[0, 0, 1, 1].item() == 1.0  # unit (1, 1): tap at input (0, 0)


# ---------------------------------------------------------------- MCDNN


def test_mcdnn_column_by_hand_and_average():
    col = mcdnn_mnist_column()
    # 20*(16+1) + 40*(20*25+1) + 150*(360+1) + 10*(150+1) = 340 + 20,040 + 54,150 + 1,510
    assert n_params(col) == 76_040
    # 20*26*26*16 + 40*9*9*500 + 360*150 + 150*10 = 216,320 + 1,620,000 + 54,000 + 1,500
    assert analyze(_meta(mcdnn_mnist_column), (1, 1, 29, 29)).macs == 1_891_820
    torch.manual_seed(0)
    mc = MultiColumn(columns=3).eval()
    x = torch.randn(2, 1, 29, 29)
    with torch.no_grad():
        y = mc(x)
        mean = sum(c(x) for c in mc.columns) / 3
    assert torch.allclose(y, mean) and torch.allclose(y.sum(1), torch.ones(2))
    assert n_params(mc) == 3 * 76_040
    with pytest.raises(ValueError):
        MultiColumn(columns=0)


# ---------------------------------------------------------------- ESPNet


def test_esp_module_by_hand():
    esp = ESP(64, 64)  # d = 64 // 5 = 12, first branch 64 - 48 = 16
    # reduce 64*12 + branches 9*12*16 + 4*9*12*12 + BN 2*64 + PReLU 64 = 768 + 1,728 + 5,184 + 128 + 64
    assert n_params(esp) == 7_872
    # MACs at 8x8: (768 + 1,728 + 5,184) * 64; HFF adds and the residual add are not MACs
    assert analyze(_meta(ESP, 64, 64), (1, 64, 8, 8)).macs == 7_680 * 64
    down = ESP(19, 64, stride=2)  # strided reduce: 3x3, 19 -> 12
    assert down(torch.randn(1, 19, 16, 16)).shape == (1, 64, 8, 8)
    assert not down.residual and ESP(64, 64).residual and not ESP(40, 20, residual=False).residual


# ---------------------------------------------------------------- Shift


def test_shift_has_no_params_no_macs_and_moves_groups():
    shift = Shift(3)
    assert n_params(shift) == 0
    assert analyze(_meta(Shift, 3), (1, 18, 8, 8)).macs == 0  # indexing only
    x = torch.arange(9 * 25, dtype=torch.float32).reshape(1, 9, 5, 5)
    y = shift(x)
    # group 0 (one channel here) has offset (-1, -1): output (i, j) reads input (i-1, j-1), zero at the border
    assert y[0, 0, 1, 1] == x[0, 0, 0, 0] and y[0, 0, 0, 0] == 0
    assert torch.equal(y[0, 4], x[0, 4])  # group 4: offset (0, 0)
    assert y[0, 8, 3, 3] == x[0, 8, 4, 4] and y[0, 8, 4, 4] == 0  # group 8: offset (+1, +1)
    with pytest.raises(ValueError):
        Shift(2)


def test_csc_block_by_hand():
    block = CSC(16, 32, stride=2, expansion=6)  # mid = 6 * 32 = 192
    # conv1 16*192 + BN 384 + conv2 192*32 + BN 64 + shortcut 16*32 + BN 64 = 3,072+384+6,144+64+512+64
    assert n_params(block) == 10_240
    # MACs: conv1 at 16x16: 16*192*256 = 786,432; conv2 and shortcut at 8x8: (6,144 + 512) * 64 = 425,984
    assert analyze(_meta(CSC, 16, 32, 2, 6), (1, 16, 16, 16)).macs == 786_432 + 425_984


# ---------------------------------------------------------------- PC-DARTS


def test_pc_darts_reuses_darts_cells_with_its_genotype():
    assert PC_DARTS_IMAGE != DARTS_V2
    net = pc_darts_imagenet(channels=8, layers=5, num_classes=3)
    # the reduction cell's dil_conv_5x5 reads node 2 (stride 1), its sep_conv_5x5 reads input 0 (stride 2)
    reduce_cell = net.cells[1]
    assert reduce_cell.indices == [0, 1, 2, 1, 2, 1, 0, 3]
    assert net(torch.randn(1, 3, 64, 64)).shape == (1, 3)


# ---------------------------------------------------------------- DiCENet


def test_dice_unit_by_hand():
    dice = DiCE(8, 8, height=4, width=4)
    # channel-wise 8*9 + height-wise 4*9 + width-wise 4*9 = 144; BN+PReLU on 24 = 72; fuse (3 weights per channel)
    # 24 + BN 16 + PReLU 8 = 48; proj 3x3 groups 8: 72 + 16 + 8 = 96; gate 8*2 + 2*8 = 32 → 392
    assert n_params(dice) == 392
    # at 4x4: three dimension-wise convs 3 * 9 * 8*4*4 = 3,456; fuse 8*3*16 = 384; proj 8*9*16 = 1,152; gate 32
    assert analyze(_meta(DiCE, 8, 8, 4, 4), (1, 8, 4, 4)).macs == 3_456 + 384 + 1_152 + 32
    # the height-wise conv sees the tensor as H x C x W: its weights are per row, so they depend on the input size
    assert DiCE(8, 8, height=7, width=4).conv_height.weight.shape == (7, 1, 3, 3)
    y = dice(torch.randn(2, 8, 8, 8))  # another size: resized to 4x4 for the height/width convs and back
    assert y.shape == (2, 8, 8, 8)


def test_dicenet_rejects_unknown_width_and_size():
    with pytest.raises(ValueError):
        DiCENet(s=0.3)
    with pytest.raises(ValueError):
        DiCENet(s=1.0, image_size=200)


# ---------------------------------------------------------------- Maxout


def test_maxout_cifar10_by_hand():
    net = maxout_cifar10()
    # conv (k·C filters, tied biases): 3*64*192+192 = 37,056; 96*64*384+384 = 2,359,680; 192*25*384+384 = 1,843,584
    # dense maxout 4,800*2,500+2,500 = 12,002,500; softmax 500*10+10 = 5,010
    assert n_params(net) == 37_056 + 2_359_680 + 1_843_584 + 12_002_500 + 5_010 == 16_247_830
    # MACs: 33*33*192*192 + 15*15*384*6,144 + 9*9*384*4,800 + 4,800*2,500 + 500*10
    prof = analyze(_meta(maxout_cifar10), (1, 3, 32, 32))
    assert prof.macs == 40_144_896 + 530_841_600 + 149_299_200 + 12_000_000 + 5_000 == 732_290_696
    # cuda-convnet pooling covers the border: 33 → 16, 15 → 7, 9 → 5
    x = torch.randn(1, 3, 32, 32)
    for layer, size in zip(net.features, (16, 7, 5), strict=True):
        x = layer(x)
        assert x.shape[-1] == size


def test_maxout_takes_the_max_of_consecutive_pieces():
    unit = MaxoutLinear(1, units=2, pieces=3)
    with torch.no_grad():
        unit.linear.weight.copy_(torch.tensor([[1.0], [-2.0], [3.0], [0.5], [-1.0], [0.0]]))
        unit.linear.bias.zero_()
    # x = 2: pieces (2, -4, 6) → 6 and (1, -2, 0) → 1
    assert unit(torch.tensor([[2.0]])).tolist() == [[6.0, 1.0]]
    conv = MaxoutConv(1, channels=1, pieces=2, kernel=1, pad=0, pool=1, pool_stride=1)
    with torch.no_grad():
        conv.conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
        conv.conv.bias.zero_()
    x = torch.tensor([[[[-3.0, 2.0]]]])
    assert conv(x).tolist() == [[[[3.0, 2.0]]]]  # max(x, -x) = |x|


# ---------------------------------------------------------------- Deep Fried Convnets


def test_fwht_is_the_sylvester_hadamard_product():
    h = torch.ones(1, 1)
    for _ in range(4):
        h = torch.kron(h, torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
    x = torch.randn(3, 16)
    assert torch.allclose(fwht(x), x @ h, atol=1e-5)
    with pytest.raises(ValueError):
        fwht(torch.randn(2, 12))


def test_fastfood_params_and_macs_are_counted_honestly():
    ff = AdaptiveFastfood(9_216, 16_384)  # input zero-padded to d = 2^14
    assert ff.d == 16_384 and n_params(ff) == 3 * 16_384  # S, G, B; the permutation is a fixed buffer
    assert n_params(AdaptiveFastfood(9_216, 32_768)) == 2 * 3 * 16_384  # n/d = 2 blocks
    # no multiply-accumulate anywhere: Hadamard = add/subtract stages, diagonals = elementwise products
    assert analyze(_meta(AdaptiveFastfood, 9_216, 16_384), (1, 9_216)).macs == 0
    # the transform is linear: V(x + y) = Vx + Vy, and equals S·H·G·Π·H·B·x written out densely for small d
    small = AdaptiveFastfood(5, 8)
    h = torch.tensor([[1.0]])
    for _ in range(3):
        h = torch.kron(h, torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
    p = torch.eye(8)[small.perm[0]]  # row i selects element perm[i]
    dense = torch.diag(small.S[0]) @ h @ torch.diag(small.G[0]) @ p @ h @ torch.diag(small.B[0]) * 8 ** -0.5
    x = torch.randn(4, 5)
    with torch.no_grad():
        assert torch.allclose(small(x), torch.nn.functional.pad(x, (0, 3)) @ dense.T, atol=1e-4)
    with pytest.raises(ValueError):
        AdaptiveFastfood(9_216, 20_000)


def test_deep_fried_caffenet_by_hand():
    net = _meta(deep_fried_caffenet_ff16)
    # CaffeNet convs 34,944 + 307,456 + 885,120 + 663,936 + 442,624 = 2,334,080
    # + Fastfood 3 * 16,384 = 49,152 + softmax 16,384 * 1,000 + 1,000 = 16,385,000
    assert n_params(net) == 2_334_080 + 49_152 + 16_385_000 == 18_768_232
