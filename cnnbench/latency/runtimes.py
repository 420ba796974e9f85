"""Latency of one model on one runtime: eager, torch.compile, ONNX Runtime (fp32 in :mod:`cnnbench.latency.onnx`,
int8/fp16 in :mod:`cnnbench.latency.quantize`), OpenVINO (:mod:`cnnbench.latency.openvino_rt`) or TensorRT
(:mod:`cnnbench.latency.tensorrt_rt`); the choices and their one check are in :mod:`cnnbench.latency.options`.

Precision: ``dtype`` casts the model and inputs (``cast-fp16``); ``precision="amp-fp16"|"amp-bf16"`` keeps fp32
weights and runs eager/compile calls under ``torch.autocast(device_type, dtype)`` (``amp-fp16``). Each row carries
its ``precision`` label. **Each runtime is checked against eager fp32 before it is timed** (``verify``, on by
default in :func:`prepare_row` / :func:`run_latency`; :mod:`cnnbench.latency.verify` states the tolerances): a
runtime whose output differs becomes an error row ``check failed: output differs from eager: ...``; the measured
difference is in ``details.check_vs_eager``. Eager fp32 is the reference itself and is not checked.

:func:`prepare_runner` builds the model (random init, seeded), moves it and its inputs to the device and dtype,
compiles or exports it, and returns a :class:`Runner` whose ``call()`` is one inference. :func:`run_latency` runs
the protocol of :mod:`cnnbench.latency.timer` on it with peak-memory tracking (:mod:`cnnbench.latency.memory`)
and returns a :class:`LatencyResult`. It never raises for a failing row (build, export, compile, unsupported
dtype, out of memory, user code calling ``sys.exit``): the result carries ``error``. It raises
:class:`~cnnbench.errors.CnnbenchError` for bad usage — an unknown runtime or dtype, an unavailable device or ONNX
Runtime provider — so a sweep stops early.

Inputs are either a shape (``(N, C, H, W)``, any rank: one standard-normal tensor) or a zero-argument callable
returning CPU example inputs ``(args, kwargs)`` (:meth:`cnnbench.inputs.InputSpec.maker`); the model is
called as ``model(*args, **kwargs)``. Casts to fp16/bf16 apply to floating tensors only (token ids stay integers),
channels-last to 4-D floating tensors only; every tensor, nested in tuples/lists/dicts too, is copied to the
device — the caller's tensors are never modified, even by a model that works in place on its input.

**The caller's model is never changed.** With ``copy_model=True`` (pass it whenever ``build_model`` returns an
instance the caller keeps, e.g. ``lambda: user_model``) the engine works on a ``copy.deepcopy`` of it: eval mode,
device moves, dtype casts, channels-last, ``torch.compile`` and the ONNX exporters (which may flip training mode
or mutate the module) all touch the copy only, so the caller's weights (values and device), dtypes, ``training``
flags, hooks and attributes stay as they were. The copy costs the model's memory once more while the row runs.
With ``copy_model=False`` (registry builders: a fresh model per call) the built model is used directly.

User code (build, input factory, forward, export, compile) runs with stdout sent to stderr, so a model that prints
never corrupts ``--format json`` on stdout, for library callers too.

For :func:`~cnnbench.latency.timer.measure_interleaved` (``reproduce``), prepare one runner per model and pass their
``call`` / ``sync``; :func:`prepare_row` is the failure-as-row prepare step that ``run_latency`` and ``compare``
share. :class:`~cnnbench.latency.runner.Runner` lives in :mod:`cnnbench.latency.runner` (re-exported here).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.errors import CnnbenchError
from cnnbench.latency.devices import device_sync, oversubscribed, resolve_device
from cnnbench.latency.memory import PeakMemory
from cnnbench.latency.options import (  # noqa: F401 - RUNTIMES/PREPARE_PHASE re-exported (one list, in choices)
    PREPARE_PHASE,
    RUNTIMES,
    check_choices,
    normalize_compile_mode,
    normalize_precision,
    normalize_quantization,
    normalize_runtime,
    precision_label,
)

# re-exported: callers import these from here (placement/usercode hold them to keep this module small)
from cnnbench.latency.placement import (  # noqa: F401
    DTYPES,
    Inputs,
    as_inputs,
    batch_size_of,
    build_inputs,
    make_example_inputs,
    normalize_dtype,
    place,
    place_inputs,
    torch_dtype,
)
from cnnbench.latency.runner import Runner, first_tensor_to_numpy
from cnnbench.latency.threads import torch_threads
from cnnbench.latency.timer import LatencyStats, _check_protocol, measure
from cnnbench.latency.usercode import (  # noqa: F401
    ModelExitError,
    exit_text,
    failure_text,
    quiet_output,
    stdout_to_stderr,
)
from cnnbench.latency.verify import _needs_check, check_runner, eager_reference

if TYPE_CHECKING:
    import torch
    from torch import nn


def autocast(device: torch.device, precision: str | None) -> Callable[[], contextlib.AbstractContextManager]:
    """A factory of ``torch.autocast(device.type, dtype)`` contexts for ``"amp-fp16" | "amp-bf16"`` (else no-op)."""
    import torch

    if not precision:
        return contextlib.nullcontext
    dt = torch.float16 if precision == "amp-fp16" else torch.bfloat16
    return lambda: torch.autocast(device_type=device.type, dtype=dt)


def prepare_eager(model: nn.Module, args: Any, kwargs: dict[str, Any] | None = None, *, device: torch.device,
                  dtype: str = "fp32", channels_last: bool = False, precision: str | None = None) -> Runner:
    """Moves model and inputs to ``device``/``dtype`` (and channels-last) once; ``call`` runs under inference_mode.

    Args:
        model: CPU model in eval mode (the engine's own: use :func:`build_inputs` with ``copy_model=True`` for a
            model the caller keeps).
        args: Positional inputs (a tuple, or one tensor).
        kwargs: Keyword inputs.
        device: Where to run.
        dtype: ``"fp32" | "fp16" | "bf16"`` (floating tensors only).
        channels_last: NHWC for the model and 4-D floating inputs.
        precision: ``"amp-fp16" | "amp-bf16"``: each call under ``torch.autocast`` (fp32 weights; ``dtype`` fp32).
    """
    import torch

    model, args, kwargs = place(model, *as_inputs(args, kwargs), device, dtype, channels_last)
    amp = autocast(device, precision)

    def call() -> Any:
        try:  # free unless raised; a user's sys.exit() must fail the row, not end the process
            with torch.inference_mode(), amp():
                return model(*args, **kwargs)
        except SystemExit as e:
            raise ModelExitError(e) from e

    return Runner("eager", device, call, device_sync(device), to_numpy=first_tensor_to_numpy,
                  details={"autocast": precision} if precision else {})


def prepare_compile(model: nn.Module, args: Any, kwargs: dict[str, Any] | None = None, *, device: torch.device,
                    dtype: str = "fp32", channels_last: bool = False, mode: str | None = None,
                    precision: str | None = None) -> Runner:
    """Like :func:`prepare_eager` with ``torch.compile(model, dynamic=False)``; the first call is timed as compile.

    ``compile_s`` is the wall time of the first call (Dynamo tracing, Inductor code generation and C++/Triton
    compilation, plus one inference); it is never part of the latency samples. Dynamo state is reset first so a
    batch-size sweep compiles each shape statically instead of hitting the recompile limit or dynamic shapes.
    ``mode`` is torch.compile's (``None``: default; recorded as ``details.compile_mode``); ``precision``
    (``"amp-fp16" | "amp-bf16"``) runs every call, the compiling one too, under ``torch.autocast``.
    """
    import torch

    model, args, kwargs = place(model, *as_inputs(args, kwargs), device, dtype, channels_last)
    sync = device_sync(device)
    torch._dynamo.reset()
    compiled = torch.compile(model, dynamic=False, mode=mode)
    amp = autocast(device, precision)

    def call() -> Any:
        try:
            with torch.inference_mode(), amp():
                return compiled(*args, **kwargs)
        except SystemExit as e:
            raise ModelExitError(e) from e

    with stdout_to_stderr():
        t0 = time.perf_counter()
        call()
        if sync is not None:
            sync()
        compile_s = time.perf_counter() - t0
    details = {"compile_mode": mode or "default", **({"autocast": precision} if precision else {})}
    return Runner("compile", device, call, sync, compile_s=compile_s, details=details, to_numpy=first_tensor_to_numpy)


def _prepare(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], *, runtime: str,
             device: torch.device, dtype: str, channels_last: bool, threads: int, model_key: str | None,
             onnx_dir: str | Path | None, opset: int | None, exporter: str, onnx_spinning: bool = True,
             precision: str | None = None, compile_mode: str | None = None, quantization: str = "static",
             seed: int = 0) -> Runner:
    if runtime == "eager":
        return prepare_eager(model, args, kwargs, device=device, dtype=dtype, channels_last=channels_last,
                             precision=precision)
    if runtime == "compile":
        return prepare_compile(model, args, kwargs, device=device, dtype=dtype, channels_last=channels_last,
                               mode=compile_mode, precision=precision)
    onnx_opts = {"model_key": model_key, "cache_dir": onnx_dir, "opset": opset, "exporter": exporter}
    if runtime == "openvino":
        from cnnbench.latency.openvino_rt import prepare_openvino

        return prepare_openvino(model, args, kwargs, device=device, threads=threads, **onnx_opts)
    if runtime == "tensorrt":
        from cnnbench.latency.tensorrt_rt import prepare_tensorrt

        return prepare_tensorrt(model, args, kwargs, device=device, precision=precision, threads=threads,
                                **onnx_opts)
    if runtime in ("onnx-int8", "onnx-fp16"):
        from cnnbench.latency.quantize import prepare_onnx_lowp

        return prepare_onnx_lowp(model, args, kwargs, runtime=runtime, device=device, threads=threads,
                                 spinning=onnx_spinning, quantization=quantization, seed=seed, **onnx_opts)
    from cnnbench.latency.onnx import prepare_onnx

    return prepare_onnx(model, args, kwargs, device=device, dtype=dtype, threads=threads, spinning=onnx_spinning,
                        **onnx_opts)


def prepare_runner(build_model: Callable[[], nn.Module], input_shape: Inputs, *, device: str = "cpu",
                   runtime: str = "eager", dtype: str = "fp32", channels_last: bool = False,
                   threads: int | None = None, model_key: str | None = None, onnx_dir: str | Path | None = None,
                   opset: int | None = None, exporter: str = "auto", seed: int = 0,
                   onnx_spinning: bool = True, copy_model: bool = False, precision: str | None = None,
                   compile_mode: str | None = None, quantization: str | None = None, verify: bool = False) -> Runner:
    """Builds and prepares one model for timing (exceptions from building/exporting/compiling propagate).

    Args:
        build_model: Returns the model on the CPU with random init (e.g. ``spec.build``), or the caller's instance
            (``lambda: model``, with ``copy_model=True``).
        input_shape: A shape ``(N, C, H, W)`` (any rank) or a zero-argument callable returning CPU
            ``(args, kwargs)`` (``InputSpec.maker(batch_size)``).
        device: ``"cpu" | "cuda" | "cuda:N"``.
        runtime: One of :data:`~cnnbench.latency.options.RUNTIMES` (eager, compile, onnx, onnx-int8, onnx-fp16,
            openvino, tensorrt).
        dtype: ``"fp32" | "fp16" | "bf16"`` (a cast of the whole model).
        channels_last: NHWC memory format for eager/compile (ONNX graphs are NCHW; ignored there).
        threads: ONNX Runtime intra-op threads (torch threads are set by :func:`run_latency`); default torch's.
        model_key: Names the ONNX cache entry; ``None`` exports to a temporary directory, deleted on close.
        onnx_dir: ONNX cache directory (default :func:`cnnbench.latency.onnx.default_cache_dir`).
        opset: ONNX opset (default :data:`cnnbench.latency.onnx.DEFAULT_OPSET`).
        exporter: ``"auto"`` (dynamo, then TorchScript), ``"dynamo"`` or ``"torchscript"``.
        seed: Seed for weights (fresh models) and generated inputs.
        onnx_spinning: ONNX Runtime's busy-waiting workers; pass False when interleaving ORT with torch runners.
        copy_model: Work on a deep copy of the built model (see the module docstring): True for an instance the
            caller keeps, False (default) for a builder that returns a fresh model per call.
        precision: ``"amp-fp16" | "amp-bf16"``: torch.autocast (eager, compile) or TensorRT's mixed precision.
        compile_mode: torch.compile's mode (``"default" | "reduce-overhead" | "max-autotune"``).
        quantization: ``onnx-int8``'s scheme, ``"static"`` (default) or ``"dynamic"``.
        verify: Check the runtime's output against eager fp32 first (:mod:`cnnbench.latency.verify`); raises
            :class:`~cnnbench.latency.verify.OutputMismatchError` when it differs. Off here (explain, check and
            reproduce time runtimes they know); :func:`prepare_row` / :func:`run_latency` check by default.

    Raises:
        CnnbenchError: Bad runtime, dtype, device or ONNX Runtime provider.
    """
    import torch

    runtime, dtype, dev = _check_usage(runtime, dtype, device, precision)
    precision, compile_mode = normalize_precision(precision), normalize_compile_mode(compile_mode)
    model, args, kwargs = build_inputs(build_model, input_shape, seed=seed, copy_model=copy_model)
    ref = eager_reference(model, args, kwargs, dev, runtime) if verify and _needs_check(runtime, dtype, precision) \
        else None
    runner = _prepare(model, args, kwargs, runtime=runtime, device=dev, dtype=dtype, channels_last=channels_last,
                      threads=threads or torch.get_num_threads(), model_key=model_key, onnx_dir=onnx_dir,
                      opset=opset, exporter=exporter, onnx_spinning=onnx_spinning, precision=precision,
                      compile_mode=compile_mode, quantization=normalize_quantization(quantization), seed=seed)
    if ref is not None:
        try:
            check_runner(runner, ref, precision_label(runtime, dtype, precision))
        except BaseException:
            runner.close()
            raise
    return runner


def _check_usage(runtime: str, dtype: str, device: str | torch.device,
                 precision: str | None = None) -> tuple[str, str, torch.device]:
    runtime = normalize_runtime(runtime)
    dtype = normalize_dtype(dtype)
    dev = resolve_device(device)
    check_choices([runtime], dev, dtype, normalize_precision(precision))
    return runtime, dtype, dev


@dataclass(frozen=True)
class LatencyResult:
    """One latency row: a model × runtime × device × dtype × batch size.

    Attributes:
        device: ``"cpu"`` or ``"cuda:N"``.
        runtime: One of :data:`~cnnbench.latency.options.RUNTIMES`.
        batch_size: N of the input.
        threads: Intra-op threads used (torch, ONNX Runtime and OpenVINO alike).
        dtype: ``"fp32" | "fp16" | "bf16"``.
        precision: ``fp32 | cast-fp16 | cast-bf16 | amp-fp16 | amp-bf16 | fp16 | int8`` (see
            :mod:`cnnbench.latency.options`): a cast and autocast are different rows with different labels.
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
    precision: str = "fp32"
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
            "precision": self.precision,
            "channels_last": self.channels_last,
            "latency_ms": self.latency.to_dict() if self.latency is not None else None,
            "throughput_per_s": self.throughput_per_s,
            "peak_memory_bytes": self.peak_memory_bytes,
            "compile_s": self.compile_s,
            "error": self.error,
            "details": dict(self.details),
            # threads above the cores this process may use time-share them: far slower and noisier (warned too)
            "threads_oversubscribed": oversubscribed(self.threads) if self.device == "cpu" else False,
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


