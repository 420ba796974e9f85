"""`cnnbench baseline create` / `cnnbench check`: suites, statistics, verdicts, baselines, --against."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cnnbench.check import (
    BASELINE_SCHEMA,
    CALIBRATION_SHAPE,
    CheckSettings,
    Entry,
    LocalSide,
    build_calibration,
    check_against_baseline,
    compare_static,
    create_baseline,
    latency_verdict,
    load_baseline,
    load_suite,
    parse_suite,
    relative_iqr,
)
from cnnbench.check.view import report_markdown
from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError

ROOT = Path(__file__).resolve().parents[1]
USER = str(Path(__file__).parent / "data" / "user_models.py")
runner = CliRunner()
# a fast suite: a 2-conv model at 16×16 (µs per call), few blocks of few rounds
FAST = {"check": {"blocks": 3, "max_blocks": 4, "rounds": 3, "samples_per_round": 3, "calibration_copies": 1,
                  "warmup": 0.05},
        "defaults": {"threads": 1}}


# -- statistics and verdicts ----------------------------------------------------------------------------------


def test_relative_iqr():
    # p25 = 1.75, p50 = 2.5, p75 = 3.25 for 1..4 (linear interpolation) → 1.5 / 2.5 = 0.6
    assert relative_iqr([1, 2, 3, 4]) == pytest.approx(0.6)
    assert relative_iqr([5.0]) == 0.0


@pytest.mark.parametrize("est, lo, hi, unstable, verdict", [
    (1.15, 1.08, 1.17, False, "regression"),  # above 1 + 10 %, interval above 1
    (1.15, 0.99, 1.08, False, "pass"),  # interval reaches 1: not proven slower
    (1.05, 1.02, 1.08, False, "pass"),  # slower, but within the threshold
    (1.15, 1.02, 1.30, False, "regression"),  # wide (0.28), but proven slower and 15 % at the best estimate
    (1.08, 0.99, 1.20, False, "inconclusive"),  # interval 0.21 wide > 0.10, reaches 1
    (1.30, 1.12, 1.45, False, "regression"),  # entirely above 1.10
    (1.00, 0.97, 1.03, True, "inconclusive"),  # unstable calibration
    (1.15, 1.08, 1.17, True, "regression"),  # proven slower beyond the threshold, even so
    (0.85, 0.82, 0.88, False, "faster"),
    (0.85, 0.70, 0.99, False, "faster"),  # wide, but proven faster
])
def test_latency_verdict(est, lo, hi, unstable, verdict):
    assert latency_verdict(est, lo, hi, 0.10, unstable) == verdict


def test_compare_static_tolerances():
    base = {"params": 100, "checkpoint_bytes": 400, "macs": 1000, "memory_access_bytes": 5000, "activations": 10}
    cur = {**base, "macs": 1010, "memory_access_bytes": 5004}
    rows = {r["metric"]: r for r in compare_static(base, cur, {"memory_access_bytes": 0.001})}
    assert rows["params"]["ok"] and rows["params"]["change"] == 0
    assert not rows["macs"]["ok"] and rows["macs"]["change"] == pytest.approx(0.01)  # default tolerance 0
    assert rows["memory_access_bytes"]["ok"]  # 4 / 5000 = 0.0008 ≤ 0.001


def test_calibration_workload_is_the_documented_one():
    import torch

    from cnnbench.analysis import analyze

    with torch.device("meta"):
        model = build_calibration()
    s = analyze(model.eval(), CALIBRATION_SHAPE)
    assert s.macs == 64_311_296  # sum in build_calibration's docstring
    assert s.params == 4_530_442  # convs 49,408 + linears 264,192 + 4,196,352 + 20,490


# -- suites ----------------------------------------------------------------------------------------------------


def test_suite_expands_models_devices_runtimes_batches_and_merges_defaults():
    s = parse_suite({
        "check": {"blocks": 5, "max_blocks": 10},
        "defaults": {"batch_sizes": [1, 8], "threads": 1, "tolerance": {"macs": 0.01}},
        "entry": [{"models": ["resnet18", "squeezenet1_1"], "input_size": "64", "threshold": 0.2,
                   "tolerance": {"params": 0.5}},
                  {"models": "lenet5", "latency": False}],
    }, source="t")
    assert len(s.entries) == 2 * 2 + 2
    e = s.entries[0]
    assert (e.model, e.batch_size, e.input_size, e.threads, e.threshold) == ("resnet18", 1, (3, 64, 64), 1, 0.2)
    assert e.tolerance == {"macs": 0.01, "params": 0.5}
    assert e.key == "resnet18|cpu|eager|b1|fp32|3x64x64|t1"
    lenet = s.entries[-1]
    assert lenet.input_size == (1, 32, 32) and not lenet.latency  # the model's own default input
    assert (s.settings.blocks, s.settings.max_blocks, s.settings.rounds, s.settings.samples_per_round) == (5, 10, 8, 3)


@pytest.mark.parametrize("doc, message", [
    ({"entry": [{"models": ["resnet18"]}], "extra": 1}, "unknown key 'extra' in top level"),
    ({"check": {"round": 3}, "entry": [{"models": ["resnet18"]}]}, "unknown key 'round' in [check]"),
    ({"defaults": {"model": "x"}, "entry": [{"models": ["resnet18"]}]}, "unknown key 'model' in [defaults]"),
    ({"entry": [{"models": ["resnet18"], "batch": [1]}]}, "entry 1: unknown key 'batch' in the entry"),
    ({"entry": [{"models": ["resnet18"], "tolerance": {"flops": 0}}]}, "entry 1: unknown key 'flops' in tolerance"),
    ({"entry": []}, "no [[entry]]"),
    ({"entry": [{"models": ["resnt18"]}]}, "did you mean: resnet18"),
    ({"entry": [{"models": ["resnet18"], "runtimes": ["tvm"]}]}, "unknown runtime 'tvm'"),
    ({"entry": [{"models": ["resnet18"], "devices": ["tpu"]}]}, "unknown device 'tpu'"),
    ({"entry": [{"models": ["resnet18"], "batch_sizes": [0]}]}, "batch_sizes must be ≥ 1"),
    ({"entry": [{"models": ["resnet18"], "batch_sizes": [True]}]}, "batch_sizes must be integers"),
    ({"entry": [{"models": ["resnet18"], "threshold": "10%"}]}, "threshold must be a number"),
    ({"entry": [{"models": ["resnet18"], "threads": 0}]}, "entry 1: threads must be an integer ≥ 1 (got 0)"),
    ({"entry": [{"models": ["resnet18"], "input_size": "22a"}]}, "malformed --input-size"),
    ({"entry": [{"models": ["resnet18"]}, {"models": ["resnet18"]}]}, "listed twice"),
    ({"check": {"blocks": 10, "max_blocks": 5}, "entry": [{"models": ["resnet18"]}]}, "max_blocks (5) must be"),
    ({"check": {"blocks": 1}, "entry": [{"models": ["resnet18"]}]}, "[check] blocks must be an integer ≥ 2"),
    ({"check": {"max_rounds": 48}, "entry": [{"models": ["resnet18"]}]}, "[check] max_rounds is replaced by max_blocks"),
    ({"check": {"bootstrap": 2000}, "entry": [{"models": ["resnet18"]}]}, "[check] bootstrap is no longer used"),
    ({"check": {"clock": "cpu"}, "entry": [{"models": ["resnet18"]}]}, None),  # valid until used (clock_for)
])
def test_suite_errors_name_the_key(doc, message):
    if message is None:
        s = parse_suite(doc)
        with pytest.raises(CnnbenchError, match="needs device cpu and threads = 1"):
            s.settings.clock_for(s.entries[0])
        return
    with pytest.raises(CnnbenchError) as err:
        parse_suite(doc, source="bad.toml")
    assert message in str(err.value) and str(err.value).startswith("suite bad.toml:")


def test_project_suite_loads(tmp_path):
    s = load_suite(ROOT / "benchmarks" / "ci.toml")
    timed = {e.model for e in s.entries if e.latency}
    assert timed == {"resnet18", "mobilenet_v2", "shufflenet_v2_x1_0", "squeezenet1_1", "mobilenet_v1_x1_0",
                     "shufflenet_v1_g3_x1_0"}
    from cnnbench.catalog import resolve

    assert {resolve(m).source for m in timed} == {"torchvision", "cnnbench"}  # models/ is timed, not only counted
    assert all(s.settings.clock_for(e) == "wall" for e in s.entries)  # wall time, whatever the threads
    (tmp_path / "bad.toml").write_text("[[entry]\nmodels = 1")
    with pytest.raises(CnnbenchError, match="not valid TOML"):
        load_suite(tmp_path / "bad.toml")
    with pytest.raises(CnnbenchError, match="suite file not found"):
        load_suite(tmp_path / "none.toml")


# -- baselines and checks (real measurements on a µs model) ------------------------------------------------------


def _suite(**entry):
    return parse_suite({**FAST, "entry": [{"models": [f"{USER}:TwoConv"], "input_size": "3x16x16", **entry}]})


class Slow:
    """Wraps a model so each call busy-waits ``extra`` × the forward time: a (1 + extra)× slower model."""

    def __init__(self, extra):
        self.extra = extra

    def __call__(self, model):
        from torch import nn

        extra = self.extra

        class Slowed(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = model

            def forward(self, x):
                t0 = time.thread_time()
                y = self.inner(x)
                end = time.thread_time() + extra * (time.thread_time() - t0)
                while time.thread_time() < end:
                    pass
                return y

        return Slowed()


@pytest.fixture(scope="module")
def baseline_doc():
    return create_baseline(_suite(threshold=0.5))


def test_baseline_document(baseline_doc):
    assert baseline_doc["schema"] == BASELINE_SCHEMA and baseline_doc["kind"] == "cnnbench-baseline"
    (rec,) = baseline_doc["entries"].values()
    assert rec["static"]["params"] == 116 and rec["static"]["macs"] == 16 * 16 * (4 * 27 + 2 * 4)  # 29,696
    lat = rec["latency"]
    # FAST: 3 blocks first, up to 4; 3 rounds per block
    assert lat["clock"] == "wall" and len(lat["blocks"]) in (3, 4) and lat["rounds"] == 3 * len(lat["blocks"])
    assert all(len(b["calibration_ms"]) == len(b["model_ms"]) == 3 for b in lat["blocks"])
    all_model = [m for b in lat["blocks"] for m in b["model_ms"]]
    assert lat["median_ms"] == pytest.approx(float(np.median(all_model)))


def test_same_code_passes_and_a_3x_slowdown_is_a_regression(baseline_doc):
    suite = _suite(threshold=0.5)
    (same,) = check_against_baseline(baseline_doc, suite).rows
    # threshold 50 %: an A/A "regression" would need a median ratio 1.5× off
    assert same.status in ("pass", "faster", "inconclusive") and same.static and all(r["ok"] for r in same.static)
    (slow,) = check_against_baseline(baseline_doc, suite, model_wrapper=Slow(2.0)).rows
    assert slow.status == "regression", slow.latency
    assert slow.latency["estimate"] > 2 and slow.latency["low"] > 1.5
    assert slow.latency["blocks"] == 3 and slow.latency["method"] == "Welch t over blocks"  # conclusive at once


def test_static_change_fails_and_summary_says_which(tmp_path, baseline_doc):
    doc = json.loads(json.dumps(baseline_doc))
    (rec,) = doc["entries"].values()
    rec["static"]["macs"] -= 1
    rec["latency"] = None  # static only: fast
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    res = runner.invoke(app, ["check", "--baseline", str(path), "--summary", str(tmp_path / "s.md"), "-f", "json"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert report["verdict"] == "fail" and report["rows"][0]["status"] == "changed"
    md = (tmp_path / "s.md").read_text()
    assert md.startswith("## cnnbench check: ❌ fail") and "macs 29695→29696" in md
    assert md == report_markdown(report)


def test_baseline_create_cli_writes_atomically_and_check_reads_it(tmp_path):
    suite = tmp_path / "s.toml"
    suite.write_text(f'[check]\nblocks = 2\nmax_blocks = 2\nrounds = 4\ncalibration_copies = 1\nwarmup = 0.05\n'
                     f'[[entry]]\nmodels = ["{USER}:TwoConv"]\ninput_size = "3x16x16"\nthreads = 1\nthreshold = 3.0\n'
                     f'[[entry]]\nmodels = ["squeezenet1_1"]\nlatency = false\n')
    out = tmp_path / "b.json"
    res = runner.invoke(app, ["baseline", "create", "--suite", str(suite), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b.json")] == []  # no temp file left
    doc = load_baseline(out)
    assert len(doc["entries"]) == 2 and doc["suite"]["check"]["rounds"] == 4
    res = runner.invoke(app, ["check", "--baseline", str(out), "-o", str(tmp_path / "r.json")])
    # this test is the file's round trip, not A/A stability (test_a_committed_sleep_..._a_a_passes): a threshold of 300 %,
    # since a 28 µs model on a noisy host once measured 1.52× [1.49, 1.55] in a clean-clone CI run with 0.5
    assert res.exit_code in (0, 3), res.output
    assert "squeezenet1_1" in res.stdout and json.loads((tmp_path / "r.json").read_text())["mode"] == "baseline"


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "is not a cnnbench baseline"),
    ('{"kind": "cnnbench-baseline", "schema": 99, "calibration": "x", "entries": {}, "suite": {}}',
     "has schema 99, newer than this cnnbench reads (2)"),
    ('{"kind": "cnnbench-baseline", "schema": "1"}', "bad \"schema\""),
    ('{"kind": "cnnbench-baseline", "schema": 1, "calibration": "convmlp128-v1", "entries": {}, "suite": {}}',
     "has schema 1: its latency rounds are not grouped in independent blocks"),
    ('{"kind": "cnnbench-baseline", "schema": 2, "calibration": "convstack-v0", "entries": {}, "suite": {}}',
     "re-create the baseline"),
])
def test_bad_baselines_are_rejected(tmp_path, content, message):
    p = tmp_path / "b.json"
    p.write_text(content)
    with pytest.raises(CnnbenchError) as err:
        load_baseline(p)
    assert message in str(err.value)


def test_truncated_latency_in_baseline_is_rejected(tmp_path, baseline_doc):
    doc = json.loads(json.dumps(baseline_doc))
    (rec,) = doc["entries"].values()
    rec["latency"]["blocks"][0]["model_ms"] = rec["latency"]["blocks"][0]["model_ms"][:1]
    p = tmp_path / "b.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(CnnbenchError, match="malformed baseline"):
        load_baseline(p)


def test_check_settings_validation():
    with pytest.raises(CnnbenchError, match="round_stat"):
        CheckSettings(round_stat="mean")
    # wall time by default, always; the thread's CPU time only when asked for (and only where it sees the work)
    assert CheckSettings().clock_for(Entry("x", threads=1)) == "wall"
    assert CheckSettings().clock_for(Entry("x", threads=None)) == "wall"
    assert CheckSettings().clock_for(Entry("x", device="cuda", threads=1)) == "wall"
    assert CheckSettings(clock="auto").clock == "wall"  # older suites
    assert CheckSettings(clock="cpu").clock_for(Entry("x", threads=1)) == "cpu"
    with pytest.raises(CnnbenchError, match="needs device cpu and threads = 1"):
        CheckSettings(clock="cpu").clock_for(Entry("x", device="cuda", threads=1))


# -- --against REF in a throw-away git repository ---------------------------------------------------------------

NET = """from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return self.a(x)
"""


def _git(repo, *args):
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.mark.slow
def test_against_ref_imports_model_code_from_the_ref_and_cleans_up(tmp_path):
    # a repository laid out like cnnbench's: models/ is imported as cnnbench_models on both sides
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    (repo / "cnnbench").mkdir()
    (repo / "cnnbench" / "__init__.py").write_text("")
    (repo / "models" / "__init__.py").write_text("")
    (repo / "models" / "tiny.py").write_text(NET + "\n\ndef make():\n    return Net()\n")
    (repo / "net.py").write_text(NET)
    (repo / "suite.toml").write_text('[defaults]\ninput_size = "3x8x8"\nlatency = false\n'
                                     '[[entry]]\nmodels = ["net.py:Net", "cnnbench_models.tiny:make"]\n')
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    (repo / "net.py").write_text(NET.replace("nn.Conv2d(3, 8, 3", "nn.Conv2d(3, 16, 3"))
    (repo / "models" / "tiny.py").write_text((repo / "models" / "tiny.py").read_text().replace("(3, 8, 3", "(3, 4, 3"))
    # the console script, not `python -m`: the repository's own (fake) cnnbench/ must not shadow the tool
    cmd = [str(Path(sys.executable).parent / "cnnbench"), "check", "--against", "HEAD", "--suite", "suite.toml",
           "-f", "json"]
    res = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 1, res.stderr
    rows = json.loads(res.stdout)["rows"]
    params = [{r["metric"]: r for r in row["static"]}["params"] for row in rows]
    # HEAD: 8·3·9 + 8 = 224 params; working tree: 16·3·9 + 16 = 448 and 4·3·9 + 4 = 112
    assert [row["status"] for row in rows] == ["changed", "changed"]
    assert [(p["base"], p["current"]) for p in params] == [(224, 448), (224, 112)]
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout
    assert len(worktrees.strip().splitlines()) == 1  # the temporary worktree is gone
    res = subprocess.run([*cmd[:2], "--against", "no-such-ref", "--suite", "suite.toml"], cwd=repo,
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 2 and "unknown git ref 'no-such-ref'" in res.stderr and "Traceback" not in res.stderr


# -- what the default clock sees: a sleep committed into forward (--against, temp repository) --------------------

SLEEPY = "import time\n\n" + NET  # the same conv; its forward gets a sleep (or extra compute) committed
# tens of µs per call at 3×32×32; rounds kept few so each check takes seconds. The machine's own noise (other
# processes on a shared CI box) is not under test: calibration_max_iqr = 1 keeps it from making A/A inconclusive
_TIMED = ('[check]\nblocks = 4\nmax_blocks = 8\nrounds = 3\nsamples_per_round = 3\ncalibration_copies = 1\n'
          'warmup = 0.05\n'
          'calibration_max_iqr = 1.0\n'
          '[[entry]]\nmodels = ["net.py:Net"]\ninput_size = "3x32x32"\nthreads = 1\nthreshold = 0.5\n')


def _cnnbench() -> str:
    # the console script, not `python -m`: a repository's own cnnbench/ must not shadow the tool
    return str(Path(sys.executable).parent / "cnnbench")


def _repo(tmp_path: Path, net: str, suite: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "net.py").write_text(net)
    (repo / "suite.toml").write_text(suite)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    return repo


def _against(repo: Path) -> tuple[int, dict, str]:
    res = subprocess.run([_cnnbench(), "check", "--against", "HEAD", "--suite", "suite.toml", "-f", "json"], cwd=repo,
                         capture_output=True, text=True, timeout=300, check=False)
    return res.returncode, json.loads(res.stdout) if res.stdout.strip() else {}, res.stderr


@pytest.mark.slow
def test_a_committed_sleep_or_extra_compute_is_a_regression_and_a_a_passes(tmp_path):
    repo = _repo(tmp_path, SLEEPY, _TIMED)
    code, report, err = _against(repo)  # A/A: the same code on both sides
    assert code == 0, (report, err)
    (row,) = report["rows"]
    assert row["status"] == "pass" and row["latency"]["clock"] == "wall"
    # the working tree sleeps 4 ms per call: ~100× the conv's time, on the wall clock
    (repo / "net.py").write_text(SLEEPY.replace("return self.a(x)", "time.sleep(0.004)\n        return self.a(x)"))
    code, report, err = _against(repo)
    assert code == 1, (report, err)
    (row,) = report["rows"]
    assert row["status"] == "regression" and row["latency"]["low"] > 1.5, row
    assert row["latency"]["current_ms"] >= 4.0  # the sleep itself: ≥ 4 ms per call
    # extra compute committed into forward, invisible to the static metrics (no tensor op): a Python loop of 20,000
    # additions, ~10× the conv's tens of µs; the workers replaced by fresh processes every 2 blocks
    # (fresh_process_every: blocks 0-1, then 2-3 in new workers)
    (repo / "net.py").write_text(SLEEPY.replace("return self.a(x)", "sum(range(20_000))\n        return self.a(x)"))
    (repo / "suite.toml").write_text(_TIMED.replace("[check]\n", "[check]\nfresh_process_every = 2\n"))
    code, report, err = _against(repo)
    assert code == 1, (report, err)
    (row,) = report["rows"]
    assert row["status"] == "regression" and row["latency"]["low"] > 2, row
    assert all(r["ok"] for r in row["static"])  # the same MACs, parameters...: only the time says it
    assert row["latency"]["blocks"] == 4 and row["latency"]["method"] == "paired t over blocks"


class Sleeps:
    """Wraps a model so each call also sleeps 4 ms (what a blocking read or a wait on another thread looks like)."""

    def __call__(self, model):
        from torch import nn

        class Slept(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = model

            def forward(self, x):
                time.sleep(0.004)
                return self.inner(x)

        return Slept()


def test_cpu_clock_is_blind_to_a_sleep_and_the_wall_clock_is_not():
    (entry,) = _suite().entries
    side = LocalSide("current", Sleeps())
    try:
        assert side.open(entry, warmup=0.0, copies=1) is None
        _, wall_ms = side.round(3, "median", "wall")
        _, cpu_ms = side.round(3, "median", "cpu")
    finally:
        side.shutdown()
    assert wall_ms >= 4.0  # the 4 ms sleep, plus a 2-conv model at 16×16 (µs)
    assert cpu_ms < 2.0  # the thread's CPU time misses most of it: why "cpu" is only used when asked for


# -- Ctrl-C: the entries finished so far are reported, exit 130, in both modes ----------------------------------

SLOW_SECOND = SLEEPY + """

