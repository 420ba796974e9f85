"""The SQLite results history: schema and migrations, round trips, atomic and concurrent writes, `history`."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.cli.db_options import DB_ENV, maybe_save
from cnnbench.cli.history_cmd import parse_since
from cnnbench.errors import CnnbenchError
from cnnbench.report import env_changes, history_records
from cnnbench.store import MIGRATIONS, SCHEMA_VERSION, Store, _statements, open_store

ENV = {"cpu_model": "Test CPU", "logical_cores": 2, "machine": "x86_64", "system": "Linux", "gpu_name": None,
       "torch": "2.3.0", "threads": 1, "git_commit": "a" * 40, "git_dirty": False}
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def record(model="resnet18", median=10.0, macs=1000, runtime="eager", samples=None, error=None, **extra):
    r = {"model": model, "source": "torchvision", "family": "resnet", "input_shape": [1, 3, 8, 8], "dtype": "fp32",
         "params": 116, "trainable_params": 116, "buffers": 0, "checkpoint_bytes": 1200, "macs": macs,
         "flops": 2 * macs, "memory_access_elements": 948, "memory_access_bytes": 3792, "activations": 384,
         "arithmetic_intensity": 0.53, "uncounted_ops": {}, "error": error, "device": "cpu", "runtime": runtime,
         "batch_size": 1, "threads": 1, "channels_last": False,
         "latency_ms": {"median": median, "mean": median, "std": 0.1, "iqr": 0.2, "p90": median + 1,
                        "p99": median + 2, "min": median - 1, "samples": 30, "noisy": False},
         "throughput_per_s": 1000 / median, "peak_memory_bytes": 4096, "compile_s": None, "env": ENV, **extra}
    if samples is not None:
        r["samples_ms"] = samples
    return r


def test_fresh_database_has_schema_wal_and_columns(tmp_path):
    with open_store(tmp_path / "sub" / "h.db") as s:
        assert s.schema_version == SCHEMA_VERSION == len(MIGRATIONS) == 3
        assert s.journal_mode == "wal"
        cols = {r[1] for r in s.conn.execute("PRAGMA table_info(results)")}
        assert {"run_id", "model", "device", "runtime", "batch_size", "dtype", "input_shape", "params", "macs",
                "memory_access_bytes", "activations", "latency_median_ms", "latency_p99_ms", "samples_ms", "error",
                "record"} <= cols
        assert {r[1] for r in s.conn.execute("PRAGMA table_info(runs)")} == {
            "id", "time", "git_commit", "git_dirty", "env_fingerprint", "env_json", "command"}


def test_round_trip_keeps_every_metric_samples_and_env(tmp_path):
    with open_store(tmp_path / "h.db") as s:
        run = s.save_run([record(samples=[9.5, 10.0, 10.5]), record("vgg11", 20.0, error="boom")],
                         command="cnnbench profile resnet18", time=T0)
        (r1, r2) = s.results()
    assert run == 1 and r1["run_id"] == r2["run_id"] == 1
    assert r1["time"] == "2024-05-01T12:00:00.000000+00:00" and r1["command"] == "cnnbench profile resnet18"
    assert (r1["model"], r1["device"], r1["runtime"], r1["batch_size"], r1["input_shape"]) == (
        "resnet18", "cpu", "eager", 1, "1x3x8x8")
    assert (r1["params"], r1["macs"], r1["flops"], r1["latency_median_ms"], r1["latency_p90_ms"]) == (
        116, 1000, 2000, 10.0, 11.0)
    assert r1["samples_ms"] == [9.5, 10.0, 10.5] and r2["samples_ms"] is None
    assert r2["error"] == "boom"
    # env lives once per run; the stored record is the JSON record without it
    assert r1["env"] == ENV and "env" not in r1["record"] and r1["record"]["latency_ms"]["median"] == 10.0
    assert r1["git_commit"] == "a" * 40 and r1["git_dirty"] == 0 and len(r1["env_fingerprint"]) == 12


def test_filters_by_model_and_time(tmp_path):
    with open_store(tmp_path / "h.db") as s:
        s.save_run([record("a")], time=T0)
        s.save_run([record("a"), record("b")], time=T0 + dt.timedelta(days=2))
        assert [r["model"] for r in s.results("a")] == ["a", "a"]
        assert [r["model"] for r in s.results(since=T0 + dt.timedelta(days=1))] == ["a", "b"]
        assert s.models() == ["a", "b"] and [r["id"] for r in s.runs()] == [1, 2]


def test_migrates_a_version_1_database_keeping_its_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for stmt in _statements(MIGRATIONS[0]):
        conn.execute(stmt)
    conn.execute("INSERT INTO runs (id, time) VALUES (7, '2024-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO results (run_id, model, record) VALUES (7, 'lenet5', '{}')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.schema_version == 3
        indexes = {r[1] for r in s.conn.execute("PRAGMA index_list(results)")}
        assert "results_series" in indexes
        assert [r["model"] for r in s.results()] == ["lenet5"]
        cols = {r[1] for r in s.conn.execute("PRAGMA table_info(results)")}
        assert {"calibration_ms", "latency_normalized"} <= cols  # migration 3
        assert s.results()[0]["latency_normalized"] is None


def test_newer_schema_corrupt_file_and_directory_are_one_line_errors(tmp_path):
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(CnnbenchError, match="schema version 99, newer"):
        open_store(newer)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CnnbenchError, match="file is not a database"):
        open_store(bad)
    with pytest.raises(CnnbenchError, match="is a directory"):
        open_store(tmp_path)
    with pytest.raises(CnnbenchError, match="no results database"):
        open_store(tmp_path / "missing.db", create=False)


def test_failed_write_leaves_no_partial_run(tmp_path):
    with open_store(tmp_path / "h.db") as s:
        s.save_run([record()])
        # make the 2nd result row of the next run fail inside the transaction
        s.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON results WHEN NEW.model = 'bad' "
                       "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        with pytest.raises(CnnbenchError, match="refused"):
            s.save_run([record("good"), record("bad")])
        assert [r["id"] for r in s.runs()] == [1]
        assert [r["model"] for r in s.results()] == ["resnet18"]


WRITER = """
import os, sys, time
from cnnbench.store import open_store
path, n, rows, tag, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
env = {"cpu_model": "Test CPU", "git_commit": None, "git_dirty": None}
with open_store(path) as s:
    while go != "-" and not os.path.exists(go):  # start together
        time.sleep(0.01)
    for i in range(n):
        recs = [{"model": f"m{j}", "input_shape": [1, 3, 8, 8], "macs": j, "samples_ms": [1.0] * 200}
                for j in range(rows)]
        s.save_run(recs, command=f"{tag} {i}", env=env)
        print(i + 1, flush=True)
