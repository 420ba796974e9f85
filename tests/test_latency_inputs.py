"""The latency engine takes the user's model and any inputs, and never changes them (issue 9, items 7, 8, 12).

Tiny real models on the CPU, protocol cut to a few samples; every ONNX test exports into its own temporary cache.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import onnx
import pytest
import torch
from torch import nn

from cnnbench.catalog import ModelSpec
from cnnbench.comparison.run import _prepare_row, _Row
from cnnbench.latency import LatencyOptions, place_inputs, prepare_runner, run_latency

PROTOCOL = {"warmup_min_iters": 2, "warmup": 0.01, "min_samples": 3, "budget": 0.05}
SHAPE = (1, 3, 32, 32)


class TwoInputs(nn.Module):
    """``forward(x, y, mask=None)``: a conv image path plus a linear path, an integer mask as a keyword."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(10, 4)

    def forward(self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x).mean((2, 3)) + self.fc(y)  # (N, 4)
        if mask is not None:
            out = out * mask.to(out.dtype)
        return out


def two_inputs() -> tuple[tuple, dict]:
    # batch 2 (the first tensor's dim 0); the mask is int64 and must stay integer under fp16/bf16
    return (torch.randn(2, 3, 8, 8), torch.randn(2, 10)), {"mask": torch.ones(2, 4, dtype=torch.int64)}


