"""Nothing measured is lost: `check` and `history` outputs are checked before measuring; a write that still fails
afterwards leaves the database rows, the table on stdout, and exit 2 with the path named.

A write that fails *after* the checks is produced for real: the model's constructor (user code, run when the
entry is analysed) turns the report path into a directory, as a clean-up script or a full disk would break it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.check import BASELINE_KIND, BASELINE_SCHEMA, CALIBRATION_ID, LocalSide, parse_suite
from cnnbench.cli.app import app

runner = CliRunner()


@pytest.fixture()
def setup(tmp_path, sabotage_net):
    """A one-entry baseline (static + made-up latency rounds) for conftest's sabotage model; nothing measured yet."""
    suite = parse_suite({"check": {"blocks": 2, "max_blocks": 2, "rounds": 2, "samples_per_round": 1,
                                   "calibration_copies": 1, "warmup": 0.0},
                         "entry": [{"models": [sabotage_net], "input_size": "3x8x8", "threads": 1}]}, source="t")
    (e,) = suite.entries
    static = LocalSide().static(e)["metrics"]
    assert static["params"] == 112
    lat = {"blocks": [{"calibration_ms": [5.0, 5.0], "model_ms": [0.05, 0.05]}] * 2, "median_ms": 0.05,
           "calibration_median_ms": 5.0, "clock": "wall"}
    doc = {"schema": BASELINE_SCHEMA, "kind": BASELINE_KIND, "calibration": CALIBRATION_ID, "suite": suite.to_dict(),
           "entries": {e.key: {"entry": e.to_dict(), "static": static, "latency": lat, "error": None}}}
    base = tmp_path / "b.json"
    base.write_text(json.dumps(doc))
    return tmp_path, base


def _no_measurement(res) -> None:
    assert "check: " not in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("option, value, message", [
    ("--summary", "", "--summary is empty"),  # $GITHUB_STEP_SUMMARY unset
    ("--output", "", "--output is empty"),
    ("-o", "", "--output is empty"),
    ("--output", "{tmp}", "is a directory; name a file"),
    ("--summary", "{tmp}", "is a directory; name a file"),
    ("--output", "{tmp}/no/such/r.json", "does not exist"),
    ("--summary", "{tmp}/b.json/s.md", "b.json is not a directory"),  # under a file
])
def test_bad_output_paths_are_refused_before_measuring(setup, option, value, message):
    tmp, base = setup
    res = runner.invoke(app, ["check", "--baseline", str(base), option, value.format(tmp=tmp)])
    assert res.exit_code == 2 and message in res.output, res.output
    _no_measurement(res)


def test_unwritable_db_is_refused_before_measuring(setup):
    tmp, base = setup
    (tmp / "not.db").write_text("not a database")
    res = runner.invoke(app, ["check", "--baseline", str(base), "--db", str(tmp / "not.db")])
    assert res.exit_code == 2 and str(tmp / "not.db") in res.output, res.output
    _no_measurement(res)


@pytest.mark.parametrize("option", ["--output", "--summary"])
def test_a_write_failing_after_measuring_keeps_db_rows_and_table_exit_2(setup, monkeypatch, option):
    tmp, base = setup
    target = tmp / ("r.json" if option == "--output" else "summary.md")
    monkeypatch.setenv("SABOTAGE", str(target))  # passes the checks, becomes a directory mid-run
    db = tmp / "h.db"
    res = runner.invoke(app, ["check", "--baseline", str(base), option, str(target), "--db", str(db)])
    assert res.exit_code == 2, res.output
    assert "cnnbench check vs baseline" in res.stdout and "3x8x8" in res.stdout  # the table was printed
    assert f"could not write {target}" in res.output  # the message names the path
    with sqlite3.connect(db) as conn:  # the rows were saved first
        rows = conn.execute("SELECT model, params, latency_median_ms, input_shape FROM results").fetchall()
    ((model, params, median, shape),) = rows
    assert model.endswith("net.py:Net") and params == 112 and median > 0 and shape == "1x3x8x8"


def test_summary_is_appended_and_report_written(setup):
    tmp, base = setup
    summary = tmp / "step_summary.md"
    summary.write_text("## an earlier step\n")
    for _ in range(2):
        res = runner.invoke(app, ["check", "--baseline", str(base), "--summary", str(summary), "-o",
                                  str(tmp / "r.json")])
        assert res.exit_code in (0, 1, 3), res.output  # made-up baseline rounds: any verdict
    text = summary.read_text()
    assert text.startswith("## an earlier step\n") and text.count("## cnnbench check:") == 2  # appended, twice
    assert json.loads((tmp / "r.json").read_text())["mode"] == "baseline"


# -- history ----------------------------------------------------------------------------------------------------


@pytest.fixture()
def history_db(tmp_path):
    from cnnbench.store import open_store

    db = tmp_path / "h.db"
    rec = {"model": "m", "device": "cpu", "runtime": "eager", "batch_size": 1, "input_shape": [1, 3, 8, 8],
           "latency_ms": {"median": 2.0}}
    with open_store(db) as store:
        store.save_run([rec], command="t")
        store.save_run([{**rec, "latency_ms": {"median": 2.5}}], command="t")
    return db


@pytest.mark.parametrize("args, message", [
    (["--plot", ""], "--plot is empty"),
    (["--plot", "{tmp}"], "is a directory"),
    (["--plot", "{tmp}/none/p.png"], "does not exist"),
    (["--plot", "{tmp}/p.gif"], "use a .png, .svg or .pdf file"),
    (["-o", "{tmp}"], "is a directory"),
    (["-o", "{tmp}/none/h.json"], "does not exist"),
])
def test_history_outputs_are_checked_before_reading(history_db, args, message):
    tmp = history_db.parent
    res = runner.invoke(app, ["history", "--db", str(history_db), *[a.format(tmp=tmp) for a in args]])
    assert res.exit_code == 2 and message in res.output, res.output
    assert "cnnbench history" not in res.stdout  # nothing rendered: refused first


@pytest.mark.skipif(os.geteuid() != 0, reason="writes into /proc pass the access check only as root")
def test_history_write_failing_late_still_prints_the_table(history_db):
    # /proc passes the access check for root, but no file can be created there: the write fails after reading
    res = runner.invoke(app, ["history", "--db", str(history_db), "-o", "/proc/cnnbench-history.json"])
    assert res.exit_code == 2 and "could not write /proc/cnnbench-history.json" in res.output, res.output
    assert "cnnbench history: latency" in res.stdout and "+25.0%" in res.stdout  # 2.0 → 2.5 ms


def test_check_json_to_a_device_is_written_not_replaced(setup):
    _, base = setup
    res = runner.invoke(app, ["check", "--baseline", str(base), "-o", "/dev/full"])
    assert res.exit_code == 2 and "could not write /dev/full" in res.output, res.output  # ENOSPC
    assert Path("/dev/full").is_char_device()  # never replaced by a regular file
