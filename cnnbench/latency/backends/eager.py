"""The torch runtimes: ``eager`` (the model as it is) and ``compile`` (``torch.compile``), with optional autocast.

Precision: ``target.dtype`` casts the model and inputs (``cast-fp16``); ``opts.precision="amp-fp16"|"amp-bf16"``
keeps fp32 weights and runs every call under ``torch.autocast(device_type, dtype)``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cnnbench.latency.devices import device_sync
from cnnbench.latency.placement import as_inputs, place
from cnnbench.latency.runner import Runner, torch_leaves
from cnnbench.latency.usercode import ModelExitError, stdout_to_stderr

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cnnbench.latency.backends import Target
    from cnnbench.latency.options import LatencyOptions


def autocast(device: torch.device, precision: str | None) -> Callable[[], contextlib.AbstractContextManager]:
    """A factory of ``torch.autocast(device.type, dtype)`` contexts for ``"amp-fp16" | "amp-bf16"`` (else no-op)."""
    import torch

    if not precision:
        return contextlib.nullcontext
    dt = torch.float16 if precision == "amp-fp16" else torch.bfloat16
    return lambda: torch.autocast(device_type=device.type, dtype=dt)


def prepare_eager(model: nn.Module, args: Any, kwargs: dict[str, Any] | None, opts: LatencyOptions,
                  target: Target) -> Runner:
    """Moves model and inputs to the device/dtype (and channels-last) once; ``call`` runs under inference_mode.

    Args:
        model: CPU model in eval mode (the engine's own: use :func:`~cnnbench.latency.placement.build_inputs` with
            ``copy_model=True`` for a model the caller keeps).
        args: Positional inputs (a tuple, or one tensor).
        kwargs: Keyword inputs.
        opts: ``channels_last`` (NHWC for the model and 4-D floating inputs) and ``precision`` (each call under
            ``torch.autocast``: fp32 weights, ``target.dtype`` fp32).
        target: Where to run and the dtype (``"fp32" | "fp16" | "bf16"``, floating tensors only).
    """
    import torch

    device, precision = target.device, opts.precision
    model, args, kwargs = place(model, *as_inputs(args, kwargs), device, target.dtype, opts.channels_last)
    amp = autocast(device, precision)

    def call() -> Any:
        try:  # free unless raised; a user's sys.exit() must fail the row, not end the process
            with torch.inference_mode(), amp():
                return model(*args, **kwargs)
        except SystemExit as e:
            raise ModelExitError(e) from e

    return Runner("eager", device, call, device_sync(device), to_leaves=torch_leaves,
                  details={"autocast": precision} if precision else {})


def prepare_compile(model: nn.Module, args: Any, kwargs: dict[str, Any] | None, opts: LatencyOptions,
                    target: Target) -> Runner:
    """Like :func:`prepare_eager` with ``torch.compile(model, dynamic=False)``; the first call is timed as compile.

    ``compile_s`` is the wall time of the first call (Dynamo tracing, Inductor code generation and C++/Triton
    compilation, plus one inference); it is never part of the latency samples. Dynamo state is reset first so a
    batch-size sweep compiles each shape statically instead of hitting the recompile limit or dynamic shapes.
    ``opts.compile_mode`` is torch.compile's ``mode`` (``None``: default; recorded as ``details.compile_mode``);
    ``opts.precision`` (``"amp-fp16" | "amp-bf16"``) runs every call, the compiling one too, under autocast.
    """
    import torch

    device, precision, mode = target.device, opts.precision, opts.compile_mode
    model, args, kwargs = place(model, *as_inputs(args, kwargs), device, target.dtype, opts.channels_last)
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
    return Runner("compile", device, call, sync, compile_s=compile_s, details=details, to_leaves=torch_leaves)
