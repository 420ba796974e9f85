"""cnnbench sweep on the local executor: isolation (segfault, hang, os._exit, memory cap), resume, targets, CLI."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.catalog import expand_targets
from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.sweep import LocalPool, Scheduler, WorkerConfig, cause, death_text, plan_sweep, run_plan

GB = 1 << 30
ROOT = Path(__file__).resolve().parents[1]

MODELS = textwrap.dedent('''
    import ctypes, os, time
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

    class Segfault(Tiny):
        def __init__(self):
            super().__init__()
            ctypes.string_at(0)

    class Hang(Tiny):
        def __init__(self):
            super().__init__()
            time.sleep(1e6)

    class Exit7(Tiny):
        def __init__(self):
            super().__init__()
            os._exit(7)

    class Hog(Tiny):
        def __init__(self):
            super().__init__()
            self.blob = [b"x" * (64 << 20) for _ in range(48)]  # 3 GiB written, past a 1 GB cap

    class Slow(Tiny):
        def __init__(self):
            super().__init__()
            time.sleep(float(os.environ.get("SLOW_S", "4")))
''')


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("zoo") / "models.py"
    path.write_text(MODELS)
    return str(path)


def _by_model(records):
    return {r["model"].rsplit(":", 1)[1]: r for r in records}


def test_bad_models_are_error_rows_and_the_sweep_finishes_in_about_the_timeout(models):
    names = [f"{models}:{c}" for c in ("Tiny", "Segfault", "Hang", "Exit7", "Hog", "Mlp")]
    plan = plan_sweep(names, input_size="4,")
    t0 = time.monotonic()
    out = run_plan(plan, LocalPool(2, timeout=6, config=WorkerConfig(max_memory=GB)))
    elapsed = time.monotonic() - t0
    rows = _by_model(out.records)
    assert len(out.records) == 6 and not out.interrupted
    # Linear(4, 3): 4*3 + 3 = 15 params, 4*3 = 12 MACs
    assert (rows["Tiny"]["params"], rows["Tiny"]["macs"], rows["Tiny"]["error"]) == (15, 12, None)
    # Linear(4, 8) + Linear(8, 2): 32 + 8 + 16 + 2 = 58 params, 32 + 16 = 48 MACs
    assert (rows["Mlp"]["params"], rows["Mlp"]["macs"], rows["Mlp"]["error"]) == (58, 48, None)
    assert rows["Segfault"]["error"] == "worker died: SIGSEGV"
    assert rows["Hang"]["error"] == "timed out after 6 s"
    assert rows["Exit7"]["error"] == "worker exited with code 7"
    assert rows["Hog"]["error"].startswith("out of memory: worker resident memory ")
    assert rows["Hog"]["error"].endswith("passed --max-memory 1 GB")
    for r in out.records:  # every row names what it is, failed or not
        assert r["input_shape"] == [1, 4] and r["dtype"] == "fp32" and r["source"] == "file" and r["row_key"]
    # the hang costs one timeout, not forever; four workers replaced (~3 s start-up each on 2 busy cores)
    assert elapsed < 6 + 40, elapsed


def test_workers_are_reused_across_models(models):
    pool = LocalPool(1, timeout=60)
    plan = plan_sweep([f"{models}:Tiny", f"{models}:Mlp", f"{models}:Tiny"], input_size="4,",
                      batch_sizes=["1,2"])
    out = run_plan(plan, pool)
    assert len(out.records) == 4  # Tiny twice is one model: 2 models x 2 batch sizes
    assert len({r["worker_pid"] for r in out.records}) == 1 and pool.spawned == 1
    # Linear(4, 3) at batch 2: 2 * 12 = 24 MACs
    assert sorted((r["model"].rsplit(":", 1)[1], r["input_shape"][0], r["macs"]) for r in out.records) == [
        ("Mlp", 1, 48), ("Mlp", 2, 96), ("Tiny", 1, 12), ("Tiny", 2, 24)]


def test_scheduler_runs_timed_work_alone_on_cpu_beside_static_work_on_gpu():
    from cnnbench.latency import LatencyOptions
    from cnnbench.sweep import Task

    lat = LatencyOptions()
    s = Task("m", "m", None, None, "1x4", 1, "fp32", latency=lat)
    t = Task("m", "m", None, None, "1x4", 1, "fp32", runtime="eager", latency=lat)
    cpu = Scheduler([s, s], exclusive=True)
    cpu.push_timed(t)
    assert cpu.next([]) is s  # static work first on the CPU
    assert cpu.next([s]) is s
    assert cpu.next([s]) is None  # nothing static left, one still running: the timed task waits
    assert cpu.next([]) is t
    gpu = Scheduler([s], exclusive=False)
    gpu.push_timed(t)
    gpu.push_timed(t)
    assert gpu.next([]) is t and gpu.next([t]) is s and gpu.next([t, s]) is None  # one timed task per device


def test_death_text_and_causes():
    assert death_text(-signal.SIGSEGV) == "worker died: SIGSEGV"
    assert death_text(7) == "worker exited with code 7"
    assert death_text(-signal.SIGKILL).startswith("worker died: SIGKILL (")
    assert cause("worker died: SIGSEGV") == "worker died: SIGSEGV"
    assert cause("out of memory: MemoryError (the worker's cap: --max-memory 1 GB)") == "out of memory"
    assert cause("RuntimeError: size 224 is not divisible by 'patch' 14") == "RuntimeError: size N is not divisible by '…' N"


def test_targets_expand_patterns_families_and_refuse_what_matches_nothing():
    import timm

    assert expand_targets(["timm:resnet1*"]) == ["timm:" + m for m in timm.list_models("resnet1*")]
    assert expand_targets(["resnet18", "timm:resnet18", "resnet18"]) == ["resnet18", "timm:resnet18"]
    fam = expand_targets([], family="vgg")
    assert "vgg16" in fam and all("vgg" in n for n in fam)
    with pytest.raises(CnnbenchError, match="matches no model"):
        expand_targets(["timm:nosuchnet*"])
    with pytest.raises(CnnbenchError, match="no model given"):
        expand_targets([])


def _db_rows(db):
    con = sqlite3.connect(db)
    try:
        return [json.loads(r[0]) for r in con.execute("SELECT record FROM results ORDER BY id")]
    finally:
        con.close()


def test_cli_resume_measures_nothing_new_and_keeps_no_duplicates(models, tmp_path):
    db, csv = tmp_path / "h.db", tmp_path / "zoo.csv"
    args = ["sweep", f"{models}:Tiny", f"{models}:Mlp", "--input-size", "4,", "--no-latency", "--db", str(db)]
    r1 = CliRunner().invoke(app, [*args, "-o", str(csv)])
    assert r1.exit_code == 0, r1.output
    assert "sweep summary" in r1.stdout
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("model,source,family,input_shape,dtype,params")
    assert ",15,15,0," in lines[1] and "row_key" not in lines[0]  # integers stay integers; no run particulars
    r2 = CliRunner().invoke(app, [*args, "--resume"])
    assert r2.exit_code == 0, r2.output
    assert "skipping 2 of 2 row(s)" in r2.stderr
    keys = [r["row_key"] for r in _db_rows(db)]
    assert len(keys) == 2 == len(set(keys))


def test_cli_resume_any_version_skips_rows_another_commit_measured(models, tmp_path):
    db = tmp_path / "h.db"
    args = ["sweep", f"{models}:Tiny", f"{models}:Mlp", "--input-size", "4,", "--no-latency", "--db", str(db)]
    assert CliRunner().invoke(app, args).exit_code == 0
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE runs SET git_commit = ?", ("0" * 40,))  # as if an earlier commit had measured them
    con.close()
    r = CliRunner().invoke(app, [*args, "--resume", "--any-version"])
    assert r.exit_code == 0 and "skipping 2 of 2 row(s) already measured by any code version" in r.stderr
    assert len(_db_rows(db)) == 2  # nothing measured again
    r = CliRunner().invoke(app, [*args, "--resume"])  # this version has measured nothing yet: both again
    assert r.exit_code == 0 and "skipping 0 of 2 row(s) already measured by this code version" in r.stderr
    assert len(_db_rows(db)) == 4
    r = CliRunner().invoke(app, [*args, "--any-version"])
    assert r.exit_code == 2 and "add --resume" in r.output


def test_cli_exit_1_when_a_row_failed(models, tmp_path):
    r = CliRunner().invoke(app, ["sweep", f"{models}:Tiny", f"{models}:Exit7", "--input-size", "4,",
                                 "--no-latency", "--no-save", "--jobs", "2"])
    assert r.exit_code == 1, r.output
    assert "worker exited with code 7" in r.stdout


def test_ctrl_c_keeps_finished_rows_and_resume_completes_only_the_rest(models, tmp_path):
    db = tmp_path / "h.db"
    names = [f"{models}:{c}" for c in ("Tiny", "Mlp", "Slow", "Tiny2")]
    extra = Path(models).with_name("more.py")
    extra.write_text(MODELS + "\nclass Tiny2(Tiny):\n    pass\n")
    names[3] = f"{extra}:Tiny2"
    cmd = [sys.executable, "-m", "cnnbench", "sweep", *names, "--input-size", "4,", "--no-latency", "--db", str(db)]
    env = {**os.environ, "SLOW_S": "30"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (not db.exists() or len(_rows_or_none(db)) < 2):
        time.sleep(0.2)
    time.sleep(0.5)  # Slow is running now
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: kept 2 finished row(s)" in err
    assert sorted(r["model"].rsplit(":", 1)[1] for r in _db_rows(db)) == ["Mlp", "Tiny"]
    env["SLOW_S"] = "0"
    done = subprocess.run([*cmd, "--resume"], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "skipping 2 of 4 row(s)" in done.stderr
    keys = [r["row_key"] for r in _db_rows(db)]
    assert len(keys) == 4 == len(set(keys))
    assert sorted(r["model"].rsplit(":", 1)[1] for r in _db_rows(db)) == ["Mlp", "Slow", "Tiny", "Tiny2"]


def _rows_or_none(db):
    try:
        return _db_rows(db)
    except sqlite3.Error:
        return []
