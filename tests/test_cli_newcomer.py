"""What a newcomer meets first: tables at 80 columns, --columns, --debug tracebacks of failed rows, a model that
prints, several inputs from the CLI, `make run` leaving the checkout clean."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.report import nbytes

ROOT = Path(__file__).resolve().parents[1]
CNNBENCH = str(Path(sys.executable).with_name("cnnbench"))
USER = "tests/data/user_models.py"  # relative to ROOT: short names, as a user types them
FAST = ["--budget", "0.2", "--min-samples", "3", "--warmup", "0", "--threads", "1"]
runner = CliRunner()


def cli(*args: str, columns: int | None = None, check_rc: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "CNNBENCH_DEBUG")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    proc = subprocess.run([CNNBENCH, *args], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stdout + proc.stderr
    return proc


def squash(text: str) -> str:
    """Rich wraps captions at the table width: compare text with any run of whitespace as one space."""
    return " ".join(text.split())


def row_line(text: str, start: str) -> str:
    """The first printed line of the row whose model name begins with ``start`` (long names wrap onto more lines)."""
    return next(ln for ln in text.splitlines() if ln.startswith(start))


def assert_fits(text: str, width: int = 80) -> None:
    assert "…" not in text, text
    too_wide = [ln for ln in text.splitlines() if len(ln) > width]
    assert not too_wide, "\n".join(too_wide)


def test_byte_sizes_keep_their_prefix():
    # the tied-weight checkpoint: 23,261 B / 1024 = 22.72 KiB, not "0.02 MiB"
    assert nbytes(23_261) == "22.72 KiB"
    assert nbytes(512) == "512 B" and nbytes(1023) == "1023 B" and nbytes(1024) == "1.00 KiB"
    # squeezenet1_1: 4,960,839 B / 2^20 = 4.731 (torchvision's _file_size 4.729 MB is the same MiB)
    assert nbytes(4_960_839) == "4.73 MiB"
    assert nbytes(3 * 2**30) == "3.00 GiB" and nbytes(None) == "—"


def test_profile_default_table_fits_80_columns_with_latency_and_an_error():
    proc = cli("profile", "squeezenet1_1", f"{USER}:TwoConv", f"{USER}:Broken", "--input-size", "64", *FAST,
               columns=80, check_rc=1)
    out = proc.stdout
    assert_fits(out)
    header = out.split("─" * 10)[0]
    for col in ("model", "input", "params", "MACs", "mem access", "median", "IQR", "error"):
        assert col in header, out
    # squeezenet1_1 at 64×64: 1,235,496 params, 21,584,576 MACs, 9,109,440 B of memory access / 2^20 = 8.69 MiB
    sq = row_line(out, "squeezenet1_1")
    assert "1x3x64x64" in sq and "1.24M" in sq and "21.58M" in sq and "8.69 MiB" in sq
    # TwoConv at 64×64: MACs 4096 × (4×27 + 2×4) = 475,136; memory access (3+4)·4096 + 108 + (4+2)·4096 + 8
    # = 53,364 elements × 4 B = 213,456 B / 1024 = 208.45 KiB
    two, broken = [ln for ln in out.splitlines() if ln.startswith("tests/data/user")]  # rows in the order given
    assert "116" in two and "475.14k" in two and "208.45 KiB" in two
    # the median column holds a number in ms (3 decimals below 10 ms) for both working rows
    assert re.search(r"\d+\.\d+\*?\s+\d+\.\d+\s*$", sq), sq
    # the failed row is marked, its error is under the table, on stdout
    assert broken.split()[-1] == "[1]" and "—" in broken
    assert "[1] tests/data/user_models.py:Broken" in out and "RuntimeError: this forward always fails" in squash(out)


def test_profile_table_in_a_wide_pipe_keeps_more_columns():
    proc = cli("profile", f"{USER}:TwoConv", "--input-size", "3x8x8", "--no-latency", check_rc=0)
    line = row_line(proc.stdout, USER)
    # ckpt and acts come back when there is room: 4·64 + 2·64 = 384 activations
    assert "KiB" in line and line.split()[-2] == "384"
    assert "error" not in proc.stdout.split("─" * 10)[0]  # no failed row, no error column


def test_compare_default_table_fits_80_columns_with_ratios():
    proc = cli("compare", "squeezenet1_1", f"{USER}:TwoConv", "--input-size", "64", *FAST, "--rounds", "1",
               "--relative-to", "squeezenet1_1", columns=80, check_rc=0)
    tables = proc.stdout.split("Which proxy")[0]
    assert_fits(tables)
    assert "input 1x3x64x64" in tables  # one input for all rows: said in the title, not per row
    for col in ("×params", "×MACs", "×mem", "×latency", "median"):
        assert col in tables, tables
    # TwoConv / squeezenet1_1: 475,136 / 21,584,576 MACs = 0.022 → 0.02×; squeezenet1_1 against itself 1.00×
    two = row_line(tables, "tests/data/user")
    assert "0.02×" in two and "475.14k" in two
    assert "1.00×" in row_line(tables, "squeezenet1_1")


def test_columns_picks_exactly_and_json_keeps_every_key():
    args = ["profile", f"{USER}:TwoConv", "--input-size", "3x8x8", "--no-latency"]
    res = runner.invoke(app, [*args, "--columns", "model,params,macs,acts,checkpoint_bytes"])
    assert res.exit_code == 0, res.output
    head, body = res.stdout.split("─" * 10, 1)
    head = "\n".join(ln for ln in head.splitlines() if "cnnbench profile" not in ln)  # the title
    assert head.split() == ["ckpt", "model", "params", "MACs", "acts", "(B)"]  # the unit under its header
    row = row_line(body, USER).split()
    # 116 params; MACs 64 × (4×27 + 2×4) = 7,424 → 7.42k; activations (4 + 2) × 64 = 384
    assert row[1:4] == ["116", "7.42k", "384"] and row[5] == "KiB"
    plain = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    chosen = json.loads(runner.invoke(app, [*args, "-f", "json", "--columns", "model,params"]).stdout)
    assert chosen == plain and "memory_access_bytes" in chosen[0]


def test_unknown_column_is_one_line_exit_2_listing_the_valid_ones():
    res = runner.invoke(app, ["profile", "squeezenet1_1", "--no-latency", "--columns", "model,flopz"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: unknown column 'flopz' in --columns"), res.output
    assert "params" in lines[0] and "latency_ms_median" in lines[0] and "Traceback" not in res.output


BAD = '''
import torch
from torch import nn


class Bad(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        y = self.conv(x)
        raise ValueError("forward refuses this input")
'''


def test_debug_prints_the_traceback_of_a_failed_row(tmp_path):
    (tmp_path / "bad.py").write_text(textwrap.dedent(BAD))
    model = f"{tmp_path / 'bad.py'}:Bad"
    proc = cli("--debug", "profile", model, "--input-size", "8", "--no-latency", check_rc=1)
    assert "Traceback (most recent call last)" in proc.stderr, proc.stderr
    # the frame and the source line that raised
    assert re.search(r'File ".*bad\.py", line 13, in forward', proc.stderr), proc.stderr
    assert 'raise ValueError("forward refuses this input")' in proc.stderr
    # without --debug: no traceback, one line in the row, exit 1
    proc = cli("profile", model, "--input-size", "8", "--no-latency", "-f", "json", check_rc=1)
    assert "Traceback" not in proc.stderr
    (row,) = json.loads(proc.stdout)
    assert "ValueError: forward refuses this input" in row["error"] and "\n" not in row["error"]


NOISY = '''
import torch
from torch import nn

print("noisy: imported")


class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        print("noisy: built")
        self.conv = nn.Conv2d(3, 2, 1)

    def forward(self, x):
        print("noisy: forward", tuple(x.shape))
        return self.conv(x)
'''


def test_a_model_that_prints_keeps_json_on_stdout(tmp_path):
    (tmp_path / "noisy.py").write_text(textwrap.dedent(NOISY))
    proc = cli("profile", f"{tmp_path / 'noisy.py'}:Noisy", "--input-size", "3x4x4", "--no-latency", "-f", "json",
               check_rc=0)
    (row,) = json.loads(proc.stdout)  # nothing but the JSON on stdout
    assert row["params"] == 3 * 2 + 2  # Conv2d(3, 2, 1): 6 weights + 2 biases
    assert "noisy: imported" in proc.stderr and "noisy: built" in proc.stderr and "noisy: forward" in proc.stderr


def _make(*args: str) -> str:
    proc = subprocess.run(["make", "-n", *args], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_run_writes_an_ignored_folder_and_make_results_the_committed_one():
    run = _make("run")
    assert "-o out/compare-resnet.md" in run and "results/" not in run
    assert ".venv/bin/activate" in run and ".venv/bin/cnnbench --help" in run  # the hint for a newcomer
    assert "-o results/compare-resnet.md" in _make("results")
    ignored = subprocess.run(["git", "check-ignore", "-q", "out/compare-resnet.md"], check=False, cwd=ROOT)
    assert ignored.returncode == 0  # git status stays clean after `make run`


TWO_IN = '''
import torch
from torch import nn


class TwoIn(nn.Module):
    """An image through conv1x1(3→4, no bias), averaged; joined with a 10-vector; Linear(14→2, no bias)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1, bias=False)
        self.fc = nn.Linear(14, 2, bias=False)

    def forward(self, img, vec):
        return self.fc(torch.cat([self.conv(img).mean((2, 3)), vec], 1))


