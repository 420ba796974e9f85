"""The one measurement engine's torch-side pieces: prepare_row, torch_threads, write_atomic's writer form, the
BACKENDS table, the extras' one-line errors, and no backend importing the engine (Timed and interleave are tested in
test_latency_timer.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnbench.latency
from cnnbench.errors import CnnbenchError
from cnnbench.latency import LatencyOptions, torch_threads
from cnnbench.latency.engine import prepare_row, row_failure
from cnnbench.store import write_atomic


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
    failed = prepare_row(_boom, (1, 3, 8, 8), LatencyOptions(threads=1), runtime="eager", device=cpu)
    assert (failed.runner, failed.batch, failed.error, failed.oom) == (None, None, "build failed: ValueError: no such layer",
                                                                           False)
    ok = prepare_row(lambda: nn.Conv2d(3, 4, 3), (2, 3, 8, 8), LatencyOptions(threads=1), runtime="eager", device=cpu)
    try:
        assert ok.error is None and ok.batch == 2
        assert tuple(ok.runner.call().shape) == (2, 4, 6, 6)  # 8 - 3 + 1 = 6
    finally:
        ok.runner.close()
    assert row_failure(MemoryError(), "run") == ("out of memory: MemoryError", True)


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


def test_no_backend_imports_the_engine():
    # the engine imports the backends lazily (through BACKENDS); they take Runner from latency.runner
    for path in Path(cnnbench.latency.__file__).with_name("backends").glob("*.py"):
        imported = {n.module for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom)}
        assert "cnnbench.latency.engine" not in imported, path.name


def test_backends_table_is_the_vocabulary():
    from cnnbench.latency import BACKENDS, RUNTIMES, normalize_runtime, precision_label

    assert RUNTIMES == tuple(BACKENDS) == ("eager", "compile", "onnx", "onnx-int8", "onnx-fp16", "openvino",
                                           "tensorrt")
    assert [normalize_runtime(r) for r in ("ov", "trt", "torch_compile", "ONNX_INT8")] == [
        "openvino", "tensorrt", "compile", "onnx-int8"]
    assert {b.name: b.phase for b in BACKENDS.values()} == {
        "eager": "prepare", "compile": "compile", "onnx": "export", "onnx-int8": "quantize", "onnx-fp16": "export",
        "openvino": "compile", "tensorrt": "compile"}
    assert [precision_label(r, "fp32", None) for r in RUNTIMES] == ["fp32", "fp32", "fp32", "int8", "fp16", "fp32",
                                                                     "fp32"]
    # every backend module imports its package only when used: the table resolves without openvino or tensorrt
    for b in BACKENDS.values():
        assert callable(b.prepare_fn()), b.name
    from cnnbench.latency.backends import _load

    assert [b.name for b in BACKENDS.values() if b.check] == ["tensorrt"]
    assert callable(_load(BACKENDS["tensorrt"].check))


def _without(monkeypatch, module: str) -> None:
    """``module`` not importable (as if its extra were not installed)."""
    import importlib.util
    import sys

    real = importlib.util.find_spec
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None if name == module else real(name, *a,
                                                                                                             **k))


def test_runtime_without_its_extra_is_one_line_exit_2(monkeypatch):
    from typer.testing import CliRunner

    from cnnbench.cli.app import app

    _without(monkeypatch, "openvino")
    r = CliRunner().invoke(app, ["profile", "resnet18", "--runtime", "openvino", "--device", "cpu"])
    assert r.exit_code == 2, r.output
    assert r.output.strip().splitlines() == [
        "error: --runtime openvino needs the openvino extra: pip install 'cnnbench[openvino]'"]


def test_tensorrt_without_its_extra_is_one_line(monkeypatch):
    from cnnbench.latency.options import check_choices

    _without(monkeypatch, "tensorrt")
    with pytest.raises(CnnbenchError, match=r"^--runtime tensorrt needs the tensorrt extra: "
                                            r"pip install 'cnnbench\[tensorrt\]'$"):
        check_choices(["tensorrt"], torch.device("cuda"), "fp32")  # the device is only read, never used


def test_ray_executor_without_its_extra_is_one_line_exit_2(monkeypatch):
    from typer.testing import CliRunner

    from cnnbench.cli.app import app

    _without(monkeypatch, "ray")
    r = CliRunner().invoke(app, ["sweep", "resnet18", "--executor", "ray", "--no-latency"])
    assert r.exit_code == 2, r.output
    assert r.output.strip().splitlines() == ["error: --executor ray needs the ray extra: pip install 'cnnbench[ray]'"]


def test_options_built_directly_take_the_normal_form():
    # the engine and the backends read one spelling, however the options were made
    o = LatencyOptions(precision="AMP_FP16", compile_mode="default", quantization="Dynamic")
    assert (o.precision, o.compile_mode, o.quantization) == ("amp-fp16", None, "dynamic")
    assert LatencyOptions(precision="fp32").precision is None  # fp32 = no autocast
    with pytest.raises(CnnbenchError, match=r"^unknown --precision 'amp-fp8': expected one of fp32, amp-fp16"):
        LatencyOptions(precision="amp-fp8")


# ---- a machine busier than its cores is warned of once, and each row records its load -----------------------------

@pytest.mark.parametrize("load, warned", [(9.0, True), (0.5, False)])
def test_load_above_the_cores_warns_once_and_rows_record_it(monkeypatch, capsys, load, warned):
    import os

    from cnnbench.latency import threads
    from cnnbench.latency.engine import run_latency

    monkeypatch.setattr(os, "getloadavg", lambda: (load, 1.0, 1.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "_load_warned", False)
    opts = LatencyOptions(threads=1, budget=0.01, min_samples=2, warmup=0.0, warmup_min_iters=1)
    rows = [run_latency(lambda: nn.Linear(4, 2), (1, 4), opts, runtime=rt) for rt in ("eager", "eager")]
    assert [r.details["load_avg_1m"] for r in rows] == [load, load]
    err = capsys.readouterr().err
    expected = "warning: the 1-minute load average is 9.00 on 2 core(s)"
    assert err.count(expected) == (1 if warned else 0), err  # two rows, one warning
    if warned:
        assert "use fewer threads (--threads 1)" in err
    if warned:  # a library call says threads=1
        import cnnbench

        monkeypatch.setattr(threads, "_load_warned", False)
        cnnbench.profile(nn.Linear(4, 2), input_size=(4,), latency=True, threads=1, budget=0.01, min_samples=2,
                         warmup=0.0)
        assert "use fewer threads (threads=1) or a quieter machine" in capsys.readouterr().err
