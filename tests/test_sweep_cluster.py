"""cnnbench sweep on a real 3-node Ray cluster on this machine, started as docs/sweep.md tells users to.

Each node is its own raylet (``ray start --head``, then ``ray start --address`` twice, one CPU each), in a user and
PID namespace of its own when the kernel allows one (``unshare``): when the namespace's first process ends, the
kernel kills every Ray process of the cluster, whatever happened to the test. Without ``unshare`` the teardown kills
the processes whose command line names this cluster's own temporary directory (and their children), by pid.

No mock: the sweeps are the ``cnnbench`` command itself, a node is lost by SIGKILL of its raylet and its workers,
the driver by SIGKILL of the ``cnnbench sweep`` process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'cnnbench[ray]')")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOCS = ROOT / "docs" / "sweep.md"
#: The fenced block docs/sweep.md shows for a cluster: the test runs its ``$`` lines.
MARK = "<!-- the cluster block: tests/test_sweep_cluster.py runs it as written -->"


def docs_commands() -> list[str]:
    """The ``$`` lines of the cluster block in docs/sweep.md, comments stripped."""
    text = DOCS.read_text()
    assert MARK in text, "docs/sweep.md lost its cluster block"
    block = text.split(MARK, 1)[1].split("```", 2)[1]
    return [re.sub(r"\s+#.*$", "", ln[2:]).strip() for ln in block.splitlines() if ln.startswith("$ ")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _can_unshare(*flags: str) -> bool:
    if shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", *flags, "true"],
                       capture_output=True, timeout=30, check=False)
    return r.returncode == 0


def _env(tmp: str) -> dict[str, str]:
    env = dict(os.environ, RAY_TMPDIR=tmp, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT))
    env.pop("RAY_ADDRESS", None)
    return env


def _procs_of(tmp: str) -> list:
    """This cluster's processes: those whose command line names its temporary directory, and their children."""
    import psutil

    out = {}
    for p in psutil.process_iter(["cmdline"]):
        if any(tmp in a for a in (p.info["cmdline"] or [])):
            out[p.pid] = p
            for c in p.children(recursive=True):
                out[c.pid] = c
    return list(out.values())


def _kill(procs: list) -> None:
    import psutil

    for p in procs:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass


