"""The prepared-model type every runtime returns (:class:`Runner`), in a module the runtimes all import.

Every backend of :mod:`cnnbench.latency.backends` builds a :class:`Runner`; keeping it here (it imports none of
them) means no backend imports the engine, which imports the backends lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import torch


@dataclass
class Runner:
    """A prepared model: ``call()`` runs one inference on pre-placed input; nothing else happens in it.

    Attributes:
        runtime: ``"eager" | "compile" | "onnx"``.
        device: The torch device the work runs on.
        call: Zero-argument callable timed by the protocol.
        sync: What the timer calls to wait for the device (``None`` on CPU).
        compile_s: Seconds of the first compiled call (compile runtime only).
        details: Runtime facts for the record (ONNX opset, exporter, cache path...).
        to_numpy: Converts ``call()``'s return value to a float32 numpy array of the first output.
        cleanup: Releases resources (sessions, temporary files).
        memory_visible: Whether :class:`~cnnbench.latency.memory.PeakMemory` sees this runtime's allocations.
    """

    runtime: str
    device: torch.device
    call: Callable[[], Any]
    sync: Callable[[], None] | None = None
    compile_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    to_numpy: Callable[[Any], np.ndarray] | None = None
    cleanup: Callable[[], None] | None = None
    memory_visible: bool = True

    def output(self) -> np.ndarray:
        """One inference's first output as a float32 numpy array (for numerical comparisons)."""
        out = self.call()
        if self.sync is not None:
            self.sync()
        assert self.to_numpy is not None
        return self.to_numpy(out)

    def close(self) -> None:
        """Releases what the runner holds; safe to call twice."""
        if self.cleanup is not None:
            self.cleanup()
            self.cleanup = None


def first_tensor_to_numpy(out: Any) -> np.ndarray:
    """The first tensor of a model's output (nested tuples/lists/dicts: the first leaf) as float32 numpy."""
    import torch

    while isinstance(out, (tuple, list)):
        out = out[0]
    if isinstance(out, dict):
        out = next(iter(out.values()))
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"model output is {type(out).__name__}, not a tensor")
    return out.detach().float().cpu().numpy()
