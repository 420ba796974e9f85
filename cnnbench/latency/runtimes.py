"""Latency of one model on one runtime: eager, torch.compile or ONNX Runtime (in :mod:`cnnbench.latency.onnx`).

:func:`prepare_runner` builds the model (random init, seeded), moves it and its input to the device and dtype,
compiles or exports it, and returns a :class:`Runner` whose ``call()`` is one inference. :func:`run_latency` runs
the protocol of :mod:`cnnbench.latency.timer` on it with peak-memory tracking (:mod:`cnnbench.latency.memory`)
and returns a :class:`LatencyResult`. It never raises for a failing row (build, export, compile, unsupported
dtype, out of memory): the result carries ``error``. It raises :class:`~cnnbench.errors.CnnbenchError` for bad
usage — an unknown runtime or dtype, an unavailable device or ONNX Runtime provider — so a sweep stops early.

For :func:`~cnnbench.latency.timer.measure_interleaved` (``compare``), prepare one runner per model and pass their
``call`` / ``sync``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.errors import CnnbenchError, one_line
from cnnbench.latency.devices import device_sync, onnx_providers, resolve_device
from cnnbench.latency.memory import PeakMemory
from cnnbench.latency.timer import LatencyStats, measure

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch import nn

RUNTIMES = ("eager", "compile", "onnx")
DTYPES = ("fp32", "fp16", "bf16")
_DTYPE_ALIASES = {"float32": "fp32", "float": "fp32", "float16": "fp16", "half": "fp16", "bfloat16": "bf16"}


def normalize_dtype(dtype: str) -> str:
    """``"fp32" | "fp16" | "bf16"`` (also accepts float32, float16, half, bfloat16).

    Raises:
        CnnbenchError: Any other value.
    """
    d = _DTYPE_ALIASES.get(dtype.lower(), dtype.lower())
    if d not in DTYPES:
        raise CnnbenchError(f"unknown dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    return d


def torch_dtype(dtype: str) -> torch.dtype:
    """The torch dtype for ``"fp32" | "fp16" | "bf16"``."""
    import torch

    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[normalize_dtype(dtype)]


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Sends everything written to stdout — Python ``print`` and C/C++ writes to fd 1 — to stderr.

    The ONNX exporter and Inductor's compiler subprocesses may print progress; stdout must carry only the
    requested output (``cnnbench ... --format json | jq``).
    """
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no usable fd 1 (embedded interpreters): the Python-level redirect still applies
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            _fflush_c_stdio()
            os.dup2(saved, 1)
            os.close(saved)


def _fflush_c_stdio() -> None:
    # C stdio buffers must be flushed while fd 1 still points at stderr, or they surface on stdout later.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").fflush(None)


@dataclass
class Runner:
    """A prepared model: ``call()`` runs one inference on pre-placed input; nothing else happens in it.

    Attributes:
        runtime: ``"eager" | "compile" | "onnx"``.
        device: The torch device the work runs on.
        call: Zero-argument callable timed by the protocol.
        sync: What the timer calls to wait for the device (``None`` on CPU).
        compile_s: Seconds of the first compiled call (compile runtime only).
        details: Runtime facts for the record (ONNX opset, exporter, cache path...).
        to_numpy: Converts ``call()``'s return value to a float32 numpy array of the first output.
        cleanup: Releases resources (sessions, temporary files).
        memory_visible: Whether :class:`~cnnbench.latency.memory.PeakMemory` sees this runtime's allocations.
    """

    runtime: str
    device: torch.device
    call: Callable[[], Any]
    sync: Callable[[], None] | None = None
    compile_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    to_numpy: Callable[[Any], np.ndarray] | None = None
    cleanup: Callable[[], None] | None = None
    memory_visible: bool = True

    def output(self) -> np.ndarray:
        """One inference's first output as a float32 numpy array (for numerical comparisons)."""
        out = self.call()
        if self.sync is not None:
            self.sync()
        assert self.to_numpy is not None
        return self.to_numpy(out)

    def close(self) -> None:
        """Releases what the runner holds; safe to call twice."""
        if self.cleanup is not None:
            self.cleanup()
            self.cleanup = None


