"""The GitHub Action (action.yml) and its body .ci/action.sh, run for real in a throw-away git repository.

The GitHub runner itself (setup-python, the pip installs, upload-artifact) cannot run here; the script does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "action.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("git") is None,
                                reason="needs bash and git")


# -- action.yml ----------------------------------------------------------------------------------------------------

def test_action_yml_is_a_composite_action_that_runs_the_script_and_always_uploads():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = action["inputs"]
    assert {"suite", "against", "baseline", "python-version", "cnnbench-version", "cnnbench-source"} <= set(inputs)
    assert inputs["suite"]["required"] is True
    assert inputs["python-version"]["default"] == "3.11"
    assert all(inputs[k].get("required", False) is False for k in inputs if k != "suite")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    # the install step: the CPU torch wheel, then cnnbench from the action's own checkout by default
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert "--index-url https://download.pytorch.org/whl/cpu" in install and '"$ACTION_PATH"' in install
    (check,) = [s for s in steps if ".ci/action.sh" in s.get("run", "")]
    assert check["run"] == 'bash "${{ github.action_path }}/.ci/action.sh"' and check["shell"] == "bash"
    # inputs reach the script as environment variables, never spliced into the shell text
    assert check["env"]["CNNBENCH_SUITE"] == "${{ inputs.suite }}"
    assert check["env"]["CNNBENCH_AGAINST"] == "${{ inputs.against }}"
    assert check["env"]["CNNBENCH_BASELINE"] == "${{ inputs.baseline }}"
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@v4")]
    assert upload["if"] == "always()" and upload["with"]["path"] == "${{ inputs.output-dir }}"
    assert steps.index(upload) > steps.index(check)  # after the check, and run even when it fails


def test_the_example_workflow_uses_the_action():
    wf = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text())
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    (ours,) = [s for s in steps if s.get("uses", "").startswith("OWNER/cnnbench@")]
    assert set(ours["with"]) <= set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    assert "suite" in ours["with"] and "against" in ours["with"]


# -- .ci/action.sh in a temporary git repository -------------------------------------------------------------------

NET = """from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.a(x)


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.a(x)
"""

# one static-only entry, one latency entry; few short blocks so one check takes seconds. The machine's own noise is
# not under test: calibration_max_iqr = 1 and threshold = 0.5 keep it from deciding anything
SUITE = ('[check]\nblocks = 2\nmax_blocks = 2\nrounds = 3\nsamples_per_round = 3\ncalibration_copies = 1\n'
         'warmup = 0.02\ncalibration_max_iqr = 1.0\n'
         '[defaults]\ninput_size = "3x8x8"\nthreads = 1\nthreshold = 0.5\n'
         '[[entry]]\nmodels = ["net.py:Net"]\nlatency = false\n'
         '[[entry]]\nmodels = ["net.py:Small"]\n')


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo, check=True,
                   capture_output=True)


def _action(repo: Path, **env: str) -> subprocess.CompletedProcess:
    # the venv's console script first on PATH, as the action's install step leaves it on a runner
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CNNBENCH_", "GITHUB_"))}
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
    return subprocess.run(["bash", str(SCRIPT)], cwd=repo, env={**base, **env}, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "net.py").write_text(NET)
    (repo / "suite.toml").write_text(SUITE)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    return repo


@pytest.mark.slow
def test_against_head_a_a_passes_and_a_changed_model_fails_with_the_outputs_written(repo):
    summary = repo.parent / "step-summary.md"  # what GitHub's $GITHUB_STEP_SUMMARY points to
    res = _action(repo, CNNBENCH_SUITE="suite.toml", CNNBENCH_AGAINST="HEAD", GITHUB_STEP_SUMMARY=str(summary))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "+ cnnbench check --suite suite.toml --against HEAD --save --db cnnbench-out/history.db" in res.stdout
    report = json.loads((repo / "cnnbench-out" / "check.json").read_text())
    statuses = {r["entry"]["model"]: r["status"] for r in report["rows"]}
    assert statuses["net.py:Net"] == "pass"
    assert statuses["net.py:Small"] in ("pass", "inconclusive")  # exit 3 (noise) is a warning by default: exit 0
    assert (repo / "cnnbench-out" / "history.db").stat().st_size > 0
    assert summary.read_text().lstrip().startswith("#")  # Markdown

    # a second conv in Net's working tree: its params change (exact) → "changed", exit 1
    (repo / "net.py").write_text(NET.replace("self.a = nn.Conv2d(3, 4, 3, padding=1)\n\n    def forward(self, x):\n"
                                             "        return self.a(x)\n\n\nclass Small",
                                             "self.a = nn.Conv2d(3, 4, 3, padding=1)\n"
                                             "        self.b = nn.Conv2d(4, 4, 3, padding=1)\n\n"
                                             "    def forward(self, x):\n        return self.b(self.a(x))\n\n\n"
                                             "class Small"))
    res = _action(repo, CNNBENCH_SUITE="suite.toml", CNNBENCH_AGAINST="HEAD", CNNBENCH_OUT="out2")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "cnnbench check exited 1" in res.stdout
    report = json.loads((repo / "out2" / "check.json").read_text())
    (row,) = [r for r in report["rows"] if r["entry"]["model"] == "net.py:Net"]
    assert row["status"] == "changed"
    params = {s["metric"]: s for s in row["static"]}["params"]
    # HEAD: 4·3·9 + 4 = 112 params; working tree: 112 + 4·4·9 + 4 = 112 + 148 = 260
    assert (params["base"], params["current"]) == (112, 260)
    # no $GITHUB_STEP_SUMMARY: the summary goes to the outputs directory
    md = (repo / "out2" / "summary.md").read_text()
    assert md.lstrip().startswith("#") and "net.py:Net" in md
    assert (repo / "out2" / "history.db").stat().st_size > 0
    # the history site, when this cnnbench's `history` has --html (the script says so when it has not)
    if "--html" in subprocess.run([str(Path(sys.executable).parent / "cnnbench"), "history", "--help"],
                                  capture_output=True, text=True, check=False).stdout:
        assert "+ cnnbench history --db out2/history.db --html out2/site" in res.stdout
        assert (repo / "out2" / "site" / "index.html").stat().st_size > 0
    else:
        assert "no 'history --html': no history site written" in res.stdout


@pytest.mark.parametrize(("env", "message"), [
    ({"CNNBENCH_SUITE": "suite.toml", "CNNBENCH_AGAINST": "HEAD", "CNNBENCH_BASELINE": "b.json"},
     "give 'against' or 'baseline', not both"),
    ({"CNNBENCH_SUITE": "suite.toml"}, "give one of 'against' (a git ref) or 'baseline' (a JSON file)"),
    ({"CNNBENCH_SUITE": "nope.toml", "CNNBENCH_AGAINST": "HEAD"}, "suite file 'nope.toml' not found"),
    ({"CNNBENCH_AGAINST": "HEAD"}, "the 'suite' input is required"),
    ({"CNNBENCH_SUITE": "suite.toml", "CNNBENCH_BASELINE": "b.json"}, "baseline file 'b.json' not found"),
    ({"CNNBENCH_SUITE": "suite.toml", "CNNBENCH_AGAINST": "HEAD", "CNNBENCH_INCONCLUSIVE": "maybe"},
     "'inconclusive' must be warn or fail, not 'maybe'"),
])
def test_bad_inputs_are_one_line_and_exit_2_before_anything_runs(repo, env, message):
    res = _action(repo, **env)
    assert res.returncode == 2
    assert res.stderr.startswith("cnnbench action: ") and message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""
    assert not (repo / "cnnbench-out").exists()  # nothing created, nothing measured


def test_an_unknown_ref_is_fetched_once_then_left_to_check_to_refuse(repo):
    # no remote 'origin' here: the fetch fails (tolerated), then `cnnbench check` refuses the ref in one line
    res = _action(repo, CNNBENCH_SUITE="suite.toml", CNNBENCH_AGAINST="origin/main")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "+ git fetch --no-tags --depth=1 origin +refs/heads/main:refs/remotes/origin/main" in res.stdout
    assert "unknown git ref 'origin/main'" in res.stderr and "Traceback" not in res.stderr
