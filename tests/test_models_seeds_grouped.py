"""Tests for the networks registered by ``cnnbench_models.catalog_seeds_grouped`` (issue 21, part: grouped):
published counts on the meta device, small real forwards, and hand-checked pieces."""

from __future__ import annotations

import pytest
import torch
from paper_checks import assert_counts_match_paper, assert_spec_documented, cpu_forward, n_params

from cnnbench.analysis import analyze
from cnnbench_models.catalog_seeds_grouped import SPECS
from cnnbench_models.columnar import dccnn_cifar10, dccnn_mnist
from cnnbench_models.deep_roots import RootBottleneck, deep_roots_resnet50
from cnnbench_models.igcv12 import IGC, IGCBlock, igcv1_l4m32, igcv1_l16m16

IDS = [s.name for s in SPECS]
PUBLISHED = [s for s in SPECS if s.paper_params is not None]
UNPUBLISHED = [s for s in SPECS if s.paper_params is None]
# root-2..root-32 run the same code as root-1 and root-64 with other group counts: no CPU forward of their own
FORWARD = [s for s in SPECS if s.name not in {f"deep_roots_resnet50_root{k}" for k in (2, 4, 8, 16, 32)}]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_metadata(spec):
    assert_spec_documented(spec)
    assert spec.paper_table
    if spec.paper_params is None:  # say what was searched and not found
        assert "No published" in spec.note and spec.paper_macs is None


@pytest.mark.parametrize("spec", PUBLISHED, ids=[s.name for s in PUBLISHED])
def test_counts_match_paper(spec):
    assert_counts_match_paper(spec)


@pytest.mark.parametrize("spec", UNPUBLISHED, ids=[s.name for s in UNPUBLISHED])
def test_counts_without_paper_figures(spec):
    # no published figure: the trace must agree with the model itself (the exact values are pinned below)
    prof = assert_counts_match_paper(spec)
    assert prof.params > 0 and prof.macs > 0


@pytest.mark.parametrize("spec", FORWARD, ids=[s.name for s in FORWARD])
def test_cpu_forward(spec):
    model, y = cpu_forward(spec)
    assert y.shape == (2, model.num_classes)
    assert torch.isfinite(y).all()


# ---------------------------------------------------------------- Deep Roots


def test_root_bottleneck_params():
    # res2 bottleneck 256 → 64 → 64 → 256 with 4 filter groups in the 3x3:
    # 1x1 256·64 = 16,384 + 3x3 64·(64/4)·9 = 9,216 + 1x1 64·256 = 16,384 + BN 2·(64+64+256) = 768 → 42,752
    assert n_params(RootBottleneck(256, 64, 256, 1, groups=4)) == 42_752


def test_root_variants_differ_by_the_grouped_3x3_weights():
    # root-64 groups 64/32/16/8 in res2..res5; the 3x3 weights saved over the original are
    # res2 3·36,864·63/64 + res3 4·147,456·31/32 + res4 6·589,824·15/16 + res5 3·2,359,296·7/8
    # = 108,864 + 571,392 + 3,317,760 + 6,193,152 = 10,191,168 (the authors' 25,503,976 - 15,312,808)
    with torch.device("meta"):
        orig, root64 = deep_roots_resnet50(root=1), deep_roots_resnet50(root=64)
    assert n_params(orig) - n_params(root64) == 10_191_168
    assert n_params(orig) == 25_557_032  # = torchvision's ResNet-50: the stride placement moves no weight


def test_original_resnet50_macs_have_the_stride_on_the_1x1():
    # stride on the first 1x1 of res3..res5 (MSRA Caffe): 3,857,973,248 MACs, 1,064 below the authors' figure
    with torch.device("meta"):
        prof = analyze(deep_roots_resnet50(root=1), (1, 3, 224, 224))
    assert prof.macs == 3_857_973_248


# ---------------------------------------------------------------- IGCV1


def test_igc_params_and_interleave():
    # 64 channels, L = 16 (4 per partition), M = 4: 3x3 64·4·9 = 2,304 + 1x1 64·16 = 1,024 + BN 2·64 = 128
    igc = IGC(64, 64, 1, primary=16)
    assert igc.secondary == 4 and n_params(igc) == 3_456
    # projection block 64 → 128 (stride 2, L = 16): two IGCs 128·4·9 + 128·16 + 256 = 6,912 and
    # 128·8·9 + 128·16 + 256 = 11,520, projection 1x1 with 16 groups 128·4 + BN 256 = 768 → 19,200
    assert n_params(IGCBlock(64, 128, 2, primary=16)) == 19_200


def test_igcv1_published_params_leave_out_the_classifier():
    # the README's 11.329M / 11.205M are our counts less the FC (2048·1000 + 1000, 1024·1000 + 1000)
    for build, fc, published in ((igcv1_l16m16, 2_049_000, 11_329_000), (igcv1_l4m32, 1_025_000, 11_205_000)):
        with torch.device("meta"):
            total = n_params(build())
        assert abs(total - fc - published) < 0.015 * published


# ---------------------------------------------------------------- Deep Columnar CNN


def test_dccnn_mnist_params_by_hand():
    # level 1: 2 columns 5x5 1→64: 2·(25·64 + 64) = 3,328; level 2: 2 columns 4x4 128→128: 2·(16·128·128 + 128)
    # = 524,544; level 3: 6 columns 3x3 256→256: 6·(9·256·256 + 256) = 3,540,480; FC 1536·4·4·10 + 10 = 245,770
    assert n_params(dccnn_mnist()) == 3_328 + 524_544 + 3_540_480 + 245_770  # 4,314,122


def test_dccnn_cifar10_params_by_hand():
    m = dccnn_cifar10()
    # level 3 columns over 192 channels, 256 filters each: 3x3 442,624 + 1x1 49,408 + 5x5 1,229,056
    level3 = m.features[6]
    assert n_params(level3) == (9 + 1 + 25) * 192 * 256 + 3 * 256 == 1_721_088
    assert n_params(m) == 5_523_946


def test_dccnn_keras_same_padding_shapes():
    # 28 → 14 → 7 → 4 (Keras 'same' pooling rounds up) and 32 → 16 → 8 → 4 (strided subsampling convs)
    with torch.no_grad():
        assert dccnn_mnist().features(torch.zeros(1, 1, 28, 28)).shape == (1, 1536, 4, 4)
        assert dccnn_cifar10().features(torch.zeros(1, 3, 32, 32)).shape == (1, 192, 4, 4)