class Embed(nn.Module):
    """Token ids (int64) through an embedding: casting the ids to a float dtype would make it fail."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(16, 8)
        self.fc = nn.Linear(8, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.fc(self.emb(ids).mean(1))


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.5),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))


# ---- any inputs ----------------------------------------------------------------------------------------------------

def test_place_inputs_casts_floats_only_copies_and_channels_last_4d():
    x, ids = torch.randn(2, 3, 4, 4), torch.arange(6).reshape(2, 3)
    args, kwargs = place_inputs((x, [ids, torch.randn(2, 5)]), {"extra": {"m": torch.ones(2, dtype=torch.bool)}},
                                dtype="fp16", channels_last=True)
    px, (pids, pv) = args
    assert px.dtype == torch.float16 and px.is_contiguous(memory_format=torch.channels_last)
    assert pids.dtype == torch.int64 and torch.equal(pids, ids)  # integers stay integers, values untouched
    assert pv.dtype == torch.float16 and pv.dim() == 2
    assert kwargs["extra"]["m"].dtype == torch.bool
    # copies, never the caller's tensors: a model working in place on its input cannot touch them
    assert px.data_ptr() != x.data_ptr() and pids.data_ptr() != ids.data_ptr()
    same, _ = place_inputs((x,), {})
    assert same[0].data_ptr() != x.data_ptr() and torch.equal(same[0], x)


def test_two_positional_and_a_keyword_input_eager():
    r = run_latency(TwoInputs, two_inputs, LatencyOptions(threads=1, **PROTOCOL))
    assert r.error is None, r.error
    assert r.batch_size == 2  # dim 0 of the first tensor, x: 2x3x8x8
    assert r.throughput_per_s == pytest.approx(2 / r.latency.median * 1e3)


def test_keyword_only_inputs_give_the_batch():
    class KwOnly(nn.Module):
        def forward(self, *, x: torch.Tensor) -> torch.Tensor:
            return x * 2

    r = run_latency(KwOnly, lambda: ((), {"x": torch.randn(3, 4)}), LatencyOptions(**PROTOCOL))
    assert r.error is None and r.batch_size == 3


def test_integer_inputs_stay_integer_in_low_precision():
    ids = torch.randint(0, 16, (4, 7))
    r = run_latency(Embed, lambda: ((ids,), {}), LatencyOptions(**PROTOCOL), dtype="bf16")
    assert r.error is None, r.error  # bf16 ids would fail in the embedding lookup
    assert r.batch_size == 4 and r.dtype == "bf16"


def test_inputs_and_weights_are_seeded_and_the_global_rng_is_untouched():
    state = torch.random.get_rng_state()
    a = prepare_runner(small_cnn, SHAPE, LatencyOptions(seed=5, verify=False)).output()
    b = prepare_runner(small_cnn, SHAPE, LatencyOptions(seed=5, verify=False)).output()
    c = prepare_runner(small_cnn, SHAPE, LatencyOptions(seed=6, verify=False)).output()
    assert (a == b).all() and not (a == c).all()
    assert torch.equal(torch.random.get_rng_state(), state)


def test_onnx_with_two_positional_and_a_keyword_input_equals_eager(tmp_path):
    eager = prepare_runner(TwoInputs, two_inputs, LatencyOptions(seed=1, verify=False))
    ort = prepare_runner(TwoInputs, two_inputs, LatencyOptions(seed=1, onnx_dir=tmp_path, verify=False), runtime="onnx", model_key="two")
    try:
        want, got = eager.output(), ort.output()
        assert ort.details["onnx_inputs"] == ["x", "y", "mask"]  # dynamo names them after forward's parameters
    finally:
        ort.close()
    assert got.shape == want.shape == (2, 4)
    torch.testing.assert_close(torch.from_numpy(got), torch.from_numpy(want), rtol=1e-4, atol=1e-5)
    [entry] = tmp_path.iterdir()
    assert entry.name.startswith("two-2x3x8x8_2x10_2x4-fp32-opset18-")


def test_onnx_torchscript_exporter_with_keyword_inputs(tmp_path):
    # the TorchScript exporter names inputs onnx::Conv_0... and orders keywords by the signature: fed in order
    eager = prepare_runner(TwoInputs, two_inputs, LatencyOptions(seed=1, verify=False))
    ort = prepare_runner(TwoInputs, two_inputs, LatencyOptions(seed=1, exporter="torchscript", onnx_dir=tmp_path, verify=False), runtime="onnx", model_key="ts")
    try:
        torch.testing.assert_close(torch.from_numpy(ort.output()), torch.from_numpy(eager.output()),
                                   rtol=1e-4, atol=1e-5)
        assert ort.details["onnx_exporter"] == "torchscript" and len(ort.details["onnx_inputs"]) == 3
    finally:
        ort.close()


# ---- the caller's model is never changed ---------------------------------------------------------------------------

def _user_model() -> tuple[nn.Module, list[int], object]:
    torch.manual_seed(0)
    m = small_cnn().train()
    calls: list[int] = []

    def hook(mod, inp, out):
        calls.append(1)

    m.register_forward_hook(hook)
    m.note = {"trained_for": 3}  # a custom attribute
    with torch.no_grad():
        m[1].running_mean.fill_(0.25)  # a "trained" buffer: eval-mode outputs depend on it
    return m, calls, hook


def _snapshot(m: nn.Module) -> dict:
    return {k: v.clone() for k, v in m.state_dict().items()}


def _assert_unchanged(m: nn.Module, before: dict, hook) -> None:
    after = m.state_dict()
    assert after.keys() == before.keys()
    for k, v in before.items():
        assert torch.equal(after[k], v), k  # values
        assert (after[k].device, after[k].dtype) == (v.device, v.dtype), k  # device and dtype
    assert all(sub.training for sub in m.modules())  # still in train mode, every submodule
    assert list(m._forward_hooks.values()) == [hook]  # hook still registered, and only it
    assert m.note == {"trained_for": 3}
    assert m[0].weight.dtype == torch.float32 and m[0].weight.is_contiguous()  # no fp16, no channels-last


@pytest.mark.parametrize("runtime", ["eager", "onnx"])
def test_user_model_is_left_exactly_as_it_was(runtime, tmp_path):
    m, calls, hook = _user_model()
    before = _snapshot(m)
    dtype = "fp16" if runtime == "eager" else "fp32"
    r = run_latency(lambda: m, SHAPE, LatencyOptions(channels_last=runtime == "eager", onnx_dir=tmp_path, **PROTOCOL), runtime=runtime, dtype=dtype, copy_model=True, model_key="user")
    assert r.error is None, r.error
    assert calls  # the timed copy is the user's model, hooks included: the hook ran (on the copy)
    _assert_unchanged(m, before, hook)


def test_without_copy_model_the_engine_would_change_it():
    # the counter-test: the same run on the instance itself does change it (so the test above can fail)
    m, _, _ = _user_model()
    run_latency(lambda: m, SHAPE, LatencyOptions(**PROTOCOL), dtype="bf16")
    assert not m.training and m[0].weight.dtype == torch.bfloat16


def test_compare_row_times_a_copy_of_the_instance():
    m, _, hook = _user_model()
    before = _snapshot(m)
    row = _Row(0, ModelSpec("mine", "test", "instance", lambda: m), SHAPE, "eager")
    row.copy_model = True
    _prepare_row(row, LatencyOptions(), "bf16", torch.device("cpu"))
    try:
        assert row.error is None, row.error
        row.runner.call()
    finally:
        row.runner.close()
    _assert_unchanged(m, before, hook)


# ---- stale ONNX exports (item 7) -----------------------------------------------------------------------------------

MODEL_SRC = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        {extra}
        return y
'''


def _load(path, extra: str) -> type:
    path.write_text(textwrap.dedent(MODEL_SRC).replace("{extra}", extra))
    spec = importlib.util.spec_from_file_location("cnnbench_test_stale_net", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Net


def _nodes(r) -> int:
    return len(onnx.load(r.details["onnx_path"]).graph.node)


def test_editing_forward_exports_again(tmp_path):
    src, cache = tmp_path / "net.py", tmp_path / "cache"
    opts, common = LatencyOptions(onnx_dir=cache, **PROTOCOL), {"runtime": "onnx", "model_key": "net"}
    r1 = run_latency(_load(src, "pass"), SHAPE, opts, **common)
    assert r1.error is None and not r1.details["onnx_cached"]
    # same module tree, same repr, same shapes: only forward's code differs (20 tanh ops more)
    r2 = run_latency(_load(src, "for _ in range(20):\n            y = torch.tanh(y)"), SHAPE, opts, **common)
    assert r2.error is None and not r2.details["onnx_cached"]
    assert r2.details["onnx_path"] != r1.details["onnx_path"]
    assert _nodes(r2) >= _nodes(r1) + 20
    r3 = run_latency(_load(src, "for _ in range(20):\n            y = torch.tanh(y)"), SHAPE, opts, **common)
    assert r3.details["onnx_cached"] and r3.details["onnx_path"] == r2.details["onnx_path"]  # the cache still works


def test_edited_forward_changes_the_key_without_a_source_file(tmp_path):
    from cnnbench.latency.backends.onnx_export import cache_entry_name

    src = tmp_path / "net.py"
    names = []
    for extra in ("pass", "y = torch.tanh(y)"):
        model = _load(src, extra)()
        src.unlink()  # a class whose file is gone (or never was): its bytecode still tells the versions apart
        names.append(cache_entry_name("net", model, (torch.randn(SHAPE),), {}, "fp32", 18))
    assert names[0] != names[1]


def test_input_dtypes_and_keywords_are_in_the_key():
    from cnnbench.latency.backends.onnx_export import cache_entry_name

    m = Embed()
    ids = torch.zeros(2, 3, dtype=torch.int64)
    base = cache_entry_name("e", m, (ids,), {}, "fp32", 18)
    assert base.startswith("e-2x3-fp32-opset18-")
    assert cache_entry_name("e", m, (ids.int(),), {}, "fp32", 18) != base  # int32 ids: another graph
    assert cache_entry_name("e", m, (), {"ids": ids}, "fp32", 18) != base  # passed by keyword
    assert cache_entry_name("e", m, (ids,), {}, "fp32", 18) == base  # deterministic


def test_other_weights_are_another_entry(tmp_path):
    common = {"runtime": "onnx", "model_key": "m"}
    a = run_latency(small_cnn, SHAPE, LatencyOptions(onnx_dir=tmp_path, seed=0, **PROTOCOL), **common)
    # same architecture, other weights
    b = run_latency(small_cnn, SHAPE, LatencyOptions(onnx_dir=tmp_path, seed=1, **PROTOCOL), **common)
    assert not a.details["onnx_cached"] and not b.details["onnx_cached"]
    assert len(list(tmp_path.iterdir())) == 2


# ---- user code never writes to our stdout, never chooses the exit code ---------------------------------------------

class Chatty(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        print("hello from __init__")
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("hello from forward")
        return self.conv(x)


@pytest.mark.parametrize("runtime", ["eager", "onnx"])
def test_a_printing_model_keeps_stdout_clean(runtime, tmp_path, capfd):
    r = run_latency(Chatty, SHAPE, LatencyOptions(onnx_dir=tmp_path, **PROTOCOL), runtime=runtime, model_key="chatty")
    assert r.error is None, r.error
    out, err = capfd.readouterr()
    assert out == ""
    assert "hello from __init__" in err
    if runtime == "eager":
        assert "hello from forward" in err


class Eig(nn.Module):
    """``torch.linalg.eig`` has no ONNX translation in either exporter."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x).flatten(2)
        return torch.linalg.eig(y @ y.transpose(1, 2))[0].real


