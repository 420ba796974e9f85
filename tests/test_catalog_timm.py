"""The timm catalogue: every spec builds on ``meta``, and published params/MACs agree with our count.

One representative per family runs by default; the other specs are marked ``slow`` (building 180 timm
models and tracing them costs ~2 minutes on one core).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from cnnbench.catalog import timm_models

# one spec per family, preferring one with published counts (so the default run checks a paper number)
FAST = {
    "inception_v4", "xception", "resnet200d", "preact_resnet50", "densenet264", "dpn92", "se_resnet50", "dla34",
    "sknet50", "res2net50_26w_4s", "resnest50d", "gcresnet50t", "resnet_rs50", "nfnet_f0", "tresnet_m",
    "hrnet_w18_small", "regnet_y_600mf", "regnetz_b16", "convnext_atto", "focalnet_tiny_srf", "poolformer_s12",
    "caformer_s18", "mixer_s32", "timm_mobilenetv1_100", "mobilenet_v2_1_4", "mobilenet_v3_large_075",
    "mobilenet_v4_conv_small", "mobilenet_v4_hybrid_medium", "mixnet_s", "mnasnet_a1", "nasnet_a_large",
    "pnasnet_5_large", "efficientnet_v2_b0", "cspresnet50", "ghostnet_100", "repvgg_a0", "mobilevit_xxs",
    "efficientformer_l1",
}


def _params(spec):
    return [pytest.param(s, id=s.name, marks=() if s.name in FAST else pytest.mark.slow) for s in spec]


def _count(spec) -> tuple[int, int, tuple[int, ...]]:
    """(params, MACs, output shape) of one forward at the spec's input size, all on ``meta``."""
    with torch.device("meta"):
        model = spec.build()
    if spec.paper_fused:  # the paper counts the re-parameterized model
        from cnnbench.catalog.build import fuse_model

        model, _ = fuse_model(model)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    x = torch.empty(1, *spec.input_size, device="meta")
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(x)
    return params, counter.get_total_flops() // 2, tuple(out.shape)


def test_fast_set_names_exist_and_cover_every_family():
    names = {s.name for s in timm_models.SPECS}
    assert FAST <= names
    assert {s.family for s in timm_models.SPECS} == {s.family for s in timm_models.SPECS if s.name in FAST}


@pytest.mark.parametrize("spec", _params(timm_models.SPECS))
def test_builds_on_meta_and_matches_paper(spec):
    params, macs, out_shape = _count(spec)
    assert params > 0 and macs > 0
    assert out_shape == (1, 1000)
    assert not spec.paper_mismatches(params, macs)


def test_xception_matches_the_paper_parameter_count_exactly():
    # Xception paper, Table 3: 22,855,952 parameters; timm's legacy_xception is a port of that model
    params, _, _ = _count(next(s for s in timm_models.SPECS if s.name == "xception"))
    assert params == 22_855_952


def test_input_sizes_come_from_timm_pretrained_configs():
    import timm

    for spec in timm_models.SPECS:
        cfg = timm.get_pretrained_cfg(spec.builder_kwargs["model_name"])
        allowed = {tuple(cfg.input_size), tuple(cfg.test_input_size or cfg.input_size)}
        assert spec.input_size in allowed, spec.name


def test_builder_drops_none_kwargs_and_passes_the_rest():
    with torch.device("meta"):
        model = timm_models.timm_builder(model_name="mixnet_s", num_classes=10, drop_rate=None)
    assert model.num_classes == 10
    assert model.get_classifier().out_features == 10


def test_reparameterize_fuses_repvgg_branches():
    # RepVGG-A0 as trained: 3x3+BN, 1x1+BN and identity-BN branches; fused: one 3x3 conv (with bias) per block.
    # The paper's 8.30M is the fused count.
    with torch.device("meta"):
        train = timm_models.timm_builder(model_name="repvgg_a0")
        fused = timm_models.timm_builder(model_name="repvgg_a0", reparameterize=True)
    n_train = sum(p.numel() for p in train.parameters())
    n_fused = sum(p.numel() for p in fused.parameters())
    assert n_fused < n_train
    assert n_fused == pytest.approx(8.30e6, rel=0.002)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())


def test_names_do_not_collide_with_torchvision_or_each_other():
    import torchvision

    def key(n: str) -> str:
        return re.sub(r"[-_.\s]", "", n.lower())

    tv = {key(n) for n in torchvision.models.list_models()}
    seen: set[str] = set()
    for spec in timm_models.SPECS:
        for k in map(key, (spec.name, *spec.aliases)):
            assert k not in tv, f"{spec.name}: {k} is a torchvision name"
            assert k not in seen, f"{spec.name}: {k} registered twice"
            seen.add(k)


def test_registered_names_and_aliases_resolve():
    from cnnbench.catalog import resolve

    assert resolve("NASNetALarge").name == "nasnet_a_large"
    assert resolve("skresnext50_32x4d").name == "sknet50"
    # timm:<name> of a catalogued model keeps its paper metadata, under the name the user typed
    spec = resolve("timm:legacy_seresnet50")
    assert spec.name == "timm:legacy_seresnet50" and spec.registry_name == "se_resnet50"
    assert spec.paper_macs == 3_870_000_000


def test_catalogue_imports_neither_torch_nor_timm():
    code = "import sys, cnnbench.catalog.timm_models; print('torch' in sys.modules, 'timm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
