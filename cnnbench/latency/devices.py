"""Device strings ("cpu", "cuda", "cuda:N"): parsing, availability checks, ONNX Runtime providers.

Usage errors (unknown device, CUDA missing, index beyond the device count, ONNX Runtime provider missing) raise
:class:`~cnnbench.errors.CnnbenchError` with a one-line message naming the installed torch build, which the CLI
prints before exiting with code 2. torch and onnxruntime are imported lazily so that parsing stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from cnnbench.errors import CnnbenchError

if TYPE_CHECKING:
    import torch

def cores_available() -> int:
    """CPU cores this process may run on (its affinity mask: what a container or ``taskset`` allows)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def oversubscribed(threads: int | None) -> bool:
    """``threads`` exceeds :func:`cores_available` (the threads then time-share cores: far slower, noisy)."""
    return threads is not None and threads > cores_available()


_DEVICE_RE = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


def parse_device(spec: str) -> tuple[str, int | None]:
    """Splits a device string into (type, index) without checking availability.

    Args:
        spec: ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (case and surrounding spaces ignored).

    Returns:
        ``("cpu", None)``, ``("cuda", None)`` or ``("cuda", N)``.

    Raises:
        CnnbenchError: Anything else (including ``"cpu:1"``).
    """
    m = _DEVICE_RE.match(str(spec).strip().lower())
    if m is None or (m.group(1) == "cpu" and m.group(2) is not None):
        raise CnnbenchError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
    kind, index = m.group(1), m.group(2)
    return kind, (int(index) if index is not None else None)


def torch_build() -> str:
    """One phrase describing the installed torch, e.g. ``torch 2.4.0+cu121 (CUDA 12.1 build)``."""
    import torch

    cuda = torch.version.cuda
    build = f"CUDA {cuda} build" if cuda else "CPU-only build"
    return f"torch {torch.__version__} ({build})"


def resolve_device(spec: str | torch.device) -> torch.device:
    """Parses and validates a device; ``"cuda"`` becomes ``cuda:<current device>``.

    Raises:
        CnnbenchError: Unknown device, CUDA not available, or a CUDA index beyond the visible device count.
    """
    import torch

    kind, index = parse_device(str(spec))
    if kind == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        hint = ("no CUDA device is visible (driver, CUDA_VISIBLE_DEVICES?)" if torch.version.cuda
                else "install a CUDA build of torch")
        raise CnnbenchError(f"CUDA is not available: installed {torch_build()}; {hint}")
    count = torch.cuda.device_count()
    if index is None:
        index = torch.cuda.current_device()
    if index >= count:
        raise CnnbenchError(f"device cuda:{index} does not exist: {count} CUDA device(s) visible ({torch_build()})")
    return torch.device("cuda", index)


def device_sync(device: torch.device) -> Callable[[], None] | None:
    """The synchronisation the timer must call for ``device``: ``None`` on CPU (calls are synchronous)."""
    import torch

    if device.type != "cuda":
        return None

    def sync() -> None:
        # Blocks the host until every kernel queued on the device has finished.
        torch.cuda.synchronize(device)

    return sync


def onnx_providers(device: torch.device) -> list[str | tuple[str, dict]]:
    """ONNX Runtime execution providers for ``device``; never a silent CPU fallback for CUDA.

    For CUDA the list is ``[("CUDAExecutionProvider", {"device_id": N}), "CPUExecutionProvider"]``: ORT may place
    single nodes without a CUDA kernel on the CPU (its normal partitioning), but a session whose CUDA provider
    failed to load must be rejected by the caller (see :func:`check_session_providers`).

    Raises:
        CnnbenchError: The provider is not in ``onnxruntime.get_available_providers()``.
    """
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device.type == "cpu":
        if "CPUExecutionProvider" not in available:
            raise CnnbenchError(f"ONNX Runtime {ort.__version__} has no CPUExecutionProvider (has: {available})")
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" not in available:
        raise CnnbenchError(
            f"ONNX Runtime CUDAExecutionProvider is not available (onnxruntime {ort.__version__} provides "
            f"{', '.join(available)}); install onnxruntime-gpu matching {torch_build()}"
        )
    return [("CUDAExecutionProvider", {"device_id": device.index or 0}), "CPUExecutionProvider"]


def check_session_providers(session_providers: list[str], device: torch.device) -> None:
    """Rejects a session that silently fell back to CPU (ORT does so when CUDA libraries fail to load).

    Raises:
        CnnbenchError: ``device`` is CUDA and the session has no CUDAExecutionProvider.
    """
    if device.type == "cuda" and "CUDAExecutionProvider" not in session_providers:
        raise CnnbenchError(
            "ONNX Runtime could not load its CUDAExecutionProvider (session fell back to "
            f"{', '.join(session_providers)}); check the CUDA/cuDNN libraries onnxruntime-gpu needs"
        )
