"""OpenVINO Runtime on the CPU (``--runtime openvino``), from the cached ONNX export.

The fp32 ONNX export of :mod:`cnnbench.latency.backends.onnx_export` (the same cache entry the ``onnx`` runtime uses) is read with
``Core.read_model`` and compiled for ``"CPU"`` with:

* ``PERFORMANCE_HINT=LATENCY`` — one stream, the threads on one request (what a single-request server does);
* ``INFERENCE_NUM_THREADS=--threads`` — read back from the compiled model into ``details.openvino_threads``;
* ``INFERENCE_PRECISION_HINT=f32`` — on CPUs with AMX/AVX512-BF16 OpenVINO otherwise runs bf16 by default, which
  would time a different precision than the row says (the default is recorded in ``details`` too).

``compile_s`` is ``read_model`` + ``compile_model`` seconds (never part of the samples). One ``InferRequest`` is
created with its input tensors set once; ``call()`` is ``request.infer()``, which is synchronous.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from cnnbench.latency.usercode import quiet_output

if TYPE_CHECKING:
    from torch import nn

    from cnnbench.latency.backends import Target
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.runner import Leaf, Runner


def compile_config(threads: int) -> dict[str, Any]:
    """The properties every cnnbench OpenVINO model is compiled with (see the module docstring)."""
    return {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": int(threads), "INFERENCE_PRECISION_HINT": "f32"}


def _type_name(value: Any) -> str:
    """``"f32"`` for OpenVINO's ``<Type: 'float32'>`` (``Type.to_string``), else ``str``."""
    to_string = getattr(value, "to_string", None)
    return str(to_string()) if callable(to_string) else str(value)


def prepare_openvino(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], opts: LatencyOptions,
                     target: Target) -> Runner:
    """Exports (or reuses) the fp32 graph and compiles it with OpenVINO for the CPU.

    Raises:
        RuntimeError: Export, read or compile failures (one plain line; the row's error).
    """
    import shutil

    import openvino as ov

    from cnnbench.latency.backends.onnx_export import _plain_first_line, export_model
    from cnnbench.latency.runner import Runner, flat_leaves

    device, threads = target.device, target.threads
    prepared = export_model(model, args, kwargs, dtype="fp32", model_key=target.model_key, cache_dir=opts.onnx_dir,
                            opset=opts.opset, exporter=opts.exporter)
    tmp_dir = prepared.tmp_dir
    try:
        import onnxruntime as ort

        from cnnbench.latency.backends.onnx import session_feed

        # graph input names and their order: the same rule as the onnx runtime (a CPU session reads them cheaply)
        names = ort.InferenceSession(str(prepared.export.path), providers=["CPUExecutionProvider"])
        feed = session_feed(names, prepared.model, prepared.args, prepared.kwargs)
        names = None
        core = ov.Core()
        t0 = time.perf_counter()
        try:
            with quiet_output():
                ov_model = core.read_model(str(prepared.export.path))
                compiled = core.compile_model(ov_model, "CPU", compile_config(threads))
        except Exception as err:
            raise RuntimeError(f"OpenVINO could not compile the graph: {_plain_first_line(err)}") from err
        compile_s = time.perf_counter() - t0
        request = compiled.create_infer_request()
        by_name = {}
        for port in compiled.inputs:
            by_name.update({n: port for n in port.get_names()})
        for name, arr in feed.items():
            request.set_tensor(by_name[name], ov.Tensor(arr))
        details = {**prepared.details(), "openvino_version": ov.__version__,
                   "openvino_threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
                   "openvino_hint": str(compiled.get_property("PERFORMANCE_HINT")),
                   "openvino_precision": _type_name(compiled.get_property("INFERENCE_PRECISION_HINT")),
                   "openvino_streams": int(compiled.get_property("NUM_STREAMS")),
                   "openvino_default_precision": _type_name(core.get_property("CPU", "INFERENCE_PRECISION_HINT"))}
    except BaseException:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        raise

    def call() -> Any:
        request.infer()
        return request

    def to_leaves(out: Any) -> list[Leaf]:
        return flat_leaves(out.get_output_tensor(i).data for i in range(len(out.model_outputs)))

    def cleanup() -> None:
        nonlocal request, compiled
        request = compiled = None
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)

    # OpenVINO's allocations are the process's: RSS-based peak memory sees them
    return Runner("openvino", device, call, None, compile_s=compile_s, details=details, to_leaves=to_leaves,
                  flat=True, cleanup=cleanup, memory_visible=True)
