"""Latency of one model on one runtime: the engine that ``profile``, ``compare``, ``sweep``, ``check`` and
``reproduce`` share. Runtimes are the :data:`~cnnbench.latency.backends.BACKENDS` table (eager, torch.compile,
ONNX Runtime fp32/int8/fp16, OpenVINO, TensorRT); how to measure is ONE
:class:`~cnnbench.latency.options.LatencyOptions`, passed down to the backends' prepare functions. What is per row
— the builder, the inputs, the runtime, the dtype, the ONNX cache key — are the only other arguments.

Precision: ``dtype`` casts the model and inputs (``cast-fp16``); ``opts.precision="amp-fp16"|"amp-bf16"`` keeps fp32
weights and runs eager/compile calls under ``torch.autocast(device_type, dtype)`` (``amp-fp16``). Each row carries
its ``precision`` label. **Each runtime is checked against eager fp32 before it is timed** (``opts.verify``, on by
default; :mod:`cnnbench.latency.verify` states the tolerances): a runtime whose output differs becomes an error row
``output differs from eager: ...`` (``eager output has NaN ...`` when the reference itself is not finite); the
measured difference is in ``details.check_vs_eager``. Eager
fp32 is the reference itself and is not checked.

:func:`prepare_runner` builds the model (random init, seeded), moves it and its inputs to the device and dtype,
compiles or exports it, and returns a :class:`~cnnbench.latency.runner.Runner` whose ``call()`` is one inference.
:func:`run_latency` runs the protocol of :mod:`cnnbench.latency.timer` on it with peak-memory tracking
(:mod:`cnnbench.latency.memory`) and returns a :class:`LatencyResult`. It never raises for a failing row (build,
export, compile, unsupported dtype, out of memory, user code calling ``sys.exit``): the result carries ``error``.
It raises :class:`~cnnbench.errors.CnnbenchError` for bad usage — an unknown runtime or dtype, an unavailable
device or ONNX Runtime provider, a missing extra — so a sweep stops early.

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

**Calibration** (``opts.calibrate``, ``--calibrate``): after the model's warm-up, :func:`run_latency` prepares the
calibration workload of ``cnnbench check`` (:func:`~cnnbench.check.calibration.build_calibration`: eager, fp32, one
1×3×128×128 input, same device and threads, seeded), warms it up, and times it *interleaved* with the model — one
:class:`~cnnbench.latency.timer.Timed` each, the one scheduler :func:`~cnnbench.latency.timer.interleave` with the
protocol's :func:`~cnnbench.latency.timer.budget_stop` (so each gets the sampling budget a lone row gets, and the
timed part takes about twice as long). The row gets ``calibration_ms`` (median of the calibration's samples) and
``latency_normalized`` = latency median ÷ ``calibration_ms`` (dimensionless: the row's latency in units of this
machine's calibration time, which cancels much of a shared runner's minute-to-minute drift). Peak memory is then
tracked over the model's warm-up only (the calibration is built after it, so its weights never count).

For :func:`~cnnbench.latency.timer.measure_interleaved` (``reproduce``), prepare one runner per model and pass their
``call`` / ``sync``; :func:`prepare_row` is the failure-as-row prepare step that ``run_latency`` and ``compare``
share.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnnbench.errors import CnnbenchError
from cnnbench.inputs import normalize_dtype
from cnnbench.latency.backends import BACKENDS, Target
from cnnbench.latency.devices import oversubscribed, resolve_device
from cnnbench.latency.memory import PeakMemory
from cnnbench.latency.options import LatencyOptions, check_choices, normalize_runtime, precision_label
from cnnbench.latency.placement import Inputs, batch_size_of, build_inputs, make_example_inputs
from cnnbench.latency.runner import Runner
from cnnbench.latency.threads import check_load, load_average, torch_threads
from cnnbench.latency.timer import LatencyStats, Timed, _check_protocol, budget_stop, interleave, timer_overhead
from cnnbench.latency.usercode import failure_text, stdout_to_stderr
from cnnbench.latency.verify import _needs_check, check_runner, eager_reference

if TYPE_CHECKING:
    import torch
    from torch import nn

_DEFAULT = LatencyOptions()
#: prepare_runner's default: a bare runner, not checked against eager (callers that time rows use prepare_row)
_UNVERIFIED = LatencyOptions(verify=False)


def prepare_runner(build_model: Callable[[], nn.Module], inputs: Inputs, opts: LatencyOptions = _UNVERIFIED, *,
                   runtime: str | None = None, dtype: str = "fp32", model_key: str | None = None,
                   copy_model: bool = False) -> Runner:
    """Builds and prepares one model for timing (exceptions from building/exporting/compiling propagate).

    Args:
        build_model: Returns the model on the CPU with random init (e.g. ``spec.build``), or the caller's instance
            (``lambda: model``, with ``copy_model=True``).
        inputs: A shape ``(N, C, H, W)`` (any rank) or a zero-argument callable returning CPU ``(args, kwargs)``
            (``InputSpec.maker(batch_size)``).
        opts: How to measure: device, threads (ONNX Runtime's; default torch's), channels-last, ONNX directory,
            opset and exporter, seed, precision, compile mode, quantisation, ``onnx_spinning``; ``opts.verify``
            checks the runtime's output against eager fp32 first (raises
            :class:`~cnnbench.latency.verify.OutputMismatchError` when it differs). Default: unverified options,
            as before the options became one object.
        runtime: A key of :data:`~cnnbench.latency.backends.BACKENDS` (default ``opts.runtimes[0]``).
        dtype: ``"fp32" | "fp16" | "bf16"`` (a cast of the whole model).
        model_key: Names the ONNX cache entry; ``None`` exports to a temporary directory, deleted on close.
        copy_model: Work on a deep copy of the built model (see the module docstring): True for an instance the
            caller keeps, False (default) for a builder that returns a fresh model per call.

    Raises:
        CnnbenchError: Bad runtime, dtype, device or ONNX Runtime provider.
    """
    import torch

    runtime, dtype, dev = _check_usage(opts, runtime, dtype)
    model, args, kwargs = build_inputs(build_model, inputs, seed=opts.seed, copy_model=copy_model)
    ref = eager_reference(model, args, kwargs, dev, runtime) if opts.verify and _needs_check(
        runtime, dtype, opts.precision) else None
    target = Target(runtime, dev, dtype, opts.threads or torch.get_num_threads(), model_key)
    runner = BACKENDS[runtime].prepare_fn()(model, args, kwargs, opts, target)
    if ref is not None:
        try:
            check_runner(runner, ref, precision_label(runtime, dtype, opts.precision))
        except BaseException:
            runner.close()
            raise
    return runner


def _check_usage(opts: LatencyOptions, runtime: str | None, dtype: str) -> tuple[str, str, torch.device]:
    runtime = normalize_runtime(runtime or opts.runtimes[0])
    dtype = normalize_dtype(dtype)
    dev = resolve_device(opts.device)
    check_choices([runtime], dev, dtype, opts.precision)
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
        calibrate: The calibration workload was asked for (``opts.calibrate``): the record carries
            ``calibration_ms`` and ``latency_normalized`` (``None`` on a failed row).
        calibration: The calibration's statistics in ms, timed interleaved with this row's samples.
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
    calibrate: bool = False
    calibration: LatencyStats | None = None

    @property
    def throughput_per_s(self) -> float | None:
        """Inputs per second at the median latency: ``batch_size / median_ms × 1000``."""
        if self.latency is None or self.latency.median <= 0:
            return None
        return self.batch_size / self.latency.median * 1e3

    @property
    def calibration_ms(self) -> float | None:
        """Median of the calibration workload's samples (ms), timed interleaved with this row's."""
        return self.calibration.median if self.calibration is not None else None

    @property
    def latency_normalized(self) -> float | None:
        """``latency median / calibration_ms``: dimensionless, the latency in units of the calibration's time."""
        if self.latency is None or self.calibration is None or self.calibration.median <= 0:
            return None
        return self.latency.median / self.calibration.median

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
            **({"calibration_ms": self.calibration_ms, "latency_normalized": self.latency_normalized}
               if self.calibrate else {}),
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


