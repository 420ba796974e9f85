"""The block catalogue: every block builds and traces on `meta`, runs on CPU, and hand-checkable counts hold."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from cnnbench.catalog import list_specs, resolve
from cnnbench_models.blocks import attention, catalog, conv, pool
from cnnbench_models.blocks.activation import PoLU, Squareplus

BLOCKS = list_specs(kind="block")
BLOCK_IDS = [s.name for s in BLOCKS]

# output shapes at the default 1x256x56x56 input that are not "same as input" (attention/conv/activation)
# or "halved by a 2x2/2 window" (pool)
SPECIAL_SHAPES = {
    "csra": (1, 1000),  # class logits
    "slimconv": (1, 192, 56, 56),  # C/2 + C/4
    "fractional_max_pool": (1, 256, 39, 39),  # int(56 / sqrt(2)) = 39
    "spp": (1, 256 * (36 + 9 + 4 + 1)),  # 6x6 + 3x3 + 2x2 + 1x1 bins
    "bilinear_pool": (1, 256 * 256),
    "compact_bilinear_pool": (1, 8192),
    "low_rank_bilinear_pool": (1, 200),
    "alpha_pool": (1, 256 * 256),
    "improved_bilinear_pool": (1, 256 * 256),
    "gnap": (1, 256),
    "mcb": (1, 16000, 14, 14),  # per-position sketch of the 2048x14x14 map with the question
    "mlb": (1, 2000),  # answer scores
    "hbp": (1, 200),  # CUB class scores
}


def _expected_shape(spec) -> tuple[int, ...]:
    if spec.name in SPECIAL_SHAPES:
        return SPECIAL_SHAPES[spec.name]
    c, h, w = spec.input_size
    return (1, c, h // 2, w // 2) if spec.block_kind == "pool" else (1, c, h, w)


def _meta_run(module: torch.nn.Module, shape: tuple[int, ...]) -> tuple[torch.Tensor, int]:
    """Eval-mode forward on `meta`, returning the output and its MACs (flop counter / 2)."""
    module.eval()
    with FlopCounterMode(display=False) as fc:
        y = module(torch.empty(shape, device="meta"))
    return y, fc.get_total_flops() // 2


def _build_meta(name: str, **kwargs) -> torch.nn.Module:
    with torch.device("meta"):
        return resolve(f"block:{name}").build(**kwargs)


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_catalogue_covers_every_kind_and_the_references() -> None:
    kinds = {s.block_kind for s in BLOCKS}
    assert kinds == {"attention", "conv", "pool", "activation", "norm", "reference"}
    # 16 attention + 22 conv (13 + 7 mobile units + 2 sparse) + 20 pool + 18 activation + 6 norm + identity = 83
    assert len(BLOCKS) == 83
    for kind, ref in catalog.REFERENCE.items():
        assert resolve(f"block:{ref}").block_kind in (kind, "reference")


@pytest.mark.parametrize("spec", BLOCKS, ids=BLOCK_IDS)
def test_block_spec_metadata(spec) -> None:
    assert spec.kind == "block" and spec.source == "cnnbench"
    # one 256x56x56 map, but for the multi-input fusion blocks, which carry their own shapes
    first, more = catalog._SHAPES.get(spec.name, ((256, 56, 56), ()))
    assert spec.input_size == first and spec.more_inputs == more
    assert (spec.name in ("aff", "iaff", "mcb", "mlb", "hbp")) == bool(more)
    if spec.block_kind != "reference":
        assert spec.family == spec.block_kind
        assert spec.paper and spec.year and 1990 < spec.year <= 2025


@pytest.mark.parametrize("spec", BLOCKS, ids=BLOCK_IDS)
def test_block_traces_on_meta(spec) -> None:
    with torch.device("meta"):
        block = spec.build()
    block.eval()
    y = block(*(torch.empty(1, *s, device="meta") for s in spec.input_shapes))
    assert y.device.type == "meta"
    assert tuple(y.shape) == _expected_shape(spec)


@pytest.mark.parametrize("spec", BLOCKS, ids=BLOCK_IDS)
def test_block_cpu_forward_small_map_is_finite(spec) -> None:
    torch.manual_seed(0)
    block = spec.build(channels=64)
    # batch 2: BatchNorm on 1x1 maps cannot train on a single sample; a fusion block's further maps follow the first
    xs = [torch.randn(2, *s) for s in spec.shapes_for(((64, 16, 16),))]
    for training in (False, True):  # train mode exercises stochastic pooling's sampling path
        block.train(training)
        with torch.no_grad():
            y = block(*xs)
        assert torch.isfinite(y).all(), f"{spec.name} (train={training})"
        assert y.shape[0] == 2


# ----------------------------------------------------------------------------- hand-checked parameter counts

@pytest.mark.parametrize(("name", "params"), [
    ("se", 8464),  # fc1 256*16 + 16, fc2 16*256 + 256 = 4112 + 4352
    ("cbam", 8564),  # SE-like MLP 8464 (Linear layers) + 7*7*2 spatial conv 98 + BN(1) 2
    ("bam", 17361),  # channel 4112 + 32 (BN1d) + 4352; spatial 4112 + 32 + 2*(16*16*9 + 16 + 32) + 16 + 1
    ("eca", 5),  # k = odd(int((log2 256 + 1) / 2)) = odd(4) = 5, no bias
    ("coord_attention", 6680),  # mip = max(8, 256/32) = 8: 256*8+8 + BN 16 + 2*(8*256+256)
    ("gc", 8753),  # mask 256+1, 256*16+16, LayerNorm 2*16, 16*256+256
    ("sk", 63040),  # 2 branches (256*8*9 + BN 512) + fuse 256*32 + BN 64 + select 32*512 + 512
    ("non_local", 132224),  # theta/phi/g 3*(256*128+128) + W 128*256+256 + BN 512
    ("criss_cross", 82241),  # q,k 2*(256*32+32) + v 256*256+256 + gamma
    ("danet_cam", 1),  # gamma only
    ("sge", 128),  # (gamma, beta) per group, 64 groups
    ("aff", 67456),  # 2 bottlenecks x (256*64+64 + BN 128 + 64*256+256 + BN 512)
    ("iaff", 134912),  # two MS-CAMs
    ("csra", 256000),  # 1x1 conv 256 -> 1000, no bias
    ("conv3x3", 589824),  # 256*256*9
    ("group_conv", 18432),  # 256*(256/32)*9
    ("depthwise_separable", 67840),  # depthwise 256*9 + pointwise 256*256 = 2304 + 65536
    ("dilated_conv", 589824),  # dilation changes the receptive field, not the weights
    ("deform_conv_v1", 631314),  # 589824 + offset conv 256*9*18 + 18
    ("deform_conv_v2", 652059),  # 589824 + offset/mask conv 256*9*27 + 27
    ("octconv", 589824),  # H->H, H->L, L->H, L->L: 4 * (128*128*9) = the plain conv's weights
    ("mixconv", 10496),  # 64 channels per kernel: 64*(9 + 25 + 49 + 81)
    ("slimconv", 197392),  # fc 256*8 + 16 + 8*256+256; top 128*128*9 + 256; bottom 128*64 + 128 + 64*64*9 + 128
    ("skconv", 63040),  # same operator as block:sk
    ("ghost_module", 34432),  # primary 256*128 + BN 256; cheap depthwise 128*9 + BN 256
    ("mixed_pool", 1),
    ("gated_pool", 4),  # one 2x2 gate vector
    ("dpp", 521),  # alpha, lambda per channel (2*256) + one 3x3 filter
    ("low_rank_bilinear_pool", 185800),  # reduce 256*100 + project 100*200*8 + bias 200
    ("prelu", 256),
    ("relu", 0),
    ("identity", 0),
])
def test_hand_checked_params(name: str, params: int) -> None:
    assert _params(_build_meta(name)) == params


# ----------------------------------------------------------------------------- hand-checked MACs (1x256x56x56)

HW = 56 * 56  # 3136 output positions


@pytest.mark.parametrize(("name", "macs"), [
    ("conv3x3", 589824 * HW),  # weights x output positions = 1,849,688,064
    ("group_conv", 18432 * HW),
    ("depthwise_separable", 67840 * HW),  # 212,746,240
    ("mixconv", 10496 * HW),
    # OctConv α=0.5: H->H at 56x56, the other three paths at 28x28: 147456 * (3136 + 3*784)
    ("octconv", 147456 * (HW + 3 * 784)),
    ("ghost_module", 256 * 128 * HW + 128 * 9 * HW),
    ("bilinear_pool", 256 * 256 * HW),  # X X^T
    ("csra", 256 * 1000 * HW),
    ("danet_cam", 2 * 256 * 256 * HW),  # X X^T, then attention @ X
    ("se", 256 * 16 + 16 * 256),  # two FCs on a 1x1 map
    ("relu", 0),
])
def test_hand_checked_macs(name: str, macs: int) -> None:
    _, counted = _meta_run(_build_meta(name), (1, 256, 56, 56))
    assert counted == macs


def test_octconv_macs_follow_the_papers_ratio() -> None:
    # α_in = α_out = α costs 1 - 3/4·α(2-α) of the plain conv: 0.4375 at α = 0.5
    _, oct_macs = _meta_run(_build_meta("octconv"), (1, 256, 56, 56))
    _, plain = _meta_run(_build_meta("conv3x3"), (1, 256, 56, 56))
    assert oct_macs / plain == pytest.approx(1 - 0.75 * 0.5 * 1.5)


def test_eca_adaptive_kernel_sizes() -> None:
    # |(log2 C + 1) / 2|_odd: 64 -> 3.5 -> 3; 256 -> 4.5 -> 5; 1024 -> 5.5 -> 5; 2048 -> 6 -> 7
    assert [attention.eca_kernel_size(c) for c in (64, 256, 1024, 2048)] == [3, 5, 5, 7]


# ----------------------------------------------------------------------------- numerics on tiny inputs

def test_stochastic_pool_eval_is_probability_weighted_and_train_samples_a_window_value() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 1, 2, 2)
    p = pool.StochasticPool2d(2).eval()
    assert p(x).item() == pytest.approx(30 / 10)  # (1 + 4 + 9 + 16) / (1 + 2 + 3 + 4)
    p.train()
    torch.manual_seed(0)
    draws = {p(x).item() for _ in range(60)}
    assert draws <= {1.0, 2.0, 3.0, 4.0} and 4.0 in draws and len(draws) >= 3


def test_stochastic_pool_train_frequencies_follow_activations() -> None:
    # p(a_i) = a_i / Σa = [0, 0, 0.25, 0.75]: zeros are never picked
    x = torch.tensor([0.0, 0.0, 1.0, 3.0]).view(1, 1, 2, 2).repeat(1, 2000, 1, 1)
    torch.manual_seed(1)
    y = pool.StochasticPool2d(2).train()(x).flatten()
    assert set(y.tolist()) <= {1.0, 3.0}
    assert (y == 3.0).float().mean().item() == pytest.approx(0.75, abs=0.04)


def test_mixed_and_gated_pool_endpoints() -> None:
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0]]).view(1, 1, 2, 2)  # max 6, mean 3
    m = pool.MixedPool2d(2)
    assert m(x).item() == pytest.approx(0.5 * 6 + 0.5 * 3)
    g = pool.GatedPool2d(2)
    with torch.no_grad():
        g.gate.weight.zero_()  # sigmoid(0) = 0.5
    assert g(x).item() == pytest.approx(4.5)


def test_dpp_starts_as_average_pooling() -> None:
    # α = 1, λ = 0: every weight is 1 + (…)^0 = 2, so the weighted mean is the plain mean
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(pool.DetailPreservingPool2d(3)(x), F.avg_pool2d(x, 2), atol=1e-6)


def test_spp_output_is_independent_of_input_size() -> None:
    p = pool.SpatialPyramidPool()
    assert p(torch.randn(1, 4, 13, 17)).shape == p(torch.randn(1, 4, 32, 32)).shape == (1, 4 * 50)


def test_bilinear_pool_matches_the_gram_matrix() -> None:
    x = torch.randn(1, 3, 4, 5)
    flat = x.flatten(2)
    gram = (flat @ flat.transpose(1, 2)).flatten(1) / 20
    expected = F.normalize(torch.sign(gram) * torch.sqrt(gram.abs() + 1e-12), dim=1)
    assert torch.allclose(pool.BilinearPool()(x), expected, atol=1e-6)


def test_compact_bilinear_tensor_sketch_matches_brute_force() -> None:
    # Tensor Sketch of x ⊗ x: y[(h1(i) + h2(j)) mod d] += s1(i) s2(j) x_i x_j, summed over positions
    c, d = 6, 16
    tsp = pool.CompactBilinearPool(c, dim=d, seed=3)
    x = torch.randn(1, c, 2, 3, dtype=torch.float64)
    expected = torch.zeros(d, dtype=torch.float64)
    for p in x.flatten(2)[0].T:
        for i in range(c):
            for j in range(c):
                k = (int(tsp.h1[i]) + int(tsp.h2[j])) % d
                expected[k] += tsp.s1[i] * tsp.s2[j] * p[i] * p[j]
    assert torch.allclose(tsp.tensor_sketch(x)[0], expected, atol=1e-9)


def test_low_rank_bilinear_scores_are_a_difference_of_squares() -> None:
    lr = pool.LowRankBilinearPool(3, num_classes=2, reduced=3, rank=2)
    x = torch.randn(1, 3, 2, 2)
    z = lr.project(lr.reduce(x))  # channels: class0 (u, v), class1 (u, v)
    per_pos = z[:, 0::2] ** 2 - z[:, 1::2] ** 2
    assert torch.allclose(lr(x), per_pos.mean(dim=(2, 3)), atol=1e-6)


def test_deformable_conv_with_zero_offsets_is_a_plain_conv() -> None:
    torch.manual_seed(0)
    x = torch.randn(1, 8, 9, 9)
    v1 = conv.DeformConv2d(8, 4, 3)
    plain = F.conv2d(x, v1.weight, padding=1)
    assert torch.allclose(v1(x), plain, atol=1e-5)  # offsets are zero-initialised
    v2 = conv.DeformConv2d(8, 4, 3, modulated=True)
    with torch.no_grad():
        v2.weight.copy_(v1.weight)
    assert torch.allclose(v2(x), 0.5 * plain, atol=1e-5)  # masks start at sigmoid(0) = 0.5


def test_octconv_params_equal_plain_conv_for_any_alpha() -> None:
    for a_in, a_out in ((0.0, 0.25), (0.25, 0.25), (0.5, 0.5), (0.5, 0.0), (0.125, 0.125)):
        oc = conv.OctConv2d(64, 96, 3, 1, a_in, a_out)
        assert _params(oc) == 64 * 96 * 9


def test_octconv_first_and_last_layers_switch_representation() -> None:
    x = torch.randn(1, 16, 8, 8)
    h, low = conv.OctConv2d(16, 16, 3, 1, 0.0, 0.5)(x)
    assert h.shape == (1, 8, 8, 8) and low.shape == (1, 8, 4, 4)
    y = conv.OctConv2d(16, 32, 3, 2, 0.5, 0.0)((h, low))
    assert isinstance(y, torch.Tensor) and y.shape == (1, 32, 4, 4)


def test_ghost_module_output_is_primary_plus_ghosts() -> None:
    g = conv.GhostModule(16, 20).eval()  # init = ceil(20/2) = 10 primary maps, 10 ghosts
    x = torch.randn(1, 16, 5, 5)
    y = g(x)
    assert y.shape == (1, 20, 5, 5)
    assert torch.allclose(y[:, :10], g.primary(x))


def test_criss_cross_matches_a_brute_force_loop() -> None:
    torch.manual_seed(0)
    cc = attention.CrissCrossAttention(16).eval()
    with torch.no_grad():
        cc.gamma.fill_(1.0)
    x = torch.randn(1, 16, 3, 4)
    q, k, v = cc.query(x)[0], cc.key(x)[0], cc.value(x)[0]
    out = torch.empty_like(x[0])
    _, h, w = x[0].shape
    for i in range(h):
        for j in range(w):
            # the row (i, *) and the column (*, j) without the pixel itself counted twice
            pos = [(i, jj) for jj in range(w)] + [(ii, j) for ii in range(h) if ii != i]
            e = torch.stack([q[:, i, j] @ k[:, a, b] for a, b in pos])
            att = torch.softmax(e, 0)
            out[:, i, j] = sum(att[n] * v[:, a, b] for n, (a, b) in enumerate(pos))
    with torch.no_grad():
        assert torch.allclose(cc(x)[0], out + x[0], atol=1e-5)


def test_csra_reduces_to_mean_plus_lambda_max_at_t99() -> None:
    head = attention.CSRA(8, num_classes=3, temperature=99, lam=0.5)
    x = torch.randn(2, 8, 4, 4)
    score = head.head(x).flatten(2) / head.head.weight.flatten(1).norm(dim=1)[None, :, None]
    assert torch.allclose(head(x), score.mean(2) + 0.5 * score.amax(2), atol=1e-6)


def test_squareplus_and_polu_formulas() -> None:
    x = torch.tensor([-3.0, -1.0, 0.0, 2.0])
    # squareplus, b = 4: (x + sqrt(x^2 + 4)) / 2 -> (-3 + sqrt 13)/2, (-1 + sqrt 5)/2, 1, (2 + sqrt 8)/2
    expected = torch.tensor([(-3 + math.sqrt(13)) / 2, (-1 + math.sqrt(5)) / 2, 1.0, (2 + math.sqrt(8)) / 2])
    assert torch.allclose(Squareplus()(x), expected)
    # PoLU n=1: (1 - x)^-1 - 1 for x < 0 -> 1/4 - 1, 1/2 - 1; identity otherwise
    assert torch.allclose(PoLU(1.0)(x), torch.tensor([-0.75, -0.5, 0.0, 2.0]))
    # n = 2: 4^-2 - 1 = -0.9375; the negative part saturates at -1
    assert PoLU(2.0)(torch.tensor([-3.0])).item() == pytest.approx(-0.9375)
    assert PoLU(2.0)(torch.tensor([-1e6])).item() == pytest.approx(-1.0)


def test_polu_gradient_is_finite_everywhere() -> None:
    x = torch.linspace(-5, 5, 101, requires_grad=True)
    PoLU(1.5)(x).sum().backward()
    assert torch.isfinite(x.grad).all()
