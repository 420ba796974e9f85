"""ONNX Runtime in int8 (``onnx-int8``, CPU) and fp16 (``onnx-fp16``, CUDA), from the cached fp32 export.

``onnx-int8``, ``--quantization static`` (default): ``onnxruntime.quantization.quant_pre_process`` (shape inference
and graph optimisation, which folds BatchNorm into the convolutions), then ``quantize_static`` in QDQ format with
per-channel int8 weights and int8 activations, calibrated (MinMax) on :data:`CALIBRATION_BATCHES` batches of
seeded standard-normal inputs shaped like the row's (integer inputs are kept). ``--quantization dynamic``:
``quantize_dynamic`` (per-channel int8 weights, activations quantised at run time: ConvInteger/MatMulInteger).
The row's ``details.quantization`` states the scheme. A graph with no Conv, MatMul or Gemm has nothing worth
quantising: that is the row's error.

``onnx-fp16``: ``onnxruntime.transformers.float16.convert_float_to_float16(keep_io_types=True)`` (fp32 inputs and
outputs, fp16 inside), on ONNX Runtime's CUDA provider only (its CPU provider lacks fp16 convolutions).

Cache: the converted graph is written beside the fp32 export it came from (same cache entry, so keyed on the same
graph fingerprint), named by scheme, calibration seed and count and the onnxruntime version; written to a
temporary file and renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.latency.usercode import quiet_output

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cnnbench.latency.backends import Target
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.runner import Runner

#: Calibration batches for static quantisation.
CALIBRATION_BATCHES = 8
#: Compute ops whose quantisation is what int8 is for.
_COMPUTE_OPS = ("Conv", "MatMul", "Gemm", "ConvTranspose")


def _atomic_write(final: Path, write: Any) -> None:
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        write(tmp)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def calibration_inputs(args: tuple[Any, ...], kwargs: dict[str, Any], *, seed: int,
                       count: int = CALIBRATION_BATCHES) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """``count`` input sets shaped like ``args``/``kwargs``: floating tensors drawn N(0, 1) from ``seed + 1 + k``,
    everything else as given."""
    import torch
    from torch.utils._pytree import tree_map

    out = []
    for k in range(count):
        gen = torch.Generator().manual_seed(seed + 1 + k)

        def one(t: Any, gen: torch.Generator = gen) -> Any:
            if isinstance(t, torch.Tensor) and t.is_floating_point():
                return torch.randn(t.shape, generator=gen, dtype=torch.float32).to(t.dtype)
            return t

        out.append((tree_map(one, args), tree_map(one, kwargs)))
    return out


def _ops(path: Path) -> list[str]:
    import onnx

    return [n.op_type for n in onnx.load(str(path), load_external_data=False).graph.node]


def _quantised_compute_ops(path: Path, scheme: str) -> int:
    """Compute ops that run in int8: QDQ (a DequantizeLinear feeds them) or ConvInteger/MatMulInteger."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    if scheme == "dynamic":
        return sum(n.op_type in ("ConvInteger", "MatMulInteger") for n in graph.node)
    dq_out = {o for n in graph.node if n.op_type == "DequantizeLinear" for o in n.output}
    return sum(n.op_type in _COMPUTE_OPS and any(i in dq_out for i in n.input) for n in graph.node)


