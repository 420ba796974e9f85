"""The seeds' blocks added in issue 21 (mobile units, norms, activations, pools, context module, RCCA) and the two
small reproductions (``stdn-stem``, ``shift-zero-flop``): counts by hand on 1×256×56×56, formulas on tiny inputs."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from cnnbench.analysis import analyze
from cnnbench.catalog import list_specs, resolve
from cnnbench.reproduce.base import RunOptions
from cnnbench.reproduce.small_entries import run_shift_zero_flop, run_stdn_stem
from cnnbench_models.blocks import activation, attention, conv, mobile, norm, pool

C, HW = 256, 56 * 56  # the standard map: 256 channels, 3136 positions
NEW = ["rcca", "factorized_conv", "context_module", "inverted_residual", "mbconv", "bneck", "fused_mbconv",
       "shufflenet_v1_unit", "shufflenet_v2_unit", "shift", "lp_pool_learned", "alpha_pool", "gnap", "srelu", "mpelu",
       "penalized_tanh", "maxout", "batch_norm", "layer_norm", "group_norm", "instance_norm", "ibn_a", "ibn_b"]


def _profile(name: str):
    with torch.device("meta"):
        block = resolve(f"block:{name}").build()
    return analyze(block.eval(), (1, C, 56, 56))


def test_new_blocks_are_registered_in_the_kinds_cnnbench_blocks_lists() -> None:
    from cnnbench.cli.blocks_cmd import KINDS

    kinds = {s.name: s.block_kind for s in list_specs(kind="block")}
    assert set(NEW) <= set(kinds)
    assert {kinds[n] for n in NEW} <= set(KINDS) == {"attention", "conv", "pool", "activation", "norm"}
    assert {n for n in NEW if kinds[n] == "norm"} == {"batch_norm", "layer_norm", "group_norm", "instance_norm",
                                                      "ibn_a", "ibn_b"}
    assert kinds["mbconv"] == kinds["conv3x3"] == "conv"  # so `cnnbench blocks` puts MBConv beside a plain 3x3
    assert all(resolve(f"block:{n}").note for n in NEW)


@pytest.mark.parametrize(("name", "params", "macs"), [
    # CCNet RCCA: the criss-cross weights shared by 2 loops: q,k 2*(256*32+32) + v 256*256+256 + gamma = 82241;
    # MACs twice block:criss_cross's 358,055,936
    ("rcca", 82241, 2 * 358055936),
    # 3x1 + 1x3, C->C, no bias: 2 * 3 * 256^2 = 393,216 weights; x 3136 positions
    ("factorized_conv", 393216, 393216 * HW),
    # 7 x (3x3 256->256 + bias) + 1x1 256->256 + bias: 7 * 590080 + 65792 = 4,196,352;
    # MACs (7 * 589824 + 65536) * 3136 = 4,194,304 * 3136
    ("context_module", 4196352, 4194304 * HW),
    # MobileNetV2 t=6 (1536 hidden): 256*1536 + BN 3072, DW 1536*9 + BN 3072, 1536*256 + BN 512;
    # MACs (393216 + 13824 + 393216) * 3136
    ("inverted_residual", 806912, 800256 * HW),
    # + SE 1536 -> 64 -> 1536 with biases: 98304+64 + 98304+1536 = 198,208 params, 2*98304 MACs on a 1x1 map
    ("mbconv", 806912 + 198208, 800256 * HW + 2 * 98304),
    # MobileNetV3 bneck: 256*1536 + BN 3072, DW 5x5 1536*25 + BN 3072, SE 1536 -> 384 -> 1536 (589824+384 +
    # 589824+1536), 1536*256 + BN 512; MACs (393216 + 38400 + 393216) * 3136 + 2 * 589824
    ("bneck", 2013056, 824832 * HW + 2 * 589824),
    # Fused-MBConv4: 3x3 256->1024 (2,359,296) + BN 2048, 1x1 1024->256 (262,144) + BN 512
    ("fused_mbconv", 2624000, (2359296 + 262144) * HW),
    # ShuffleNet g=8, bottleneck 64: 256*64/8 + BN 128, DW 64*9 + BN 128, 64*256/8 + BN 512
    ("shufflenet_v1_unit", 5440, (2048 + 576 + 2048) * HW),
    # ShuffleNet V2 on the 128-channel half: 128*128 + BN 256, DW 128*9 + BN 256, 128*128 + BN 256
    ("shufflenet_v2_unit", 34688, (16384 + 1152 + 16384) * HW),
    ("shift", 0, 0),  # an indexing op: pad + cat
    ("lp_pool_learned", 256, 0),  # one p per channel; pow/avg are elementwise and reductions
    ("alpha_pool", 1, 256 * 256 * HW),  # one alpha; the C x HW x C product, like bilinear pooling
    ("gnap", 512, 0),  # BN on the map (2C); the vector's BN has no affine
    ("srelu", 4 * 256, 0),  # t_l, a_l, t_r, a_r per channel
    ("mpelu", 2 * 256, 0),  # alpha, beta per channel
    ("penalized_tanh", 0, 0),
    ("maxout", 256 * 512 + 512, 256 * 512 * HW),  # 1x1 conv to k*C = 512 pieces with bias
    ("batch_norm", 512, 0),
    ("layer_norm", 512, 0),
    ("group_norm", 512, 0),
    ("instance_norm", 512, 0),
    ("ibn_a", 512, 0),  # IN affine on 128 (256) + BN on 128 (256)
    ("ibn_b", 512, 0),
])
def test_params_and_macs_by_hand(name: str, params: int, macs: int) -> None:
    prof = _profile(name)
    assert (prof.params, prof.macs) == (params, macs)


def test_mobile_units_beside_a_plain_3x3() -> None:
    plain = _profile("conv3x3").macs  # 589,824 * 3136
    # MBConv6 (t=6) costs 800256/589824 = 1.357x a plain 3x3; Fused-MBConv4 4.44x; ShuffleNet v1 0.0079x
    assert _profile("mbconv").macs / plain == pytest.approx((800256 + 2 * 98304 / HW) / 589824)
    assert _profile("fused_mbconv").macs / plain == pytest.approx(2621440 / 589824)
    assert _profile("shufflenet_v1_unit").macs / plain == pytest.approx(4672 / 589824)


def test_shift_memory_access_is_a_pad_and_a_cat() -> None:
    # pad: read 256*56*56 = 802,816, write 256*58*58 = 861,184; cat: read 802,816, write 802,816 -> x 4 bytes
    assert _profile("shift").memory_access_bytes == 4 * (802816 + 861184 + 2 * 802816)


def test_shift_moves_each_group_by_its_offset() -> None:
    s = mobile.Shift(9)
    x = torch.arange(9 * 4 * 5, dtype=torch.float32).view(1, 9, 4, 5)
    y = s(x)
    for g, (dy, dx) in enumerate(s.offsets):
        for i in range(4):
            for j in range(5):
                src = (i + dy, j + dx)
                expected = x[0, g, src[0], src[1]] if 0 <= src[0] < 4 and 0 <= src[1] < 5 else 0.0
                assert y[0, g, i, j] == expected
    assert s.sizes == [1] * 9 and mobile.Shift(256).sizes == [29] * 4 + [28] * 5  # 256 = 9*28 + 4


def test_rcca_is_criss_cross_applied_twice() -> None:
    torch.manual_seed(0)
    r = attention.RecurrentCrissCross(8).eval()
    with torch.no_grad():
        r.cca.gamma.fill_(0.7)
        x = torch.randn(1, 8, 5, 6)
        assert torch.allclose(r(x), r.cca(r.cca(x)), atol=1e-6)


def test_context_module_dilations_and_receptive_field() -> None:
    cm = conv.ContextModule(4)
    convs = [m for m in cm.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.dilation[0] for m in convs] == [1, 1, 2, 4, 8, 16, 1, 1]
    # receptive field 1 + 2 * (1 + 1 + 2 + 4 + 8 + 16 + 1) = 67 (Yu & Koltun, Table 1)
    assert 1 + sum(2 * m.dilation[0] for m in convs if m.kernel_size == (3, 3)) == 67


def test_factorized_conv_equals_its_rank_one_kernel() -> None:
    # 1 -> 1 channel: a 3x1 then 1x3 conv is one 3x3 conv with the outer-product kernel
    f = conv.factorized_conv(channels=1)
    x = torch.randn(1, 1, 7, 7)
    k = f[0].weight.view(3, 1) @ f[1].weight.view(1, 3)
    with torch.no_grad():
        assert torch.allclose(f(x), F.conv2d(x, k.view(1, 1, 3, 3), padding=1), atol=1e-6)


def test_activation_formulas() -> None:
    x = torch.tensor([-2.0, -0.5, 0.5, 3.0]).view(1, 1, 4)
    s = activation.SReLU(1)
    with torch.no_grad():
        s.t_left.fill_(-1.0), s.a_left.fill_(0.1), s.t_right.fill_(2.0), s.a_right.fill_(0.5)
        # x <= -1: -1 + 0.1 (x + 1) -> -1.1; middle: x; x >= 2: 2 + 0.5 (x - 2) -> 2.5
        assert torch.allclose(s(x).flatten(), torch.tensor([-1.1, -0.5, 0.5, 2.5]))
    m = activation.MPELU(1, alpha=0.25, beta=2.0)
    # 0.25 (e^(2x) - 1) for x <= 0
    expected = torch.tensor([0.25 * math.expm1(-4), 0.25 * math.expm1(-1), 0.5, 3.0])
    assert torch.allclose(m(x).flatten().detach(), expected, atol=1e-6)
    pt = activation.PenalizedTanh()(x).flatten()
    assert torch.allclose(pt, torch.tensor([0.25 * math.tanh(-2), 0.25 * math.tanh(-0.5), math.tanh(0.5),
                                            math.tanh(3.0)]))


def test_maxout_is_the_max_of_its_pieces() -> None:
    mo = activation.Maxout(3, pieces=4)
    x = torch.randn(2, 3, 5, 5)
    with torch.no_grad():
        z = mo.linear(x).view(2, 3, 4, 5, 5)
        assert torch.equal(mo(x), z.max(dim=2).values)


def test_alpha_pool_endpoints() -> None:
    x = torch.rand(1, 3, 4, 4) + 0.1  # positive: |x| = x
    flat = x.flatten(2)[0]

    def normed(m: torch.Tensor) -> torch.Tensor:
        v = torch.sign(m) * torch.sqrt(m.abs() + 1e-12)
        return F.normalize(v.flatten()[None], dim=1)

    with torch.no_grad():
        # alpha = 1: every row of Gamma is the mean feature (average pooling)
        mean_rows = flat.mean(1).expand(3, 3)
        assert torch.allclose(pool.AlphaPool(1.0)(x), normed(mean_rows), atol=1e-5)
        # alpha = 2: the bilinear Gram matrix X X^T / HW
        assert torch.allclose(pool.AlphaPool(2.0)(x), normed(flat @ flat.T / 16), atol=1e-4)


def test_learned_lp_pool_starts_at_p2_and_p_is_learned() -> None:
    lp = pool.LearnedLpPool2d(2)
    assert torch.allclose(lp.p, torch.tensor([2.0, 2.0]))
    x = torch.randn(1, 2, 4, 4)
    expected = F.avg_pool2d(x * x, 2).sqrt()
    assert torch.allclose(lp(x), expected, atol=1e-4)
    lp(x).sum().backward()
    assert lp.rho.grad is not None and lp.rho.grad.abs().sum() > 0


def test_gnap_reweights_positions_by_mean_norm_over_norm() -> None:
    g = pool.GNAP(2).eval()  # eval BN with fresh statistics: identity up to eps
    x = torch.tensor([[3.0, 0.0], [4.0, 1.0]]).view(1, 2, 1, 2)  # position norms 5 and 1, mean 3
    with torch.no_grad():
        z = x / math.sqrt(1 + 1e-5)
        expected = (z[..., 0] * 3 / 5 + z[..., 1] * 3 / 1).squeeze(-1) / 2 / math.sqrt(1 + 1e-5)
        assert torch.allclose(g(x), expected, atol=1e-5)


def test_ibn_a_normalises_half_the_channels_per_instance() -> None:
    ibn = norm.IBN(4).train()
    x = torch.randn(3, 4, 5, 5) * 3 + 2
    y = ibn(x)
    per_instance = y[:, :2].mean(dim=(2, 3))  # IN half: each sample, each channel at mean 0
    assert torch.allclose(per_instance, torch.zeros(3, 2), atol=1e-5)
    assert not torch.allclose(y[:, 2:].mean(dim=(2, 3)), torch.zeros(3, 2), atol=1e-3)  # BN half: batch mean only
    assert torch.allclose(y[:, 2:].mean(dim=(0, 2, 3)), torch.zeros(2), atol=1e-5)


def test_stdn_stem_reproduction() -> None:
    res = run_stdn_stem(RunOptions(latency=False))
    main = res.sections[0].df.set_index("module")
    macs = main["MACs"].tolist()
    # 7x7: 112^2 * 64 * 3*49 = 118,013,952; stem: 112^2 * 64 * (27 + 576 + 576) = 946,520,064; ratio 1179/147
    assert macs == [118013952, 946520064]
    assert macs[1] / macs[0] == pytest.approx(1179 / 147)
    # conv0 reads 3*224^2 + 64*147 weights, writes 64*112^2; BN and ReLU each read + write 64*112^2 (BN also
    # reads 4*64 params/stats); max pool reads 64*112^2, writes 64*56^2 values (4 B) + as many int64 indices (8 B)
    dense_mem = 4 * (3 * 224 ** 2 + 9408 + 64 * 112 ** 2 + 2 * 64 * 112 ** 2 + 4 * 64 + 2 * 64 * 112 ** 2
                     + 64 * 112 ** 2 + 64 * 56 ** 2) + 8 * 64 * 56 ** 2
    assert main["mem access (B)"].iloc[0] == dense_mem
    assert res.verdicts[0].startswith("Holds")


def test_shift_zero_flop_reproduction() -> None:
    res = run_shift_zero_flop(RunOptions(latency=False))
    df = res.sections[0].df
    assert df["MACs"].tolist() == [0, 256 * 9 * HW, 0]  # depthwise 3x3: C*9 weights per position
    # depthwise: read 802,816 + 2,304 weights, write 802,816; shift (pad + cat) 3,269,632 elements; ideal 2 * 802,816
    assert df["mem access (B)"].tolist() == [4 * 3269632, 4 * (2 * 802816 + 2304), 4 * 2 * 802816]
    ratios = res.sections[1].df.set_index("quantity")["ours"]
    assert ratios["bytes: shift (pad + cat) / depthwise 3×3"] == pytest.approx(3269632 / 1607936)  # 2.033
    assert ratios["bytes: ideal shift kernel / depthwise 3×3"] == pytest.approx(1605632 / 1607936)  # 0.9986