def prepare_row(build_model: Callable[[], nn.Module], inputs: Inputs, opts: LatencyOptions, *, runtime: str,
                device: torch.device, dtype: str = "fp32", model_key: str | None = None,
                copy_model: bool = False) -> Prepared:
    """Builds and prepares one row (build → prepare | compile | export → check); a failure is the row's ``error``.

    The one prepare step of ``profile`` (:func:`run_latency`) and ``compare``: user code (build, input factory,
    export, first compiled call) runs with stdout sent to stderr, and its exceptions — a ``sys.exit`` too — become
    ``Prepared.error`` named by phase (``build`` until the model and inputs exist, then the backend's ``phase``).
    ``runtime``/``dtype``/``device`` must be valid already (:func:`prepare_runner` checks them); ONNX Runtime and
    OpenVINO get the thread count torch has now (``opts.threads`` once :func:`run_latency` has set it).

    With ``opts.verify`` every row but eager fp32 is checked against eager fp32 on the same seeded input
    (:func:`eager_reference`, run in the prepare phase; :mod:`cnnbench.latency.verify`): a runtime that computes
    something else is the row's error ``output differs from eager: max |Δ| ... > tol ...``, never a fast number.

    Raises:
        CnnbenchError: Bad usage found while preparing (e.g. an ONNX Runtime provider that fails to load).
    """
    import torch

    from cnnbench.latency.verify import OutputMismatchError

    backend = BACKENDS[runtime]
    target = Target(runtime, device, dtype, torch.get_num_threads(), model_key)
    load = check_load() if device.type == "cpu" else load_average()  # a busy machine is warned of
    phase, batch, runner = "build", None, None
    try:
        with stdout_to_stderr():
            model, args, kwargs = build_inputs(build_model, inputs, seed=opts.seed, copy_model=copy_model)
            batch = batch_size_of(args, kwargs)
            phase = backend.phase
            ref = eager_reference(model, args, kwargs, device, runtime) if opts.verify and _needs_check(
                runtime, dtype, opts.precision) else None
            runner = backend.prepare_fn()(model, args, kwargs, opts, target)
            del model
            if ref is not None:
                phase = "run"
                check_runner(runner, ref, precision_label(runtime, dtype, opts.precision))
        runner.details["load_avg_1m"] = load
        return Prepared(runner, batch)
    except CnnbenchError:
        if runner is not None:
            runner.close()
        raise
    except OutputMismatchError as err:  # the runtime's output, or eager's (NaN: raised before any runner exists)
        if runner is not None:
            runner.close()
        return Prepared(None, batch, str(err), False)
    except (Exception, SystemExit) as err:  # noqa: BLE001 - a failing row must not stop the others; Ctrl-C does
        if runner is not None:
            runner.close()
        error, oom = row_failure(err, phase)
        return Prepared(None, batch, error, oom)


