"""``--calibrate``: the calibration workload of ``cnnbench check`` timed interleaved with every latency row.

A row timed with it carries ``calibration_ms`` (the calibration's median) and ``latency_normalized`` (the row's
median ÷ ``calibration_ms``, the same floats); a row timed without it carries neither key. The interleaving is checked
through the order in which the two models really run (a global forward pre-hook records every call), not timing.
"""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.latency import LatencyOptions, run_latency

runner = CliRunner()
FAST = ["--input-size", "3x8x8", "--threads", "1", "--budget", "0.02", "--min-samples", "3", "--warmup", "0"]


@pytest.fixture()
def net(sabotage_net, monkeypatch, tmp_path):
    # no cached roofline (profile would add efficiency columns sweep rows lack)
    monkeypatch.setenv("CNNBENCH_CACHE", str(tmp_path / "cache"))
    return sabotage_net  # conftest.py: a 112-param conv 3→4 (3·4·9 + 4)


def _json(args: list[str]) -> list[dict]:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _check_calibrated(rec: dict) -> None:
    assert rec["error"] is None
    assert rec["calibration_ms"] > 0
    # the ratio is computed from the very floats the record shows: median / calibration_ms, no rounding
    assert rec["latency_normalized"] == rec["latency_ms"]["median"] / rec["calibration_ms"]
    cal = rec["details"]["calibration"]
    assert cal["workload"] == "convmlp128-v1" and cal["block_size"] >= 1
    # one sample of each per round: the calibration has as many samples as the row
    assert cal["samples"] == rec["latency_ms"]["samples"] >= 3


def test_profile_calibrate_gives_calibration_ms_and_the_exact_ratio(net):
    (rec,) = _json(["profile", net, *FAST, "--calibrate", "-f", "json"])
    _check_calibrated(rec)
    assert list(rec).index("calibration_ms") == list(rec).index("latency_ms") + 1  # right after the latency keys
    assert list(rec).index("latency_normalized") == list(rec).index("latency_ms") + 2


def test_without_calibrate_the_keys_are_absent(net):
    (rec,) = _json(["profile", net, *FAST, "-f", "json"])
    assert rec["latency_ms"]["median"] > 0
    assert "calibration_ms" not in rec and "latency_normalized" not in rec
    assert "calibration" not in rec["details"]


def test_every_runtime_row_gets_its_own_normalized_value(net):
    pytest.importorskip("onnxruntime")
    recs = _json(["profile", net, *FAST, "--calibrate", "--runtime", "eager,onnx", "-f", "json"])
    assert [r["runtime"] for r in recs] == ["eager", "onnx"]
    for rec in recs:
        _check_calibrated(rec)
    # each row timed its own calibration in its own run: two calibration medians, each row divided by its own
    assert recs[0]["details"]["calibration"] is not recs[1]["details"]["calibration"]


