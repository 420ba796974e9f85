"""The latency engine's choices — runtimes, precisions, compile modes, quantisation schemes — and their one check.

:class:`LatencyOptions` is how latency is measured, passed as ONE object from the faces (CLI, ``cnnbench.profile``,
``compare``, ``sweep``) down to the engine (:mod:`cnnbench.latency.engine`) and the backends' prepare functions.
The runtimes' facts come from :data:`cnnbench.latency.backends.BACKENDS`. :func:`check_choices` is the single
validation of a (runtimes × device × dtype × precision × compile mode × quantisation) combination:
:func:`cnnbench.latency.engine.prepare_runner` / ``run_latency`` and :meth:`LatencyOptions.parse` both call it, so
the CLI, a sweep and a library caller get the same one-line :class:`~cnnbench.errors.CnnbenchError` (exit 2) for a
runtime that cannot run here — a runtime whose extra is not installed too. :func:`check_protocol_options` is the
one check of the measurement protocol's values (budget, samples, warm-up, threads).

Precision labels (a row's ``precision``, shown beside ``dtype``):

* ``fp32`` — fp32 weights and activations.
* ``cast-fp16`` / ``cast-bf16`` — ``--dtype fp16|bf16``: the whole model and its inputs converted (``Module.to``).
* ``amp-fp16`` / ``amp-bf16`` — ``--precision``: fp32 weights, the forward under ``torch.autocast`` (what timm's
  benchmark and most deployments do); on TensorRT the same option enables the builder's fp16/bf16 kernels beside
  fp32 (TensorRT's mixed precision).
* ``fp16`` — ``onnx-fp16``: the ONNX graph converted by onnxruntime's float16 converter (fp32 inputs/outputs).
* ``int8`` — ``onnx-int8``: int8 weights and activations (QDQ); the scheme is in ``details.quantization``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnnbench.errors import CnnbenchError, worded
from cnnbench.latency.backends import BACKENDS
from cnnbench.latency.devices import cores_available, onnx_providers, oversubscribed, resolve_device

if TYPE_CHECKING:
    import torch

#: Every runtime, in the order help texts list them (the keys of :data:`~cnnbench.latency.backends.BACKENDS`).
RUNTIMES = tuple(BACKENDS)
#: ``--precision`` values (``None``/``"fp32"``: no autocast).
PRECISIONS = ("fp32", "amp-fp16", "amp-bf16")
#: ``--compile-mode`` values: torch.compile's ``mode=`` (``default`` passes ``None``).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
#: ``--quantization`` schemes of ``onnx-int8``.
QUANTIZATIONS = ("static", "dynamic")
_ALIASES = {alias: b.name for b in BACKENDS.values() for alias in b.aliases}
_WARNED_THREADS: set[int] = set()


def normalize_runtime(runtime: str) -> str:
    """Lower-cased runtime name (``onnx_int8`` and ``ov`` accepted).

    Raises:
        CnnbenchError: Not a runtime.
    """
    r = str(runtime).strip().lower().replace("_", "-")
    r = _ALIASES.get(r, r)
    if r not in RUNTIMES:
        raise CnnbenchError(f"unknown runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    return r


def normalize_precision(precision: str | None) -> str | None:
    """``None`` for fp32 (no autocast), else ``"amp-fp16" | "amp-bf16"`` (``amp_fp16``, ``fp16-amp`` accepted)."""
    if precision is None:
        return None
    p = str(precision).strip().lower().replace("_", "-")
    p = {"fp16-amp": "amp-fp16", "bf16-amp": "amp-bf16", "amp": "amp-fp16", "float32": "fp32"}.get(p, p)
    if p not in PRECISIONS:
        raise CnnbenchError(f"unknown --precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    return None if p == "fp32" else p


def normalize_compile_mode(mode: str | None) -> str | None:
    """torch.compile's ``mode=``: ``None`` for ``default``."""
    if mode is None:
        return None
    m = str(mode).strip().lower().replace("_", "-")
    if m not in COMPILE_MODES:
        raise CnnbenchError(f"unknown --compile-mode {mode!r}: expected one of {', '.join(COMPILE_MODES)}")
    return None if m == "default" else m


def normalize_quantization(scheme: str | None) -> str:
    """``"static"`` (default) or ``"dynamic"``."""
    q = "static" if scheme is None else str(scheme).strip().lower()
    if q not in QUANTIZATIONS:
        raise CnnbenchError(f"unknown --quantization {scheme!r}: expected one of {', '.join(QUANTIZATIONS)}")
    return q


def precision_label(runtime: str, dtype: str, precision: str | None) -> str:
    """The row's ``precision`` (see the module docstring): ``fp32``, ``cast-bf16``, ``amp-fp16``, ``int8``..."""
    own = BACKENDS[runtime].precision
    if own:
        return own
    if precision:
        return precision
    return "fp32" if dtype == "fp32" else f"cast-{dtype}"