def _batch_guess(inputs: Inputs, seed: int) -> int:
    """The batch size for a row that failed before its inputs existed (0 when even the inputs fail)."""
    import torch

    if not callable(inputs):
        return int(inputs[0]) if len(inputs) else 1
    try:
        with torch.random.fork_rng(devices=[]), stdout_to_stderr():
            torch.manual_seed(seed)
            return batch_size_of(*make_example_inputs(inputs))
    except (Exception, SystemExit):  # noqa: BLE001 - only a label for the failed row
        return 0


def row_failure(err: BaseException, phase: str) -> tuple[str, bool]:
    """``(error, oom)`` of a row that failed in ``phase``: ``"<phase> failed: <one line>"`` or
    ``"out of memory: ..."`` (:func:`failure_text`: traceback under --debug, ``model called sys.exit(N)``)."""
    oom = is_oom(err)
    return f"{'out of memory' if oom else f'{phase} failed'}: {failure_text(err, phase)}", oom


@dataclass
class Prepared:
    """A row's runner, or why it could not be prepared (:func:`prepare_row`).

    Attributes:
        runner: The runner (``None`` when the row failed).
        batch: Dim 0 of the first input tensor (``None`` when even the inputs could not be made).
        error: ``"build failed: ..."``, ``"export failed: ..."``, ``"out of memory: ..."``...
        oom: The failure was an out-of-memory.
    """

    runner: Runner | None = None
    batch: int | None = None
    error: str | None = None
    oom: bool = False