def test_export_error_is_one_plain_line_and_nothing_is_dumped(tmp_path, capfd):
    r = run_latency(Eig, (1, 3, 4, 4), LatencyOptions(onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="eig")
    assert r.error.startswith("export failed: RuntimeError: ONNX export failed (dynamo: ")
    assert "linalg_eig" in r.error and "torchscript: UnsupportedOperatorError" in r.error
    assert "\n" not in r.error and "\x1b" not in r.error
    out, err = capfd.readouterr()
    assert out == "" and "Torch IR graph" not in err and "[torch.onnx]" not in err


def test_debug_prints_the_failed_rows_traceback(monkeypatch, capfd):
    def broken() -> nn.Module:
        raise ValueError("no such layer")

    monkeypatch.setenv("CNNBENCH_DEBUG", "1")
    r = run_latency(broken, SHAPE, LatencyOptions(**PROTOCOL))
    assert r.error == "build failed: ValueError: no such layer"
    out, err = capfd.readouterr()
    assert out == "" and "Traceback" in err and "no such layer" in err


class Exits(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sys.exit(3)


def test_sys_exit_in_user_code_is_the_rows_error(tmp_path):
    def exits_on_build() -> nn.Module:
        sys.exit(4)

    assert run_latency(Exits, SHAPE, LatencyOptions(**PROTOCOL)).error == "run failed: model called sys.exit(3)"
    r = run_latency(exits_on_build, lambda: ((torch.randn(5, 2),), {}), LatencyOptions(**PROTOCOL))
    assert r.error == "build failed: model called sys.exit(4)" and r.batch_size == 5
    r = run_latency(Exits, SHAPE, LatencyOptions(onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="x")
    assert r.error == "export failed: model called sys.exit(3)"
    assert list(tmp_path.iterdir()) == []  # nothing half-written left in the cache


@pytest.mark.parametrize("runtime", ["eager", "onnx"])
def test_sys_exit_in_a_compare_row_is_its_error(runtime, tmp_path):
    def exits_on_build() -> nn.Module:
        sys.exit(4)

    row = _Row(0, ModelSpec("exits", "test", "file", exits_on_build), SHAPE, runtime)
    _prepare_row(row, LatencyOptions(onnx_dir=str(tmp_path)), "fp32", torch.device("cpu"))
    assert row.error == "build failed: model called sys.exit(4)" and row.runner is None
    # at run time: the runner's call turns the model's sys.exit into an ordinary exception for the rounds
    row = _Row(0, ModelSpec("exits", "test", "file", Exits), SHAPE, "eager")
    _prepare_row(row, LatencyOptions(), "fp32", torch.device("cpu"))
    with pytest.raises(RuntimeError, match=r"^model called sys.exit\(3\)$"):
        row.runner.call()


def test_prepare_eager_still_takes_one_tensor():
    from cnnbench.latency import Target
    from cnnbench.latency.backends.eager import prepare_eager

    x = torch.randn(SHAPE)
    runner = prepare_eager(small_cnn().eval(), x, None, LatencyOptions(), Target("eager", torch.device("cpu")))
    assert runner.output().shape == (1, 4)


# ---- CUDA (skipped without a GPU) ----------------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fp16_leaves_the_user_model_on_the_cpu():
    m, _, hook = _user_model()
    before = _snapshot(m)
    r = run_latency(lambda: m, SHAPE, LatencyOptions(device="cuda", **PROTOCOL), dtype="fp16", copy_model=True)
    assert r.error is None, r.error
    _assert_unchanged(m, before, hook)
    assert all(p.device.type == "cpu" for p in m.parameters())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_onnx_binds_every_input(tmp_path):
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        pytest.skip("onnxruntime without CUDA")
    eager = prepare_runner(TwoInputs, two_inputs, LatencyOptions(seed=1, verify=False))
    ort = prepare_runner(TwoInputs, two_inputs, LatencyOptions(device="cuda", seed=1, onnx_dir=tmp_path, verify=False), runtime="onnx", model_key="two")
    try:
        assert ort.details["onnx_inputs"] == ["x", "y", "mask"]
        torch.testing.assert_close(torch.from_numpy(ort.output()), torch.from_numpy(eager.output()),
                                   rtol=1e-3, atol=1e-4)
    finally:
        ort.close()