class Cluster:
    """Head + 2 worker nodes from the docs' ``ray start`` lines (port 6379 → a free port)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.tmp = tempfile.mkdtemp(prefix="cnb-rc-", dir="/tmp")  # short: Ray's socket paths must stay < 108
        starts = [c.replace("6379", str(self.port)) for c in docs_commands() if c.startswith("ray start")]
        assert len(starts) == 3, starts
        script = " && ".join(starts) + " && echo READY && read _"
        self.namespaced = _can_unshare()
        prefix = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"] if self.namespaced else []
        self.shell = subprocess.Popen([*prefix, "bash", "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, env=_env(self.tmp), cwd=self.tmp)
        lines = []
        watchdog = threading.Timer(240, self.shell.kill)  # a `ray start` that hangs fails the fixture, not CI
        watchdog.start()
        try:
            for line in self.shell.stdout:  # ray start prints a lot; READY comes after the third node
                lines.append(line)
                if line.strip() == "READY":
                    break
            else:
                self.stop()
                raise AssertionError("the cluster did not start:\n" + "".join(lines[-30:]))
        finally:
            watchdog.cancel()
        # whatever the nodes print later is read (and dropped): a full pipe would block them
        threading.Thread(target=self.shell.stdout.read, daemon=True).start()

    def raylets(self) -> dict[str, tuple[int, bool]]:
        """Node id → (raylet pid, is the head)."""
        import psutil

        out = {}
        for p in _procs_of(self.tmp):
            try:
                cmd = p.cmdline()
            except psutil.Error:  # gone since it was listed
                cmd = []
            if cmd and cmd[0].endswith("/raylet"):
                nid = next(a.split("=", 1)[1] for a in cmd if a.startswith("--node_id="))
                out[nid] = (p.pid, "--head" in cmd)
        return out

    def kill_node(self, nid: str) -> None:
        """The node dies: its raylet and every process under it (workers, agents), SIGKILL."""
        import psutil

        pid, head = self.raylets()[nid]
        assert not head, "the head holds the cluster's GCS: losing it is losing the cluster"
        raylet = psutil.Process(pid)
        _kill([raylet, *raylet.children(recursive=True)])

    def stop(self) -> None:
        if self.shell.poll() is None:
            try:
                self.shell.stdin.close()  # `read` ends, the namespace's first process exits: the kernel kills the rest
            except OSError:
                pass
            try:
                self.shell.wait(10)
            except subprocess.TimeoutExpired:
                self.shell.kill()
                self.shell.wait(10)
        _kill(_procs_of(self.tmp))  # without a namespace (or one that lingers): this cluster's own processes
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()


def sweep(cluster: Cluster, *args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "cnnbench"), "sweep", *args, "--address", cluster.address], env=_env(cluster.tmp),
                          capture_output=True, text=True, timeout=timeout, check=False, **kw)


def store_rows(db: Path) -> list[dict]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [json.loads(r[0]) for r in con.execute("SELECT record FROM results ORDER BY id")]
    finally:
        con.close()


SLOW = '''
import os
import time

import torch.nn as nn

MARKS = {marks!r}


def mark(name):
    """Leaves ``<class>.<ray node id>.<pid>`` in MARKS: which node built the model, and how often."""
    try:
        import ray

        node = ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001 - not in a Ray worker
        node = "driver"
    open(os.path.join(MARKS, f"{{name}}.{{node}}.{{os.getpid()}}"), "w").close()


class Slow(nn.Module):
    def __init__(self):
        super().__init__()
        mark(type(self).__name__)
        time.sleep({sleep})
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(x).mean((2, 3))


class Crash(nn.Module):
    def __init__(self):
        super().__init__()
        mark("Crash")
        os._exit(3)
'''


def slow_models(tmp_path: Path, n: int, sleep: float) -> tuple[list[str], Path]:
    """``n`` models (classes ``Slow1``...) that each take ``sleep`` s to build, and the directory of their marks."""
    marks = tmp_path / "marks"
    marks.mkdir()
    src = SLOW.format(marks=str(marks), sleep=sleep)
    src += "".join(f"\n\nclass Slow{i}(Slow):\n    pass\n" for i in range(1, n + 1))
    path = tmp_path / "slow.py"
    path.write_text(src)
    return [f"{path}:Slow{i}" for i in range(1, n + 1)], marks


def marks_of(marks: Path) -> list[tuple[str, str]]:
    """(class, node id) of every model built in a worker (the driver resolves models without building them)."""
    out = []
    for f in os.listdir(marks):
        name, node, _ = f.split(".")
        if node != "driver":
            out.append((name, node))
    return out


# -- a static sweep spreads; the driver alone writes the store ------------------------------------------------------

def test_static_sweep_spreads_over_the_nodes_and_only_the_driver_writes_the_store(cluster, tmp_path):
    import psutil

    db, out = tmp_path / "c.db", tmp_path / "rows.json"
    names = ["squeezenet1_1", "resnet18", "mobilenet_v3_small", "timm:resnet10t", "timm:mobilenetv3_small_050",
             "alexnet"]
    proc = subprocess.Popen([str(BIN / "cnnbench"), "sweep", *names, "--no-latency", "--address", cluster.address,
                             "--db", str(db), "-o", str(out), "--format", "json"], env=_env(cluster.tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver_had_db = workers_had_db = 0
    workers: set[int] = set()
    while proc.poll() is None:  # who holds the database open, sampled while the sweep runs
        for p in _procs_of(cluster.tmp):
            try:
                if p.name().startswith("ray::") or "default_worker" in " ".join(p.cmdline()):
                    workers.add(p.pid)
                    workers_had_db += any(f.path == str(db) for f in p.open_files())
            except psutil.Error:
                continue
        try:
            driver_had_db += any(f.path == str(db) for f in psutil.Process(proc.pid).open_files())
        except psutil.Error:
            pass
        time.sleep(0.2)
    _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    rows = json.loads(out.read_text())
    assert [r["model"] for r in rows] == names and not any(r["error"] for r in rows)
    ids = {r["model"]: r["node_id"] for r in rows}
    nodes = set(cluster.raylets())
    assert len(nodes) == 3 and set(ids.values()) <= nodes
    # 6 one-CPU tasks on 3 one-CPU nodes, each to the node with the most free CPUs: the first three go to 3 nodes
    assert len(set(ids.values())) == 3, ids
    assert next(r for r in rows if r["model"] == "resnet18")["params"] == 11_689_512  # torchvision's resnet18
    # the store holds the same rows, each with the node that measured it
    stored = store_rows(db)
    assert {r["model"]: r["node_id"] for r in stored} == ids and len(stored) == 6
    # only the driver opened the database: it held it while the sweep ran; no Ray worker ever did
    assert driver_had_db > 0 and workers, (driver_had_db, workers)
    assert workers_had_db == 0


def test_timed_tasks_never_overlap_on_a_node(cluster, tmp_path):
    out = tmp_path / "lat.json"
    names = ["resnet18", "squeezenet1_1", "timm:mobilenetv3_small_050"]
    r = sweep(cluster, *names, "--input-size", "3x32x32", "--budget", "0.05", "--min-samples", "3", "--warmup",
              "0.01", "--no-save", "-o", str(out), "--format", "json")
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert len(rows) == 3 and all(x["runtime"] == "eager" and x["latency_ms"]["samples"] >= 3 for x in rows)
    spans: dict[str, list[tuple[float, float]]] = {}
    for x in rows:
        assert x["node_id"] in set(cluster.raylets())
        spans.setdefault(x["node_id"], []).append((x["timed_start"], x["timed_end"]))
    for s in spans.values():
        s.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(s)), s


# -- faults ------------------------------------------------------------------------------------------------------------

def test_a_cluster_address_that_does_not_answer_fails_within_the_connect_timeout():
    """A port that accepts connections and says nothing (no Ray GCS behind it): one line, exit 2, bounded."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        t0 = time.monotonic()
        r = subprocess.run([str(BIN / "cnnbench"), "sweep", "resnet18", "--no-latency", "--no-save", "--address",
                            f"127.0.0.1:{port}", "--connect-timeout", "3"], env=_env("/nonexistent"),
                           capture_output=True, text=True, timeout=120, check=False)
        took = time.monotonic() - t0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr[-2000:]
    assert lines[0].startswith(f"error: cannot reach the Ray cluster at 127.0.0.1:{port} within 3 s: it accepts "
                               "connections but no Ray head answers there"), lines[0]
    assert took < 3 + 10, took  # --connect-timeout, plus the interpreter's start-up (Ray alone: 40 s, then an abort)