def prepare_row(build_model: Callable[[], nn.Module], inputs: Inputs, *, runtime: str, device: torch.device,
                dtype: str = "fp32", channels_last: bool = False, threads: int, model_key: str | None = None,
                onnx_dir: str | Path | None = None, opset: int | None = None, exporter: str = "auto",
                seed: int = 0, copy_model: bool = False, onnx_spinning: bool = True, precision: str | None = None,
                compile_mode: str | None = None, quantization: str | None = None, verify: bool = True) -> Prepared:
    """Builds and prepares one row (build → prepare | compile | export → check); a failure is the row's ``error``.

    The one prepare step of ``profile`` (:func:`run_latency`) and ``compare``: user code (build, input factory,
    export, first compiled call) runs with stdout sent to stderr, and its exceptions — a ``sys.exit`` too — become
    ``Prepared.error`` named by phase (``build`` until the model and inputs exist, then :data:`PREPARE_PHASE`).
    ``runtime``/``dtype``/``device`` must be valid already (:func:`prepare_runner` checks them).

    With ``verify`` (default) every row but eager fp32 is checked against eager fp32 on the same seeded input
    (:func:`eager_reference`, run in the prepare phase; :mod:`cnnbench.latency.verify`): a runtime that computes
    something else is the row's error ``output differs from eager: max |Δ| ... > tol ...``, never a fast number.

    Raises:
        CnnbenchError: Bad usage found while preparing (e.g. an ONNX Runtime provider that fails to load).
    """
    from cnnbench.latency.verify import OutputMismatchError

    precision, compile_mode = normalize_precision(precision), normalize_compile_mode(compile_mode)
    phase, batch, runner = "build", None, None
    try:
        with stdout_to_stderr():
            model, args, kwargs = build_inputs(build_model, inputs, seed=seed, copy_model=copy_model)
            batch = batch_size_of(args, kwargs)
            phase = PREPARE_PHASE[runtime]
            ref = eager_reference(model, args, kwargs, device, runtime) if verify and _needs_check(
                runtime, dtype, precision) else None
            runner = _prepare(model, args, kwargs, runtime=runtime, device=device, dtype=dtype,
                              channels_last=channels_last, threads=threads, model_key=model_key,
                              onnx_dir=onnx_dir, opset=opset, exporter=exporter, onnx_spinning=onnx_spinning,
                              precision=precision, compile_mode=compile_mode,
                              quantization=normalize_quantization(quantization), seed=seed)
            del model
            if ref is not None:
                phase = "run"
                check_runner(runner, ref, precision_label(runtime, dtype, precision))
        return Prepared(runner, batch)
    except CnnbenchError:
        if runner is not None:
            runner.close()
        raise
    except OutputMismatchError as err:
        runner.close()
        return Prepared(None, batch, str(err), False)
    except (Exception, SystemExit) as err:  # noqa: BLE001 - a failing row must not stop the others; Ctrl-C does
        if runner is not None:
            runner.close()
        error, oom = row_failure(err, phase)
        return Prepared(None, batch, error, oom)


