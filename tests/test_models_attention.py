"""Attention / special-conv ResNet-50 variants and MobileNetV2-CA: counts vs the papers, real forwards."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from cnnbench.catalog import list_specs, resolve

FAMILIES = ("cbam", "bam", "sge", "ibn", "coordattention", "octconv", "dcn")
NETS = [s for f in FAMILIES for s in list_specs(family=f)]
NET_IDS = [s.name for s in NETS]

RESNET50_PARAMS = 25_557_032  # torchvision resnet50


def _meta_counts(spec) -> tuple[int, int | None]:
    """(params, MACs at 1x3x224x224) from a `meta` build; MACs only where a paper figure exists (the
    flop-counted trace is the slow part)."""
    with torch.device("meta"):
        model = spec.build()
    params = sum(p.numel() for p in model.parameters())
    if spec.paper_macs is None:
        return params, None
    model.eval()
    with FlopCounterMode(display=False) as fc:
        model(torch.empty(1, 3, 224, 224, device="meta"))
    return params, fc.get_total_flops() // 2


@pytest.fixture(scope="module")
def counts() -> dict[str, tuple[int, int]]:
    return {s.name: _meta_counts(s) for s in NETS}


def test_every_family_is_registered() -> None:
    assert {s.family for s in NETS} == set(FAMILIES)
    assert {s.name for s in NETS} >= {
        "cbam_resnet50", "bam_resnet50", "sge_resnet50", "resnet50_ibn_a", "mobilenetv2_ca",
        "oct_resnet50_0.125", "oct_resnet50_0.25", "oct_resnet50_0.5", "resnet50_dcnv1", "resnet50_dcnv2",
    }


@pytest.mark.parametrize("spec", NETS, ids=NET_IDS)
def test_params_and_macs_within_paper_tolerance(spec, counts) -> None:
    params, macs = counts[spec.name]
    if spec.family == "dcn":
        assert spec.paper_params is None and spec.paper_macs is None  # nothing published to compare
        return
    assert spec.paper_params is not None and spec.paper_table
    assert not spec.paper_mismatches(params, macs)


@pytest.mark.parametrize(("name", "params"), [
    # CBAM on a C-channel branch: MLP 2*C*C/16 + C/16 + C, spatial 7*7*2 + BN 2
    # 3*(8192+16+256+100) + 4*(32768+32+512+100) + 6*(131072+64+1024+100) + 3*(524288+128+2048+100) = 2,532,592
    ("cbam_resnet50", RESNET50_PARAMS + 2_532_592),
    # BAM at 256 / 512 / 1024 channels: 17,361 + 68,513 + 272,193 = 358,067
    ("bam_resnet50", RESNET50_PARAMS + 358_067),
    ("sge_resnet50", RESNET50_PARAMS + 16 * 2 * 64),  # 16 bottlenecks x (gamma, beta) x 64 groups
    ("resnet50_ibn_a", RESNET50_PARAMS),  # IN and BN both have 2 affine params per channel
    ("oct_resnet50_0.125", RESNET50_PARAMS),  # the four OctConv paths split one conv's weights
    ("oct_resnet50_0.5", RESNET50_PARAMS),
    # offset convs width -> 18 (v1) / 27 (v2), 3x3 with bias, in 4 + 6 + 3 blocks of widths 128 / 256 / 512
    ("resnet50_dcnv1", RESNET50_PARAMS + 4 * (128 * 162 + 18) + 6 * (256 * 162 + 18) + 3 * (512 * 162 + 18)),
    ("resnet50_dcnv2", RESNET50_PARAMS + 4 * (128 * 243 + 27) + 6 * (256 * 243 + 27) + 3 * (512 * 243 + 27)),
])
def test_exact_params(name: str, params: int, counts) -> None:
    assert counts[name][0] == params


def test_octconv_macs_fall_with_alpha(counts) -> None:
    macs = [counts[f"oct_resnet50_{a}"][1] for a in (0.125, 0.25, 0.5, 0.75)]
    assert macs == sorted(macs, reverse=True)
    assert macs[0] < 4_089_184_256  # below plain ResNet-50


@pytest.mark.parametrize("spec", NETS, ids=NET_IDS)
def test_cpu_forward_is_finite(spec) -> None:
    torch.manual_seed(0)
    model = spec.build(num_classes=10).eval()
    with torch.no_grad():
        y = model(torch.randn(1, 3, 64, 64))
    assert y.shape == (1, 10)
    assert torch.isfinite(y).all()


def test_aliases_resolve() -> None:
    assert resolve("mbv2_ca").name == "mobilenetv2_ca"
    assert resolve("ResNet50-IBN").name == "resnet50_ibn_a"