def _first_tensor_to_numpy(out: Any) -> np.ndarray:
    import torch

    while isinstance(out, (tuple, list)):
        out = out[0]
    if isinstance(out, dict):
        out = next(iter(out.values()))
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"model output is {type(out).__name__}, not a tensor")
    return out.detach().float().cpu().numpy()


def build_inputs(build_model: Callable[[], nn.Module], input_shape: Sequence[int], *,
                 seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    """Builds the model (eval mode, CPU) and a standard-normal input, both from ``seed``.

    Seeding makes runs reproducible and makes a cached ONNX file hold the same weights as a fresh eager model.
    The global RNG state is restored afterwards.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model().eval()
        x = torch.randn(*input_shape)
    return model, x


def _place(model: nn.Module, x: torch.Tensor, device: torch.device, dtype: str,
           channels_last: bool) -> tuple[nn.Module, torch.Tensor]:
    import torch

    tdt = torch_dtype(dtype)
    model = model.to(device=device, dtype=tdt)
    x = x.to(device=device, dtype=tdt)
    if channels_last and x.dim() == 4:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    return model, x


def prepare_eager(model: nn.Module, x: torch.Tensor, *, device: torch.device, dtype: str = "fp32",
                  channels_last: bool = False) -> Runner:
    """Moves model and input to ``device``/``dtype`` (and channels-last) once; ``call`` runs under inference_mode."""
    import torch

    model, x = _place(model, x, device, dtype, channels_last)

    def call() -> Any:
        with torch.inference_mode():
            return model(x)

    return Runner("eager", device, call, device_sync(device), to_numpy=_first_tensor_to_numpy)


def prepare_compile(model: nn.Module, x: torch.Tensor, *, device: torch.device, dtype: str = "fp32",
                    channels_last: bool = False, mode: str | None = None) -> Runner:
    """Like :func:`prepare_eager` with ``torch.compile(model, dynamic=False)``; the first call is timed as compile.

    ``compile_s`` is the wall time of the first call (Dynamo tracing, Inductor code generation and C++/Triton
    compilation, plus one inference); it is never part of the latency samples. Dynamo state is reset first so a
    batch-size sweep compiles each shape statically instead of hitting the recompile limit or dynamic shapes.
    """
    import torch

    model, x = _place(model, x, device, dtype, channels_last)
    sync = device_sync(device)
    torch._dynamo.reset()
    compiled = torch.compile(model, dynamic=False, mode=mode)

    def call() -> Any:
        with torch.inference_mode():
            return compiled(x)

    with stdout_to_stderr():
        t0 = time.perf_counter()
        call()
        if sync is not None:
            sync()
        compile_s = time.perf_counter() - t0
    return Runner("compile", device, call, sync, compile_s=compile_s, details={"compile_mode": mode},
                  to_numpy=_first_tensor_to_numpy)


def _prepare(model: nn.Module, x: torch.Tensor, *, runtime: str, device: torch.device, dtype: str,
             channels_last: bool, threads: int, model_key: str | None, onnx_dir: str | Path | None,
             opset: int | None, exporter: str, onnx_spinning: bool = True) -> Runner:
    if runtime == "eager":
        return prepare_eager(model, x, device=device, dtype=dtype, channels_last=channels_last)
    if runtime == "compile":
        return prepare_compile(model, x, device=device, dtype=dtype, channels_last=channels_last)
    from cnnbench.latency.onnx import prepare_onnx

    return prepare_onnx(model, x, device=device, dtype=dtype, threads=threads, model_key=model_key,
                        cache_dir=onnx_dir, opset=opset, exporter=exporter, spinning=onnx_spinning)


def prepare_runner(build_model: Callable[[], nn.Module], input_shape: Sequence[int], *, device: str = "cpu",
                   runtime: str = "eager", dtype: str = "fp32", channels_last: bool = False,
                   threads: int | None = None, model_key: str | None = None, onnx_dir: str | Path | None = None,
                   opset: int | None = None, exporter: str = "auto", seed: int = 0,
                   onnx_spinning: bool = True) -> Runner:
    """Builds and prepares one model for timing (exceptions from building/exporting/compiling propagate).

    Args:
        build_model: Returns the model on the CPU with random init (e.g. ``spec.build``).
        input_shape: ``(N, C, H, W)``.
        device: ``"cpu" | "cuda" | "cuda:N"``.
        runtime: ``"eager" | "compile" | "onnx"``.
        dtype: ``"fp32" | "fp16" | "bf16"``.
        channels_last: NHWC memory format for eager/compile (ONNX graphs are NCHW; ignored there).
        threads: ONNX Runtime intra-op threads (torch threads are set by :func:`run_latency`); default torch's.
        model_key: Names the ONNX cache entry; ``None`` exports to a temporary directory, deleted on close.
        onnx_dir: ONNX cache directory (default :func:`cnnbench.latency.onnx.default_cache_dir`).
        opset: ONNX opset (default :data:`cnnbench.latency.onnx.DEFAULT_OPSET`).
        exporter: ``"auto"`` (dynamo, then TorchScript), ``"dynamo"`` or ``"torchscript"``.
        seed: Seed for weights and input.
        onnx_spinning: ONNX Runtime's busy-waiting workers; pass False when interleaving ORT with torch runners.

    Raises:
        CnnbenchError: Bad runtime, dtype, device or ONNX Runtime provider.
    """
    import torch

    runtime, dtype, dev = _check_usage(runtime, dtype, device)
    model, x = build_inputs(build_model, input_shape, seed=seed)
    return _prepare(model, x, runtime=runtime, device=dev, dtype=dtype, channels_last=channels_last,
                    threads=threads or torch.get_num_threads(), model_key=model_key, onnx_dir=onnx_dir,
                    opset=opset, exporter=exporter, onnx_spinning=onnx_spinning)


def _check_usage(runtime: str, dtype: str, device: str | torch.device) -> tuple[str, str, torch.device]:
    runtime = runtime.lower()
    if runtime not in RUNTIMES:
        raise CnnbenchError(f"unknown runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    dtype = normalize_dtype(dtype)
    dev = resolve_device(device)
    if runtime == "onnx":
        onnx_providers(dev)
    return runtime, dtype, dev


@dataclass(frozen=True)
class LatencyResult:
    """One latency row: a model × runtime × device × dtype × batch size.

    Attributes:
        device: ``"cpu"`` or ``"cuda:N"``.
        runtime: ``"eager" | "compile" | "onnx"``.
        batch_size: N of the input.
        threads: Intra-op threads used (torch and ONNX Runtime alike).
        dtype: ``"fp32" | "fp16" | "bf16"``.
        channels_last: Whether NHWC memory format was used (eager/compile).
        latency: Statistics in ms, ``None`` when the row failed.
        peak_memory_bytes: See :mod:`cnnbench.latency.memory`; ``None`` if not measured.
        compile_s: Compile time (compile runtime only).
        error: Why the row failed, one line.
        oom: The failure was an out-of-memory (a sweep should skip larger batches).
        details: Runtime facts: block size, memory method, ONNX opset/exporter/cache path/export seconds...
    """

    device: str
    runtime: str
    batch_size: int
    threads: int
    dtype: str = "fp32"
    channels_last: bool = False
    latency: LatencyStats | None = None
    peak_memory_bytes: int | None = None
    compile_s: float | None = None
    error: str | None = None
    oom: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def throughput_per_s(self) -> float | None:
        """Inputs per second at the median latency: ``batch_size / median_ms × 1000``."""
        if self.latency is None or self.latency.median <= 0:
            return None
        return self.batch_size / self.latency.median * 1e3

    def to_dict(self, *, include_samples: bool = False) -> dict[str, Any]:
        """JSON-ready row; ``samples_ms`` (raw samples) only when asked."""
        d: dict[str, Any] = {
            "device": self.device,
            "runtime": self.runtime,
            "batch_size": self.batch_size,
            "threads": self.threads,
            "dtype": self.dtype,
            "channels_last": self.channels_last,
            "latency_ms": self.latency.to_dict() if self.latency is not None else None,
            "throughput_per_s": self.throughput_per_s,
            "peak_memory_bytes": self.peak_memory_bytes,
            "compile_s": self.compile_s,
            "error": self.error,
            "details": dict(self.details),
        }
        if include_samples:
            d["samples_ms"] = list(self.latency.samples_ms) if self.latency is not None else None
        return d


def is_oom(err: BaseException) -> bool:
    import torch

    if isinstance(err, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    msg = str(err).lower()
    return any(s in msg for s in ("out of memory", "can't allocate memory", "failed to allocate memory"))




def run_latency(build_model: Callable[[], nn.Module], input_shape: Sequence[int], *, device: str = "cpu",
                runtime: str = "eager", dtype: str = "fp32", channels_last: bool = False,
                threads: int | None = None, model_key: str | None = None, onnx_dir: str | Path | None = None,
                opset: int | None = None, exporter: str = "auto", seed: int = 0, warmup_min_iters: int = 10,
                warmup_min_s: float = 0.5, min_samples: int = 30, budget_s: float = 2.0,
                block_target_s: float = 1e-3, track_memory: bool = True) -> LatencyResult:
    """Measures one latency row; per-row failures become ``error``, usage errors raise.

    Args:
        build_model: Returns the model on the CPU with random init.
        input_shape: ``(N, C, H, W)``.
        device: ``"cpu" | "cuda" | "cuda:N"``.
        runtime: ``"eager" | "compile" | "onnx"``.
        dtype: ``"fp32" | "fp16" | "bf16"``.
        channels_last: NHWC for eager/compile.
        threads: Intra-op threads for torch and ONNX Runtime; ``None`` keeps torch's current setting. torch's
            setting is restored afterwards.
        model_key: ONNX cache name (model name); see :func:`prepare_runner`.
        onnx_dir: ONNX cache directory.
        opset: ONNX opset.
        exporter: ONNX exporter choice.
        seed: Seed for weights and input.
        warmup_min_iters: See :func:`cnnbench.latency.timer.measure`.
        warmup_min_s: See :func:`cnnbench.latency.timer.measure`.
        min_samples: See :func:`cnnbench.latency.timer.measure`.
        budget_s: See :func:`cnnbench.latency.timer.measure`.
        block_target_s: See :func:`cnnbench.latency.timer.measure`.
        track_memory: Measure peak memory over warm-up and samples.

    Raises:
        CnnbenchError: Unknown runtime/dtype, unavailable device or ONNX Runtime provider, threads < 1.
    """
    import torch

    runtime, dtype, dev = _check_usage(runtime, dtype, device)
    if threads is not None and threads < 1:
        raise CnnbenchError(f"--threads must be at least 1 (got {threads})")
    prev_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    row = {"device": str(dev), "runtime": runtime, "batch_size": int(input_shape[0]),
           "threads": torch.get_num_threads(), "dtype": dtype, "channels_last": channels_last}
    runner: Runner | None = None
    phase = "build"
    try:
        model, x = build_inputs(build_model, input_shape, seed=seed)
        phase = {"eager": "prepare", "compile": "compile", "onnx": "export"}[runtime]
        runner = _prepare(model, x, runtime=runtime, device=dev, dtype=dtype, channels_last=channels_last,
                          threads=row["threads"], model_key=model_key, onnx_dir=onnx_dir, opset=opset,
                          exporter=exporter)
        del model, x
        phase = "run"
        memory = PeakMemory(dev) if track_memory and runner.memory_visible else None
        with memory if memory is not None else contextlib.nullcontext():
            stats = measure(runner.call, sync=runner.sync, warmup_min_iters=warmup_min_iters,
                            warmup_min_s=warmup_min_s, min_samples=min_samples, budget_s=budget_s,
                            block_target_s=block_target_s)
        details = {**runner.details, "block_size": stats.block_size, "seed": seed,
                   "memory_method": memory.method if memory is not None else None}
        return LatencyResult(**row, latency=stats, peak_memory_bytes=memory.peak_bytes if memory else None,
                             compile_s=runner.compile_s, details=details)
    except CnnbenchError:
        raise
    except Exception as err:  # noqa: BLE001 - a failing row must not stop the sweep; Ctrl-C still does
        oom = is_oom(err)
        reason = "out of memory" if oom else f"{phase} failed"
        details = dict(runner.details) if runner is not None else {}
        return LatencyResult(**row, error=f"{reason}: {one_line(err)}", oom=oom, details=details)
    finally:
        if runner is not None:
            runner.close()
        runner = None
        torch.set_num_threads(prev_threads)
        gc.collect()
        if dev.type == "cuda":
            torch.cuda.empty_cache()
