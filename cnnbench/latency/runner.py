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

#: One output tensor as compared with eager's: its place in the output tree and its values as float32 numpy.
Leaf = tuple[str, "np.ndarray"]


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
        to_leaves: Converts ``call()``'s return value to every output tensor, as :data:`Leaf` s
            (:func:`torch_leaves` for torch runtimes, :func:`flat_leaves` for ONNX Runtime and OpenVINO).
        flat: The outputs are positional (ONNX-based runtimes flatten the model's output tree): compared with eager's
            by position, not by their place in the tree.
        cleanup: Releases resources (sessions, temporary files).
        memory_visible: Whether :class:`~cnnbench.latency.memory.PeakMemory` sees this runtime's allocations.
    """

    runtime: str
    device: torch.device
    call: Callable[[], Any]
    sync: Callable[[], None] | None = None
    compile_s: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    to_leaves: Callable[[Any], list[Leaf]] | None = None
    cleanup: Callable[[], None] | None = None
    memory_visible: bool = True
    flat: bool = False

    def outputs(self) -> list[Leaf]:
        """Every output tensor of one inference, as float32 numpy (for numerical comparisons)."""
        out = self.call()
        if self.sync is not None:
            self.sync()
        assert self.to_leaves is not None
        return self.to_leaves(out)

    def output(self) -> np.ndarray:
        """One inference's first output tensor as float32 numpy."""
        return self.outputs()[0][1]

    def close(self) -> None:
        """Releases what the runner holds; safe to call twice."""
        if self.cleanup is not None:
            self.cleanup()
            self.cleanup = None


def torch_leaves(out: Any) -> list[Leaf]:
    """Every tensor of a torch output tree (dicts, lists, tuples, nested), in pytree order, as float32 numpy, each
    with its place in the tree (``"[0]"``, ``"['logits']"``; ``""`` for a lone tensor)."""
    import torch
    from torch.utils._pytree import keystr, tree_flatten_with_path

    leaves = [(keystr(path), t.detach().float().cpu().numpy())
              for path, t in tree_flatten_with_path(out)[0] if isinstance(t, torch.Tensor)]
    if not leaves:
        raise TypeError(f"model output is {type(out).__name__}, with no tensor in it")
    return leaves


def flat_leaves(arrays: Any) -> list[Leaf]:
    """A runtime's positional outputs (ONNX Runtime's list, OpenVINO's tensors) as :data:`Leaf` s ``"[0]"``, ``"[1]"``..."""
    import numpy as np

    return [(f"[{i}]", np.asarray(a, dtype=np.float32)) for i, a in enumerate(arrays)]
