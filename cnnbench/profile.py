"""The library API: ``profile(name, ...)`` → ``Profile`` records (one per model × batch × runtime).

A ``Profile`` is data (frozen, ``to_dict()`` for JSON/SQLite). Failures are rows: a model that
fails to build or trace yields a Profile with ``error`` set; only bad *usage* raises.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

from cnnbench.errors import CnnbenchError, one_line
from cnnbench.inputs import parse_dtype, torch_dtype
from cnnbench.registry import ModelSpec, resolve

# JSON keys every record carries, in this order (later issues append keys; these stay).
STATIC_KEYS = (
    "model", "source", "family", "input_shape", "dtype", "params", "trainable_params", "buffers",
    "checkpoint_bytes", "macs", "flops", "memory_access_elements", "memory_access_bytes", "activations",
    "arithmetic_intensity", "uncounted_ops", "error",
)


@dataclass(frozen=True)
class Profile:
    """One row: a model at one input shape (and, with latency, one device × runtime × batch size)."""

    model: str
    source: str
    family: str
    input_shape: tuple[int, ...]
    dtype: str
    static: Any = None  # StaticProfile | None
    latency: dict[str, Any] | None = None  # LatencyResult.to_dict() | None
    error: str | None = None
    env: dict[str, Any] | None = field(default=None, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: None for k in STATIC_KEYS}
        d.update(model=self.model, source=self.source, family=self.family,
                 input_shape=list(self.input_shape), dtype=self.dtype, error=self.error)
        if self.static is not None:
            s = self.static.to_dict()
            s.pop("input_shape", None)
            s.pop("dtype", None)
            d.update(s)
        if self.latency is not None:
            lat = dict(self.latency)
            if lat.get("error") and not self.error:
                d["error"] = lat["error"]
            lat.pop("error", None)
            lat.pop("dtype", None)
            d.update(lat)
        if self.env is not None:
            d["env"] = self.env
        d.update(self.extra)
        return d


def builder_for(spec: ModelSpec, chw: tuple[int, ...]):
    """Zero-argument builder for ``spec`` at input ``chw``: a block fed C channels is built with ``channels=C``."""
    overrides: dict[str, Any] = {}
    if spec.kind == "block" and chw[0] != spec.input_size[0]:
        overrides["channels"] = chw[0]
    return lambda: spec.build(**overrides), overrides


def static_profile(spec: ModelSpec | str, input_size: tuple[int, int, int] | None = None, batch_size: int = 1,
                   dtype: str = "fp32", debug: bool = False) -> Profile:
    """Static metrics of one model; never raises for a model that fails to build or trace."""
    if isinstance(spec, str):
        spec = resolve(spec)
    dtype = parse_dtype(dtype)
    chw = tuple(input_size or spec.input_size)
    shape = (batch_size, *chw)
    try:
        from cnnbench.analysis.static import analyze
        from cnnbench.build import build_meta

        _, overrides = builder_for(spec, chw)
        model = build_meta(spec, **overrides)
        static = analyze(model, shape, torch_dtype(dtype))
        return Profile(spec.name, spec.source, spec.family, shape, dtype, static=static)
    except CnnbenchError:
        raise
    except Exception as e:  # noqa: BLE001 — a broken model is a row, not a crash
        if debug:
            traceback.print_exc()
        return Profile(spec.name, spec.source, spec.family, shape, dtype, error=one_line(e))