def check_choices(runtimes: Iterable[str], device: torch.device, dtype: str, precision: str | None = None) -> None:
    """Refuses a combination that cannot run here, with one line naming what to change.

    Args:
        runtimes: Normalised runtime names.
        device: The resolved device.
        dtype: Normalised dtype (``"fp32" | "fp16" | "bf16"``).
        precision: Normalised precision (``None`` or ``"amp-fp16" | "amp-bf16"``).

    Raises:
        CnnbenchError: CUDA-only runtime without CUDA, CPU-only runtime on CUDA, a cast with autocast, autocast on a
            runtime without it, a cast dtype on a runtime with its own precision, a missing package or provider.
    """
    rts = list(runtimes)
    kind = device.type
    if precision is not None and dtype != "fp32":
        raise CnnbenchError(f"give --dtype {dtype} (the model cast to {dtype}) or --precision {precision} (fp32 "
                            "weights under torch.autocast), not both")
    amp = ", ".join(b.name for b in BACKENDS.values() if b.amp)
    for rt in rts:
        b = BACKENDS[rt]
        if kind not in b.devices:
            if "cuda" in b.devices:
                raise CnnbenchError(f"--runtime {rt} needs a CUDA device (--device cuda): {b.device_why}")
            raise CnnbenchError(f"--runtime {rt} runs on the CPU (--device cpu): {b.device_why}")
        if precision is not None and not b.amp:
            raise CnnbenchError(f"--precision {precision} (torch.autocast) applies to {amp}, "
                                f"not {rt}: its precision is its own (onnx-int8, onnx-fp16 on CUDA)")
        if dtype != "fp32" and not b.casts:
            raise CnnbenchError(f"--dtype {dtype} casts the torch model; --runtime {rt} takes the fp32 model and "
                                "sets its own precision (drop --dtype, or use --precision amp-* with tensorrt)")
    if any(BACKENDS[rt].onnx_based for rt in rts):
        onnx_providers(device)  # ONNX Runtime provider missing → one line
    for rt in rts:
        missing = BACKENDS[rt].missing_package()
        if missing:
            raise CnnbenchError(missing)
    for rt in rts:
        BACKENDS[rt].run_check(device, precision)  # tensorrt: neither torch-tensorrt nor ORT's provider → one line


def check_protocol_options(*, budget: float, min_samples: int, warmup: float, threads: int | None = None,
                           zero_budget_ok: bool = False, warmup_min_iters: int = 0,
                           block_target_s: float = 0.0) -> None:
    """Usage errors (exit 2) for the measurement options every timing command shares.

    Non-finite ``budget``/``warmup`` (``inf`` would never stop, ``nan`` compares false) are refused. ``threads``
    above the cores available to the process (:func:`oversubscribed`) is allowed but warned about on stderr, once
    per thread count; rows measured so should be marked ``threads_oversubscribed: true``.

    Args:
        budget: Sampling seconds (``--budget``); 0 only with ``zero_budget_ok`` (then ``min_samples`` decides).
        min_samples: ``--min-samples``.
        warmup: Warm-up seconds (``--warmup``).
        threads: ``--threads`` (``None``: torch's setting).
        zero_budget_ok: Accept ``budget == 0``.
        warmup_min_iters: Warm-up calls at least (the timer's ``warmup_min_iters``).
        block_target_s: The timer's block target (seconds).

    Raises:
        CnnbenchError: Any impossible value, with the option named.
    """
    if not math.isfinite(budget) or not (budget >= 0 if zero_budget_ok else budget > 0):
        raise CnnbenchError(f"--budget must be a finite number {'≥ 0' if zero_budget_ok else '> 0'} of seconds "
                            f"(got {budget})")
    if min_samples < 1:
        raise CnnbenchError(f"--min-samples must be ≥ 1 (got {min_samples})")
    if not math.isfinite(warmup) or warmup < 0:
        raise CnnbenchError(f"--warmup must be a finite number ≥ 0 of seconds (got {warmup})")
    if warmup_min_iters < 0:
        raise CnnbenchError(f"warm-up iterations must be ≥ 0 (got {warmup_min_iters})")
    if not math.isfinite(block_target_s) or block_target_s < 0:
        raise CnnbenchError(f"block target must be a finite number ≥ 0 of seconds (got {block_target_s})")
    if threads is not None and threads < 1:
        raise CnnbenchError(f"--threads must be ≥ 1 (got {threads})")
    if oversubscribed(threads) and threads not in _WARNED_THREADS:
        _WARNED_THREADS.add(threads)
        print(worded(f"warning: --threads {threads} exceeds the {cores_available()} core(s) available to this "
                     "process: threads will time-share cores (far slower and noisier than a real machine with that "
                     "many)"), file=sys.stderr)


def _onnx_dir(onnx_dir: str, *, onnx: bool) -> str:
    """``--onnx-dir`` checked: never empty nor a file; created and probed writable when an ONNX runtime will use it.

    Raises:
        CnnbenchError: One line naming ``--onnx-dir`` (the library says ``onnx_dir=``).
    """
    from pathlib import Path

    from cnnbench.latency.backends.onnx_export import check_cache_dir

    if onnx or not str(onnx_dir).strip():
        return str(check_cache_dir(onnx_dir))  # empty: raises
    if Path(onnx_dir).expanduser().exists() and not Path(onnx_dir).expanduser().is_dir():
        raise CnnbenchError(f"--onnx-dir {str(onnx_dir)!r} is a file, not a directory")
    return str(onnx_dir)


