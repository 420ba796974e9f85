"""Shared test fixtures."""

from __future__ import annotations

import os

import pytest


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