def quantize_onnx(fp32_path: Path, scheme: str, feeds: list[dict[str, Any]], *, seed: int) -> tuple[Path, dict]:
    """The int8 graph of ``fp32_path`` (cached beside it) and the facts for ``details.quantization``.

    Raises:
        RuntimeError: Nothing to quantise, or onnxruntime's quantiser failed (one plain line).
    """
    import onnxruntime as ort
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    ops = _ops(fp32_path)
    if not any(op in _COMPUTE_OPS for op in ops):
        raise RuntimeError(f"nothing to quantise: the graph has no {', '.join(_COMPUTE_OPS)} "
                           f"(ops: {', '.join(sorted(set(ops))) or 'none'})")
    n = len(feeds) if scheme == "static" else 0
    tag = f"int8-{scheme}-qdq-perchannel-seed{seed}-n{n}-ort{ort.__version__}" if scheme == "static" else \
        f"int8-dynamic-perchannel-ort{ort.__version__}"
    final = fp32_path.with_name(f"model.{tag}.onnx")
    info: dict[str, Any] = {"scheme": scheme, "weights": "int8 per-channel", "tool": f"onnxruntime {ort.__version__}"}
    if scheme == "static":
        info.update(format="QDQ", activations="int8 (MinMax calibration)",
                    calibration=f"{n} batches of seeded N(0,1) inputs (seed {seed}+1..{seed}+{n})")
    else:
        info.update(format="ConvInteger/MatMulInteger", activations="quantised at run time")
    cached = final.is_file()
    t0 = time.perf_counter()
    if not cached:
        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self._it = iter(feeds)

            def get_next(self) -> dict[str, Any] | None:
                return next(self._it, None)

        def write(tmp: Path) -> None:
            pre = tmp.with_name(tmp.name + ".pre.onnx")
            try:
                try:
                    with quiet_output(), warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        quant_pre_process(str(fp32_path), str(pre))
                    src = pre
                    info["preprocessed"] = True
                except Exception:  # noqa: BLE001 - pre-processing is an optimisation; quantise the raw graph
                    src = fp32_path
                    info["preprocessed"] = False
                with quiet_output(), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if scheme == "static":
                        quantize_static(str(src), str(tmp), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
                    else:
                        quantize_dynamic(str(src), str(tmp), per_channel=True, weight_type=QuantType.QInt8)
            except Exception as err:
                from cnnbench.latency.backends.onnx_export import _plain_first_line, _root_cause

                root = _root_cause(err)
                raise RuntimeError(f"onnxruntime {scheme} quantisation failed: {type(root).__name__}: "
                                   f"{_plain_first_line(root)}") from err
            finally:
                with contextlib.suppress(OSError):
                    pre.unlink()

        _atomic_write(final, write)
    count = _quantised_compute_ops(final, scheme)
    if count == 0:
        raise RuntimeError(f"nothing was quantised: onnxruntime left every {'/'.join(_COMPUTE_OPS)} in fp32")
    info.update(quantized_ops=count, cached=cached, quantize_s=None if cached else time.perf_counter() - t0)
    return final, info


def convert_fp16(fp32_path: Path) -> tuple[Path, dict[str, Any]]:
    """The fp16 graph of ``fp32_path`` (fp32 inputs/outputs), cached beside it."""
    import onnx
    import onnxruntime as ort

    final = fp32_path.with_name(f"model.fp16-keepio-ort{ort.__version__}.onnx")
    cached = final.is_file()
    if not cached:
        from onnxruntime.transformers.float16 import convert_float_to_float16

        def write(tmp: Path) -> None:
            with quiet_output(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                onnx.save(convert_float_to_float16(onnx.load(str(fp32_path)), keep_io_types=True), str(tmp))

        _atomic_write(final, write)
    return final, {"fp16_conversion": "onnxruntime.transformers.float16 (keep_io_types)", "fp16_cached": cached}


def prepare_onnx_lowp(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], opts: LatencyOptions,
                      target: Target) -> Runner:
    """``onnx-int8`` / ``onnx-fp16``: export (or reuse) fp32, convert (or reuse), open the session, check it.

    ``opts.quantization`` is ``onnx-int8``'s scheme (``"static"``: calibrated on ``opts.seed``-seeded inputs).
    """
    import shutil

    from cnnbench.latency.backends.onnx import open_session, session_feed, session_runner
    from cnnbench.latency.backends.onnx_export import export_model

    runtime, device, threads, spinning = target.runtime, target.device, target.threads, opts.onnx_spinning
    quantization, seed = opts.quantization, opts.seed
    prepared = export_model(model, args, kwargs, dtype="fp32", model_key=target.model_key, cache_dir=opts.onnx_dir,
                            opset=opts.opset, exporter=opts.exporter)
    try:
        if runtime == "onnx-int8":
            feeds: list[dict[str, Any]] = []
            if quantization == "static":
                names = open_session(prepared.export.path, device, threads=threads, spinning=spinning)
                feeds = [session_feed(names, prepared.model, a, k)
                         for a, k in calibration_inputs(prepared.args, prepared.kwargs, seed=seed)]
                names = None
            path, info = quantize_onnx(prepared.export.path, quantization, feeds, seed=seed)
            details: dict[str, Any] = {"quantization": info, "onnx_int8_path": str(path) if not prepared.tmp_dir
                                       else None}
        else:
            path, details = convert_fp16(prepared.export.path)
        session = open_session(path, device, threads=threads, spinning=spinning)
        return session_runner(session, prepared, device, runtime=runtime, details=details)
    except BaseException:
        if prepared.tmp_dir is not None:
            shutil.rmtree(prepared.tmp_dir, ignore_errors=True)
        raise
