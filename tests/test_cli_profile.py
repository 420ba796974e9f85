"""`cnnbench list` / `profile` through typer's CliRunner: outputs, exit codes, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.records import STATIC_KEYS

DATA = Path(__file__).parent / "data"
USER = str(DATA / "user_models.py")
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def one_line_error(res, code=2):
    assert res.exit_code == code, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in res.output
    return lines[0]


def test_profile_json_has_exact_keys_and_hand_checked_values():
    res = run("profile", f"{USER}:TwoConv", "--input-size", "3x8x8", "--no-latency", "-f", "json")
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    assert list(rec)[: len(STATIC_KEYS)] == list(STATIC_KEYS)
    # params: 4*3*3*3 = 108 + 2*4 = 8 → 116
    assert rec["params"] == 116
    # MACs: 8*8 positions × (4 out × 27) = 6912 + 64 × (2 × 4) = 512 → 7424
    assert rec["macs"] == 7424 and rec["flops"] == 2 * 7424
    # activations: 4*64 + 2*64 = 384
    assert rec["activations"] == 384
    # memory access: conv a: in 192 + w 108 + out 256 = 556; conv b: in 256 + w 8 + out 128 = 392 → 948
    assert rec["memory_access_elements"] == 948 and rec["memory_access_bytes"] == 4 * 948
    assert rec["input_shape"] == [1, 3, 8, 8] and rec["dtype"] == "fp32" and rec["error"] is None
    assert rec["arithmetic_intensity"] == pytest.approx(2 * 7424 / (4 * 948), abs=1e-3)


def test_batch_size_scales_macs_and_factory_form():
    res = run("profile", f"{USER}:two_conv", "--input-size", "8", "-b", "1,4", "--no-latency", "-f", "json")
    assert res.exit_code == 0, res.output
    a, b = json.loads(res.stdout)
    assert (a["input_shape"][0], b["input_shape"][0]) == (1, 4)
    assert b["macs"] == 4 * a["macs"] and b["params"] == a["params"]


def test_module_factory_form_and_registry_alias():
    res = run("profile", "torchvision.models:squeezenet1_1", "squeezenet-1.1", "--input-size", "64",
              "--no-latency", "-f", "json")
    assert res.exit_code == 0, res.output
    a, b = json.loads(res.stdout)
    assert a["params"] == b["params"] == 1235496  # torchvision's published num_params
    assert b["model"] == "squeezenet1_1"


def test_csv_and_markdown_outputs(tmp_path):
    res = run("profile", "squeezenet1_1", "--no-latency", "-f", "csv", "-o", str(tmp_path / "out.md"))
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].startswith("model,source,family,input_shape")
    md = (tmp_path / "out.md").read_text()
    assert md.startswith("| model | source |") and "squeezenet1_1" in md


def test_table_names_units_and_conventions():
    res = run("profile", "squeezenet1_1", "--no-latency")
    assert res.exit_code == 0
    for text in ("MACs", "params", "ckpt", "mem access", "(B)", "multiply-accumulates", "FLOPs = 2 ×",
                 "k/M/G = 10^3/10^6/10^9", "KiB/MiB/GiB = 2^10/2^20/2^30 bytes", "attention", "one fused op"):
        assert text in " ".join(res.stdout.split())  # the conventions line wraps at the terminal's width
    # squeezenet1_1: 1,235,496 params, 349,152,512 MACs (torchvision: 0.349 GFLOPS),
    # 4,960,839-byte checkpoint / 2^20 = 4.73 MiB (torchvision's _file_size: 4.729)
    assert "1.24M" in res.stdout and "349.15M" in res.stdout and "4.73 MiB" in res.stdout


def test_by_module_and_by_op():
    res = run("profile", "resnet18", "--no-latency", "--by", "module", "--depth", "1")
    assert res.exit_code == 0
    assert "layer1" in res.stdout and "by module (depth 1)" in res.stdout
    # each module's output shape, as torchinfo's summary shows it: resnet18 at 224 halves to 112 (conv1), 56 (maxpool,
    # layer1), 28, 14, 7 (layer2-4); fc gives the 1000 logits
    names = {"conv1", "maxpool", "layer1", "layer2", "layer3", "layer4", "fc"}
    table = res.stdout[res.stdout.index("by module (depth 1)"):]
    rows = {p[0]: p[1] for ln in table.splitlines() if (p := ln.split()) and p[0] in names}
    assert rows["conv1"] == "1x64x112x112" and rows["maxpool"] == rows["layer1"] == "1x64x56x56"
    assert (rows["layer2"], rows["layer3"], rows["layer4"]) == ("1x128x28x28", "1x256x14x14", "1x512x7x7")
    assert rows["fc"] == "1x1000" and "output" in res.stdout
    res = run("profile", "resnet18", "--no-latency", "--by", "op")
    assert "convolution" in res.stdout and "ops without a FLOP formula" in res.stdout


def test_counter_all_shows_fvcore_and_thop():
    res = run("profile", "squeezenet1_1", "--input-size", "64", "--no-latency", "--counter", "all")
    assert res.exit_code == 0, res.output
    assert "fvcore" in res.stdout and "thop" in res.stdout and "vs ours" in res.stdout


def test_list_family_and_json():
    res = run("list", "--family", "resnet", "-f", "json")
    assert res.exit_code == 0
    names = {r["model"] for r in json.loads(res.stdout)}
    assert {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"} <= names
    assert all(r["family"] == "resnet" for r in json.loads(res.stdout))


@pytest.mark.parametrize(
    "args, expected",
    [
        (["profile", "resnt50", "--no-latency"], "did you mean: resnet50"),
        (["profile", "resnet18", "--input-size", "22a", "--no-latency"], "malformed --input-size"),
        (["profile", "resnet18", "--input-size", "0", "--no-latency"], "malformed --input-size"),
        (["profile", "resnet18", "--batch-size", "0", "--no-latency"], "--batch-size must be ≥ 1"),
        (["profile", "resnet18", "--batch-size", "1,x", "--no-latency"], "malformed --batch-size"),
        (["profile", "resnet18", "--dtype", "fp8", "--no-latency"], "unknown dtype"),
        (["profile", "nope/missing.py:Net", "--no-latency"], "model file not found"),
        (["profile", f"{USER}:Missing", "--no-latency"], "has no attribute 'Missing'"),
        (["profile", f"{USER}:not_a_module", "--no-latency"], "did not return an nn.Module"),
        (["profile", f"{USER}:tensor_factory", "--no-latency"], "did not return an nn.Module"),
        (["profile", f"{DATA / 'syntax_error.py'}:broken", "--no-latency"], "syntax error at line 1"),
        (["profile", "no_such_pkg.mod:factory", "--no-latency"], "no module 'no_such_pkg'"),
        (["profile", "resnet18", "--by", "layer", "--no-latency"], "unknown --by"),
        (["profile", "resnet18", "--counter", "ptflops", "--no-latency"], "unknown --counter"),
        (["profile", "resnet18", "--format", "xml", "--no-latency"], "unknown --format"),
        (["profile", "resnet18", "--device", "cuda"], "CUDA is not available"),
        (["profile", "resnet18", "--device", "tpu"], "unknown device"),
        (["profile", "resnet18", "--runtime", "tvm"], "unknown runtime 'tvm'"),
        (["profile", "resnet18", "--budget", "0"], "--budget must be a finite number > 0"),
        (["profile", "resnet18", "--budget", "-1"], "--budget must be a finite number > 0"),
        (["list", "--family", "resnett"], "did you mean: resnet"),
        (["profile", "timm:resnet5O", "--no-latency"], "unknown timm model"),
        (["profile", "torchvision:resnet5", "--no-latency"], "unknown torchvision model"),
        (["profile", "resnet18", "--no-such-option"], "No such option"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, expected):
    line = one_line_error(run(*args))
    assert expected in line


def test_forward_that_raises_is_a_row_and_others_finish():
    res = run("profile", f"{USER}:Broken", "squeezenet1_1", "--input-size", "32", "--no-latency", "-f", "json")
    assert res.exit_code == 1
    broken, ok = json.loads(res.stdout)
    assert "this forward always fails" in broken["error"] and broken["macs"] is None
    assert ok["error"] is None and ok["params"] == 1235496


def test_help_and_list_do_not_import_torch():
    code = ("import sys; from cnnbench.cli.app import app; from cnnbench.catalog import list_specs; "
            "list_specs(); print(sorted(m for m in ('torch', 'torchvision', 'timm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "cnnbench", "--help"], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "profile" in out.stdout


def _cli(*args: str, columns: int) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CNNBENCH_DEBUG")}
    env["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "cnnbench", *args], check=False, env=env, capture_output=True,
                          text=True, timeout=300)


LAT_FAST = ["--runtime", "eager", "--budget", "0.02", "--min-samples", "2", "--warmup", "0", "--threads", "1"]


def test_narrow_terminal_always_shows_the_model_column():
    # COLUMNS=20: the table keeps the model names and drops numbers until it fits, never the other way round
    out = _cli("profile", f"{USER}:TwoConv", "squeezenet1_1", "--input-size", "32", *LAT_FAST, columns=20)
    assert out.returncode == 0, out.stderr
    import re

    lines = out.stdout.split("MACs =")[0].splitlines()
    rule = lines.index(next(ln for ln in lines if ln.startswith("─")))
    assert max(len(line) for line in lines) <= 20, out.stdout
    assert "model" in lines[rule - 1] and "median" in lines[rule - 2]  # the latency column is the last number kept
    body = lines[rule + 1:]
    # the model column, folded at its width: the first cell of each line, joined
    names = "".join(re.split(r"\s{2,}", ln.strip())[0] for ln in body if ln.strip() and not ln.startswith("*"))
    assert f"{USER}:TwoConv" in names and "squeezenet1_1" in names, out.stdout


def test_title_says_each_shared_value_once():
    # dtype fp32 and precision fp32 are one value: "cpu, eager, fp32", not "cpu, eager, fp32, fp32"
    res = run("profile", f"{USER}:TwoConv", "--input-size", "8", *LAT_FAST)
    assert res.exit_code == 0, res.output
    title = res.stdout.splitlines()[0]
    assert "cnnbench profile — cpu, eager, fp32" in title and "fp32, fp32" not in title
    from cnnbench.report import common_label

    rows = [{"device": "cpu", "runtime": "eager", "dtype": "bf16", "precision": "cast-bf16"}]
    assert common_label(rows) == "cpu, eager, cast-bf16"


def test_narrow_compare_with_ratios_keeps_the_model_column():
    # --relative-to adds ×params/×MACs/×mem; at COLUMNS=20 they give way before the model names do
    out = _cli("compare", f"{USER}:TwoConv", "squeezenet1_1", "--input-size", "32", "--no-latency", "--relative-to",
               "squeezenet1_1", columns=20)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("sorted by")[0].splitlines()
    assert max(len(line) for line in lines) <= 20 and any(ln.startswith("model") for ln in lines), out.stdout
    rule = lines.index(next(ln for ln in lines if ln.startswith("─")))
    names = "".join(ln.strip() for ln in lines[rule + 1:])  # the one column left, folded at its width: rejoined
    assert f"{USER}:TwoConv" in names and "squeezenet1_1" in names, out.stdout