def make_inputs():
    return {"img": torch.randn(2, 3, 8, 8), "vec": torch.randn(2, 10)}
'''


@pytest.fixture(scope="module")
def two_in(tmp_path_factory):
    path = tmp_path_factory.mktemp("two_in") / "two_in.py"
    path.write_text(textwrap.dedent(TWO_IN))
    return str(path)


def test_repeated_input_size_gives_several_positional_inputs(two_in):
    args = ["profile", f"{two_in}:TwoIn", "--input-size", "3x8x8", "--input-size", "10,", "--no-latency"]
    res = runner.invoke(app, [*args, "-f", "json"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    assert rec["inputs"] == "1x3x8x8, 1x10" and rec["input_shape"] == [1, 3, 8, 8]
    assert rec["params"] == 3 * 4 + 14 * 2  # 12 + 28 = 40
    assert rec["macs"] == 64 * 12 + 14 * 2  # conv: 8·8 positions × 3·4 = 768; fc: 14·2 = 28 → 796
    assert rec["activations"] == 4 * 64 + 2  # conv output 256 + fc output 2 = 258
    table = runner.invoke(app, args)
    assert "1x3x8x8, 1x10" in row_line(table.stdout, two_in[:10]) and "796" in table.stdout


def test_inputs_function_returning_a_dict_keeps_its_batch(two_in):
    res = runner.invoke(app, ["profile", f"{two_in}:TwoIn", "--inputs", f"{two_in}:make_inputs", "--no-latency",
                              "-f", "json"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    assert rec["inputs"] == "img=2x3x8x8, vec=2x10" and rec["input_shape"][0] == 2
    assert rec["macs"] == 2 * 796 and rec["activations"] == 2 * 258  # batch 2 of the above


def test_fuse_reparameterises_and_the_row_says_fused():
    import timm
    from timm.utils.model import reparameterize_model

    fused_params = sum(p.numel() for p in reparameterize_model(timm.create_model("mobileone_s0")).parameters())
    args = ["profile", "timm:mobileone_s0", "--input-size", "32", "--no-latency"]
    plain, fused = (json.loads(runner.invoke(app, [*args, *extra, "-f", "json"]).stdout)[0]
                    for extra in ([], ["--fuse"]))
    assert plain["fused"] is False and fused["fused"] is True
    # MobileOne-S0: 2.1M parameters at inference (Vasu et al. 2023, Table 9); the train-time model has 5.29M
    assert fused["params"] == fused_params and round(fused["params"] / 1e6, 1) == 2.1
    assert plain["params"] == 5_293_272 and fused["macs"] < plain["macs"]
    table = runner.invoke(app, [*args, "--fuse"]).stdout
    assert "timm:mobileone_s0 (fused)" in table
