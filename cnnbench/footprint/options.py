"""What ``cnnbench memory`` is asked: inference or a training step, the optimizer, a memory to fit, a measurement.

Torch-free: options are checked (one line, exit 2) before any model is built.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cnnbench.errors import CnnbenchError

#: Optimizer state per trainable parameter, in parameter-sized tensors: SGD keeps none, SGD with momentum one
#: buffer, Adam and AdamW two (``exp_avg``, ``exp_avg_sq``; ``torch.optim``'s own state, the scalar ``step`` left
#: out), all at the parameters' dtype.
OPTIMIZERS = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}

_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
          "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*", re.IGNORECASE)

#: The largest batch ``--fit`` tries: above it the answer is "at least this many".
MAX_FIT_BATCH = 2**20


def parse_bytes(text: str | float, flag: str = "--fit") -> int:
    """``8GiB`` / ``8G`` (2^30), ``8GB`` (10^9), ``512MiB``, ``1e9`` or a plain byte count → bytes (> 0).

    Raises:
        CnnbenchError: not a size, or not above 0 bytes.
    """
    if isinstance(text, bool):
        raise CnnbenchError(f"{flag} must be a size such as 8GiB, 512MiB or 8GB (got {text!r})")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        m = _SIZE.fullmatch(str(text))
        unit = m.group(2).lower() if m else None
        if m is None or unit not in _UNITS:
            raise CnnbenchError(f"{flag}: {text!r} is not a size: write 8GiB or 8G (2^30 bytes), 8GB (10^9), 512MiB, "
                                "or a number of bytes")
        value = float(m.group(1)) * _UNITS[unit]
    if not (math.isfinite(value) and value >= 1):
        raise CnnbenchError(f"{flag} must be at least 1 byte (got {text!r})")
    return int(value)


@dataclass(frozen=True)
class MemoryOptions:
    """One ``cnnbench memory`` run's options, checked on construction.

    Attributes:
        train: also estimate a training step (forward in train mode + backward of ``output.sum()``).
        optimizer: ``sgd`` | ``sgd-momentum`` | ``adam`` | ``adamw`` (training only).
        fit_bytes: find the largest batch whose total fits in this many bytes (``max_batch_size``).
        measure: also measure the same figures in a real run on ``device``.
        device: ``cpu`` | ``cuda`` | ``cuda:N`` (where ``measure`` runs; estimates need no device).
    """

    train: bool = False
    optimizer: str = "adam"
    fit_bytes: int | None = None
    measure: bool = False
    device: str = "cpu"

    def __post_init__(self) -> None:
        opt = str(self.optimizer).lower()
        if opt not in OPTIMIZERS:
            raise CnnbenchError(f"unknown --optimizer {self.optimizer!r}: choose {', '.join(OPTIMIZERS)}")
        object.__setattr__(self, "optimizer", opt)
        if self.fit_bytes is not None:
            object.__setattr__(self, "fit_bytes", parse_bytes(self.fit_bytes))

    @classmethod
    def parse(cls, *, train: bool = False, optimizer: str | None = None, fit: str | int | None = None,
              measure: bool = False, device: str = "cpu") -> MemoryOptions:
        """From the command line's words: ``--optimizer`` needs ``--train``; ``--fit 8GiB``."""
        if optimizer is not None and not train:
            raise CnnbenchError("--optimizer needs --train (the optimizer state is part of a training step)")
        from cnnbench.latency.devices import parse_device

        parse_device(device)
        return cls(train=bool(train), optimizer=optimizer or "adam",
                   fit_bytes=None if fit is None else parse_bytes(fit), measure=bool(measure), device=device)

    @property
    def state_tensors(self) -> int:
        """Parameter-sized optimizer state tensors per trainable parameter (:data:`OPTIMIZERS`)."""
        return OPTIMIZERS[self.optimizer]
