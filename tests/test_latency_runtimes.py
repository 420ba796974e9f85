"""Runtimes on real small models (CPU): eager, torch.compile, ONNX Runtime; memory; devices; failure rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from cnnbench.errors import CnnbenchError
from cnnbench.latency import LatencyOptions, PeakMemory
from cnnbench.latency.backends import onnx_export
from cnnbench.latency.devices import onnx_providers, parse_device, resolve_device
from cnnbench.latency.engine import LatencyResult, prepare_runner, run_latency

PROTOCOL = {"warmup_min_iters": 2, "warmup": 0.01, "min_samples": 5, "budget": 0.05}
SHAPE = (2, 3, 16, 16)
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="tests the no-CUDA error path")


def tiny_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(8, 4))


def assert_good_row(r: LatencyResult, runtime: str) -> dict:
    assert r.error is None, r.error
    assert (r.runtime, r.device, r.batch_size, r.dtype) == (runtime, "cpu", 2, "fp32")
    s = r.latency
    assert 0 < s.min <= s.median <= s.p90 <= s.p99
    assert s.mean > 0 and s.std >= 0 and s.iqr >= 0
    assert s.samples >= PROTOCOL["min_samples"] and len(s.samples_ms) == s.samples
    assert r.throughput_per_s == pytest.approx(2 / s.median * 1e3)  # batch 2 / median ms
    assert isinstance(r.peak_memory_bytes, int) and r.peak_memory_bytes >= 0
    d = r.to_dict()
    assert {"device", "runtime", "batch_size", "threads", "latency_ms", "throughput_per_s", "peak_memory_bytes",
            "compile_s", "error"} <= set(d)
    assert set(d["latency_ms"]) == {"median", "mean", "std", "iqr", "p90", "p99", "min", "samples", "noisy"}
    json.dumps(d)  # JSON-ready
    return d


# ---- eager ---------------------------------------------------------------------------------------------------------

def test_eager_row(capfd):
    before = torch.get_num_threads()
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(threads=1, **PROTOCOL), runtime="eager")
    d = assert_good_row(r, "eager")
    assert r.threads == 1 and d["compile_s"] is None
    assert torch.get_num_threads() == before  # torch's setting restored
    assert capfd.readouterr().out == ""


def test_default_threads_are_recorded():
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(**PROTOCOL))
    assert r.threads == torch.get_num_threads()


@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_low_precision_eager_row_or_error(dtype):
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(channels_last=True, **PROTOCOL), dtype=dtype)
    assert r.dtype == dtype and r.channels_last
    # torch builds differ in CPU half support; either a measured row or a recorded error, never an exception
    assert (r.latency is not None) != (r.error is not None)


_PEAK_64MB = """
import json, torch
from torch import nn
from cnnbench.latency import LatencyOptions, run_latency

class Allocates64MB(nn.Module):
    def forward(self, x):
        big = torch.ones(16 * 1024 * 1024)
        return x + big[:1]

