"""Tests for the ImageNet ShiftNets registered by ``cnnbench_models.catalog_seeds_factorized`` (issue 21, part
"shift + sqnxt"): published counts on the meta device, small real forwards, hand-checked blocks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from paper_checks import assert_counts_match_paper, assert_spec_documented, cpu_forward, n_params

from cnnbench.analysis import analyze
from cnnbench.catalog import resolve
from cnnbench_models.catalog_seeds_factorized import SPECS as ALL_SPECS
from cnnbench_models.shiftnet import Shift, ShiftNetBlock

MINE = ("shiftnet_a", "shiftnet_b")
SPECS = [s for s in ALL_SPECS if s.name in MINE]
IDS = [s.name for s in SPECS]


def _meta(cls, *args, **kwargs):
    with torch.device("meta"):
        return cls(*args, **kwargs)


def test_all_parts_registered():
    assert sorted(IDS) == sorted(MINE)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.family == "shiftnet" and spec.year == 2018
    assert spec.paper.startswith("Shift: A Zero FLOP")
    assert spec.paper_params is not None and spec.paper_macs is not None and spec.paper_table
    if spec.paper_tolerance > 0.05:  # a loosened tolerance must be explained
        assert len(spec.note) > 40 and "truncate" in spec.note


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_cpu_forward(spec):
    _, y = cpu_forward(spec)  # 2 × 3×64×64: global pooling keeps the CPU forward quick
    assert y.shape == (2, 1000)
    assert torch.isfinite(y).all()


def _closed_form_params(stem, widths, depths=(5, 6, 7, 3), exps=((4, 4), (4, 3), (3, 2), (2, 1)), classes=1000):
    """The network's parameters summed from the layout alone (independent of the modules)."""
    total = 3 * stem * 7 * 7
    c_in = stem
    for c, n, (e_first, e_rest) in zip(widths, depths, exps):
        for i in range(n):
            planes, e = (c - c_in, e_first) if i == 0 else (c, e_rest)
            mid = planes * e
            total += 2 * c_in + c_in * mid + 2 * mid + mid * planes  # BN, 1x1, BN, 1x1
            c_in = c
    return total + 2 * c_in + c_in * classes + classes  # final BN + FC


def test_exact_params_from_the_layout():
    # A: stem 3·32·49 = 4,704; head BN 1,024 + FC 512·1000 + 1000 = 513,000 → 4,188,680 in all
    assert n_params(_meta(resolve("shiftnet_a").build)) == _closed_form_params(32, (64, 128, 256, 512)) == 4_188_680
    assert n_params(_meta(resolve("shiftnet_b").build)) == _closed_form_params(16, (32, 64, 128, 256)) == 1_183_480


def test_block_params_and_macs_by_hand():
    block = ShiftNetBlock(64, 64, expansion=4, kernel_size=5)
    # BN 2·64 = 128; 1x1 64→256: 16,384; BN 2·256 = 512; 1x1 256→64: 16,384 → 33,408
    assert n_params(block) == 33_408
    # at 8x8: two 1x1 convs of 64·256·64 = 1,048,576 MACs each; shift and BN add none
    assert analyze(_meta(ShiftNetBlock, 64, 64, 4, 5), (1, 64, 8, 8)).macs == 2_097_152
    down = ShiftNetBlock(32, 64, expansion=4, kernel_size=5, stride=2)
    # new maps 64 - 32 = 32, mid 4·32 = 128: BN 64 + 32·128 (4,096) + BN 256 + 128·32 (4,096) = 8,512
    assert n_params(down) == 8_512
    # 1x1 at 8x8: 32·128·64 = 262,144; strided 1x1 at 4x4: 128·32·16 = 65,536 → 327,680
    assert analyze(_meta(ShiftNetBlock, 32, 64, 4, 5, stride=2), (1, 32, 8, 8)).macs == 327_680


def test_downsample_block_concatenates_an_average_pool_of_its_input():
    torch.manual_seed(0)
    down = ShiftNetBlock(8, 24, expansion=2, kernel_size=3, stride=2).eval()
    x = torch.randn(1, 8, 10, 10)
    with torch.no_grad():
        y = down(x)
    assert y.shape == (1, 24, 5, 5)  # 16 new maps + 8 pooled ones
    torch.testing.assert_close(y[:, 16:], F.avg_pool2d(x, 3, 2, 1))


def test_shift_5x5_moves_each_of_25_groups():
    shift = Shift(5)
    assert n_params(shift) == 0
    assert analyze(_meta(Shift, 5), (1, 25, 8, 8)).macs == 0
    x = torch.randn(1, 25, 8, 8)
    y = shift(x)
    # group 0 has offset (dy, dx) = (-2, -2): output (i, j) reads input (i - 2, j - 2), zero-filled
    torch.testing.assert_close(y[0, 0, 2:, 2:], x[0, 0, :-2, :-2])
    assert (y[0, 0, :2] == 0).all() and (y[0, 0, :, :2] == 0).all()
    torch.testing.assert_close(y[0, 12], x[0, 12])  # centre group (12 = 2·5 + 2): offset (0, 0)
