"""The latency engine's choices — runtimes, precisions, compile modes, quantisation schemes — and their one check.

:func:`check_choices` is the single validation of a (runtimes × device × dtype × precision × compile mode ×
quantisation) combination: :func:`cnnbench.latency.runtimes.prepare_runner` / ``run_latency`` and
:meth:`cnnbench.latency.options.LatencyOptions.parse` both call it, so the CLI, a sweep and a library caller get the same
one-line :class:`~cnnbench.errors.CnnbenchError` (exit 2) for a runtime that cannot run here.

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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnnbench.errors import CnnbenchError
from cnnbench.latency.protocol import check_protocol_options

if TYPE_CHECKING:
    import torch

#: Every runtime, in the order help texts list them.
RUNTIMES = ("eager", "compile", "onnx", "onnx-int8", "onnx-fp16", "openvino", "tensorrt")
#: Runtimes that need a CUDA device / that run on the CPU only.
CUDA_ONLY = ("onnx-fp16", "tensorrt")
CPU_ONLY = ("onnx-int8", "openvino")
#: Runtimes fed by the ONNX export (the export cache of :mod:`cnnbench.latency.onnx` is shared by all of them).
ONNX_BASED = ("onnx", "onnx-int8", "onnx-fp16", "openvino")
#: ``--precision`` values (``None``/``"fp32"``: no autocast) and the runtimes that honour them.
PRECISIONS = ("fp32", "amp-fp16", "amp-bf16")
AMP_RUNTIMES = ("eager", "compile", "tensorrt")
#: ``--compile-mode`` values: torch.compile's ``mode=`` (``default`` passes ``None``).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
#: ``--quantization`` schemes of ``onnx-int8``.
QUANTIZATIONS = ("static", "dynamic")
#: The phase a row's failure is named by once its inputs exist: ``"<phase> failed: ..."``.
PREPARE_PHASE = {"eager": "prepare", "compile": "compile", "onnx": "export", "onnx-int8": "quantize",
                 "onnx-fp16": "export", "openvino": "compile", "tensorrt": "compile"}


def normalize_runtime(runtime: str) -> str:
    """Lower-cased runtime name (``onnx_int8`` and ``ov`` accepted).

    Raises:
        CnnbenchError: Not a runtime.
    """
    r = str(runtime).strip().lower().replace("_", "-")
    r = {"ov": "openvino", "trt": "tensorrt", "torch-compile": "compile"}.get(r, r)
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
    if runtime == "onnx-int8":
        return "int8"
    if runtime == "onnx-fp16":
        return "fp16"
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
    cuda = device.type == "cuda"
    if precision is not None and dtype != "fp32":
        raise CnnbenchError(f"give --dtype {dtype} (the model cast to {dtype}) or --precision {precision} (fp32 "
                            "weights under torch.autocast), not both")
    for rt in rts:
        if rt in CUDA_ONLY and not cuda:
            why = ("ONNX Runtime's CPU provider has no fp16 convolution kernels; on the CPU use onnx or onnx-int8"
                   if rt == "onnx-fp16" else "TensorRT runs on NVIDIA GPUs only")
            raise CnnbenchError(f"--runtime {rt} needs a CUDA device (--device cuda): {why}")
        if rt in CPU_ONLY and cuda:
            why = ("OpenVINO's CPU plugin is what cnnbench times" if rt == "openvino" else
                   "ONNX Runtime's CUDA provider has no int8 convolution kernels; use tensorrt on CUDA")
            raise CnnbenchError(f"--runtime {rt} runs on the CPU (--device cpu): {why}")
        if precision is not None and rt not in AMP_RUNTIMES:
            raise CnnbenchError(f"--precision {precision} (torch.autocast) applies to {', '.join(AMP_RUNTIMES)}, "
                                f"not {rt}: its precision is its own (onnx-int8, onnx-fp16 on CUDA)")
        if dtype != "fp32" and rt not in ("eager", "compile", "onnx"):
            raise CnnbenchError(f"--dtype {dtype} casts the torch model; --runtime {rt} takes the fp32 model and "
                                "sets its own precision (drop --dtype, or use --precision amp-* with tensorrt)")
    if any(rt in ONNX_BASED for rt in rts):
        from cnnbench.latency.devices import onnx_providers

        onnx_providers(device)  # ONNX Runtime provider missing → one line
    if "openvino" in rts:
        try:
            import openvino  # noqa: F401
        except ImportError:
            raise CnnbenchError("--runtime openvino needs the openvino package: pip install openvino") from None
    if "tensorrt" in rts:
        from cnnbench.latency.tensorrt_rt import tensorrt_backend

        tensorrt_backend(device, precision)  # neither torch-tensorrt nor ORT's TensorRT provider → one line


@dataclass(frozen=True)
class LatencyOptions:
    """How latency rows are measured (``profile``, ``compare``, ``sweep``).

    ``precision`` (``None`` | ``"amp-fp16"`` | ``"amp-bf16"``: torch.autocast), ``compile_mode`` (torch.compile's
    mode, ``None`` = default) and ``quantization`` (``onnx-int8``'s scheme) are normalised by :meth:`parse`;
    ``verify`` checks every runtime against eager fp32 before timing it (:mod:`cnnbench.latency.verify`).
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

    @classmethod
    def parse(cls, *, device: str = "cpu", runtimes: list[str] | None = None, threads: int | None = None,
              channels_last: bool = False, budget: float = 2.0, min_samples: int = 30, warmup: float = 0.5,
              onnx_dir: str | None = None, precision: str | None = None, compile_mode: str | None = None,
              quantization: str | None = None, dtype: str = "fp32", verify: bool = True) -> LatencyOptions:
        """Validated options; every combination that cannot run here is a one-line error (exit 2) now.

        Args:
            dtype: The sweep's ``--dtype`` (only checked against ``precision`` and the runtimes here).
        """
        from cnnbench.latency.options import (
            check_choices,
            normalize_compile_mode,
            normalize_precision,
            normalize_quantization,
            normalize_runtime,
        )
        from cnnbench.latency.placement import normalize_dtype

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
        from cnnbench.latency.devices import resolve_device

        dev = resolve_device(device)  # CUDA missing / index beyond the count → CnnbenchError (exit 2)
        try:
            dt = normalize_dtype(dtype)
        except CnnbenchError:  # a bad --dtype is reported by Plan.parse, with its own wording
            dt = "fp32"
        check_choices(rts, dev, dt, prec)  # CUDA-only runtimes, providers, packages
        device = str(dev)
        return cls(device, tuple(rts), threads, channels_last, float(budget), int(min_samples), float(warmup),
                   onnx_dir, prec, mode, quant, bool(verify))
