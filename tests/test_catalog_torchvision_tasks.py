"""Every torchvision model builds offline with random init and profiles at its task's default input.

Segmentation, detection, video, optical flow and the quantizable classifiers are ``torchvision:NAME`` only (not in the
catalogue); ``TASK_INPUTS`` holds their default inputs. The published counts they are checked against here are
torchvision's own weight metadata (the full oracle over every model is in ``test_catalog_torchvision_oracle.py``).
"""

import json
import socket
import urllib.request

import pytest
import torch
import torchvision
from typer.testing import CliRunner

import cnnbench
from cnnbench.catalog import list_specs, resolve
from cnnbench.catalog.build import build_meta
from cnnbench.catalog.torchvision_models import TASK_INPUTS, task_of
from cnnbench.cli.app import app
from cnnbench.plan import Plan

TASKS = sorted(TASK_INPUTS)
G = 1e9
GMAC_ROUNDING = 0.0005  # torchvision publishes _ops (GMACs) with 3 decimals


@pytest.fixture
def no_network(monkeypatch):
    """Every way a build could reach the network raises: torchvision's weight loader, torch.hub, urllib, sockets."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access during the build: {args[:1]}")

    import torch.hub
    import torchvision.models._api

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_torchvision_model_is_a_registered_classifier_or_a_task_model():
    registered = {s.name for s in list_specs(source="torchvision")}
    assert not registered & set(TASK_INPUTS)
    assert set(torchvision.models.list_models()) == registered | set(TASK_INPUTS)
    assert len(TASK_INPUTS) == 41  # 6 segmentation + 12 detection + 9 video + 2 optical flow + 12 quantizable


@pytest.mark.parametrize("name", TASKS)
def test_task_is_torchvision_module(name):
    module = torchvision.models.get_model_builder(name).__module__.split(".")[2]
    expected = {"quantization": "classification (quantizable)"}.get(module, module)
    assert task_of(name) == expected


@pytest.mark.parametrize("name", TASKS)
def test_default_inputs_are_what_the_weights_transforms_feed(name):
    """The table against torchvision itself: its weights' preset transforms and the detectors' own resize."""
    weights = torchvision.models.get_model_weights(name).DEFAULT
    kw = getattr(weights.transforms, "keywords", {})
    task, shapes = TASK_INPUTS[name]
    if task == "segmentation":
        assert kw["resize_size"] == 520 and shapes == ((3, 520, 520),)
    elif task == "video":  # C x T x H x W: 16 frames (torchvision's _ops clips) at the crop
        assert shapes == ((3, 16, *kw["crop_size"]),)
    elif task == "optical_flow":  # two images, sides divisible by 8 and ≥ 128 (the correlation pyramid's minimum)
        (a, b) = shapes
        assert a == b and a[0] == 3 and all(d % 8 == 0 and d >= 128 for d in a[1:])
    elif task == "detection":
        t = build_meta(resolve(f"torchvision:{name}")).transform
        side = t.fixed_size[0] if t.fixed_size else t.min_size[-1]  # eval resizes to the last min_size
        assert shapes == ((3, side, side),)
    else:  # quantizable classifier: its crop, as its float twin's
        assert shapes == ((3, kw["crop_size"], kw["crop_size"]),)


def test_the_network_guard_catches_a_backbone_download(no_network):
    # regression: get_model without weights_backbone=None fetches the ImageNet backbone (URLError offline)
    with pytest.raises(AssertionError, match="network access"):
        torchvision.models.get_model("fcn_resnet50", weights=None)


@pytest.mark.parametrize("name", TASKS)
def test_every_task_model_builds_offline(no_network, name):
    spec = resolve(f"torchvision:{name}")
    assert spec.input_shapes == TASK_INPUTS[name][1]
    assert isinstance(build_meta(spec), torch.nn.Module)


# Published figures (torchvision's weights metadata: num_params, _ops in GMACs) at the default input.
@pytest.mark.parametrize("name, shape, params, gmacs", [
    ("lraspp_mobilenet_v3_large", (1, 3, 520, 520), 3_221_538, 2.086),  # segmentation: a dict output
    ("r3d_18", (1, 3, 16, 112, 112), 33_371_472, 40.697),  # video: was "Invalid channel dimensions" at 3x224x224
    ("quantized_resnet18", (1, 3, 224, 224), 11_689_512, 1.814),  # float quantizable: resnet18's counts
    ("ssdlite320_mobilenet_v3_large", (1, 3, 320, 320), 3_440_060, 0.583),  # detection: list of dicts out
])
def test_library_profile_at_the_default_input(no_network, name, shape, params, gmacs):
    (row,) = cnnbench.profile(f"torchvision:{name}", latency=False)
    assert row.error is None
    assert row.input_shape == shape
    assert row.params == params
    assert row.macs / G == pytest.approx(gmacs, abs=GMAC_ROUNDING)


def test_raft_takes_two_images_by_default(no_network):
    assert Plan.parse(["torchvision:raft_small"]).inputs[0].shapes == ((3, 512, 512), (3, 512, 512))
    (row,) = cnnbench.profile("torchvision:raft_small", latency=False)
    assert row.error is None and row.extra["inputs"] == "1x3x512x512, 1x3x512x512"
    assert row.params == 990_162 and row.macs / G == pytest.approx(47.655, abs=GMAC_ROUNDING)


def test_two_stage_detector_counts_the_full_proposal_budget(no_network):
    # Random init on the default (zero) image keeps every proposal the RPN may pass: rpn_post_nms_top_n_test = 150
    # for the 320 model, and no detection reaches a head. MACs = dense part (backbone + RPN head, torchvision's
    # published 0.719 G, whose pretrained run passed no proposal) + 150 × the box head per proposal:
    # fc6 256·7·7·1024 + fc7 1024·1024 + cls 1024·91 + box 1024·(91·4) = 12,845,056 + 1,048,576 + 93,184 + 372,736
    # = 14,359,552 → 718,998,400 + 150 × 14,359,552 = 2,872,931,200.
    (row,) = cnnbench.profile("torchvision:fasterrcnn_mobilenet_v3_large_320_fpn", latency=False)
    assert row.error is None and row.static.trace_device == "cpu"
    assert row.macs == 718_998_400 + 150 * 14_359_552
    # published 19,386,354 + the backbone's 24,400 BatchNorm affine numbers, which the weights freeze (buffers there)
    assert row.params == 19_386_354 + 24_400


def test_video_input_size_shorthand_keeps_channels_and_frames():
    assert Plan.parse(["torchvision:r3d_18"], input_size="64").inputs[0].shapes == ((3, 16, 64, 64),)


def test_cli_profiles_one_model_of_each_task():
    res = CliRunner().invoke(app, ["profile", "--no-latency", "-f", "json", "torchvision:deeplabv3_mobilenet_v3_large",
                                   "torchvision:mc3_18", "torchvision:raft_small", "torchvision:ssd300_vgg16",
                                   "torchvision:quantized_mobilenet_v2"])
    assert res.exit_code == 0, res.output
    rows = {r["model"]: r for r in json.loads(res.stdout)}
    assert all(r["error"] is None for r in rows.values())
    assert rows["torchvision:mc3_18"]["macs"] / G == pytest.approx(43.343, abs=GMAC_ROUNDING)
    assert rows["torchvision:ssd300_vgg16"]["macs"] / G == pytest.approx(34.858, abs=GMAC_ROUNDING)
    assert rows["torchvision:raft_small"]["inputs"] == "1x3x512x512, 1x3x512x512"
    # deeplabv3 without the aux head its weights keep: published 11,029,328 − FCNHead(40, 21)'s 3,851
    assert rows["torchvision:deeplabv3_mobilenet_v3_large"]["params"] == 11_029_328 - 3_851
    assert rows["torchvision:quantized_mobilenet_v2"]["params"] == 3_504_872


@pytest.mark.parametrize("name, size", [
    ("lraspp_mobilenet_v3_large", (3, 64, 64)),  # dict output
    ("r3d_18", (3, 2, 16, 16)),  # 5-D clip
])
def test_eager_latency_runs_task_models(name, size):
    (row,) = cnnbench.profile(f"torchvision:{name}", input_size=size, latency=True, budget=0.05, min_samples=2,
                              warmup=0.0, threads=1)
    assert row.error is None
    assert row.latency["latency_ms"]["median"] > 0


@pytest.mark.parametrize(("name", "family"), [("r3d_18", "r3d"), ("r2plus1d_18", "r2plus1d"),
                                              ("deeplabv3_mobilenet_v3_large", "deeplabv3"), ("raft_small", "raft"),
                                              ("quantized_resnet18", "resnet"), ("quantized_mobilenet_v2", "mobilenet")])
def test_a_task_model_is_in_the_family_its_name_starts_with(name, family):
    # the name's first word; a quantizable classifier is in its float twin's family (not "r" or "quantized")
    assert resolve(f"torchvision:{name}").family == family


@pytest.mark.parametrize("friendly, name", [("deeplabv3", "deeplabv3_resnet50"),
                                            ("mobile_deeplabv3", "deeplabv3_mobilenet_v3_large"),
                                            ("LR-ASPP", "lraspp_mobilenet_v3_large"),
                                            ("ssdlite", "ssdlite320_mobilenet_v3_large"),
                                            ("deeplabv3_resnet101", "deeplabv3_resnet101")])
def test_the_seeds_task_models_resolve_by_friendly_or_bare_name(friendly, name):
    # seed 003 names DeepLabv3, LR-ASPP and SSDLite: they resolve to torchvision:NAME (not registry entries, so the
    # registry's torchvision source stays the 80 classifiers)
    spec = resolve(friendly)
    assert spec.name == f"torchvision:{name}" and spec.input_size == TASK_INPUTS[name][1][0]
    assert spec.name not in {s.name for s in list_specs(source="torchvision")}


def test_lraspp_by_its_friendly_name_counts_torchvision_params():
    # LRASPP_MobileNet_V3_Large_Weights meta: num_params 3,221,538 (the weights' build has no aux head either)
    prof = cnnbench.profile("lraspp")[0]
    assert prof.params == 3_221_538