def run_latency(build_model: Callable[[], nn.Module], input_shape: Inputs, *, device: str = "cpu",
                runtime: str = "eager", dtype: str = "fp32", channels_last: bool = False,
                threads: int | None = None, model_key: str | None = None, onnx_dir: str | Path | None = None,
                opset: int | None = None, exporter: str = "auto", seed: int = 0, warmup_min_iters: int = 10,
                warmup_min_s: float = 0.5, min_samples: int = 30, budget_s: float = 2.0,
                block_target_s: float = 1e-3, track_memory: bool = True, copy_model: bool = False,
                precision: str | None = None, compile_mode: str | None = None, quantization: str | None = None,
                verify: bool = True) -> LatencyResult:
    """Measures one latency row; per-row failures become ``error``, usage errors raise.

    User code runs with stdout sent to stderr, and a ``SystemExit`` it raises is the row's error
    (``build failed: model called sys.exit(3)``), never the process's exit.

    Args:
        build_model: Returns the model on the CPU with random init, or the caller's instance (with ``copy_model``).
        input_shape: A shape ``(N, C, H, W)`` (any rank) or a zero-argument callable returning CPU
            ``(args, kwargs)``; ``batch_size`` is dim 0 of the first tensor.
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
        copy_model: Work on a deep copy of the built model so the caller's instance is never changed (see the
            module docstring); False for builders that return a fresh model.
        precision: ``"amp-fp16" | "amp-bf16"`` (torch.autocast; see :func:`prepare_runner`).
        compile_mode: torch.compile's mode, recorded in ``details.compile_mode``.
        quantization: ``onnx-int8``'s scheme (``"static"`` | ``"dynamic"``), stated in ``details.quantization``.
        verify: Check the runtime against eager fp32 before timing it (see :func:`prepare_row`).

    Raises:
        CnnbenchError: Unknown runtime/dtype, unavailable device or ONNX Runtime provider, threads < 1.
    """
    import torch

    runtime, dtype, dev = _check_usage(runtime, dtype, device, precision)
    precision = normalize_precision(precision)
    _check_protocol(warmup_min_iters, warmup_min_s, min_samples, budget_s, block_target_s)  # before building
    with torch_threads(threads) as n_threads:  # restored afterwards; "--threads must be at least 1" otherwise
        row = {"device": str(dev), "runtime": runtime, "threads": n_threads, "dtype": dtype,
               "precision": precision_label(runtime, dtype, precision), "channels_last": channels_last}
        prep = prepare_row(build_model, input_shape, runtime=runtime, device=dev, dtype=dtype,
                           channels_last=channels_last, threads=n_threads, model_key=model_key, onnx_dir=onnx_dir,
                           opset=opset, exporter=exporter, seed=seed, copy_model=copy_model, precision=precision,
                           compile_mode=compile_mode, quantization=quantization, verify=verify)
        runner = prep.runner
        try:
            if runner is None:
                batch = prep.batch if prep.batch is not None else _batch_guess(input_shape, seed)
                return LatencyResult(**row, batch_size=batch, error=prep.error, oom=prep.oom)
            memory = PeakMemory(dev) if track_memory and runner.memory_visible else None
            try:
                # forward is user code in every timed call: it must not write to our stdout
                with stdout_to_stderr(), memory if memory is not None else contextlib.nullcontext():
                    stats = measure(runner.call, sync=runner.sync, warmup_min_iters=warmup_min_iters,
                                    warmup_min_s=warmup_min_s, min_samples=min_samples, budget_s=budget_s,
                                    block_target_s=block_target_s)
            except CnnbenchError:
                raise
            except (Exception, SystemExit) as err:  # noqa: BLE001 - a failing row must not stop the sweep
                error, oom = row_failure(err, "run")
                return LatencyResult(**row, batch_size=prep.batch, error=error, oom=oom, details=dict(runner.details))
            details = {**runner.details, "block_size": stats.block_size, "seed": seed,
                       "memory_method": memory.method if memory is not None else None}
            return LatencyResult(**row, batch_size=prep.batch, latency=stats,
                                 peak_memory_bytes=memory.peak_bytes if memory else None, compile_s=runner.compile_s,
                                 details=details)
        finally:
            if runner is not None:
                runner.close()
            runner = prep = None
            gc.collect()
            if dev.type == "cuda":
                torch.cuda.empty_cache()
