"""TensorRT on CUDA (``--runtime tensorrt``): torch-tensorrt when importable, else ONNX Runtime's TensorRT provider.

**Unverified on a GPU until ``benchmarks/gpu_check.py`` has run** (this code follows the Torch-TensorRT and ONNX
Runtime documentation; no GPU was available where it was written).

* torch-tensorrt: ``torch_tensorrt.compile(model, ir="dynamo", inputs=[...], enabled_precisions=...)`` on the
  CUDA model and inputs; ``--precision amp-fp16|amp-bf16`` adds ``torch.half``/``torch.bfloat16`` to
  ``enabled_precisions`` (TensorRT then picks per layer between them and fp32: its mixed precision). Ops TensorRT
  cannot convert run in PyTorch (Torch-TensorRT's partitioning); the number of TensorRT engines is recorded.
* ONNX Runtime: the cached fp32 ONNX export, ``TensorrtExecutionProvider`` (``trt_fp16_enable`` for amp-fp16,
  engine cache beside the export) then ``CUDAExecutionProvider`` for nodes TensorRT rejects. A session whose
  TensorRT provider failed to load is an error (exit 2), never a silent CUDA/CPU fallback.

``compile_s`` is the build time (the TensorRT engine build happens in ``compile`` or, for ORT, in the first run,
which is made before timing).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from cnnbench.errors import CnnbenchError
from cnnbench.latency.usercode import quiet_output

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cnnbench.latency.backends import Target
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.runner import Runner


def _has_torch_tensorrt() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch_tensorrt") is not None


def tensorrt_backend(device: torch.device, precision: str | None = None) -> str:
    """``"torch-tensorrt"`` or ``"onnxruntime"``: the backend ``--runtime tensorrt`` will use here.

    Raises:
        CnnbenchError: Not CUDA, or neither torch-tensorrt nor ORT's TensorrtExecutionProvider is installed.
    """
    if device.type != "cuda":
        raise CnnbenchError("--runtime tensorrt needs a CUDA device (--device cuda): TensorRT runs on NVIDIA GPUs "
                            "only")
    if _has_torch_tensorrt():
        return "torch-tensorrt"
    import onnxruntime as ort

    if "TensorrtExecutionProvider" in ort.get_available_providers():
        if precision == "amp-bf16":
            raise CnnbenchError("--precision amp-bf16 with tensorrt needs torch-tensorrt (ONNX Runtime's TensorRT "
                                "provider is used here: it offers fp16 only)")
        return "onnxruntime"
    raise CnnbenchError("--runtime tensorrt needs torch-tensorrt (pip install torch-tensorrt, matching "
                        f"torch) or onnxruntime-gpu with TensorRT (onnxruntime {ort.__version__} provides "
                        f"{', '.join(ort.get_available_providers())})")


def prepare_tensorrt(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], opts: LatencyOptions,
                     target: Target) -> Runner:
    """Builds the TensorRT engine(s) for the model at these inputs (see the module docstring)."""
    backend = tensorrt_backend(target.device, opts.precision)
    if backend == "torch-tensorrt":
        return _torch_tensorrt(model, args, kwargs, device=target.device, precision=opts.precision)
    return _ort_tensorrt(model, args, kwargs, opts, target)


def _torch_tensorrt(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], *, device: torch.device,
                    precision: str | None) -> Runner:
    import torch
    import torch_tensorrt

    from cnnbench.latency.devices import device_sync
    from cnnbench.latency.placement import place
    from cnnbench.latency.runner import Runner, torch_leaves

    model, args, kwargs = place(model, args, kwargs, device, "fp32", False)
    precisions = {torch.float32}
    if precision == "amp-fp16":
        precisions.add(torch.float16)
    elif precision == "amp-bf16":
        precisions.add(torch.bfloat16)
    sync = device_sync(device)
    t0 = time.perf_counter()
    with quiet_output():
        trt = torch_tensorrt.compile(model, ir="dynamo", arg_inputs=list(args), kwarg_inputs=kwargs or None,
                                     enabled_precisions=precisions, device=device)
    with torch.inference_mode():
        trt(*args, **kwargs)
    if sync is not None:
        sync()
    compile_s = time.perf_counter() - t0
    engines = sum("TorchTensorRTModule" in type(m).__name__ or "PythonTorchTensorRTModule" in type(m).__name__
                  for m in trt.modules()) if hasattr(trt, "modules") else None

    def call() -> Any:
        with torch.inference_mode():
            return trt(*args, **kwargs)

    details = {"tensorrt_backend": "torch-tensorrt", "tensorrt_version": getattr(torch_tensorrt, "__version__", None),
               "enabled_precisions": sorted(str(p) for p in precisions), "tensorrt_engines": engines}
    return Runner("tensorrt", device, call, sync, compile_s=compile_s, details=details,
                  to_leaves=torch_leaves)


def _ort_tensorrt(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], opts: LatencyOptions,
                  target: Target) -> Runner:
    import shutil

    from cnnbench.latency.backends.onnx import open_session, session_runner
    from cnnbench.latency.backends.onnx_export import export_model

    device, precision, threads = target.device, opts.precision, target.threads
    prepared = export_model(model, args, kwargs, dtype="fp32", model_key=target.model_key, cache_dir=opts.onnx_dir,
                            opset=opts.opset, exporter=opts.exporter)
    try:
        trt_opts = {"device_id": device.index or 0, "trt_fp16_enable": precision == "amp-fp16",
                    "trt_engine_cache_enable": True,
                    "trt_engine_cache_path": str(prepared.export.path.parent / "trt-engines")}
        providers = [("TensorrtExecutionProvider", trt_opts),
                     ("CUDAExecutionProvider", {"device_id": device.index or 0})]
        t0 = time.perf_counter()
        session = open_session(prepared.export.path, device, threads=threads, providers=providers)
        if "TensorrtExecutionProvider" not in session.get_providers():
            raise CnnbenchError("ONNX Runtime could not load its TensorrtExecutionProvider (session fell back to "
                                f"{', '.join(session.get_providers())}); check the TensorRT libraries")
        runner = session_runner(session, prepared, device, runtime="tensorrt",
                                details={"tensorrt_backend": "onnxruntime", "trt_fp16_enable": precision == "amp-fp16"})
        runner.call()  # the engine is built on the first run
        runner.compile_s = time.perf_counter() - t0
        return runner
    except BaseException:
        if prepared.tmp_dir is not None:
            shutil.rmtree(prepared.tmp_dir, ignore_errors=True)
        raise
