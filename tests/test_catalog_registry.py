"""The registry itself: names, aliases, duplicates, metadata completeness for every entry."""

import subprocess
import sys

import pytest

from cnnbench.catalog import ModelSpec, list_specs, load, register, resolve
from cnnbench.errors import CnnbenchError

ALL = list_specs(kind=None)


def test_registry_is_large_and_mixed():
    sources = {s.source for s in ALL}
    assert {"torchvision", "timm", "cnnbench"} <= sources
    assert len(list_specs(source="torchvision")) == 80
    assert len(list_specs(kind="block")) >= 50
    assert len(ALL) > 300


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_every_entry_resolves_and_has_metadata(spec):
    assert resolve(spec.name) is spec
    for alias in spec.aliases:
        assert resolve(alias) is spec
    assert spec.family and spec.source in ("torchvision", "timm", "cnnbench")
    if spec.block_kind != "reference":  # the identity reference block has no paper
        assert spec.paper and spec.year and 1980 < spec.year < 2030
    assert len(spec.input_size) == 3 and all(n > 0 for n in spec.input_size)
    if spec.kind == "block":
        assert spec.block_kind in ("attention", "conv", "pool", "activation", "norm", "reference")
        assert resolve(f"block:{spec.name}") is spec
    if spec.paper_params is not None or spec.paper_macs is not None:
        assert spec.paper_table, "published numbers must say where they come from"
        assert 0 < spec.paper_tolerance <= 0.25


def test_duplicate_registration_raises():
    spec = ALL[0]
    with pytest.raises(ValueError, match="duplicate"):
        register(ModelSpec(name=spec.name.upper(), family="x", source="cnnbench", builder="x:y"))


@pytest.mark.parametrize("typed, canonical", [
    ("mobilenetv2", "mobilenet_v2"), ("ResNet-50", "resnet50"), ("resnet-50", "resnet50"),
    ("MOBILENET_V3_LARGE", "mobilenet_v3_large"), ("regnet_x_1_6gf", "regnet_x_1_6gf"),
    ("inception_v1", "googlenet"), ("shufflenetv2", "shufflenet_v2_x1_0"),
])
def test_aliases_users_type(typed, canonical):
    assert resolve(typed).name == canonical


def test_ambiguous_loose_name_suggests_instead_of_guessing():
    # regnet_x_1_6gf and regnet_x_16gf both read "regnetx16gf" without separators
    with pytest.raises(CnnbenchError, match="did you mean: .*regnet_x_16gf.*regnet_x_1_6gf|did you mean: .*regnet_x_1_6gf"):
        resolve("regnetx16gf")


def test_unknown_name_suggests_at_most_three():
    with pytest.raises(CnnbenchError) as e:
        resolve("resnet5")
    hint = str(e.value).split("did you mean: ")[1].split("?")[0]
    assert 1 <= len(hint.split(", ")) <= 3


def test_timm_and_torchvision_prefixes():
    assert resolve("timm:resnet18").source == "timm"
    s = resolve("torchvision:vit_b_16")
    # the registered spec (its metadata) under the name the user typed, so rows join back to what was asked
    assert s.source == "torchvision" and s.name == "torchvision:vit_b_16" and s.registry_name == "vit_b_16"
    assert s.tv_weights == resolve("vit_b_16").tv_weights
    with pytest.raises(CnnbenchError, match="unknown block"):
        resolve("block:cbm")


