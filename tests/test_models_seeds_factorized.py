"""Tests for the Flattened, Factorized and Structured Transform networks of ``cnnbench_models.catalog_seeds_factorized``
(issue 21, part: factorized): metadata, counts on the meta device, small real forwards and hand-checked pieces.

No published counts could be read offline for these three papers (each spec's ``note`` says what was found), so the
counts are checked against hand arithmetic instead of ``paper_*``."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, n_params

from cnnbench.analysis import analyze
from cnnbench_models.catalog_seeds_factorized import SPECS
from cnnbench_models.factorized_cnn import SICLayer, SpatialBottleneck
from cnnbench_models.flattened import FlattenedConv, lvh
from cnnbench_models.structured_transform import ToeplitzLike

OURS = {"flattened_cifar10", "flattened_mnist", "factorized_cnn_imagenet", "toeplitz_like_mnist_r1",
        "toeplitz_like_mnist_r4", "toeplitz_like_cifar10_r1"}
MINE = [s for s in SPECS if s.name in OURS]  # the file also holds another part's rows (ShiftNet, SqueezeNext)
IDS = [s.name for s in MINE]


def test_all_rows_present():
    assert set(IDS) == OURS


@pytest.mark.parametrize("spec", MINE, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    # no published figure was reachable: none is claimed, and the note says what was and was not found
    assert spec.paper_params is None and spec.paper_macs is None
    assert spec.paper_table.startswith("none found")
    assert len(spec.note) > 40 and "not reachable offline" in spec.note


# params and MACs of each row at its input size, by hand (see the piece tests below for the blocks)
EXPECTED = {
    # conv1 3·96·25 + 96 = 7,296; flattened 96→128 k=5: (96·128 + 128 + 2·(128·5 + 128))
    # + (128·128 + 128 + 1,536) = 13,952 + 18,048 = 32,000; flattened 128→256 k=3: (32,768 + 256 + 2,048)
    # + (65,536 + 256 + 2,048) = 102,912; FC 256·10 + 10 = 2,570 → 144,778
    "flattened_cifar10": (144_778, 21_858_816),
    # 832 + (2,880 + 4,928) + (9,344 + 17,536) + 1,290 = 36,810
    "flattened_mnist": (36_810, 3_363_072),
    "factorized_cnn_imagenet": (6_943_976, 1_099_752_960),
    # G, H 2·1·784 + bias 784 + FC 7,850 = 10,202; MACs 2·1·784² + 7,840 = 1,237,152
    "toeplitz_like_mnist_r1": (10_202, 1_237_152),
    # 2·4·784 + 784 + 7,850 = 14,906; MACs 2·4·784² + 7,840 = 4,917,248 + 7,840 = 4,925,088
    "toeplitz_like_mnist_r4": (14_906, 4_925_088),
    # 2·3072 + 3072 + 30,730 = 39,946; MACs 2·3072² + 30,720 = 18,905,088
    "toeplitz_like_cifar10_r1": (39_946, 18_905_088),
}


@pytest.mark.parametrize("spec", MINE, ids=IDS)
def test_counts(spec):
    prof = assert_counts_match_paper(spec)
    assert (prof.params, prof.macs) == EXPECTED[spec.name]


@pytest.mark.parametrize("spec", MINE, ids=IDS)
def test_cpu_forward(spec):
    torch.manual_seed(0)
    model = spec.build().eval()
    c, h, _ = spec.input_size
    side = h if spec.name.startswith("toeplitz") else min(h, 64)  # the Toeplitz-like layer needs the full image
    with torch.no_grad():
        y = model(torch.randn(2, c, side, side))
    assert y.shape == (2, 10 if "imagenet" not in spec.name else 1000)
    assert torch.isfinite(y).all()


# ---------------------------------------------------------------- Flattened


def test_flattened_layer_params_vs_conv():
    # one LVH stage 96 → 128, k = 5: 96·128 + 128 + 2·(128·5 + 128) = 13,952; the second 128 → 128: 18,048
    assert n_params(FlattenedConv(96, 128, 5)) == 32_000
    # against the 5x5 conv it replaces: 96·128·25 + 128 = 307,328 (9.6x more)
    assert n_params(torch.nn.Conv2d(96, 128, 5)) == 307_328


def test_lvh_is_a_rank_one_3d_filter():
    # without biases one L→V→H stage equals a k×k conv whose filters are z[o,c]·y[o,i]·x[o,j] (the authors' example.lua)
    torch.manual_seed(0)
    cin, cout, k = 4, 5, 3
    stage = torch.nn.Sequential(*lvh(cin, cout, k))
    for m in stage:
        torch.nn.init.zeros_(m.bias)
    z, y, x = stage[0].weight[:, :, 0, 0], stage[1].weight[:, 0, :, 0], stage[2].weight[:, 0, 0, :]
    conv = torch.nn.Conv2d(cin, cout, k, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(z[:, :, None, None] * y[:, None, :, None] * x[:, None, None, :])
        inp = torch.randn(2, cin, 7, 7)
        torch.testing.assert_close(stage(inp), conv(inp), atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------- Factorized


def test_sic_layer_and_bottleneck_counts():
    c = 64
    # SIC: 3x3 depthwise 9·64 + projection 64·64 + BN 2·64 = 576 + 4,096 + 128 = 4,800
    assert n_params(SICLayer(c)) == 4_800
    # topological subdivisioning into 4 blocks: projection 64·16 = 1,024 → 576 + 1,024 + 128 = 1,728
    assert n_params(SICLayer(c, groups=4)) == 1_728
    # spatial bottleneck: 576 + 4,096 + 2x2 deconvolution 64·4 = 256 + BN 128 = 5,056
    assert n_params(SpatialBottleneck(c)) == 5_056
    # MACs at 8x8: SIC (9·64 + 64·64)·64 = 299,008; the bottleneck works at 4x4 (16 positions):
    # 9·64·16 + 4,096·16 + 64·4·16 = 9,216 + 65,536 + 4,096 = 78,848 (3.8x fewer)
    assert analyze(SICLayer(c), (1, c, 8, 8)).macs == 299_008
    assert analyze(SpatialBottleneck(c), (1, c, 8, 8)).macs == 78_848


def test_spatial_bottleneck_keeps_shape():
    with torch.no_grad():
        assert SpatialBottleneck(8).eval()(torch.randn(1, 8, 6, 6)).shape == (1, 8, 6, 6)


# ---------------------------------------------------------------- Structured transforms (Toeplitz-like)


def _z(n: int, f: float) -> torch.Tensor:
    """Z_f: down-shift with f in the top-right corner."""
    z = torch.diag(torch.ones(n - 1, dtype=torch.float64), -1)
    z[0, n - 1] = f
    return z


def test_toeplitz_like_is_its_matrix_and_has_displacement_rank_r():
    torch.manual_seed(0)
    n, r = 12, 2
    layer = ToeplitzLike(n, r).double()
    m = layer.matrix().detach()
    x = torch.randn(3, n, dtype=torch.float64)
    torch.testing.assert_close(layer(x), x @ m.T + layer.bias)
    # Z_1 M − M Z_{−1} has rank r (not n): the displacement rank of a Toeplitz-like matrix
    assert torch.linalg.matrix_rank(_z(n, 1.0) @ m - m @ _z(n, -1.0)).item() == r


def test_toeplitz_like_params_and_macs():
    # params 2·r·n + n = 2·3·100 + 100 = 700 against a dense 100·100 + 100 = 10,100
    assert n_params(ToeplitzLike(100, 3)) == 700
    # MACs: the definition's two dense products per rank, 2·r·n² = 2·3·10,000 = 60,000 per sample
    assert analyze(ToeplitzLike(100, 3), (2, 100)).macs == 2 * 60_000