def run_latency(build_model: Callable[[], nn.Module], inputs: Inputs, opts: LatencyOptions = _DEFAULT, *,
                runtime: str | None = None, dtype: str = "fp32", model_key: str | None = None,
                copy_model: bool = False) -> LatencyResult:
    """Measures one latency row; per-row failures become ``error``, usage errors raise.

    User code runs with stdout sent to stderr, and a ``SystemExit`` it raises is the row's error
    (``build failed: model called sys.exit(3)``), never the process's exit.

    Args:
        build_model: Returns the model on the CPU with random init, or the caller's instance (with ``copy_model``).
        inputs: A shape ``(N, C, H, W)`` (any rank) or a zero-argument callable returning CPU ``(args, kwargs)``;
            ``batch_size`` is dim 0 of the first tensor.
        opts: How to measure (device, threads — torch's setting is restored afterwards —, channels-last, the
            protocol's budget/min_samples/warmup/warmup_min_iters/block_target_s, ONNX directory, opset, exporter,
            seed, precision, compile mode, quantisation, verify, track_memory).
        runtime: A key of :data:`~cnnbench.latency.backends.BACKENDS` (default ``opts.runtimes[0]``).
        dtype: ``"fp32" | "fp16" | "bf16"``.
        model_key: ONNX cache name (model name); see :func:`prepare_runner`.
        copy_model: Work on a deep copy of the built model so the caller's instance is never changed (see the
            module docstring); False for builders that return a fresh model.

    Raises:
        CnnbenchError: Unknown runtime/dtype, unavailable device or ONNX Runtime provider, threads < 1.
    """
    import torch

    runtime, dtype, dev = _check_usage(opts, runtime, dtype)
    # before building
    _check_protocol(opts.warmup_min_iters, opts.warmup, opts.min_samples, opts.budget, opts.block_target_s)
    with torch_threads(opts.threads) as n_threads:  # restored afterwards; "--threads must be at least 1" otherwise
        row = {"device": str(dev), "runtime": runtime, "threads": n_threads, "dtype": dtype,
               "precision": precision_label(runtime, dtype, opts.precision), "channels_last": opts.channels_last}
        prep = prepare_row(build_model, inputs, opts, runtime=runtime, device=dev, dtype=dtype, model_key=model_key,
                           copy_model=copy_model)
        runner, calib_runner = prep.runner, None
        try:
            if runner is None:
                batch = prep.batch if prep.batch is not None else _batch_guess(inputs, opts.seed)
                return LatencyResult(**row, batch_size=batch, error=prep.error, oom=prep.oom, calibrate=opts.calibrate)
            memory = PeakMemory(dev) if opts.track_memory and runner.memory_visible else None
            model, calib, phase = Timed(runner.call, runner.sync), None, "run"
            try:
                overhead = timer_overhead()
                # forward is user code in every timed call: it must not write to our stdout
                with stdout_to_stderr():
                    with memory if memory is not None else contextlib.nullcontext():
                        model.warm_up(opts.warmup_min_iters, opts.warmup, block_target_s=opts.block_target_s,
                                      overhead_s=overhead)
                        if not opts.calibrate:  # peak memory over the warm-up and the samples
                            interleave([model], budget_stop(opts.min_samples, opts.budget))
                    if opts.calibrate:  # built after the model's warm-up: its weights never count in peak memory
                        phase = "calibration"
                        calib_runner = prepare_calibration(opts)
                        calib = Timed(calib_runner.call, calib_runner.sync)
                        calib.warm_up(opts.warmup_min_iters, opts.warmup, block_target_s=opts.block_target_s,
                                      overhead_s=overhead)
                        phase = "run"
                        interleave([model, calib], budget_stop(opts.min_samples, opts.budget))
                stats = model.stats()
            except CnnbenchError:
                raise
            except (Exception, SystemExit) as err:  # noqa: BLE001 - a failing row must not stop the sweep
                error, oom = row_failure(err, phase)
                return LatencyResult(**row, batch_size=prep.batch, error=error, oom=oom, details=dict(runner.details),
                                     calibrate=opts.calibrate)
            details = {**runner.details, "block_size": stats.block_size, "seed": opts.seed,
                       "memory_method": memory.method if memory is not None else None}
            if calib is not None:
                details["calibration"] = calibration_details(calib)
            return LatencyResult(**row, batch_size=prep.batch, latency=stats,
                                 peak_memory_bytes=memory.peak_bytes if memory else None, compile_s=runner.compile_s,
                                 details=details, calibrate=opts.calibrate,
                                 calibration=calib.stats() if calib is not None else None)
        finally:
            for r in (runner, calib_runner):
                if r is not None:
                    r.close()
            runner = prep = calib_runner = None
            gc.collect()
            if dev.type == "cuda":
                torch.cuda.empty_cache()


def prepare_calibration(opts: LatencyOptions) -> Runner:
    """The calibration workload of ``cnnbench check``, ready to time beside a row: eager, fp32, one seeded
    1×3×128×128 input, on ``opts.device`` (threads: torch's setting now, which :func:`run_latency` has set)."""
    from cnnbench.check import CALIBRATION_SHAPE, build_calibration

    return prepare_runner(build_calibration, CALIBRATION_SHAPE,
                          LatencyOptions(device=opts.device, threads=opts.threads, seed=opts.seed, verify=False),
                          runtime="eager")


def calibration_details(calib: Timed) -> dict[str, Any]:
    """``details.calibration`` of a calibrated row: which workload, its block size, samples and spread."""
    from cnnbench.check import CALIBRATION_ID

    s = calib.stats()
    return {"workload": CALIBRATION_ID, "block_size": calib.block, "samples": s.samples, "iqr_ms": s.iqr,
            "noisy": s.noisy}
