"""Nothing measured is lost: profile / compare / reproduce check every output path before measuring, save rows to
the database before writing files, and a write that fails afterwards still prints the results (exit 2, path named).

A write that fails *after* the checks is produced for real: the model's constructor (user code, run while the model
is analysed) turns the output path into a directory, as a clean-up script would break it; ``/dev/full`` gives a
real "No space left on device".
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.records import STATIC_KEYS, VOLATILE_KEYS
from cnnbench.report.export import to_csv

runner = CliRunner()
FAST = ["--input-size", "3x8x8", "--threads", "1", "--budget", "0.02", "--min-samples", "2", "--warmup", "0"]


@pytest.fixture()
def net(sabotage_net):
    return sabotage_net  # conftest.py: a 112-param conv whose constructor can break an output path


def _db_models(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT model FROM results")]


@pytest.mark.parametrize("cmd", ["profile", "compare"])
@pytest.mark.parametrize("bad, says", [
    ("{f}/x.json", "is not a directory"),  # under a regular file
    ("{d}", "is a directory"),
    ("{d}/missing/x.json", "does not exist"),
    ("", "is empty"),
])
def test_bad_output_path_is_refused_before_measuring(tmp_path, net, cmd, bad, says):
    f = tmp_path / "afile"
    f.write_text("")
    db = tmp_path / "h.db"
    res = runner.invoke(app, [cmd, net, "--no-latency", "--input-size", "3x8x8", "--db", str(db),
                              "-o", bad.format(f=f, d=tmp_path)])
    assert res.exit_code == 2, res.output
    assert says in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Net" not in res.stdout  # nothing was measured, nothing printed
    assert not db.exists() or _db_models(db) == []


def test_bad_plot_path_is_refused_before_measuring(tmp_path, net):
    res = runner.invoke(app, ["compare", net, "--no-latency", "--input-size", "3x8x8",
                              "--plot", str(tmp_path / "nodir" / "p.png")])
    assert res.exit_code == 2 and "--plot" in res.stderr and "does not exist" in res.stderr


@pytest.mark.parametrize("cmd", ["profile", "compare"])
def test_a_write_that_fails_after_measuring_keeps_db_rows_and_the_table(tmp_path, net, monkeypatch, cmd):
    out = tmp_path / "rows.json"
    db = tmp_path / "h.db"
    monkeypatch.setenv("SABOTAGE", str(out))  # the model's constructor makes the output path a directory
    res = runner.invoke(app, [cmd, net, *FAST, "--db", str(db), "-o", str(out), "-f", "json"])
    assert res.exit_code == 2, res.output
    rows = json.loads(res.stdout)  # the results were printed in full
    assert [r["params"] for r in rows] == [112] and rows[0]["latency_ms"]["median"] > 0
    assert _db_models(db) == [rows[0]["model"]]  # and saved before the file was tried
    assert f"could not write {out}" in res.stderr


def test_disk_full_after_measuring_is_exit_2_with_the_table(tmp_path, net):
    full = Path("/dev/full")
    if not full.is_char_device():
        pytest.skip("no /dev/full")
    res = runner.invoke(app, ["profile", net, "--no-latency", "--input-size", "3x8x8", "-o", str(full)])
    assert res.exit_code == 2
    assert "Net" in res.stdout and "112" in res.stdout
    assert "could not write /dev/full" in res.stderr and "No space left on device" in res.stderr
    assert full.is_char_device()  # written into, never replaced by a regular file


def test_compare_plot_failing_after_measuring_keeps_the_markdown_report(tmp_path, net, monkeypatch):
    plot, md = tmp_path / "p.png", tmp_path / "r.md"
    monkeypatch.setenv("SABOTAGE", str(plot))
    res = runner.invoke(app, ["compare", net, "--no-latency", "--input-size", "3x8x8", "--plot", str(plot),
                              "-o", str(md)])
    assert res.exit_code == 2, res.output
    assert f"could not write {plot}" in res.stderr
    assert "| Net" in md.read_text() or "Net" in md.read_text()  # the other output was still written


def test_reproduce_output_dir_is_checked_before_measuring(tmp_path):
    f = tmp_path / "afile"
    f.write_text("")
    res = runner.invoke(app, ["reproduce", "vgg-3x3-stack", "--no-latency", "-o", str(f / "sub")])
    assert res.exit_code == 2 and "--output-dir" in res.stderr and "VGG" not in res.stdout


# --- one CSV layout for every command (docs/conventions.md, "CSV layout") ---------------------------------------------

def test_profile_and_sweep_write_the_same_csv_layout(tmp_path, net, monkeypatch):
    # no cached roofline: profile would add achieved_gflops from one (sweep rows may come from other machines)
    monkeypatch.setenv("CNNBENCH_CACHE", str(tmp_path / "cache"))
    p, s = tmp_path / "p.csv", tmp_path / "s.csv"
    r1 = runner.invoke(app, ["profile", net, *FAST, "-o", str(p)])
    assert r1.exit_code == 0, r1.output
    r2 = runner.invoke(app, ["sweep", net, *FAST, "--no-save", "--jobs", "1", "-o", str(s)])
    assert r2.exit_code == 0, r2.output
    header = p.read_text().splitlines()[0].split(",")
    assert s.read_text().splitlines()[0].split(",") == header
    assert header[:17] == list(STATIC_KEYS)  # the record's key order
    assert "latency_ms_median" in header and "latency_ms" not in header  # nested keys flattened
    assert not set(header) & set(VOLATILE_KEYS)  # env, row_key, worker pids... stay in JSON only
    for path in (p, s):
        row = next(csv.DictReader(path.open(newline="")))
        assert row["params"] == "112" and row["input_shape"] == "1x3x8x8" and float(row["latency_ms_median"]) > 0


def test_csv_keeps_integers_beside_a_failed_row_and_flattens_null_latency():
    ok = {"model": "a", "input_shape": [1, 3, 8, 8], "params": 112, "latency_ms": None, "error": None,
          "uncounted_ops": {"empty": {"count": 1}}}
    failed = {"model": "b", "input_shape": [1, 3, 8, 8], "params": None, "error": "boom", "env": {"x": 1},
              "latency_ms": {"median": 1.5, "samples": 3}, "samples_ms": [1.5, 1.5, 1.5]}
    rows = list(csv.reader(io.StringIO(to_csv([ok, failed]))))
    assert rows[0] == ["model", "input_shape", "params", "uncounted_ops", "error", "latency_ms_median",
                       "latency_ms_samples", "samples_ms"]
    assert rows[1] == ["a", "1x3x8x8", "112", '{"empty":{"count":1}}', "", "", "", ""]
    assert rows[2] == ["b", "1x3x8x8", "", "", "boom", "1.5", "3", "[1.5,1.5,1.5]"]
