"""`cnnbench check` keeps its promises under hostile conditions: a second Ctrl-C during clean-up, a model file new
in the working tree, a baseline from another machine or torch, absurd stored latencies, contradictory options,
an unavailable device."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_check_schema import _baseline, _suite_doc
from typer.testing import CliRunner

from cnnbench.check import LocalSide, parse_suite
from cnnbench.check import against as against_mod
from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError

runner = CliRunner()
# an 8-channel 3×3 conv: 8·3·9 + 8 = 224 parameters
NET = """from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x):
        return self.a(x)
"""
STATIC_SUITE = ('[defaults]\ninput_size = "3x8x8"\nlatency = false\n'
                '[[entry]]\nmodels = ["net.py:Net"]\n[[entry]]\nmodels = ["net.py:Net"]\ninput_size = "3x4x4"\n')


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout


def _repo(tmp_path: Path, suite: str = STATIC_SUITE) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "net.py").write_text(NET)
    (repo / "suite.toml").write_text(suite)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    return repo


class _InProcessSide(LocalSide):
    """A WorkerSide stand-in measuring in this process (the model file is the same on both sides here)."""

    def __init__(self, name, root, cwd, repo_root):
        super().__init__(name)

    def shutdown(self, hurry=()):
        super().shutdown()


# -- a second Ctrl-C during clean-up ------------------------------------------------------------------------------

def _check_static_suite(repo: Path, monkeypatch) -> object:
    from cnnbench.check import load_suite

    monkeypatch.chdir(repo)
    suite = load_suite(repo / "suite.toml", resolve_models=False)
    try:
        return against_mod.check_against_ref("HEAD", suite, cwd=repo)
    except KeyboardInterrupt:
        pytest.fail("a Ctrl-C during clean-up escaped check_against_ref: every finished entry was lost")


def test_ctrl_c_while_the_workers_shut_down_keeps_the_finished_rows(tmp_path, monkeypatch):
    repo = _repo(tmp_path)

    class CtrlCAtShutdown(_InProcessSide):
        def shutdown(self, hurry=()):
            signal.raise_signal(signal.SIGINT)  # the user's Ctrl-C arrives while the sides shut down
            super().shutdown()

    monkeypatch.setattr(against_mod, "WorkerSide", CtrlCAtShutdown)
    rep = _check_static_suite(repo, monkeypatch)
    # both entries had finished: they are reported (8·3·9 + 8 = 224 parameters on both sides), marked interrupted
    assert rep.interrupted and rep.exit_code == 130
    assert [r.status for r in rep.rows] == ["pass", "pass"]
    assert [{s["metric"]: s for s in r.static}["params"]["current"] for r in rep.rows] == [224, 224]
    assert len(_git(repo, "worktree", "list").strip().splitlines()) == 1  # the temporary worktree is gone


def test_ctrl_c_during_the_worktree_removal_still_removes_it(tmp_path, monkeypatch):
    repo = _repo(tmp_path)
    real_git = against_mod._git

    def git(args, cwd):
        if args[:2] == ["worktree", "remove"]:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C just as the worktree is being removed
        return real_git(args, cwd)

    monkeypatch.setattr(against_mod, "WorkerSide", _InProcessSide)
    monkeypatch.setattr(against_mod, "_git", git)
    rep = _check_static_suite(repo, monkeypatch)
    assert [r.status for r in rep.rows] == ["pass", "pass"]  # every entry finished before the Ctrl-C
    assert len(_git(repo, "worktree", "list").strip().splitlines()) == 1


def test_sigint_deferred_records_instead_of_raising():
    with against_mod.sigint_deferred() as seen:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
    assert seen == [signal.SIGINT, signal.SIGINT]
    with pytest.raises(KeyboardInterrupt):  # the previous handler is back
        signal.raise_signal(signal.SIGINT)


# -- a model file new in the working tree -------------------------------------------------------------------------

@pytest.mark.slow
def test_a_model_file_new_in_the_working_tree_is_a_new_row_and_the_others_run(tmp_path):
    repo = _repo(tmp_path, '[defaults]\ninput_size = "3x8x8"\nlatency = false\n'
                           '[[entry]]\nmodels = ["net.py:Net", "new.py:Net"]\n')
    (repo / "new.py").write_text(NET.replace("nn.Conv2d(3, 8, 3", "nn.Conv2d(3, 4, 3"))  # untracked
    cmd = [str(Path(sys.executable).parent / "cnnbench"), "check", "--against", "HEAD", "--suite", "suite.toml",
           "-f", "json"]
    res = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr  # "new" is not a failure
    rows = json.loads(res.stdout)["rows"]
    assert [(r["entry"]["model"], r["status"]) for r in rows] == [("net.py:Net", "pass"), ("new.py:Net", "new")]
    assert "not at the reference" in rows[1]["notes"][0] and "new.py" in rows[1]["notes"][0]
    # net.py measured on both sides: 224 parameters
    assert {s["metric"]: s for s in rows[0]["static"]}["params"]["current"] == 224


# -- --baseline: another machine, absurd values, with --against ----------------------------------------------------

@pytest.fixture()
def static_baseline(tmp_path) -> tuple[Path, dict]:
    suite = parse_suite(_suite_doc(latency=False), source="s")
    doc = _baseline(suite, latency=False)
    from cnnbench.env import collect_env, fingerprint

    env = collect_env()
    doc["env"], doc["fingerprint"] = env, fingerprint(env)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    return path, doc


def test_a_baseline_from_the_same_machine_says_nothing(static_baseline):
    path, _ = static_baseline
    res = runner.invoke(app, ["check", "--baseline", str(path), "-f", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["environment_differences"] == []
    assert "may be meaningless" not in res.stderr


def test_a_baseline_from_another_machine_or_torch_is_warned_and_recorded(static_baseline, tmp_path):
    path, doc = static_baseline
    other = copy.deepcopy(doc)
    other["env"].update(cpu_model="Some Other CPU 9000", torch="1.0.0")
    path.write_text(json.dumps(other))
    res = runner.invoke(app, ["check", "--baseline", str(path), "-f", "json"])
    assert res.exit_code == 0, res.output  # a warning: the static metrics still compare
    diffs = json.loads(res.stdout)["environment_differences"]
    assert [(d["field"], d["baseline"]) for d in diffs] == [("cpu_model", "Some Other CPU 9000"), ("torch", "1.0.0")]
    assert diffs[1]["now"] == doc["env"]["torch"]
    warned = [ln for ln in res.stderr.splitlines() if "may be meaningless" in ln]
    assert len(warned) == 2 and "cpu_model 'Some Other CPU 9000'" in warned[0] and "torch '1.0.0'" in warned[1]
    # the table and the --summary Markdown say it too
    summary = tmp_path / "summary.md"
    res = runner.invoke(app, ["check", "--baseline", str(path), "--summary", str(summary)])
    assert res.exit_code == 0, res.output
    assert "Measured in another environment than the baseline (cpu_model Some Other CPU 9000 →" in res.stdout
    text = summary.read_text()
    assert "⚠️ Measured in another environment than the baseline (cpu_model Some Other CPU 9000 → " in text
    assert f"torch 1.0.0 → {doc['env']['torch']}): the latency comparison may be meaningless." in text


@pytest.mark.parametrize("field, value", [("median_ms", 1e300), ("calibration_median_ms", 1e300),
                                          ("median_ms", 1e-9), ("median_ratio", 1e300)])
def test_absurd_stored_latencies_are_refused(tmp_path, field, value):
    doc = _baseline(parse_suite(_suite_doc(), source="s"))
    next(iter(doc["entries"].values()))["latency"][field] = value
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    res = runner.invoke(app, ["check", "--baseline", str(path)])
    assert res.exit_code == 2, res.output
    assert f"latency.{field} must be a number > 0" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_an_absurd_round_is_refused(tmp_path):
    doc = _baseline(parse_suite(_suite_doc(), source="s"))
    next(iter(doc["entries"].values()))["latency"]["blocks"][0]["model_ms"] = [0.05, 1e300, 0.05]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    res = runner.invoke(app, ["check", "--baseline", str(path)])
    assert res.exit_code == 2 and "latency.blocks[0].model_ms must be a list of ≥ 1 positive numbers (rounds), " \
        "each a time in ms from 1e-06 to 3.6e+06" in res.stderr, res.output


def test_against_with_baseline_is_refused(static_baseline):
    path, _ = static_baseline
    res = runner.invoke(app, ["check", "--baseline", str(path), "--against", "HEAD"])
    assert res.exit_code == 2 and "not both" in res.stderr and len(res.stderr.strip().splitlines()) == 1


# -- an unavailable device: one line before any progress line -----------------------------------------------------

def test_an_unavailable_device_fails_before_the_first_progress_line(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    doc = _suite_doc(devices=["cuda"])
    suite = parse_suite(doc, source="cuda")
    with pytest.raises(CnnbenchError, match="CUDA is not available"):
        suite.check_devices()
    toml = (f'[check]\nblocks = 2\n[[entry]]\nmodels = ["{doc["entry"][0]["models"][0]}"]\ninput_size = "3x16x16"\n'
            'devices = ["cuda"]\n')
    (tmp_path / "cuda.toml").write_text(toml)
    res = runner.invoke(app, ["baseline", "create", "-s", str(tmp_path / "cuda.toml"), "-o", str(tmp_path / "b.json")])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip().splitlines() == [res.stderr.strip()] and "CUDA is not available" in res.stderr
    assert "baseline:" not in res.stderr  # no progress line came first