"""


def _writer(path, n, rows, tag="w", go="-"):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n), str(rows), tag, str(go)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_writing_at_once_both_land(tmp_path):
    path, go = tmp_path / "h.db", tmp_path / "go"
    procs = [_writer(path, 60, 20, tag, go) for tag in ("A", "B")]
    time.sleep(0.5)
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.split()[-1] == "60"
    with open_store(path) as s:
        tags = [r["command"].split()[0] for r in s.runs()]
        counts = s.conn.execute("SELECT run_id, COUNT(*) FROM results GROUP BY run_id").fetchall()
    assert tags.count("A") == tags.count("B") == 60
    assert len(counts) == 120 and all(c == 20 for _, c in counts)
    # they really wrote at the same time: the run order switches between the writers
    assert sum(a != b for a, b in itertools.pairwise(tags)) >= 2


def test_sigkill_mid_write_leaves_a_consistent_database(tmp_path):
    path = tmp_path / "h.db"
    p = _writer(path, 100_000, 50)
    done = 0
    assert p.stdout is not None
    while done < 5:  # let a few runs commit, then kill while it keeps writing
        line = p.stdout.readline()
        assert line, p.stderr.read() if p.stderr else ""
        done = int(line)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    with open_store(path) as s:
        assert s.integrity_check() == "ok"
        n_runs = len(s.runs())
        assert n_runs >= done
        counts = dict(s.conn.execute("SELECT run_id, COUNT(*) FROM results GROUP BY run_id").fetchall())
        # every committed run is whole: 50 rows each, none half-written
        assert len(counts) == n_runs and set(counts.values()) == {50}
        s.save_run([record()])  # and it is still writable
        assert len(s.runs()) == n_runs + 1


def test_maybe_save_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(DB_ENV, raising=False)
    assert maybe_save([record()], save=False, db=None, command="x") is None
    assert not (tmp_path / "results").exists()
    assert maybe_save([record()], save=True, db=None, command="x") == 1  # default results/cnnbench.db
    assert (tmp_path / "results" / "cnnbench.db").is_file()
    monkeypatch.setenv(DB_ENV, str(tmp_path / "env.db"))
    assert maybe_save([record()], save=False, db=None, command="x") == 1
    assert maybe_save([record()], save=False, db=str(tmp_path / "opt.db"), command="x") == 1
    assert maybe_save([], save=True, db=None, command="x") is None


def test_history_records_trend_and_env_change():
    rows = []
    for run, (median, torch_v) in enumerate([(10.0, "2.3.0"), (12.0, "2.3.0"), (9.0, "2.4.0")], 1):
        r = {k: v for k, v in record(median=median).items() if k not in ("latency_ms", "env")}
        r.update(run_id=run, time=(T0 + dt.timedelta(days=run)).isoformat(), git_commit="c" * 40, git_dirty=run == 3,
                 latency_median_ms=median, env={**ENV, "torch": torch_v}, input_shape="1x3x8x8")
        rows.append(r)
    recs = history_records(rows, "latency")
    assert [r["value"] for r in recs] == [10.0, 12.0, 9.0]
    assert recs[0]["change"] is None
    assert recs[1]["change"] == pytest.approx(0.2)  # 12 / 10 - 1
    assert recs[2]["change"] == pytest.approx(-0.25)  # 9 / 12 - 1
    assert recs[2]["env_changes"] == ["torch 2.3.0→2.4.0"] and recs[1]["env_changes"] == []
    # a static metric is one series per model × input × dtype, whatever the runtime rows
    assert [r["value"] for r in history_records(rows, "macs")] == [1000, 1000, 1000]


def test_env_changes_and_parse_since():
    assert env_changes({"cpu_model": "A", "threads": 1}, {"cpu_model": "B", "threads": 1}) == ["cpu_model A→B"]
    assert env_changes(None, ENV) == []
    now = dt.datetime(2024, 5, 10, tzinfo=dt.timezone.utc)
    assert parse_since("7d", now) == dt.datetime(2024, 5, 3, tzinfo=dt.timezone.utc)
    assert parse_since("12h", now) == dt.datetime(2024, 5, 9, 12, tzinfo=dt.timezone.utc)
    assert parse_since("2024-05-01") == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(CnnbenchError, match="malformed --since"):
        parse_since("last tuesday")


def test_history_cli_table_json_and_plot(tmp_path):
    db = tmp_path / "h.db"
    with open_store(db) as s:
        s.save_run([record(median=10.0)], time=T0)
        s.save_run([record(median=11.0)], env={**ENV, "torch": "2.4.0"}, time=T0 + dt.timedelta(days=1))
        s.save_run([record("vgg11", median=50.0)], time=T0 + dt.timedelta(days=2))
    runner = CliRunner()
    res = runner.invoke(app, ["history", "resnet18", "--db", str(db), "-f", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert [(r["model"], r["value"]) for r in recs] == [("resnet18", 10.0), ("resnet18", 11.0)]
    assert recs[1]["change"] == pytest.approx(0.1) and recs[1]["env_changes"] == ["torch 2.3.0→2.4.0"]
    res = runner.invoke(app, ["history", "--db", str(db), "--since", "2024-05-01", "--plot", str(tmp_path / "t.png")])
    assert res.exit_code == 0, res.output
    assert "vgg11" in res.stdout and "+10.0%" in res.stdout and "torch 2.3.0→2.4.0" in res.stdout
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(app, ["history", "alexnet", "--db", str(db)])
    assert res.exit_code == 2 and "no results for alexnet" in res.output and "recorded: resnet18, vgg11" in res.output


def test_profile_save_records_a_run(tmp_path):
    from pathlib import Path

    user = str(Path(__file__).parent / "data" / "user_models.py")
    db = tmp_path / "h.db"
    res = CliRunner().invoke(app, ["profile", f"{user}:TwoConv", "--input-size", "3x8x8", "--no-latency",
                                   "-f", "json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    with open_store(db) as s:
        (row,) = s.results()
    # hand-checked in test_cli_profile: 116 params, 7424 MACs
    assert row["model"].endswith(":TwoConv") and row["params"] == 116 and row["macs"] == 7424
    assert row["latency_median_ms"] is None and row["device"] is None


def test_run_time_is_utc_even_for_local_times(tmp_path):
    local = dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with open_store(tmp_path / "h.db") as s:
        s.save_run([record()], time=local)
        assert s.runs()[0]["time"].startswith("2024-05-01T12:00:00")


# -- write_atomic: the one file writer (results, reports, plots, caches) ---------------------------------------------

def test_write_atomic_on_a_symlink_writes_the_target_and_keeps_the_link(tmp_path):
    from cnnbench.store import write_atomic

    target = tmp_path / "real.json"
    target.write_text("OLD")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, "NEW")
    assert link.is_symlink() and link.resolve() == target  # the link is still a link to the same file
    assert target.read_text() == "NEW"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]  # no temp file left
    # a dangling link: its target is created, the link kept
    dangling = tmp_path / "later.json"
    dangling.symlink_to(tmp_path / "sub" / "made.json")
    write_atomic(dangling, b"\x00\x01")
    assert dangling.is_symlink() and (tmp_path / "sub" / "made.json").read_bytes() == b"\x00\x01"


def test_write_atomic_writes_into_a_fifo_and_a_device_never_replacing_them(tmp_path):
    import os
    import stat
    import threading

    from cnnbench.store import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)
    full = Path("/dev/full")
    if full.is_char_device():
        link = tmp_path / "full.png"
        link.symlink_to(full)  # through a link too: the device is written into, and fails as a full disk does
        for path in (full, link):
            with pytest.raises(OSError, match="No space left on device"):
                write_atomic(path, b"x" * 100_000)
        assert full.is_char_device() and link.is_symlink()