class Tiny(nn.Module):
    """conv3x3 3→4, no ``nn.Sequential`` inside (the calibration's root is the only Sequential that runs)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.a(x)


def test_calibration_samples_interleave_with_the_models():
    calls: list[str] = []

    def record(module, args):
        if type(module) is Tiny:
            calls.append("M")
        elif type(module) is nn.Sequential:  # build_calibration's root
            calls.append("C")

    # budget 0: exactly min_samples rounds; 1 warm-up call each (warmup 0 s, warmup_min_iters 1)
    opts = LatencyOptions(threads=1, budget=0.0, min_samples=4, warmup=0.0, warmup_min_iters=1, calibrate=True)
    handle = torch.nn.modules.module.register_module_forward_pre_hook(record)
    try:
        res = run_latency(Tiny, (1, 3, 8, 8), opts)
    finally:
        handle.remove()
    assert res.error is None and res.latency.samples == 4 and res.calibration.samples == 4
    m, c = res.details["block_size"], res.details["calibration"]["block_size"]
    # the model's warm-up (1 call), then the calibration's (built after it, 1 call), then 4 rounds visiting both,
    # the start rotating: round 0 model then calibration, round 1 calibration then model, ... (a visit = 1 block)
    expected = ["M", "C"]
    for r in range(4):
        visits = [["M"] * m, ["C"] * c]
        for v in visits[r % 2:] + visits[:r % 2]:
            expected += v
    assert calls == expected
    assert res.to_dict()["latency_normalized"] == res.latency.median / res.calibration.median


def test_saved_rows_fill_the_calibration_columns(net, tmp_path):
    db = tmp_path / "h.db"
    (rec,) = _json(["profile", net, *FAST, "--calibrate", "--db", str(db), "-f", "json"])
    with sqlite3.connect(db) as con:
        (row,) = con.execute("SELECT calibration_ms, latency_normalized FROM results").fetchall()
    assert row == (rec["calibration_ms"], rec["latency_normalized"])  # REAL columns keep the floats
    plain = tmp_path / "plain.db"
    _json(["profile", net, *FAST, "--db", str(plain), "-f", "json"])
    with sqlite3.connect(plain) as con:
        assert con.execute("SELECT calibration_ms, latency_normalized FROM results").fetchall() == [(None, None)]


def test_sweep_rows_carry_the_keys_and_the_csv_layout_of_profile(net, tmp_path):
    db = tmp_path / "s.db"
    recs = _json(["sweep", net, *FAST, "--calibrate", "--jobs", "1", "--db", str(db), "-f", "json"])
    (rec,) = recs
    _check_calibrated(rec)
    assert json.loads(rec["row_key"])[4] == "eager+threads=1+quantization=static+calibrate"  # --resume re-measures uncalibrated rows
    with sqlite3.connect(db) as con:
        (row,) = con.execute("SELECT calibration_ms, latency_normalized FROM results").fetchall()
    assert row == (rec["calibration_ms"], rec["latency_normalized"])
    p, s = tmp_path / "p.csv", tmp_path / "s.csv"
    assert runner.invoke(app, ["profile", net, *FAST, "--calibrate", "-o", str(p)]).exit_code == 0
    assert runner.invoke(app, ["sweep", net, *FAST, "--calibrate", "--no-save", "--jobs", "1",
                               "-o", str(s)]).exit_code == 0
    header = p.read_text().splitlines()[0].split(",")
    assert s.read_text().splitlines()[0].split(",") == header
    i = header.index("latency_ms_noisy")  # the last latency_ms_* column, then the two keys
    assert header[i + 1:i + 3] == ["calibration_ms", "latency_normalized"]
    for path in (p, s):
        row = next(csv.DictReader(path.open(newline="")))
        assert float(row["latency_normalized"]) == float(row["latency_ms_median"]) / float(row["calibration_ms"])


@pytest.mark.parametrize("cmd", ["profile", "compare", "sweep"])
def test_calibrate_with_no_latency_is_one_line_exit_2(net, cmd, tmp_path, monkeypatch):
    monkeypatch.setenv("SABOTAGE", str(tmp_path / "built"))  # the net's constructor makes it: proof it was built
    res = runner.invoke(app, [cmd, net, "--input-size", "3x8x8", "--no-latency", "--calibrate"])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        "error: --calibrate times a workload beside each latency row: drop --no-latency (or --calibrate)"]
    assert not (tmp_path / "built").exists()  # refused before the model was built (nothing measured)


def test_library_calibrate(net):
    import cnnbench

    (row,) = cnnbench.profile(net, input_size=(3, 8, 8), latency=True, calibrate=True, threads=1, budget=0.02,
                              min_samples=3, warmup=0)
    assert row.calibration_ms > 0 and row.latency_normalized == row.latency_ms["median"] / row.calibration_ms
    (plain,) = cnnbench.profile(net, input_size=(3, 8, 8), latency=True, threads=1, budget=0.02, min_samples=3,
                                warmup=0)
    assert "latency_normalized" not in plain.to_dict()
    with pytest.raises(CnnbenchError, match="calibrate=True .* needs latency=True"):
        cnnbench.profile(net, input_size=(3, 8, 8), calibrate=True)
    with pytest.raises(CnnbenchError, match="calibrate=True .* needs latency=True"):
        cnnbench.compare([net], input_size=(3, 8, 8), calibrate=True)


def test_compare_rows_each_divide_by_the_calibration_of_their_rounds(net):
    pytest.importorskip("onnxruntime")
    recs = _json(["compare", net, *FAST, "--runtime", "eager,onnx", "--calibrate", "-f", "json"])
    assert sorted(r["runtime"] for r in recs) == ["eager", "onnx"]
    for rec in recs:
        assert rec["error"] is None and rec["calibration_ms"] > 0
        assert rec["latency_normalized"] == rec["latency_ms"]["median"] / rec["calibration_ms"]
        assert rec["details"]["calibration"]["workload"] == "convmlp128-v1"
    # one calibration timed in the same rounds as both rows: the same median on each, and as many samples as rounds
    assert recs[0]["calibration_ms"] == recs[1]["calibration_ms"]
    assert recs[0]["details"]["calibration"]["samples"] >= 3
