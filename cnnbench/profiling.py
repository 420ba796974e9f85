"""``Profile`` records (one per model × inputs × runtime) and ``static_profile``, the static half of every row.

A ``Profile`` is data (frozen, ``to_dict()`` for JSON/SQLite; every ``to_dict()`` key also reads as an attribute).
Failures are rows: a model that fails to build or trace yields a Profile with ``error`` set; only bad *usage*
raises. User code that calls ``sys.exit()`` while building or running is a failed row too ("model called
sys.exit(3)"): it never chooses cnnbench's exit code.

This module is also callable: ``cnnbench.profile(model, ...)`` is :func:`cnnbench.api.profile` (the package
exports a function of the same name as this module, so the module forwards calls to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnnbench.errors import CnnbenchError, exit_text, row_error
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
    """One row: a model at one input (and, with latency, one device × runtime × batch size).

    Every key of :meth:`to_dict` is also an attribute: ``p.params``, ``p.macs``, ``p.latency_ms``,
    ``p.inputs``... (``p.static`` is the full :class:`~cnnbench.analysis.static.StaticProfile` with
    ``by_module()``/``by_op()``; ``p.latency`` the raw latency dict).
    """

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

    def __getattr__(self, name: str) -> Any:
        # only called for names that are not fields: look the key up in the record
        if name.startswith("_"):  # copy/pickle probe dunders before the fields exist
            raise AttributeError(name)
        d = self.to_dict()
        if name in d:
            return d[name]
        raise AttributeError(f"Profile has no key {name!r} (keys: {', '.join(d)})")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.to_dict()))


def builder_for(spec: ModelSpec, chw: tuple[int, ...]):
    """Zero-argument builder for ``spec`` at input ``chw``: a block fed C channels is built with ``channels=C``."""
    overrides: dict[str, Any] = {}
    if spec.kind == "block" and len(chw) == 3 and chw[0] != spec.input_size[0]:
        overrides["channels"] = chw[0]
    return lambda: spec.build(**overrides), overrides


def input_spec_for(spec: ModelSpec, input_size: tuple[int, ...] | None = None):
    """The :class:`~cnnbench.example_inputs.InputSpec` of one tensor of ``input_size`` (default: the model's)."""
    from cnnbench.example_inputs import InputSpec

    return InputSpec.from_shapes(tuple(input_size or spec.input_size))


def row_fields(inputs: Any, batch_size: int) -> tuple[tuple[int, ...], dict[str, Any]]:
    """``input_shape`` (first tensor, batch first) and the ``inputs`` label of a row, from meta example inputs.

    Shapes are known without calling anything; given inputs and factories are made on ``meta`` (a factory is user
    code: it runs here, so its failures surface as the row's).
    """
    from cnnbench.example_inputs import first_shape, shape_label

    if inputs.shapes:
        shapes = [(batch_size, *s) for s in inputs.shapes]
        return shapes[0], {"inputs": ", ".join("x".join(map(str, s)) for s in shapes)}
    args, kwargs = inputs.make(batch_size, device="meta")
    return first_shape(args, kwargs), {"inputs": shape_label(args, kwargs)}


def identity(spec: ModelSpec) -> dict[str, Any]:
    """Extra row fields naming what was built: the registered spec a ``timm:``/``torchvision:`` name reused."""
    return {"registry_name": spec.registry_name} if spec.registry_name else {}


def static_profile(spec: ModelSpec | str, input_size: tuple[int, ...] | None = None, batch_size: int = 1,
                   dtype: str = "fp32", debug: bool = False, *, inputs: Any = None, fuse: bool = False) -> Profile:
    """Static metrics of one model; never raises for a model that fails to build or trace.

    Args:
        spec: A spec or a name to resolve. A spec of ``source == "instance"`` builds the caller's module, which is
            analysed without being changed (weights, device, dtype, training flag, hooks stay as they are).
        input_size: One tensor's shape without the batch dimension (default: the spec's); ignored with ``inputs``.
        batch_size: Batch prepended to shapes (given example inputs keep their own batch).
        dtype: fp32 | fp16 | bf16.
        debug: Unused (``CNNBENCH_DEBUG`` / ``--debug`` print failed rows' tracebacks); kept for callers.
        inputs: An :class:`~cnnbench.example_inputs.InputSpec` (several tensors, keyword inputs, a factory).
        fuse: Fuse re-parameterisable branches first (``build.fuse_model``); the row says ``fused``.
    """
    del debug
    if isinstance(spec, str):
        spec = resolve(spec)
    dtype = parse_dtype(dtype)
    if inputs is None:
        inputs = input_spec_for(spec, input_size)
    base = identity(spec)
    shape: tuple[int, ...] = (batch_size, *(inputs.shapes[0] if inputs.shapes else ()))
    try:
        shape, label = row_fields(inputs, batch_size)
        base.update(label)
        static, fused = _analyze(spec, inputs, batch_size, torch_dtype(dtype), fuse)
        base["fused"] = fused
        return Profile(spec.name, spec.source, spec.family, shape, dtype, static=static, extra=base)
    except CnnbenchError:
        raise
    except KeyboardInterrupt:
        raise
    except SystemExit as e:  # user code (build, forward, an inputs factory): a failed row, the sweep goes on
        return Profile(spec.name, spec.source, spec.family, shape, dtype, error=f"model {exit_text(e)}",
                       extra={**base, "fused": None})
    except BaseException as e:  # noqa: BLE001 — a broken model is a row, not a crash
        return Profile(spec.name, spec.source, spec.family, shape, dtype, error=row_error(e, spec.name),
                       extra={**base, "fused": None})


def _analyze(spec: ModelSpec, inputs: Any, batch_size: int, dtype: Any, fuse: bool) -> tuple[Any, bool]:
    """``(StaticProfile, fused)`` of ``spec`` at ``inputs``; the caller's instance is never modified."""
    from cnnbench.analysis.static import analyze

    if spec.source == "instance":
        # shapes: meta stand-ins; given inputs (or a factory's): the real tensors, so a data-dependent forward sees
        # the user's values if the trace has to run on the CPU (analyze never writes into them)
        args, kwargs = inputs.make(batch_size, device="meta" if inputs.shapes else "cpu")
        model = spec.build()
        fused = False
        if fuse:
            from cnnbench.build import fuse_model

            model, fused = fuse_model(model)  # not in place: a fused deep copy, the caller's model stays as it is
        return analyze(model, args, kwargs, dtype=dtype, fused=fused), fused
    from cnnbench.build import analyze_spec

    chw = inputs.shapes[0] if inputs.shapes else ()
    _, overrides = builder_for(spec, chw)
    # built on meta (CPU with ties kept when the builder computes), the cpu trace path gets a seeded real build
    static = analyze_spec(spec, inputs, batch_size, dtype, fuse=fuse, **overrides)
    return static, bool(static.fused)
