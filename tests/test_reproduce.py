"""`cnnbench reproduce`: the published formulas/values each reproduction checks, and the CLI.

Each reproduction runs once through the CLI (static part, ``--no-latency``) into a temporary directory; the
assertions read the CSV files it wrote, so the files and the numbers are tested together. One tiny-budget run
exercises the timed path.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from cnnbench import reproduce
from cnnbench.cli.app import app
from cnnbench.reproduce.shufflenetv2_nets import conv_mac, g1_net, g2_configs

cli = CliRunner()


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("reproduce")


def _run(outdir, name: str, *extra: str) -> pd.DataFrame:
    res = cli.invoke(app, ["reproduce", name, "-o", str(outdir), *extra])
    assert res.exit_code == 0, res.output
    assert "Verdict" in res.output
    assert (outdir / f"{name}.md").stat().st_size > 0
    return pd.read_csv(outdir / f"{name}.csv")


# ----------------------------------------------------------------------------- resnet-checkpoints
@pytest.fixture(scope="module")
def resnet(outdir):
    return _run(outdir, "resnet-checkpoints"), outdir


def test_resnet_checkpoint_sizes_match_seed_and_torchvision(resnet):
    df, _ = resnet
    r18 = df[df.model == "ResNet18"].iloc[0]
    assert r18["our params (M)"] == pytest.approx(11.689512)  # torchvision num_params 11,689,512
    assert abs(r18["our ckpt (MiB)"] - 44.66) / 44.66 < 0.005  # the seed's 44.66MB (MiB)
    # every model within 0.5% of the seed's MB and of torchvision's published _file_size
    assert (df["ckpt Δ vs seed %"].abs() < 0.5).all()
    assert (df["ckpt Δ vs torchvision %"].abs() < 0.5).all()


def test_resnet_size_over_four_rule(resnet):
    _, d = resnet
    rule = pd.read_csv(d / "resnet-checkpoints_rule.csv")
    # fp32: 4 bytes per parameter plus BN buffers and the zip container → a little above 4
    assert ((rule["ckpt bytes / param"] > 4.0) & (rule["ckpt bytes / param"] < 4.1)).all()
    # the seed's literal rule (MiB / 4 read as millions) is low by 2^20/10^6 ≈ 4.6% at most
    assert (rule["seed rule error %"].between(-4.9, -3.0)).all()


def test_basic_vs_bottleneck_block_params(resnet):
    _, d = resnet
    blocks = pd.read_csv(d / "resnet-checkpoints_blocks.csv").set_index("stage")
    # layer1: BasicBlock 2·9·64² = 73,728 conv weights + 2 BN × 2 × 64 = 256 → 73,984
    assert blocks.loc["layer1", "ResNet34 block params"] == 73_984
    # Bottleneck 256·64 + 9·64² + 64·256 = 69,632 + BN 2·(64+64+256) = 768 → 70,400
    assert blocks.loc["layer1", "ResNet50 block params"] == 70_400
    assert (blocks["Bottleneck formula 17w²"] < blocks["BasicBlock formula 18w²"]).all()
    diff = pd.read_csv(d / "resnet-checkpoints_diff.csv").set_index("part")
    assert diff.loc["fc", "ResNet50 − ResNet34"] == (2048 - 512) * 1000  # the 4× wider FC input
    assert diff.loc["total", "ResNet50 − ResNet34"] == 25_557_032 - 21_797_672


# ----------------------------------------------------------------------------- vgg-3x3-stack
def test_vgg_27c2_vs_49c2(outdir):
    df = _run(outdir, "vgg-3x3-stack", "--no-latency")
    for c, d in df.groupby("C"):
        stack = d[d.variant == "3 × 3×3"].iloc[0]
        big = d[d.variant == "1 × 7×7"].iloc[0]
        assert stack["our params"] == 27 * c * c
        assert big["our params"] == 49 * c * c
        assert stack["MMACs"] * 1e6 == pytest.approx(56 * 56 * 27 * c * c)
        assert stack["receptive field"] == big["receptive field"] == "7×7"
    ratios = pd.read_csv(outdir / "vgg-3x3-stack_ratios.csv")
    assert ratios["our params ratio"].tolist() == pytest.approx([49 / 27] * 3)  # "81% more"
    assert (ratios["mem access ratio"] < 1).all()  # the stack moves more feature-map data


# ----------------------------------------------------------------------------- shufflenetv2 G1-G4
def test_g1_memory_access_is_paper_formula_per_conv():
    from cnnbench.analysis import analyze

    with torch.device("meta"):
        model = g1_net(32, 32)
    convs = [r for r in analyze(model, (1, 32, 56, 56)).records if r.op == "convolution"]
    assert len(convs) == 20  # 10 blocks × 2 convs
    # h·w·(c1+c2) + c1·c2 = 3136·64 + 1024 = 201,728 (reference's derived table)
    assert all(r.memory_access_elements == 201_728 for r in convs)
    assert conv_mac(9, 108) == 367_884 and conv_mac(128, 128) == 819_200
    assert sum(r.macs for r in convs) == 64_225_280  # 20 × 56²·32·32


def test_g2_gpu_set_formula_values():
    # per layer h·w·2c + c²/g: g=8, c=360 → 3136·720 + 16,200 = 2,274,120 (reference's derived values)
    cfg = next(c for c in g2_configs("gpu") if c.scale == "×1" and c.label == "g=8")
    assert cfg.conv_mac[0] == 2_274_120
    cpu = next(c for c in g2_configs("cpu") if c.scale == "×1" and c.label == "g=8")
    assert cpu.in_channels == 184  # 180 is not divisible by 8


@pytest.mark.parametrize("exp", ["g1", "g2", "g3", "g4"])
def test_guideline_tables_static(outdir, exp):
    df = _run(outdir, f"shufflenetv2-{exp}", "--no-latency")
    assert df["conv mem access = formula"].all()  # every conv of every configuration
    assert (df["MMACs"] == df["paper formula MMACs"]).all()
    assert len(df) == {"g1": 12, "g2": 12, "g3": 15, "g4": 12}[exp]
    first = df.groupby("scale", sort=False).head(1)
    assert (first["paper ARM/CPU norm"] == 1).all()
    if exp == "g1":  # equal widths minimise memory access per conv at every scale
        for _, d in df.groupby("scale"):
            mac = d["conv mem access, formula (elem)"].astype(int).tolist()
            assert mac == sorted(mac)
    if exp == "g4":  # element-wise ops: no MACs, a real share of the memory traffic
        full = df[df.config == "ReLU yes, short-cut yes"]["element-wise share of mem access %"]
        none = df[df.config == "ReLU no, short-cut no"]["element-wise share of mem access %"]
        assert (full > 20).all() and (none == 0).all()


def test_guideline_timed_tiny_budget(outdir):
    df = _run(outdir, "shufflenetv2-g4", "--budget", "0", "--min-samples", "2", "--warmup", "0")
    assert (df["images/s"] > 0).all()
    assert df.groupby("scale", sort=False)["ours norm"].first().tolist() == [1.0, 1.0, 1.0]
    assert (outdir / "shufflenetv2-g4_speed.png").stat().st_size > 1000


# ----------------------------------------------------------------------------- fig1
def test_fig1_operating_points(outdir):
    df = _run(outdir, "shufflenetv2-fig1", "--no-latency")
    assert len(df) == 20 and set(df.level) == {"40M", "140M", "300M", "500M"}
    assert (df["MACs Δ %"].abs() < 8).all()  # Table 8's MFLOPs (= MACs)
    mbv1 = df[df.family == "MobileNet v1"]["our MMACs"].tolist()
    assert mbv1 == pytest.approx([41.03, 149.5, 325.4, 568.74], rel=2e-3)
    ops = df.set_index(["family", "level"])["ops (non-view)"]
    # channel split/shuffle/concat make ShuffleNet v2 run about twice as many ops as MobileNet v1
    assert ops["ShuffleNet v2", "40M"] > 1.5 * ops["MobileNet v1", "40M"]
    assert (outdir / "shufflenetv2-fig1_speed.png").stat().st_size > 1000


# ----------------------------------------------------------------------------- mobilenetv1-pointwise
def test_mobilenetv1_pointwise_shares(outdir):
    df = _run(outdir, "mobilenetv1-pointwise").set_index("layer type")
    assert abs(df.loc["Conv 1×1", "our params %"] - 75) < 2
    assert abs(df.loc["Conv 1×1", "our MACs %"] - 95) < 1
    assert abs(df.loc["Fully connected", "our params %"] - 24.33) < 1
    assert df.loc["Fully connected", "params"] == 1024 * 1000 + 1000
    assert df.loc["Conv DW 3×3", "layers"] == 13 and df.loc["Conv 1×1", "layers"] == 13
    # first layer 3→32, 3×3, stride 2: 112·112·32·27 = 10,838,016 MACs
    assert df.loc["Conv dense 3×3 (first layer)", "MMACs"] * 1e6 == pytest.approx(10_838_016)
    assert not math.isnan(df.loc["Total", "params"])


# ----------------------------------------------------------------------------- CLI
def test_list():
    res = cli.invoke(app, ["reproduce", "--list"])
    assert res.exit_code == 0
    for name in reproduce.names():
        assert name in res.output
    # resnet-checkpoints, vgg-3x3-stack, shufflenetv2-g1..g4, shufflenetv2-fig1, mobilenetv1-pointwise,
    # regnet-activations, convnext-roadmap, stdn-stem, shift-zero-flop, internimage-sizes, abstract-costs,
    # compression-sizes, low-rank
    assert len(reproduce.names()) == 17 and "regnet-activations" in reproduce.names()
    for module, _, fn in (r.target.partition(":") for r in reproduce.REPRODUCTIONS):  # every entry's run exists
        import importlib

        assert callable(getattr(importlib.import_module(f"cnnbench.reproduce.{module}"), fn))


def test_unknown_name_exit_2_with_suggestion():
    res = cli.invoke(app, ["reproduce", "shufflenet-g1"])
    assert res.exit_code == 2
    assert "did you mean" in res.output and "shufflenetv2-g1" in res.output


def test_cuda_unavailable_is_clean_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    res = cli.invoke(app, ["reproduce", "vgg-3x3-stack", "--device", "cuda", "-o", str(tmp_path)])
    assert res.exit_code == 2
    assert "CUDA is not available" in res.output
    assert not list(tmp_path.iterdir())