r = run_latency(Allocates64MB, (1, 1, 1, 1), LatencyOptions(**%r))
print(json.dumps({"method": r.details["memory_method"], "peak": r.peak_memory_bytes}))
"""


def test_cpu_peak_memory_sees_a_64mb_temporary():
    # in a fresh process: the peak RSS is process-wide, and what a hundred earlier tests left (allocator arenas,
    # runtimes' thread pools) showed up as a second 64 MiB in a long run (the same happened before the regrouping)
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PEAK_64MB % PROTOCOL], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["method"] == "rss_hwm"
    # 67_108_864 bytes allocated and freed each call; the kernel's peak RSS catches it (small slack for pages)
    assert 60_000_000 <= r["peak"] <= 120_000_000


def test_peak_memory_near_zero_without_allocation():
    with PeakMemory(torch.device("cpu")) as pm:
        sum(range(1000))
    assert pm.peak_bytes is not None and pm.peak_bytes < 8_000_000


# ---- failures are rows, usage errors raise -------------------------------------------------------------------------

def test_build_failure_is_a_row():
    def broken() -> nn.Module:
        raise ValueError("no such layer")

    r = run_latency(broken, SHAPE, LatencyOptions(**PROTOCOL))
    assert r.latency is None and r.error == "build failed: ValueError: no such layer"
    assert r.to_dict()["latency_ms"] is None and r.throughput_per_s is None


def test_shape_mismatch_is_a_row():
    r = run_latency(tiny_cnn, (2, 5, 16, 16), LatencyOptions(**PROTOCOL))  # 5 channels into a 3-channel conv
    assert r.error.startswith("run failed: RuntimeError")


def test_oom_is_flagged_so_sweeps_can_stop():
    class Oom(nn.Module):
        def forward(self, x):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    r = run_latency(Oom, SHAPE, LatencyOptions(**PROTOCOL))
    assert r.oom and r.error.startswith("out of memory: OutOfMemoryError")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"runtime": "warp-drive"}, "unknown runtime"),
        ({"runtime": "tensorrt"}, r"--runtime tensorrt needs a CUDA device \(--device cuda\)"),
        ({"dtype": "int8"}, "unknown dtype"),
        ({"device": "tpu"}, "unknown device"),
        ({"threads": 0}, "threads"),
    ],
)
def test_usage_errors_raise(kwargs, match):
    with pytest.raises(CnnbenchError, match=match):
        opts = {k: v for k, v in kwargs.items() if k not in ("runtime", "dtype")}  # the rest is the row's
        run_latency(tiny_cnn, SHAPE, LatencyOptions(**opts), **{k: v for k, v in kwargs.items() if k not in opts})


@no_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_no_cuda_is_one_clear_line(device):
    with pytest.raises(CnnbenchError) as info:
        run_latency(tiny_cnn, SHAPE, LatencyOptions(device=device, **PROTOCOL))
    msg = str(info.value)
    assert "CUDA is not available" in msg and torch.__version__ in msg and "\n" not in msg


def test_parse_device():
    assert parse_device(" CUDA:1 ") == ("cuda", 1)
    assert parse_device("cpu") == ("cpu", None)
    for bad in ("cpu:0", "gpu", "cuda:x", "cuda:-1"):
        with pytest.raises(CnnbenchError):
            parse_device(bad)
    assert resolve_device("cpu") == torch.device("cpu")


def test_onnx_cuda_provider_missing_is_an_error():
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA provider")
    with pytest.raises(CnnbenchError, match="CUDAExecutionProvider is not available"):
        onnx_providers(torch.device("cuda", 0))


# ---- compile -------------------------------------------------------------------------------------------------------

@pytest.mark.slow  # Inductor's first C++ compile takes 2-20 s on a shared CPU
def test_compile_row(capfd):
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(threads=1, **PROTOCOL), runtime="compile")
    if r.error and any(s in r.error.lower() for s in ("compiler", "toolchain", "cpp")):
        pytest.skip(f"no working C++ toolchain: {r.error}")
    assert_good_row(r, "compile")
    # the compile call is far slower than a 2x3x16x16 inference and is not among the samples
    assert r.compile_s > 0.05 > max(r.latency.samples_ms) / 1e3
    assert capfd.readouterr().out == ""


def test_compile_failure_is_a_row(monkeypatch):
    def no_toolchain(*args, **kwargs):
        raise RuntimeError("InductorError: Failed to find a working C++ compiler")

    monkeypatch.setattr(torch, "compile", no_toolchain)
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(**PROTOCOL), runtime="compile")
    assert r.latency is None and r.compile_s is None
    assert r.error == "compile failed: RuntimeError: InductorError: Failed to find a working C++ compiler"


# ---- onnx ----------------------------------------------------------------------------------------------------------

def test_onnx_row_cache_and_clean_stdout(tmp_path, capfd, monkeypatch):
    r1 = run_latency(tiny_cnn, SHAPE, LatencyOptions(threads=1, onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="tiny")
    assert_good_row(r1, "onnx")
    assert r1.details["onnx_opset"] == onnx_export.DEFAULT_OPSET and not r1.details["onnx_cached"]
    assert r1.details["onnx_providers"] == ["CPUExecutionProvider"]
    entries = list(tmp_path.iterdir())
    assert len(entries) == 1 and entries[0].name.startswith("tiny-2x3x16x16-fp32-opset18-")
    assert capfd.readouterr().out == ""  # exporter progress went to stderr or nowhere

    # the second run must not export again: make exporting impossible and check the row still succeeds
    def no_export(*args, **kwargs):
        raise AssertionError("re-exported despite the cache")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    r2 = run_latency(tiny_cnn, SHAPE, LatencyOptions(threads=1, onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="tiny")
    assert_good_row(r2, "onnx")
    assert r2.details["onnx_cached"] and r2.details["onnx_path"] == r1.details["onnx_path"]
    # another shape is another entry (and exporting is now impossible, so it is an error row, not an exception)
    r3 = run_latency(tiny_cnn, (1, 3, 16, 16), LatencyOptions(onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="tiny")
    assert r3.error.startswith("export failed: RuntimeError: ONNX export failed (dynamo: AssertionError")
    assert len(list(tmp_path.iterdir())) == 1  # the failed attempt left nothing behind


def test_onnx_bf16_is_a_row(tmp_path):
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", dtype="bf16", model_key="t")
    assert r.latency is None and "bf16" in r.error


def test_onnx_uses_the_requested_threads(tmp_path, monkeypatch):
    import onnxruntime as ort

    seen = {}
    real = ort.InferenceSession

    def spy(path, sess_options=None, providers=None):
        seen["intra"] = sess_options.intra_op_num_threads
        return real(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(ort, "InferenceSession", spy)
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(threads=1, onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="t")
    assert r.error is None and r.threads == 1 and seen["intra"] == 1


@pytest.mark.slow  # three exports with the dynamo exporter: ~10 s
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "squeezenet1_1"])
def test_onnx_output_equals_eager(name, tmp_path):
    """ONNX Runtime computes what eager computes (same seeded weights and input), so we time the same thing."""
    import torchvision

    def build() -> nn.Module:
        return getattr(torchvision.models, name)(weights=None)

    shape = (1, 3, 64, 64)
    eager = prepare_runner(build, shape, LatencyOptions(seed=3, verify=False), runtime="eager")
    ort_runner = prepare_runner(build, shape, LatencyOptions(seed=3, onnx_dir=tmp_path, verify=False), runtime="onnx", model_key=name)
    try:
        want, got = eager.output(), ort_runner.output()
    finally:
        ort_runner.close()
    assert got.shape == want.shape == (1, 1000)
    scale = float(np.abs(want).max())
    assert scale > 0
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4 * scale)


# ---- CUDA (skipped without a GPU) ----------------------------------------------------------------------------------

@pytest.mark.parametrize("runtime", ["eager", "compile"])
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_row(runtime):
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(device="cuda", **PROTOCOL), runtime=runtime)
    assert r.error is None, r.error
    assert r.device.startswith("cuda:") and r.details["memory_method"] == "cuda_max_allocated"
    assert 0 < r.latency.min <= r.latency.median <= r.latency.p99
    # weights (8*3*3*3 + 8 + 4*8 + 4 floats, plus BN) and the 2x3x16x16 input are on the device at least
    assert r.peak_memory_bytes >= 2 * 3 * 16 * 16 * 4


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_index_beyond_count():
    with pytest.raises(CnnbenchError, match="does not exist"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_oom_is_a_row():
    class Huge(nn.Module):
        def forward(self, x):
            return torch.empty(1 << 50, device=x.device)  # 4 PiB of float32

    r = run_latency(Huge, SHAPE, LatencyOptions(device="cuda", **PROTOCOL))
    assert r.oom and r.error.startswith("out of memory")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_onnx_row_or_provider_error(tmp_path):
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime without CUDA")
    r = run_latency(tiny_cnn, SHAPE, LatencyOptions(device="cuda", onnx_dir=tmp_path, **PROTOCOL), runtime="onnx", model_key="t")
    assert r.error is None and "CUDAExecutionProvider" in r.details["onnx_providers"]
    assert r.peak_memory_bytes is None  # ORT's arena is invisible to torch's allocator counters
