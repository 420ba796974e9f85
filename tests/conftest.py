"""Shared test fixtures."""

from __future__ import annotations

import os
import signal

import pytest

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # started in the background by a non-interactive shell (`nohup make test &`, `(make test &)`): SIGINT is ignored
    # and every child inherits that, so the Ctrl-C tests would interrupt nothing. Python's own handler here gives the
    # processes they start the default disposition back (a handler, unlike SIG_IGN, is reset on exec).
    signal.signal(signal.SIGINT, signal.default_int_handler)

if os.environ.get("PYTEST_XDIST_WORKER"):
    # xdist's workers start with COLUMNS=80 LINES=24 in their environment; cnnbench reads COLUMNS as the terminal's
    # width (cnnbench/cli/output.py), so the tables would be squeezed as they never are in a plain run
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

#: Test files that time things against each other (A/A checks, a committed sleep, per-module shares, timer
#: calibration), wait on wall-clock bounds (timeouts, Ctrl-C, a killed worker) or start Ray: ``make test`` runs them
#: alone, in a second pass without xdist (``-m serial``), never beside another worker; the rest runs on 2 workers.
SERIAL_FILES = frozenset({
    "test_action.py", "test_check.py", "test_check_attribution.py", "test_check_blocks.py", "test_check_outputs.py",
    "test_check_robustness.py", "test_cli_robustness.py", "test_comparison.py", "test_explainer.py",
    "test_latency_calibrate.py", "test_latency_engine.py", "test_latency_roofline.py", "test_latency_timer.py",
    "test_sweep.py", "test_sweep_cluster.py", "test_sweep_hostile.py", "test_sweep_ray.py",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SERIAL_FILES:
            item.add_marker(pytest.mark.serial)


@pytest.fixture(autouse=True, scope="session")
def _own_cache(tmp_path_factory):
    """The suite's rooflines and other caches go to a directory of its own, never the user's ``~/.cache``: a roofline
    cached by one test would otherwise add efficiency columns to another test's rows (and outlive the run)."""
    old = os.environ.get("CNNBENCH_CACHE")
    os.environ["CNNBENCH_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("CNNBENCH_CACHE", None)
    else:
        os.environ["CNNBENCH_CACHE"] = old

#: A tiny user model whose constructor turns ``$SABOTAGE`` into a directory: user code run *after* cnnbench checked
#: its output paths, so a write fails for real at the end (as a clean-up script or a full disk would make it fail).
SABOTAGE_NET = '''import os

from torch import nn


class Net(nn.Module):
    """conv3x3 3→4: 3·4·9 = 108 weights + 4 biases = 112 params; its constructor makes $SABOTAGE a directory."""

    def __init__(self):
        super().__init__()
        if os.environ.get("SABOTAGE"):
            os.makedirs(os.environ["SABOTAGE"], exist_ok=True)
        self.a = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.a(x)
'''


@pytest.fixture()
def sabotage_net(tmp_path, monkeypatch):
    """``"<tmp>/net.py:Net"`` (see :data:`SABOTAGE_NET`), with ``SABOTAGE`` and ``CNNBENCH_DB`` unset."""
    monkeypatch.delenv("SABOTAGE", raising=False)
    monkeypatch.delenv("CNNBENCH_DB", raising=False)
    p = tmp_path / "net.py"
    p.write_text(SABOTAGE_NET)
    return f"{p}:Net"