class Slow(Net):
    def forward(self, x):
        time.sleep(0.02)
        return self.a(x)
"""
_TWO = ('[check]\nblocks = 2\nmax_blocks = 2\nrounds = 40\nsamples_per_round = 1\ncalibration_copies = 1\n'
        'warmup = 0.0\n'
        '[defaults]\ninput_size = "3x8x8"\nthreads = 1\n'
        '[[entry]]\nmodels = ["net.py:Net"]\nlatency = false\n'
        '[[entry]]\nmodels = ["net.py:Slow"]\n')


def _interrupt_after_first(cmd: list[str], cwd: Path, second: str) -> tuple[int, str, str]:
    """Runs ``cmd`` in its own process group; Ctrl-C (SIGINT to the group, as a terminal does) once the log says
    the second entry started — the first is finished then; the second takes 2 blocks × 40 rounds × ≥ 20 ms."""
    import os
    import signal
    import threading

    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    err_lines: list[str] = []
    started = threading.Event()

    def read_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if f"check: {second}" in line:
                started.set()

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    try:
        assert started.wait(120), "".join(err_lines)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(10)
    return proc.returncode, out, "".join(err_lines)


@pytest.mark.slow
def test_ctrl_c_reports_the_finished_entries_and_exits_130_in_both_modes(tmp_path, monkeypatch):
    repo = _repo(tmp_path, SLOW_SECOND, _TWO)
    # --against: two worker processes (they get the SIGINT too, and must leave the shutdown to the driver)
    code, out, err = _interrupt_after_first([_cnnbench(), "check", "--against", "HEAD", "--suite", "suite.toml",
                                             "-f", "json"], repo, "net.py:Slow")
    assert code == 130, err
    report = json.loads(out)
    assert report["interrupted"] and report["verdict"] == "interrupted" and report["planned"] == 2
    assert [(r["entry"]["model"], r["status"]) for r in report["rows"]] == [("net.py:Net", "pass")]
    assert "interrupted: reported the 1 of 2 entries finished" in err and "worker stopped" not in err
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout
    assert len(worktrees.strip().splitlines()) == 1  # cleaned up
    # --baseline: a baseline by hand (static metrics only for the first entry, nothing measured for it)
    from cnnbench.check import BASELINE_KIND, CALIBRATION_ID

    monkeypatch.chdir(repo)  # net.py:Net is relative to the working directory
    suite = load_suite("suite.toml")
    entries = {}
    for e in suite.entries:
        static = LocalSide().static(e)["metrics"]
        lat = None if not e.latency else {"blocks": [{"calibration_ms": [5.0], "model_ms": [20.0]}] * 2,
                                          "median_ms": 20.0, "calibration_median_ms": 5.0, "clock": "wall"}
        entries[e.key] = {"entry": e.to_dict(), "static": static, "latency": lat, "error": None}
    (repo / "b.json").write_text(json.dumps({"schema": BASELINE_SCHEMA, "kind": BASELINE_KIND,
                                             "calibration": CALIBRATION_ID, "suite": suite.to_dict(),
                                             "entries": entries}))
    code, out, err = _interrupt_after_first([_cnnbench(), "check", "--baseline", "b.json"], repo, "net.py:Slow")
    assert code == 130, err
    assert "net.py:Net" in out and "net.py:Slow" not in out and "interrupted" in out  # the table, partial
    assert "interrupted: reported the 1 of 2 entries finished" in err
