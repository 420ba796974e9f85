"""Peak memory during the measured runs.

What ``peak_memory_bytes`` means depends on the device, because the two worlds expose different counters:

**CUDA** (``method="cuda_max_allocated"``): ``torch.cuda.max_memory_allocated(device)`` after
``torch.cuda.reset_peak_memory_stats(device)``, both behind a ``torch.cuda.synchronize``. This is the *absolute*
peak of memory occupied by tensors from PyTorch's caching allocator on that device: weights, input, activations
and cuDNN/cuBLAS workspaces allocated through it. It excludes blocks cached but free (``max_memory_reserved``),
the CUDA context (hundreds of MB) and anything allocated outside PyTorch — in particular ONNX Runtime's CUDA
arena, so ONNX rows on CUDA report ``None``.

**CPU** (``method="rss_hwm"``, Linux): the *growth* of the process's resident set during the runs: peak RSS
(``VmHWM`` in ``/proc/self/status``) minus the RSS at the start. The peak is reset first by writing ``5`` to
``/proc/self/clear_refs`` (Linux >= 4.0), and ``malloc_trim(0)`` is called before the baseline so memory freed
by earlier rows is returned to the OS rather than silently reused. The kernel tracks the peak at page
granularity with no sampling, so short spikes count and the timing is not disturbed. Limits: RSS is
process-wide (other threads' allocations count); memory the allocator kept from before the baseline and
reuses does not show as growth (malloc_trim reduces but cannot remove this — e.g. glibc arenas of worker
threads, oneDNN/ORT caches); weights and input already resident at the baseline are excluded by design.

**CPU fallback** (``method="rss_sampled"``, other systems or no ``clear_refs``): a daemon thread reads
``psutil.Process().memory_info().rss`` every ``interval_s`` (1 ms) and keeps the maximum; spikes shorter than
the interval can be missed, and the thread costs a little CPU while it runs.

The runtimes track memory over the warm-up and the samples together (warm-up contains the first inference,
where the allocator grows), after the model is built, moved and compiled/exported.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from typing_extensions import Self

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_bytes(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (e.g. ``VmRSS``, ``VmHWM``) in bytes, or None."""
    try:
        with open(_STATUS) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Resets the kernel's peak-RSS counter (VmHWM) of this process; False where unsupported."""
    try:
        with open(_CLEAR_REFS, "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status_bytes("VmHWM") is not None


def _malloc_trim() -> None:
    """Returns freed heap memory to the OS (glibc only; a no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


class _RssSampler(threading.Thread):
    def __init__(self, interval_s: float) -> None:
        super().__init__(daemon=True)
        import psutil

        self._proc = psutil.Process(os.getpid())
        self._interval = interval_s
        self._stop_event = threading.Event()
        self.peak = self._proc.memory_info().rss

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)
        return self.peak


class PeakMemory:
    """Context manager measuring peak memory of the code it wraps (see the module docstring).

    Example:
        >>> with PeakMemory(torch.device("cpu")) as pm:
        ...     run()
        >>> pm.peak_bytes, pm.method

    Attributes:
        peak_bytes: The result after exit (``None`` if it could not be measured).
        method: ``"cuda_max_allocated"``, ``"rss_hwm"`` or ``"rss_sampled"``.
    """

    def __init__(self, device: torch.device, *, interval_s: float = 1e-3) -> None:
        self.device = device
        self.interval_s = interval_s
        self.peak_bytes: int | None = None
        self.method: str | None = None
        self._baseline = 0
        self._sampler: _RssSampler | None = None

    def __enter__(self) -> Self:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.method = "cuda_max_allocated"
            return self
        _malloc_trim()
        if _reset_peak_rss():
            self.method = "rss_hwm"
            self._baseline = _status_bytes("VmRSS") or 0
        else:
            self.method = "rss_sampled"
            self._sampler = _RssSampler(self.interval_s)
            self._baseline = self._sampler.peak
            self._sampler.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.method == "cuda_max_allocated":
            import torch

            if exc_type is None:
                torch.cuda.synchronize(self.device)
            self.peak_bytes = int(torch.cuda.max_memory_allocated(self.device))
        elif self.method == "rss_hwm":
            peak = _status_bytes("VmHWM")
            self.peak_bytes = max(0, peak - self._baseline) if peak is not None else None
        elif self._sampler is not None:
            self.peak_bytes = max(0, self._sampler.stop() - self._baseline)