def test_catalogues_do_not_import_torch():
    import subprocess
    import sys

    code = ("import sys; from cnnbench.catalog import list_specs, load; list_specs(kind=None); "
            "print(load._loaded, any(m in sys.modules for m in ('torch', 'timm', 'torchvision')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True False"  # every catalogue loaded, and none of them imported torch


def test_paper_mismatches_uses_the_relative_tolerance():
    spec = ModelSpec(name="x", family="x", source="cnnbench", builder="x:y", paper_params=1000, paper_macs=2000,
                     paper_table="Table 1", paper_tolerance=0.05)
    assert spec.paper_mismatches(1050, 1900) == []  # +5.0% and -5.0%: on the edge, inside
    (msg,) = spec.paper_mismatches(1051, 2000)  # +5.1%
    assert "params 1,051 vs 1,000 in Table 1 (+5.1%, tolerance 5%)" in msg
    assert len(spec.paper_mismatches(900, 3000)) == 2


# --- item 4: timm:NAME is exactly timm.create_model(NAME) ------------------------------------------------------------

def test_timm_name_reuses_a_registered_spec_only_when_it_builds_the_same_model():
    # densenet264 is registered as timm's "densenet121" with block_config=(6, 12, 64, 48): not the same model
    s = resolve("timm:densenet121")
    assert s.name == "timm:densenet121" and s.registry_name is None and s.builder_kwargs == {"model_name": "densenet121"}
    # the registered focalnet_large_fl3 forces num_classes=1000; timm's own config has the 21,842-class head
    s = resolve("timm:focalnet_large_fl3")
    assert s.registry_name is None and s.builder_kwargs == {"model_name": "focalnet_large_fl3"}
    # repvgg_a0 is registered re-parameterized; timm:repvgg_a0 is the model as timm creates it (item 5: --fuse)
    assert resolve("timm:repvgg_a0").builder_kwargs == {"model_name": "repvgg_a0"}
    # an identical registered spec is reused for its paper metadata, under the typed name
    s = resolve("timm:regnety_120")
    assert (s.name, s.registry_name) == ("timm:regnety_120", "regnet_y_12gf")
    s = resolve("timm:legacy_seresnet50")
    assert (s.name, s.registry_name, s.paper_macs) == ("timm:legacy_seresnet50", "se_resnet50", 3_870_000_000)


def test_timm_densenet121_counts_are_timms_not_densenet264s():
    from cnnbench.rows import static_profile

    p = static_profile("timm:densenet121", (3, 32, 32)).to_dict()
    # timm's published densenet121: 7,978,856 params (densenet264 would be 33.34M)
    assert p["params"] == 7_978_856 and p["model"] == "timm:densenet121" and "registry_name" not in p
    p = static_profile("timm:regnety_120", (3, 32, 32)).to_dict()
    assert p["model"] == "timm:regnety_120" and p["registry_name"] == "regnet_y_12gf"


# --- item 12: user code cannot choose cnnbench's exit code -----------------------------------------------------------

def test_file_that_calls_sys_exit_at_import_is_a_one_line_error(tmp_path):
    from cnnbench.errors import UserCodeError

    f = tmp_path / "bye.py"
    f.write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(UserCodeError, match=r"^cannot import .*bye.py: it called sys.exit\(3\)$"):
        resolve(f"{f}:Net")
    f.write_text("raise KeyError('k')\n")
    with pytest.raises(CnnbenchError, match=r"cannot import .*: KeyError: 'k'"):
        resolve(f"{f}:Net")


def test_sys_exit_while_building_is_a_row_error(tmp_path):
    from cnnbench.rows import static_profile

    f = tmp_path / "m.py"
    f.write_text("import sys\ndef net():\n    sys.exit(3)\n")
    p = static_profile(f"{f}:net", (3, 8, 8))
    assert p.error == "model called sys.exit(3)" and p.static is None


def test_load_user_callable_for_inputs(tmp_path):
    from cnnbench.catalog import load_user_callable

    f = tmp_path / "inp.py"
    f.write_text("def make_inputs(batch_size):\n    return batch_size * 2\n")
    assert load_user_callable(f"{f}:make_inputs")(3) == 6
    with pytest.raises(CnnbenchError, match="has no attribute 'nope'"):
        load_user_callable(f"{f}:nope")
    with pytest.raises(CnnbenchError, match="malformed --inputs"):
        load_user_callable("make_inputs", "--inputs")
    with pytest.raises(CnnbenchError, match="--inputs file not found"):
        load_user_callable("missing.py:make_inputs", "--inputs")


def test_torchvision_prefix_builds_get_model_defaults_exactly():
    # the friendly name keeps the published weights' architecture (GoogLeNet's file has no aux heads);
    # torchvision:NAME is exactly get_model(NAME, weights=None), whose GoogLeNet builds both aux classifiers
    import cnnbench

    friendly = resolve("googlenet")
    exact = resolve("torchvision:googlenet")
    assert friendly.builder_kwargs == {"model_name": "googlenet", "aux_logits": False, "init_weights": False}
    assert exact.builder_kwargs == {"model_name": "googlenet"} and exact.registry_name is None
    # an InceptionAux on C channels: 1×1 conv C·128 + BN 2·128, fc 2048·1024 + 1024, fc 1024·1000 + 1000
    # aux1 (C = 512) 3,188,968 + aux2 (C = 528) 3,191,016 on top of torchvision's num_params 6,624,904
    assert cnnbench.profile("googlenet")[0].params == 6_624_904
    assert cnnbench.profile("torchvision:googlenet")[0].params == 6_624_904 + 3_188_968 + 3_191_016
    assert resolve("torchvision:vit_h_14").input_size == (3, 224, 224)  # get_model's default image_size


# --- the one resolver (catalog/resolve.py) ---------------------------------------------------------------------------

def test_one_resolver_for_every_form():
    import torch

    from cnnbench.catalog import resolve_model, resolve_models, resolve_targets, worker_target

    renamed = resolve_model("resnet-18", "mine")
    assert (renamed.name, renamed.registry_name) == ("mine", "resnet18")
    net = torch.nn.Linear(2, 2)
    assert resolve_model(net).source == "instance" and resolve_model(net, "lin").name == "lin"
    specs = resolve_models({"a": "resnet18", "b": net})
    assert [s.name for s in specs] == ["a", "b"] and specs[0].registry_name == "resnet18"
    assert [s.name for s in resolve_models([net, torch.nn.Linear(2, 2)])] == ["Linear", "Linear#2"]
    with pytest.raises(CnnbenchError, match="a dict already names its models"):
        resolve_models({"a": "resnet18"}, name="x")
    with pytest.raises(CnnbenchError, match=r"^no model given$"):
        resolve_models([])
    # a family name among the names expands to the family; the caller words "nothing given"
    fam = resolve_targets(["squeezenet", "squeezenet1_1"], None, empty="nothing")
    assert [s.name for s in fam] == ["squeezenet1_0", "squeezenet1_1"]
    with pytest.raises(CnnbenchError, match=r"^nothing$"):
        resolve_targets([], [], empty="nothing")
    with pytest.raises(CnnbenchError, match="unknown family 'resnt'; did you mean: resnet"):
        resolve_targets([], ["resnt"], empty="nothing")
    assert worker_target("resnet18") == "resnet18"


def test_a_catalogue_that_fails_to_import_is_an_error(monkeypatch):
    monkeypatch.setattr(load, "_loaded", False)
    monkeypatch.setattr(load, "_CATALOGUES", ("cnnbench_models.no_such_catalogue",))
    with pytest.raises(ModuleNotFoundError, match="no_such_catalogue"):
        load.ensure_loaded()


@pytest.mark.parametrize("module", [m for m in load._CATALOGUES if m.startswith("cnnbench_models.")])
def test_our_catalogues_import_without_torch(module):
    # `cnnbench list` imports every catalogue: ours hold string builders only, so listing never imports torch
    subprocess.run([sys.executable, "-c", f"import sys, {module}; assert 'torch' not in sys.modules"], check=True)