@dataclass(frozen=True)
class LatencyOptions:
    """How latency rows are measured (``profile``, ``compare``, ``sweep``).

    ``precision`` (``None`` | ``"amp-fp16"`` | ``"amp-bf16"``: torch.autocast), ``compile_mode`` (torch.compile's
    mode, ``None`` = default) and ``quantization`` (``onnx-int8``'s scheme) are normalised on construction;
    ``verify`` checks every runtime against eager fp32 before timing it (:mod:`cnnbench.latency.verify`);
    ``calibrate`` (``--calibrate``) times the calibration workload of ``cnnbench check``
    (:func:`~cnnbench.check.calibration.build_calibration`: eager, fp32, input 1×3×128×128, same device and threads)
    interleaved with each row's samples, and the row gets ``calibration_ms`` and ``latency_normalized``.
    The fields after ``calibrate`` are the engine's own settings (the CLI never changes them): the ONNX ``opset``
    (``None``: :data:`~cnnbench.latency.backends.onnx_export.DEFAULT_OPSET`) and ``exporter`` (``"auto"`` |
    ``"dynamo"`` | ``"torchscript"``), the ``seed`` of weights and generated inputs, ``onnx_spinning`` (ONNX
    Runtime's busy-waiting workers: off when ORT runners are interleaved with torch ones), the timer's
    ``warmup_min_iters`` and ``block_target_s``, and ``track_memory`` (peak memory over warm-up and samples).
    """

    device: str = "cpu"
    runtimes: tuple[str, ...] = ("eager",)
    threads: int | None = None
    channels_last: bool = False
    budget: float = 2.0
    min_samples: int = 30
    warmup: float = 0.5
    onnx_dir: str | None = None
    precision: str | None = None
    compile_mode: str | None = None
    quantization: str = "static"
    verify: bool = True
    calibrate: bool = False
    opset: int | None = None
    exporter: str = "auto"
    seed: int = 0
    onnx_spinning: bool = True
    warmup_min_iters: int = 10
    block_target_s: float = 1e-3
    track_memory: bool = True

    def __post_init__(self) -> None:
        # built directly (the library, benchmarks, tests) the values take the normal form parse gives them, so the
        # engine and the backends read one spelling ("amp-fp16", None for fp32/default, "static"|"dynamic")
        object.__setattr__(self, "precision", normalize_precision(self.precision))
        object.__setattr__(self, "compile_mode", normalize_compile_mode(self.compile_mode))
        object.__setattr__(self, "quantization", normalize_quantization(self.quantization))

    @classmethod
    def parse(cls, *, device: str = "cpu", runtimes: list[str] | None = None, threads: int | None = None,
              channels_last: bool = False, budget: float = 2.0, min_samples: int = 30, warmup: float = 0.5,
              onnx_dir: str | None = None, precision: str | None = None, compile_mode: str | None = None,
              quantization: str | None = None, dtype: str = "fp32", verify: bool = True,
              calibrate: bool = False) -> LatencyOptions:
        """Validated options; every combination that cannot run here is a one-line error (exit 2) now.

        Args:
            dtype: The sweep's ``--dtype`` (only checked against ``precision`` and the runtimes here).
        """
        from cnnbench.inputs import normalize_dtype

        rts: list[str] = []
        for item in runtimes or ["eager"]:
            for r in str(item).split(","):
                if not r.strip():
                    continue
                r = normalize_runtime(r)
                if r not in rts:
                    rts.append(r)
        if not rts:
            raise CnnbenchError(f"no runtime given: choose {', '.join(RUNTIMES)}")
        check_protocol_options(budget=budget, min_samples=min_samples, warmup=warmup, threads=threads)
        prec, mode = normalize_precision(precision), normalize_compile_mode(compile_mode)
        quant = normalize_quantization(quantization)
        if compile_mode is not None and mode is not None and "compile" not in rts:
            raise CnnbenchError(f"--compile-mode {compile_mode} needs --runtime compile")
        if quantization is not None and quant != "static" and "onnx-int8" not in rts:
            raise CnnbenchError(f"--quantization {quantization} needs --runtime onnx-int8")
        dev = resolve_device(device)  # CUDA missing / index beyond the count → CnnbenchError (exit 2)
        try:
            dt = normalize_dtype(dtype)
        except CnnbenchError:  # a bad --dtype is reported by Plan.parse, with its own wording
            dt = "fp32"
        check_choices(rts, dev, dt, prec)  # CUDA-only runtimes, providers, packages
        if onnx_dir is not None:  # a cache that cannot be written fails here, not per row after the static work
            onnx_dir = str(_onnx_dir(onnx_dir, onnx=any(BACKENDS[r].onnx_based for r in rts)))
        device = str(dev)
        return cls(device, tuple(rts), threads, channels_last, float(budget), int(min_samples), float(warmup),
                   onnx_dir, prec, mode, quant, bool(verify), bool(calibrate))
