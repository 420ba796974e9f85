"""Build a registry model on the ``meta`` device (no weight memory) or for real on a device."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from cnnbench.registry import ModelSpec

_INIT_FNS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
)


@contextlib.contextmanager
def _no_init() -> Iterator[None]:
    """Make ``torch.nn.init`` a no-op: sizes and counts do not depend on values."""
    saved = {name: getattr(torch.nn.init, name) for name in _INIT_FNS if hasattr(torch.nn.init, name)}
    try:
        for name in saved:
            setattr(torch.nn.init, name, lambda tensor, *a, **k: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(torch.nn.init, name, fn)


def build_meta(spec: ModelSpec, **overrides: Any) -> torch.nn.Module:
    """The model with every parameter and buffer on ``meta`` (nothing allocated), in eval mode.

    Most builders run directly under ``torch.device("meta")``. A few compute with tensors while
    building (torchvision's RegNet builders do): those are built on the CPU with ``nn.init``
    disabled, then moved to ``meta``.
    """
    try:
        with torch.device("meta"):
            model = spec.build(**overrides)
    except (NotImplementedError, RuntimeError) as e:
        if "meta" not in str(e).lower() and "data" not in str(e).lower():
            raise
        with _no_init():
            model = spec.build(**overrides)
        model = model.to("meta")
    return model.eval()


def build_real(spec: ModelSpec, device: str = "cpu", dtype: torch.dtype = torch.float32, **overrides: Any):
    """The model with real (random-init) weights on ``device``, in eval mode."""
    model = spec.build(**overrides)
    return model.to(device=device, dtype=dtype).eval()
