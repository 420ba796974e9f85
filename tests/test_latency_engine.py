"""The one measurement engine's torch-side pieces: prepare_row, torch_threads, write_atomic's writer form, and the
onnx ↔ runtimes import cycle staying broken (Timed and interleave are tested in test_latency_timer.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnbench.latency
from cnnbench.errors import CnnbenchError
from cnnbench.latency import runtimes
from cnnbench.latency.runtimes import prepare_row
from cnnbench.latency.threads import torch_threads
from cnnbench.report.export import write_atomic


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1) as n:
        assert n == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    with pytest.raises(CnnbenchError, match=r"--threads must be at least 1 \(got 0\)"), torch_threads(0):
        pass
    assert torch.get_num_threads() == before


def _boom() -> nn.Module:
    raise ValueError("no such layer")


def test_prepare_row_names_the_failing_phase():
    cpu = torch.device("cpu")
    failed = prepare_row(_boom, (1, 3, 8, 8), runtime="eager", device=cpu, threads=1)
    assert (failed.runner, failed.batch, failed.error, failed.oom) == (None, None, "build failed: ValueError: no such layer",
                                                                           False)
    ok = prepare_row(lambda: nn.Conv2d(3, 4, 3), (2, 3, 8, 8), runtime="eager", device=cpu, threads=1)
    try:
        assert ok.error is None and ok.batch == 2
        assert tuple(ok.runner.call().shape) == (2, 4, 6, 6)  # 8 - 3 + 1 = 6
    finally:
        ok.runner.close()
    assert runtimes.row_failure(MemoryError(), "run") == ("out of memory: MemoryError", True)


def test_write_atomic_takes_a_writer_and_keeps_permissions(tmp_path):
    path = tmp_path / "fig.bin"
    write_atomic(path, lambda f: f.write(b"\x89PNG"))
    assert path.read_bytes() == b"\x89PNG"
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o044 == 0o044  # group/other readable (umask 022), not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["fig.bin"]  # no temporary file left behind


def test_a_failing_writer_leaves_the_old_file(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("old")

    def fail(f) -> None:
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, fail)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_onnx_does_not_import_runtimes():
    # the cycle: runtimes imports onnx lazily; onnx must take Runner from latency.runner, never from runtimes
    src = Path(cnnbench.latency.__file__).with_name("onnx.py").read_text()
    imported = {n.module for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom)}
    assert "cnnbench.latency.runner" in imported
    assert "cnnbench.latency.runtimes" not in imported
