"""The runtimes latency can be measured on: one :data:`BACKENDS` table, the only place runtime facts live.

Each :class:`Backend` names its prepare function (imported lazily, so reading the table imports no torch), the
device types it runs on (and why not the other), the Python package it needs and the extra that provides it, the
phase a failure is named by (``"<phase> failed: ..."``), and what it does with ``--dtype`` / ``--precision``.
:mod:`cnnbench.latency.options` derives the vocabulary and its one check from this table;
:func:`cnnbench.latency.engine.prepare_row` looks the prepare function up here.

A prepare function takes ``(model, args, kwargs, opts, target)``: the engine's own CPU model in eval mode, its CPU
inputs, the :class:`~cnnbench.latency.options.LatencyOptions` and the row's :class:`Target`, and returns a
:class:`~cnnbench.latency.runner.Runner`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["BACKENDS", "Backend", "Target"]


@dataclass(frozen=True)
class Target:
    """What one row prepares beyond the options: its runtime, resolved device, dtype, threads and ONNX cache key.

    Attributes:
        runtime: A key of :data:`BACKENDS`.
        device: The resolved device.
        dtype: ``"fp32" | "fp16" | "bf16"`` (a cast of the whole model).
        threads: Intra-op threads (ONNX Runtime, OpenVINO; torch's are set by the engine).
        model_key: Names the ONNX cache entry; ``None`` exports to a temporary directory, deleted on close.
    """

    runtime: str
    device: torch.device
    dtype: str = "fp32"
    threads: int = 1
    model_key: str | None = None


@dataclass(frozen=True)
class Backend:
    """One runtime's facts.

    Attributes:
        name: The runtime's name (``--runtime``).
        prepare: ``"module:function"`` of its prepare function (see the module docstring), imported on use.
        phase: The phase a row's failure is named by once its inputs exist (``"export failed: ..."``).
        devices: Device types it runs on (``"cpu"``, ``"cuda"``).
        device_why: Why it does not run on the other device type (the second half of the one-line error).
        onnx_based: Fed by the ONNX export (its cache is shared by all of them; needs an ONNX Runtime provider).
        cpu_model: Prepared from the model on the CPU (an export): the eager reference moves it back there.
        amp: Honours ``--precision amp-*`` (torch.autocast, or TensorRT's mixed precision).
        casts: Takes a ``--dtype fp16|bf16`` cast of the torch model (else it sets its own precision).
        precision: Its own precision label (``"int8"``, ``"fp16"``), ``None`` when the row's dtype/autocast decide.
        package: The Python module it needs (``None``: the core dependencies suffice).
        extra: The ``cnnbench[<extra>]`` that installs ``package``.
        aliases: Other spellings ``--runtime`` accepts.
        check: ``"module:function"`` of a further check ``(device, precision)`` that raises the one-line error,
            imported on use; run by ``check_choices`` (when the options are parsed, and by the engine for each
            row); ``None``: the fields above say it all.
    """

    name: str
    prepare: str
    phase: str
    devices: tuple[str, ...] = ("cpu", "cuda")
    device_why: str = ""
    onnx_based: bool = False
    cpu_model: bool = False
    amp: bool = False
    casts: bool = False
    precision: str | None = None
    package: str | None = None
    extra: str | None = None
    aliases: tuple[str, ...] = ()
    check: str | None = None

    def prepare_fn(self) -> Callable[..., Any]:
        """The prepare function (its module imported now)."""
        return _load(self.prepare)

    def run_check(self, device: torch.device, precision: str | None) -> None:
        """The backend's own check (:attr:`check`), if it has one."""
        if self.check is not None:
            _load(self.check)(device, precision)

    def missing_package(self) -> str | None:
        """The one-line error for a missing ``package`` (``None`` when it is importable or none is needed)."""
        if self.package is None:
            return None
        import importlib.util

        try:
            found = importlib.util.find_spec(self.package) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken install
            found = False
        if found:
            return None
        return f"--runtime {self.name} needs the {self.extra} extra: pip install 'cnnbench[{self.extra}]'"


def _load(target: str) -> Callable[..., Any]:
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


_PKG = "cnnbench.latency.backends"

#: Every runtime, in the order help texts list them.
BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("eager", f"{_PKG}.eager:prepare_eager", "prepare", amp=True, casts=True),
    Backend("compile", f"{_PKG}.eager:prepare_compile", "compile", amp=True, casts=True,
            aliases=("torch-compile",)),
    Backend("onnx", f"{_PKG}.onnx:prepare_onnx", "export", onnx_based=True, cpu_model=True, casts=True),
    Backend("onnx-int8", f"{_PKG}.onnx_lowp:prepare_onnx_lowp", "quantize", devices=("cpu",),
            device_why="ONNX Runtime's CUDA provider has no int8 convolution kernels; use tensorrt on CUDA",
            onnx_based=True, cpu_model=True, precision="int8"),
    Backend("onnx-fp16", f"{_PKG}.onnx_lowp:prepare_onnx_lowp", "export", devices=("cuda",),
            device_why="ONNX Runtime's CPU provider has no fp16 convolution kernels; on the CPU use onnx or onnx-int8",
            onnx_based=True, cpu_model=True, precision="fp16"),
    Backend("openvino", f"{_PKG}.openvino:prepare_openvino", "compile", devices=("cpu",),
            device_why="OpenVINO's CPU plugin is what cnnbench times",
            onnx_based=True, cpu_model=True, package="openvino", extra="openvino", aliases=("ov",)),
    Backend("tensorrt", f"{_PKG}.tensorrt:prepare_tensorrt", "compile", devices=("cuda",),
            device_why="TensorRT runs on NVIDIA GPUs only",
            cpu_model=True, amp=True, package="tensorrt", extra="tensorrt", aliases=("trt",),
            check=f"{_PKG}.tensorrt:tensorrt_backend"),  # torch-tensorrt or ORT's TensorRT provider
)}
