"""ONNX Runtime runner: export once with ``torch.onnx.export`` (cached), time an ``InferenceSession``.

Exporter: ``torch.onnx.export(..., dynamo=True)`` (the torch.export-based exporter, torch's default since 2.9) is
tried first; if it fails, the legacy TorchScript exporter (``dynamo=False``, deprecated but still present) is
tried, unless ``exporter`` names one. The exporter used and the opset actually written (read back from the file)
are recorded. Progress output and warnings of the exporters are kept off stdout.

Cache: one directory per entry, ``<cache>/<model>-<N>x<C>x<H>x<W>-<dtype>-opset<k>-<hash>/model.onnx`` (plus
``model.onnx.data`` for models over 2 GB and ``meta.json``). The hash covers the model key, input shape, dtype,
opset, the module tree's ``repr`` and the torch version, so editing a model's layers or upgrading torch does
not reuse a stale graph. Entries are written to a temporary directory and renamed into place (atomic, so two
processes never read half a file). Weights are random but seeded (see :func:`cnnbench.latency.runtimes.build_inputs`),
so a cached file and a freshly built eager model compute the same function.

Threads: ``SessionOptions.intra_op_num_threads`` = the same thread count torch uses; one inter-op thread,
sequential execution. On CUDA the input is bound once on the device with I/O binding so host-to-device copies
are not timed, like the eager runner whose input already lives on the device; ``run_with_iobinding`` returns
after the CUDA stream is synchronised (ORT's default ``disable_synchronize_execution_providers=0``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.errors import CnnbenchError
from cnnbench.latency.devices import check_session_providers, onnx_providers
from cnnbench.latency.runtimes import Runner, normalize_dtype, stdout_to_stderr, torch_dtype

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch import nn

#: Opset requested by default: supported by both exporters and by onnxruntime >= 1.14.
DEFAULT_OPSET = 18
EXPORTERS = ("auto", "dynamo", "torchscript")
#: Above this many parameter bytes the graph is written with external data (protobuf's 2 GB limit).
_EXTERNAL_DATA_BYTES = 1_800_000_000


def default_cache_dir() -> Path:
    """``$CNNBENCH_CACHE/onnx`` if set, else ``$XDG_CACHE_HOME/cnnbench/onnx`` or ``~/.cache/cnnbench/onnx``."""
    root = os.environ.get("CNNBENCH_CACHE")
    if root:
        return Path(root).expanduser() / "onnx"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cnnbench" / "onnx"


@dataclass(frozen=True)
class OnnxExport:
    """An exported graph on disk.

    Attributes:
        path: The ``.onnx`` file.
        opset: Default-domain opset written in the file.
        exporter: ``"dynamo"`` or ``"torchscript"``.
        cached: True when an existing cache entry was reused (nothing exported).
        export_s: Export seconds (``None`` when cached).
    """

    path: Path
    opset: int
    exporter: str
    cached: bool
    export_s: float | None


def cache_entry_name(model_key: str, model: nn.Module, input_shape: tuple[int, ...], dtype: str,
                     opset: int) -> str:
    """Directory name of a cache entry (see the module docstring for what the hash covers)."""
    import torch

    slug = re.sub(r"[^A-Za-z0-9_.+-]+", "_", model_key).strip("_")[:80] or "model"
    shape = "x".join(str(int(d)) for d in input_shape)
    digest = hashlib.sha256(
        json.dumps([model_key, list(input_shape), dtype, opset, repr(model), torch.__version__]).encode()
    ).hexdigest()[:12]
    return f"{slug}-{shape}-{dtype}-opset{opset}-{digest}"


def _file_opset(path: Path) -> int:
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), -1)


def _export_to(model: nn.Module, x: torch.Tensor, path: Path, opset: int, exporter: str) -> None:
    import torch

    large = sum(p.numel() * p.element_size() for p in model.parameters()) > _EXTERNAL_DATA_BYTES
    with stdout_to_stderr(), warnings.catch_warnings():
        # Exporter deprecation and tracer warnings are about the exporter, not the measurement.
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            torch.onnx.export(model, (x,), str(path), dynamo=True, opset_version=opset, verbose=False,
                              external_data=large, input_names=["input"])
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=opset, verbose=False,
                              input_names=["input"], do_constant_folding=True)


def _export_any(model: nn.Module, x: torch.Tensor, path: Path, opset: int, exporter: str) -> str:
    """Exports with the requested exporter, or dynamo then TorchScript for ``"auto"``; returns the one used."""
    order = ("dynamo", "torchscript") if exporter == "auto" else (exporter,)
    failures = []
    for name in order:
        try:
            _export_to(model, x, path, opset, name)
            return name
        except Exception as err:  # noqa: BLE001 - every exporter failure is reported together below
            first = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
            failures.append(f"{name}: {type(err).__name__}: {first[:200]}")
            for leftover in path.parent.iterdir():  # half-written files of the failed attempt
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
    raise RuntimeError("ONNX export failed (" + "; ".join(failures) + ")")


def export_onnx(model: nn.Module, x: torch.Tensor, *, model_key: str, dtype: str = "fp32",
                cache_dir: str | Path | None = None, opset: int | None = None,
                exporter: str = "auto") -> OnnxExport:
    """Exports ``model`` at input ``x`` (both on the CPU, already in ``dtype``) into the cache, or reuses it.

    Raises:
        CnnbenchError: Unknown exporter.
        RuntimeError: Every exporter tried failed.
    """
    if exporter not in EXPORTERS:
        raise CnnbenchError(f"unknown ONNX exporter {exporter!r}: expected one of {', '.join(EXPORTERS)}")
    opset = opset or DEFAULT_OPSET
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    final = cache / cache_entry_name(model_key, model, tuple(x.shape), normalize_dtype(dtype), opset)
    if (final / "model.onnx").is_file():
        meta = json.loads((final / "meta.json").read_text())
        return OnnxExport(final / "model.onnx", int(meta["opset"]), meta["exporter"], True, None)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        used = _export_any(model, x, tmp / "model.onnx", opset, exporter)
        export_s = time.perf_counter() - t0
        written = _file_opset(tmp / "model.onnx")
        (tmp / "meta.json").write_text(json.dumps({
            "model_key": model_key, "input_shape": list(x.shape), "dtype": dtype, "opset": written,
            "exporter": used, "export_s": export_s}, indent=1))
        try:
            tmp.rename(final)
        except OSError:  # another process finished the same entry first: use theirs
            if not (final / "model.onnx").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return OnnxExport(final / "model.onnx", written, used, False, export_s)


def prepare_onnx(model: nn.Module, x: torch.Tensor, *, device: torch.device, dtype: str = "fp32", threads: int,
                 model_key: str | None = None, cache_dir: str | Path | None = None, opset: int | None = None,
                 exporter: str = "auto", spinning: bool = True) -> Runner:
    """Exports (or reuses) the graph and opens an ``InferenceSession`` on ``device``.

    Args:
        model: CPU model in eval mode (random init).
        x: CPU input, float32.
        device: ``cpu`` or ``cuda:N``.
        dtype: ``"fp32" | "fp16"`` (``bf16`` has no numpy type to feed ONNX Runtime and fails).
        threads: ``intra_op_num_threads``.
        model_key: Cache name; ``None`` exports to a temporary directory removed by ``Runner.close``.
        cache_dir: Cache directory.
        opset: ONNX opset.
        exporter: ``"auto" | "dynamo" | "torchscript"``.
        spinning: ORT's default: idle intra-op workers busy-wait for the next run. Turn it off when ORT
            calls are interleaved with torch work in one process, or the spinning threads slow torch down.

    Raises:
        CnnbenchError: Provider unavailable or the CUDA provider failed to load.
        RuntimeError / ValueError: Export or session failures (reported as the row's error by run_latency).
    """
    import onnxruntime as ort

    providers = onnx_providers(device)
    dtype = normalize_dtype(dtype)
    if dtype == "bf16":
        raise ValueError("bf16 is not supported on the onnx runtime (numpy has no bfloat16 input type)")
    tdt = torch_dtype(dtype)
    model, x = model.to(dtype=tdt), x.to(dtype=tdt)
    tmp_dir = None
    if model_key is None:
        tmp_dir = tempfile.mkdtemp(prefix="cnnbench-onnx-")
    export = export_onnx(model, x, model_key=model_key or "model", dtype=dtype,
                         cache_dir=tmp_dir or cache_dir, opset=opset, exporter=exporter)

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3  # errors only: ORT's warnings would otherwise flood stderr
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    with stdout_to_stderr():
        session = ort.InferenceSession(str(export.path), sess_options=so, providers=providers)
    check_session_providers(session.get_providers(), device)
    x_np = x.numpy()
    input_name = session.get_inputs()[0].name

    if device.type == "cuda":
        binding = session.io_binding()
        x_dev = ort.OrtValue.ortvalue_from_numpy(x_np, "cuda", device.index or 0)
        binding.bind_ortvalue_input(input_name, x_dev)
        for out in session.get_outputs():
            binding.bind_output(out.name, "cuda", device.index or 0)

        def call() -> Any:
            session.run_with_iobinding(binding)
            return binding

        def to_numpy(out: Any) -> np.ndarray:
            return out.copy_outputs_to_cpu()[0].astype("float32")
    else:
        feed = {input_name: x_np}

        def call() -> Any:
            return session.run(None, feed)

        def to_numpy(out: Any) -> np.ndarray:
            return out[0].astype("float32")

    def cleanup() -> None:
        nonlocal session
        session = None  # drops the session (and its arena) before the temp files go
        if tmp_dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp_dir)

    details = {"onnx_path": str(export.path) if tmp_dir is None else None, "onnx_opset": export.opset,
               "onnx_exporter": export.exporter, "onnx_cached": export.cached, "export_s": export.export_s,
               "onnx_providers": session.get_providers()}
    # ORT's CUDA arena is invisible to torch.cuda.max_memory_allocated (see memory.py)
    return Runner("onnx", device, call, None, details=details, to_numpy=to_numpy, cleanup=cleanup,
                  memory_visible=device.type == "cpu")
