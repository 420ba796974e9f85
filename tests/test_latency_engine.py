"""The one measurement engine: Timed + interleave (fake clock), prepare_row, torch_threads, protocol checks,
write_atomic's writer form, and the onnx ↔ runtimes import cycle staying broken."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest
import torch
from torch import nn

import cnnbench.latency
from cnnbench import sweep
from cnnbench.errors import CnnbenchError
from cnnbench.latency import protocol, runtimes
from cnnbench.latency.runtimes import prepare_row
from cnnbench.latency.threads import torch_threads
from cnnbench.latency.timer import Timed, budget_stop, interleave, measure
from cnnbench.report.export import write_atomic

MS = 2.0**-10  # exact in binary: fake-clock sums stay exact


class FakeClock:
    """Moves only when a fake call advances it."""

    def __init__(self) -> None:
        self.t = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.t

    def fn(self, seconds: float, name: str):
        def call() -> None:
            self.calls.append(name)
            self.t += seconds

        return call


def test_block_size_is_fixed_once_by_the_warm_up():
    clock = FakeClock()
    t = Timed(clock.fn(2.0**-16, "a"))
    t.warm_up(4, 0.0, clock, block_target_s=MS)
    # 2**-10 / 2**-16 = 64 calls per sample, from the warm-up; sampling never recalibrates it
    assert t.block == 64
    for _ in range(3):
        assert t.sample(clock) == 2.0**-16 * 1e3
    assert t.block == 64 and len(clock.calls) == 4 + 3 * 64


def test_interleave_time_slices_then_one_sample_per_visit():
    clock = FakeClock()
    a, b = Timed(clock.fn(MS, "a")), Timed(clock.fn(2 * MS, "b"))
    done = []
    # 2 budgeted rounds of a 3 MS slice per visit, then single samples until each has 6
    rounds = interleave([a, b], lambda r, active, _: r >= 2 and all(len(t.samples) >= 6 for t in active),
                        slice_s=lambda r: 3 * MS if r < 2 else 0.0, clock=clock, on_round=done.append)
    # round 0: a a a (3 MS), b b (4 MS ≥ 3); round 1 starts at b: b b, a a a; then 1 each, rotating
    # a has 6 after round 1; b has 4: rounds 2 (a b) and 3 (b a) give b its 6
    assert "".join(clock.calls) == "aaabb" + "bbaaa" + "ab" + "ba"
    assert rounds == 4 and done == [1, 2, 3, 4]
    assert (len(a.samples), len(b.samples)) == (8, 6)


def test_interleave_drops_a_failing_runner_and_keeps_the_others():
    clock = FakeClock()
    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("boom")

    good, bad = Timed(clock.fn(MS, "g")), Timed(flaky)
    errors = []
    interleave([good, bad], budget_stop(4, 0.0), clock=clock, on_error=lambda t, e: errors.append((t, str(e))))
    assert errors == [(bad, "boom")] and bad.dropped
    assert len(good.samples) == 4 and len(bad.samples) == 1  # its first sample, before it failed
    def always() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):  # without on_error the exception propagates
        interleave([Timed(always)], budget_stop(1, 0.0), clock=clock)


def test_ctrl_c_keeps_the_samples_taken():
    clock = FakeClock()
    n = {"calls": 0}

    def interrupted() -> None:
        n["calls"] += 1
        clock.t += MS
        if n["calls"] == 3:
            raise KeyboardInterrupt

    a, b = Timed(clock.fn(MS, "a")), Timed(interrupted)
    with pytest.raises(KeyboardInterrupt):
        interleave([a, b], budget_stop(10, 0.0), clock=clock)
    # rounds: a b | b a | a b(interrupted): a's 3 samples and b's 2 stay
    assert (len(a.samples), len(b.samples)) == (3, 2)


@pytest.mark.parametrize("kwargs", [{"budget_s": math.inf}, {"budget_s": math.nan}, {"warmup_min_s": math.inf},
                                    {"block_target_s": -1.0}, {"warmup_min_iters": -1}])
def test_impossible_protocol_values_are_refused_not_hung(kwargs):
    with pytest.raises(CnnbenchError, match="must be"):
        measure(lambda: None, **kwargs)


def test_one_protocol_check():
    assert sweep.check_protocol_options is protocol.check_protocol_options
    with pytest.raises(CnnbenchError, match=r"^--budget must be a finite number > 0 of seconds \(got inf\)$"):
        sweep.check_protocol_options(budget=math.inf, min_samples=1, warmup=0.0, threads=None)


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
