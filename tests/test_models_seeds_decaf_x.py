"""Tests for issue 21's part "DeCAF / EfficientNet-X / LCNN / sparse decomposition": the 2012 AlexNet and
EfficientNet-X rows (``catalog_seeds_variants.DECAF_X_SPECS``) and the two sparse-combination conv blocks
(``block:lookup_conv``, ``block:sparse_decomposed_conv``): counts on meta, real CPU forwards, hand-checked pieces,
and each sparse block equal to the dense 3x3 conv its nonzeros define."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.blocks.sparse_conv import LookupConv2d, SparseDecomposedConv2d
from cnnbench_models.catalog_seeds_variants import DECAF_X_SPECS
from cnnbench_models.efficientnet_x import BLOCKS, EfficientNetX, round_filters

IDS = [s.name for s in DECAF_X_SPECS]


@pytest.mark.parametrize("spec", DECAF_X_SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_table
    assert spec.paper_tolerance == 0.05
    assert len(spec.note) > 40
    if spec.paper_params is None:  # an unset published count says what was searched and not found
        assert "No published count was found" in spec.note


def test_decaf_alias():
    assert resolve("decaf").name == "alexnet_2012"


@pytest.mark.parametrize(("name", "params", "macs"), [
    ("alexnet_2012", 60_965_224, 724_406_816),
    ("efficientnet_x_b0", 7_584_104, 920_421_088),
    ("efficientnet_x_b1", 9_571_024, 1_606_191_824),
], ids=IDS)
def test_counts_match_paper_and_fixed_totals(name, params, macs):
    prof = assert_counts_match_paper(resolve(name))
    assert (prof.params, prof.macs) == (params, macs)


@pytest.mark.parametrize("spec", DECAF_X_SPECS, ids=IDS)
def test_cpu_forward(spec):
    torch.manual_seed(0)
    model = spec.build().eval()
    side = 227 if spec.name == "alexnet_2012" else 64  # AlexNet at its own size: 0.72 GMACs
    with torch.no_grad():
        y = model(torch.randn(2, 3, side, side))
    assert y.shape == (2, 1000) and torch.isfinite(y).all()


# ---------------------------------------------------------------- AlexNet (2012, two GPUs)


def test_alexnet_2012_params_and_macs_by_hand():
    model = resolve("alexnet_2012").build()
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.groups for c in convs] == [1, 2, 1, 2, 2]
    # conv1 96·3·121+96 = 34,944; conv2 256·48·25+256 = 307,456; conv3 384·256·9+384 = 885,120;
    # conv4 384·192·9+384 = 663,936; conv5 256·192·9+256 = 442,624
    assert [n_params(c) for c in convs] == [34_944, 307_456, 885_120, 663_936, 442_624]
    # fc6 9216·4096+4096 = 37,752,832; fc7 4096·4096+4096 = 16,781,312; fc8 4096·1000+1000 = 4,097,000
    # total 2,334,080 + 58,631,144 = 60,965,224 (Caffe's bvlc_alexnet)
    assert n_params(model) == 2_334_080 + 37_752_832 + 16_781_312 + 4_097_000 == 60_965_224
    # MACs at 227: conv1 55²·96·363 = 105,415,200; conv2 27²·256·1200 = 223,948,800; conv3 13²·384·2304 =
    # 149,520,384; conv4 13²·384·1728 = 112,140,288; conv5 13²·256·1728 = 74,760,192; FCs 58,621,952
    prof = analyze(model, (1, 3, 227, 227))
    assert prof.macs == 105_415_200 + 223_948_800 + 149_520_384 + 112_140_288 + 74_760_192 + 58_621_952


# ---------------------------------------------------------------- EfficientNet-X


def test_efficientnet_x_b0_first_blocks_by_hand():
    net = EfficientNetX()
    s2d, fused = net.blocks[0], net.blocks[1]
    # d1 block: 2x2/2 conv 32→128 = 16,384 + BN 256; 2x2 depthwise 128·4 = 512 + BN 256;
    # SE squeeze int(32·4 · 0.25·4) // 4 = 32: 128·32+32 + 32·128+128 = 8,352; project 128·64 = 8,192 + BN 128
    assert n_params(s2d) == 16_384 + 256 + 512 + 256 + 8_352 + 8_192 + 128 == 34_080
    # first fused block (d2, stride 2 → 1): 3x3 conv 64→16·6 = 64·96·9 = 55,296 + BN 192;
    # SE int(16 · 0.25·4) = 16: 96·16+16 + 16·96+96 = 3,184; project 96·24 = 2,304 + BN 48
    assert n_params(fused) == 55_296 + 192 + 3_184 + 2_304 + 48 == 61_024
    assert not s2d.residual and not fused.residual and net.blocks[2].residual


def test_efficientnet_x_b0_stage_shapes_and_activations():
    net = EfficientNetX().eval()
    x = net.stem(torch.randn(1, 3, 224, 224))
    shapes = []
    with torch.no_grad():
        for block in net.blocks:
            x = block(x)
            shapes.append(tuple(x.shape[1:]))
    # space-to-depth: 16 channels at 112 are held as 64 at 56; then 24@56, 40@28, 80@14, 112@14, 192@7, 320@7
    assert shapes[0] == (64, 56, 56)
    assert [shapes[i] for i in (2, 4, 7, 10, 14, 15)] == [(24, 56, 56), (40, 28, 28), (80, 14, 14),
                                                           (112, 14, 14), (192, 7, 7), (320, 7, 7)]
    assert len(net.blocks) == sum(b.repeats for b in BLOCKS) == 16
    # swish only in the two fused stages (blocks 1-4), ReLU elsewhere
    swish = [any(isinstance(m, torch.nn.SiLU) for m in b.modules()) for b in net.blocks]
    assert swish == [False] + [True] * 4 + [False] * 11


def test_round_filters_matches_tf():
    # width 1.1: 32·1.1 = 35.2 → int(39.2)//8·8 = 32; 1280·1.1 = 1408 → 1408
    assert (round_filters(32, 1.1), round_filters(1280, 1.1), round_filters(16, 1.0)) == (32, 1408, 16)


# ---------------------------------------------------------------- LCNN lookup conv, sparse decomposition


def test_lookup_conv_block_counts_by_hand():
    prof = analyze(resolve("block:lookup_conv").build(), (1, 256, 56, 56))
    # dictionary 100·256 = 25,600 + coefficients 256·9·3 = 6,912 = 32,512 (vs the 3x3 conv's 589,824)
    assert prof.params == 25_600 + 6_912 == 32_512
    # 56²·(100·256 + 256·27) = 3,136 · 32,512
    assert prof.macs == 3_136 * 32_512 == 101_957_632


@pytest.mark.parametrize("stride", [1, 2])
def test_lookup_conv_equals_the_dense_conv_it_encodes(stride):
    torch.manual_seed(0)
    cin, cout, k, m, s = 8, 6, 3, 5, 2
    block = LookupConv2d(cin, cout, k, stride, dictionary_size=m, lookups=s)
    index = (block.gather_index // (k * k)).view(cout, k * k, s)  # I[o, p, t]
    coef = block.coefficients.detach().view(cout, k * k, s)  # C[o, p, t]
    dictionary = block.dictionary.weight.detach().view(m, cin)
    # W[o, :, p] = Σ_t C[o, p, t] · D[I[o, p, t], :]
    weight = torch.einsum("ops,opsc->ocp", coef, dictionary[index]).reshape(cout, cin, k, k)
    x = torch.randn(2, cin, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(block(x), F.conv2d(x, weight, stride=stride, padding=1))


def test_sparse_decomposed_conv_block_counts_by_hand():
    prof = analyze(resolve("block:sparse_decomposed_conv").build(), (1, 256, 56, 56))
    # bases 256·256 = 65,536; kernels 256·2·3 = 1,536; combination 256·round(0.1·512) = 256·51 = 13,056
    assert prof.params == 65_536 + 1_536 + 13_056 == 80_128
    assert prof.macs == 3_136 * 80_128 == 251_281_408


def test_sparse_decomposed_conv_equals_the_dense_conv_it_encodes():
    torch.manual_seed(0)
    cin, cout, k, q, nnz, r = 6, 5, 3, 2, 4, 3
    block = SparseDecomposedConv2d(cin, cout, k, kernels_per_basis=q, kernel_nnz=nnz, combine_nnz=r)
    m = cin
    bases = block.bases.weight.detach().view(m, cin)
    kernels = torch.zeros(m * q, k * k)  # response j's taps on its basis j // q
    taps = (block.tap_index % (k * k)).view(m * q, nnz)
    kernels.scatter_(1, taps, block.kernel_values.detach())
    combine = torch.zeros(cout, m * q)
    combine.scatter_(1, block.combine_index.view(cout, r), block.combine_values.detach())
    basis_of = torch.arange(m * q) // q
    # W[o, c, p] = Σ_j Q[o, j] · K[j, p] · P[basis(j), c]
    weight = torch.einsum("oj,jp,jc->ocp", combine, kernels, bases[basis_of]).reshape(cout, cin, k, k)
    x = torch.randn(2, cin, 7, 7)
    with torch.no_grad():
        torch.testing.assert_close(block(x), F.conv2d(x, weight, padding=1))


def test_sparse_blocks_reject_impossible_sparsity():
    with pytest.raises(ValueError, match="lookups"):
        LookupConv2d(8, 8, dictionary_size=4, lookups=5)
    with pytest.raises(ValueError, match="kernel_nnz"):
        SparseDecomposedConv2d(8, 8, kernel_nnz=10)
