"""cnnbench sweep against hostile conditions: a locked database, bad numbers, an unreachable cluster, duplicate
names, --jobs far past the work, a driver killed with SIGKILL, an edited model file under --resume."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.sweep import RowWriter, plan_sweep, worker_count

GB = 1 << 30

MODELS = textwrap.dedent('''
    import os, time
    from pathlib import Path
    import torch.nn as nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(x)

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

        def forward(self, x):
            return self.net(x)

    class Wide(Tiny):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 5)

    class Slow(Tiny):
        def __init__(self):
            super().__init__()
            Path(os.environ["MARK_DIR"], str(os.getpid())).touch()  # this worker is inside the model now
            time.sleep(120)

    class Slow2(Slow):
        pass
''')


@pytest.fixture()
def zoo(tmp_path, monkeypatch) -> Path:
    (tmp_path / "odd.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _one_line_exit_2(r) -> str:
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in r.output, r.output
    return lines[0]


# -- 1 and 4: --format like profile; one model named three ways measured once; --jobs capped by the tasks -------

def test_format_json_dedupes_one_file_spelt_three_ways_and_caps_jobs(zoo):
    names = ["./odd.py:Tiny", f"{zoo / 'odd.py'}:Tiny", "odd.py:Tiny"]
    r = CliRunner().invoke(app, ["sweep", *names, "--input-size", "4,", "--no-latency", "--no-save", "--jobs", "100",
                                 "--format", "json", "-o", "rows.csv"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)  # stdout is the data only: the summary went to stderr
    # Linear(4, 3): 4*3 + 3 = 15 params, 4*3 = 12 MACs; measured once, under the first spelling
    assert [(x["model"], x["params"], x["macs"], x["error"]) for x in rows] == [("./odd.py:Tiny", 15, 12, None)]
    err = " ".join(r.stderr.split())  # Rich wraps stderr at 80 columns
    assert "dropped 2 duplicate name(s)" in err and f"{zoo / 'odd.py'}:Tiny (= ./odd.py:Tiny)" in err
    assert "--jobs 100 capped to 1: only 1 task(s) can run in parallel" in err
    assert "1 worker(s)" in err and "sweep summary" in err
    with open(zoo / "rows.csv") as f:
        got = list(csv.DictReader(f))
    assert [(x["model"], x["params"], x["macs"]) for x in got] == [("./odd.py:Tiny", "15", "12")]


def test_an_alias_is_the_model_it_names():
    plan = plan_sweep(["resnet18", "ResNet-18", "timm:resnet18"], input_size="3x32x32")
    assert [t.model for t in plan.tasks] == ["resnet18", "timm:resnet18"]  # torchvision's and timm's: two models
    assert plan.duplicates == [("ResNet-18", "resnet18")]


def test_jobs_are_capped_by_tasks_and_by_the_memory_available():
    # 2 tasks: 2 workers, however many were asked for
    n, why = worker_count(100, 2, available=23 * GB)
    assert (n, why) == (2, "--jobs 100 capped to 2: only 2 task(s) can run in parallel")
    # 10 GB available, 1 GB per worker: 0.8 * 10 / 1 = 8 workers
    n, why = worker_count(100, 1000, available=10 * GB)
    assert n == 8 and why.startswith("--jobs 100 capped to 8: 10.0 GB available fits 8 worker(s) of 1.0 GB")
    # --max-memory 8 GB per worker, 20 GB available: 0.8 * 20 / 8 = 2 workers
    n, why = worker_count(4, 1000, max_memory_gb=8, available=20 * GB)
    assert n == 2 and why.endswith("fits 2 worker(s) of 8.0 GB (--max-memory)")
    assert worker_count(2, 1000, available=20 * GB) == (2, None)
    assert worker_count(1, 1, available=GB // 2) == (1, None)  # always one


def test_a_pool_starts_no_more_workers_than_tasks(zoo):
    from cnnbench.sweep import LocalPool, Scheduler, run_plan

    idle = LocalPool(100)
    idle.run(Scheduler([]), lambda task, rec: None)
    assert idle.spawned == 0  # everything resumed: no worker imports torch for nothing
    pool = LocalPool(100, timeout=120)
    out = run_plan(plan_sweep(["odd.py:Tiny"], input_size="4,"), pool)
    assert pool.spawned == 1 and [r["params"] for r in out.records] == [15]  # Linear(4, 3): 4*3 + 3


# -- 3: bad numbers and an unreachable cluster: one line, exit 2, at once -------------------------------------------

@pytest.mark.parametrize("args", [["--max-memory", "nan"], ["--max-memory", "inf"], ["--max-memory", "0"],
                                  ["--timeout", "nan"], ["--timeout", "inf"], ["--timeout", "-1"],
                                  ["--connect-timeout", "nan"]])
def test_non_finite_or_non_positive_numbers_are_refused(args):
    line = _one_line_exit_2(CliRunner().invoke(app, ["sweep", "resnet18", "--no-latency", "--no-save", *args]))
    assert f"{args[0]} must be a finite number of" in line and "> 0" in line


def test_an_address_where_nothing_listens_fails_within_the_connect_timeout():
    pytest.importorskip("ray")
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    r = CliRunner().invoke(app, ["sweep", "resnet18", "--no-latency", "--no-save", "--address", f"127.0.0.1:{port}",
                                 "--connect-timeout", "3"])
    line = _one_line_exit_2(r)
    assert line.startswith(f"error: cannot reach the Ray cluster at 127.0.0.1:{port} within 3 s"), line
    assert time.monotonic() - t0 < 10


# -- 2: a database locked by another writer loses nothing ---------------------------------------------------------

def _locking_writer(monkeypatch, db: Path, release_at: int | None):
    """After the first row is recorded another connection takes the write lock (BEGIN EXCLUSIVE) and holds it
    (until row ``release_at`` arrives, if given)."""
    import cnnbench.store

    monkeypatch.setattr(cnnbench.store, "BUSY_TIMEOUT_MS", 300)  # the sweep waits 0.3 s for the lock, not 30 s
    other = sqlite3.connect(str(db), isolation_level=None)
    seen = []
    original = RowWriter.__call__

    def call(self, rec):
        seen.append(rec["model"])
        if len(seen) == release_at:
            other.execute("COMMIT")
        original(self, rec)
        if len(seen) == 1:
            other.execute("BEGIN EXCLUSIVE")

    monkeypatch.setattr(RowWriter, "__call__", call)
    return other


def _db_models(db: Path) -> list[str]:
    con = sqlite3.connect(str(db))
    try:
        return [r[0].rsplit(":", 1)[1] for r in con.execute("SELECT model FROM results ORDER BY id")]
    finally:
        con.close()


def test_a_locked_database_keeps_every_row_prints_writes_and_says_so(zoo, monkeypatch):
    db = zoo / "h.db"
    other = _locking_writer(monkeypatch, db, release_at=None)
    try:
        r = CliRunner().invoke(app, ["sweep", "odd.py:Tiny", "odd.py:Mlp", "odd.py:Wide", "--input-size", "4,",
                                     "--no-latency", "--db", str(db), "-o", "rows.json", "--summary", "sum.md"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert r.exit_code == 2, r.output
    err = " ".join(r.stderr.split())
    assert "database is locked: 2 row(s) not recorded" in err and "(1 recorded" in err
    assert "Traceback" not in r.output
    # every row measured, printed and written: 15 (Tiny), 4*8+8 + 8*2+2 = 58 (Mlp), 4*5+5 = 25 (Wide) params
    assert "sweep summary" in r.stdout and "odd.py:Wide" in r.stdout
    rows = json.loads((zoo / "rows.json").read_text())
    assert [(x["model"], x["params"]) for x in rows] == [("odd.py:Tiny", 15), ("odd.py:Mlp", 58),
                                                          ("odd.py:Wide", 25)]
    assert "- rows: 3" in (zoo / "sum.md").read_text()
    assert _db_models(db) == ["Tiny"]


def test_a_lock_released_before_the_end_records_every_row(zoo, monkeypatch):
    db = zoo / "h.db"
    other = _locking_writer(monkeypatch, db, release_at=3)
    try:
        r = CliRunner().invoke(app, ["sweep", "odd.py:Tiny", "odd.py:Mlp", "odd.py:Wide", "--input-size", "4,",
                                     "--no-latency", "--db", str(db)])
    finally:
        other.close()
    assert r.exit_code == 0, r.output
    assert "recorded 3 row(s)" in " ".join(r.stderr.split())
    assert _db_models(db) == ["Tiny", "Mlp", "Wide"]


# -- 4: workers die with their driver ------------------------------------------------------------------------------

def test_workers_die_when_the_driver_is_killed(zoo):
    import psutil

    marks = zoo / "marks"
    marks.mkdir()
    cmd = [sys.executable, "-m", "cnnbench", "sweep", "odd.py:Slow", "odd.py:Slow2", "--input-size", "4,",
           "--no-latency", "--no-save", "--jobs", "2"]
    driver = subprocess.Popen(cmd, env={**os.environ, "MARK_DIR": str(marks)}, cwd=zoo, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = [int(p.name) for p in marks.iterdir()]
        assert len(workers) == 2, "the workers never reached the model"
        assert all(psutil.Process(w).ppid() == driver.pid for w in workers)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for w in left:  # do not leave them to the next test
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers {left} outlived their driver"


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- 5: --resume sees an edited model file; -o holds every row of the sweep ----------------------------------------

def test_resume_measures_an_edited_model_again_and_the_output_holds_every_row(zoo):
    db = zoo / "h.db"
    (zoo / "other.py").write_text(MODELS)
    args = ["sweep", "odd.py:Tiny", "other.py:Mlp", "--input-size", "4,", "--no-latency", "--db", str(db)]
    first = CliRunner().invoke(app, [*args, "-o", "rows.json"])
    assert first.exit_code == 0, first.output
    src = zoo / "odd.py"
    src.write_text(src.read_text().replace("self.fc = nn.Linear(4, 3)", "self.fc = nn.Linear(4, 6)", 1))
    again = CliRunner().invoke(app, [*args, "--resume", "-o", "rows.json"])
    assert again.exit_code == 0, again.output
    assert "skipping 1 of 2 row(s)" in " ".join(again.stderr.split())  # other.py is unchanged: Mlp's row stands
    rows = json.loads((zoo / "rows.json").read_text())
    # Tiny now Linear(4, 6): 4*6 + 6 = 30 params (measured again); Mlp: 58 params, from the database
    assert [(x["model"], x["params"]) for x in rows] == [("odd.py:Tiny", 30), ("other.py:Mlp", 58)]
    assert "2 (1 resumed from the database: --resume)" in again.stdout


def test_markdown_leaves_a_sweeps_run_particulars_out_like_csv():
    from cnnbench.report import render

    rec = {"model": "m.py:Tiny", "params": 15, "row_key": '["m.py:Tiny"]', "node": "h", "worker_pid": 7,
           "elapsed_s": 0.1, "env": {"cpu": "x"}}
    assert render([rec], "md").splitlines()[0] == "| model | params |"
    assert render([rec], "csv").splitlines()[0] == "model,params"


def test_the_summarys_seconds_per_row_count_only_the_rows_measured_now():
    from cnnbench.sweep.summary import markdown_summary

    recs = [{"model": f"m{i}", "error": None} for i in range(4)]
    # 4 rows, 3 resumed from the database: 10 s / 1 row measured = 10.00 s, not 10 / 4 = 2.50 s
    text = markdown_summary(recs, title="t", command="c", seconds=10.0, jobs=1, skipped=3)
    assert "- wall time: 10 s with --jobs 1 (10.00 s per measured row)" in text
    text = markdown_summary(recs, title="t", command="c", seconds=10.0, jobs=1)  # nothing resumed: 10 / 4
    assert "- wall time: 10 s with --jobs 1 (2.50 s per row)" in text