def test_the_driver_killed_mid_sweep_then_resume_completes_without_duplicates(cluster, tmp_path):
    names, _ = slow_models(tmp_path, 6, sleep=2.0)
    db = tmp_path / "r.db"
    args = [str(BIN / "cnnbench"), "sweep", *names, "--no-latency", "--address", cluster.address, "--db", str(db)]
    proc = subprocess.Popen(args, env=_env(cluster.tmp), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    recorded = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                recorded = len(store_rows(db))
            except sqlite3.Error:  # not created yet
                recorded = 0
        if recorded >= 1:
            break
        time.sleep(0.1)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()[-2000:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    first = store_rows(db)
    assert 1 <= len(first) < 6, len(first)  # killed mid-sweep: some rows recorded, not all
    r = sweep(cluster, *names, "--no-latency", "--db", str(db), "--resume", "--format", "json")
    assert r.returncode == 0, r.stderr[-3000:]
    assert [x["model"] for x in json.loads(r.stdout)] == names  # the output holds every row of the sweep
    stored = store_rows(db)
    counts = Counter(x["row_key"] for x in stored)
    assert len(counts) == 6 and set(counts.values()) == {1}, counts  # every row once: none lost, none twice
    assert len(stored) == 6 and not any(x["error"] for x in stored)


def test_a_task_that_crashes_on_a_live_node_is_one_error_row_and_not_rerun(cluster, tmp_path):
    _, marks = slow_models(tmp_path, 0, sleep=0)
    crash = f"{tmp_path / 'slow.py'}:Crash"
    r = sweep(cluster, crash, "--no-latency", "--no-save", "--format", "json")
    assert r.returncode == 1, r.stderr[-3000:]
    rows = json.loads(r.stdout)
    assert len(rows) == 1 and rows[0]["error"].startswith("worker died"), rows
    assert "died (" not in r.stderr  # no node was lost, nothing re-run
    assert len(marks_of(marks)) == 1  # built once: a crash is not retried


def test_a_node_killed_mid_sweep_has_its_task_rerun_once_on_a_survivor(cluster, tmp_path):
    """Last in the module: the cluster has one node fewer afterwards."""
    names, marks = slow_models(tmp_path, 3, sleep=8.0)
    db, out = tmp_path / "n.db", tmp_path / "n.json"
    proc = subprocess.Popen([str(BIN / "cnnbench"), "sweep", *names, "--no-latency", "--address", cluster.address,
                             "--db", str(db), "-o", str(out)], env=_env(cluster.tmp), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    heads = {nid for nid, (_, head) in cluster.raylets().items() if head}
    deadline = time.monotonic() + 180
    victim = None
    while time.monotonic() < deadline and proc.poll() is None and victim is None:
        built = marks_of(marks)
        if len({c for c, _ in built}) == 3:  # all three building, one per node: kill a worker node's
            victim = next((c, n) for c, n in built if n not in heads)
        time.sleep(0.1)
    assert victim is not None, proc.communicate()[1][-3000:]
    cluster.kill_node(victim[1])
    _, stderr = proc.communicate(timeout=300)
    rows = json.loads(out.read_text())
    assert Counter(r["model"] for r in rows) == Counter(names)  # never lost, never duplicated
    lost = next(r for r in rows if r["model"].endswith(":" + victim[0]))
    if lost["error"]:  # the re-run was lost too: an error row that says so, and exit 1
        assert lost["error"].startswith("node died"), lost["error"]
        assert proc.returncode == 1
    else:  # re-run once, on a node that survived
        assert proc.returncode == 0, stderr[-3000:]
        assert lost["node_id"] != victim[1] and lost["node_id"] in set(cluster.raylets())
        assert Counter(c for c, _ in marks_of(marks))[victim[0]] == 2  # built on the dead node, then once more
    assert f"node {victim[1]} died" in stderr and "re-running" in stderr
    stored = store_rows(db)
    assert Counter(x["row_key"] for x in stored) == Counter(r["row_key"] for r in json.loads(out.read_text()))
    assert len(stored) == 3


# -- the docs block, exactly as written ------------------------------------------------------------------------------

def test_the_docs_cluster_block_runs_as_written(tmp_path):
    """Head, two workers, a sweep and ``ray stop``, every ``$`` line of the block unchanged: in network and PID
    namespaces of their own, so that port 6379 is this test's and ``ray stop`` stops this cluster only."""
    if not _can_unshare("--net"):
        pytest.skip("needs unprivileged user, PID and network namespaces (unshare) to run `ray stop` as written")
    cmds = docs_commands()
    assert cmds[0].startswith("ray start --head") and cmds[-1] == "ray stop", cmds
    script = "ip link set lo up\n" + "\n".join(cmds)
    tmp = tempfile.mkdtemp(prefix="cnb-rd-", dir="/tmp")
    try:
        r = subprocess.run(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--net",
                            "bash", "-ec", script], env=_env(tmp), cwd=tmp_path, capture_output=True, text=True,
                           timeout=400, check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    rows = json.loads((tmp_path / "cluster.json").read_text())
    assert len(rows) >= 3 and not any(x["error"] for x in rows)
    assert len({x["node_id"] for x in rows}) == 3  # one task per node to begin with: all three nodes measured
    assert "Stopped all" in r.stdout + r.stderr  # ray stop found this cluster's processes


if __name__ == "__main__":  # pragma: no cover
    print(textwrap.indent("\n".join(docs_commands()), "$ "))
