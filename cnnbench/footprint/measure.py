"""The same memory figures from a real run: the model built with real weights, run once on the device.

``measured_*_bytes`` come from the storage tracker of the static trace (:class:`~cnnbench.analysis.liveness.Liveness`)
watching the real eager run — every tensor the run's ops return, at the tensor level — so an estimate and its
measurement compare to the byte. Beside it, what the allocator saw (``allocator_peak_bytes``): on CPU the peak of
``torch.profiler``'s memory events (``profile_memory=True``: every allocation and free of the CPU allocator, kernel
scratch such as oneDNN's reordered weights included), on CUDA ``torch.cuda.max_memory_allocated`` after
``reset_peak_memory_stats``, less what was allocated before the run (the caching allocator's 512-byte rounding and
cuDNN/cuBLAS workspaces make it larger). Both exclude the weights and inputs, which exist before the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

from cnnbench.analysis.liveness import Liveness
from cnnbench.analysis.trace import NoFastPath, loss_of
from cnnbench.env import quiet_kineto


class _Tracking(TorchDispatchMode):
    """Runs every op as it is and shows its outputs to the tracker."""

    def __init__(self, live: Liveness) -> None:
        super().__init__()
        self.live = live

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.live.track(out)
        return out


def _cpu_allocator_peak(prof: Any) -> int:
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU)
    live = peak = 0
    for _, n in events:
        live += n
        peak = max(peak, live)
    return peak


def measure_peak(build: Callable[[], torch.nn.Module], make_inputs: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]],
            *, dtype: torch.dtype, device: torch.device, train: bool) -> dict[str, int]:
    """Peak bytes of one real forward (``train=False``: eval, ``no_grad``) or training step (train mode, forward,
    backward of :func:`~cnnbench.analysis.trace.loss_of`) of a fresh ``build()`` on ``device``.

    Returns ``{"measured_peak_bytes": tensor level, "allocator_peak_bytes": the allocator's}``.
    """
    model = build().to(device)
    if dtype != torch.float32:
        model = model.to(dtype)
    model.train(train)
    args, kwargs = make_inputs()

    def place(t: Any) -> Any:
        if not isinstance(t, torch.Tensor):
            return t
        t = t.detach().to(device)
        return t.to(dtype) if t.is_floating_point() else t

    args, kwargs = tree_map(place, (args, kwargs))
    held = [*model.parameters(), *model.buffers(), *tree_leaves((args, kwargs))]
    live = Liveness(held)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        ctx: Any = torch.autograd.profiler.record_function("cnnbench-memory")  # a no-op context
    else:
        ctx = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True)
    try:
        with quiet_kineto(), ctx as prof, NoFastPath(), _Tracking(live):
            if train:
                out = model(*args, **kwargs)
                loss = loss_of(out)
                del out
                loss.backward()
                del loss
            else:
                with torch.no_grad():
                    out = model(*args, **kwargs)
                    del out
        if cuda:
            torch.cuda.synchronize(device)
            allocator = torch.cuda.max_memory_allocated(device) - before
        else:
            allocator = _cpu_allocator_peak(prof)
    finally:
        live.close()
    return {"measured_peak_bytes": live.peak, "allocator_peak_bytes": int(allocator)}
