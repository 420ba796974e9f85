"""Rows: one row = the static profile of a model at one input (+ a latency measurement per runtime).

:func:`run_rows` measures a :class:`~cnnbench.plan.Plan` (``profile``, ``blocks``, the library's ``profile``);
:func:`static_profile` is the static half of every row. Failures are rows: a model that fails to build, trace,
export or run gets its ``error`` and the run goes on; only bad *usage* raises. User code that calls ``sys.exit()``
while building or running is a failed row too ("model called sys.exit(3)"): it never chooses cnnbench's exit
code. Ctrl-C stops the run and keeps the rows already finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnbench.catalog import ModelSpec, resolve
from cnnbench.errors import CnnbenchError, exit_text, row_error
from cnnbench.inputs import InputSpec, first_shape, parse_dtype, shape_label, torch_dtype
from cnnbench.latency.options import LatencyOptions
from cnnbench.plan import Plan
from cnnbench.records import Profile


@dataclass
class RowsResult:
    profiles: list[Profile] = field(default_factory=list)
    interrupted: bool = False


def run_rows(spec: Plan, progress: Any = None, on_row: Callable[[Profile], None] | None = None) -> RowsResult:
    """Measure every (model, batch size[, runtime]) row; rows are appended (and ``on_row`` called) as they finish."""
    result = RowsResult()

    def add(p: Profile) -> None:
        result.profiles.append(p)
        if on_row is not None:
            on_row(p)

    env = None
    if spec.latency is not None:
        from cnnbench.env import collect_env

        env = collect_env(device=spec.latency.device, threads=spec.latency.threads)
    try:
        for mspec, ispec in zip(spec.specs, spec.inputs, strict=True):
            skip_larger: str | None = None
            for bs in spec.batch_sizes:
                if progress is not None:
                    progress.print(f"[dim]profiling {mspec.name} batch {bs}…[/dim]")
                base = static_profile(mspec, batch_size=bs, dtype=spec.dtype, inputs=ispec, fuse=spec.fuse)
                extra: dict[str, Any] = {}
                if spec.counters != "ours" and base.static is not None:
                    extra["crosscheck"] = _crosscheck(mspec, ispec, bs, spec.counters, spec.fuse)
                if spec.latency is None:
                    add(_with(base, extra={**base.extra, **extra}))
                    continue
                for rt in spec.latency.runtimes:
                    if skip_larger:
                        add(_with(base, error=skip_larger, extra={**base.extra, **extra}, env=env))
                        continue
                    lat = measure_row(mspec, ispec, bs, spec.dtype, rt, spec.latency, fuse=spec.fuse)
                    if lat.get("oom"):
                        skip_larger = f"skipped: batch {bs} ran out of memory on {spec.latency.device}"
                    lat.pop("oom", None)
                    add(_with(base, latency=lat, extra={**base.extra, **extra}, env=env))
    except KeyboardInterrupt:
        result.interrupted = True
    return result


def _with(p: Profile, **changes: Any) -> Profile:
    from dataclasses import replace

    return replace(p, **{k: v for k, v in changes.items() if v is not None})


def _crosscheck(mspec: ModelSpec, ispec: Any, batch_size: int, counters: str, fuse: bool = False) -> dict[str, Any]:
    """fvcore/thop totals beside ours (one input tensor of a given size; the same model we count, a copy of a
    caller's instance)."""
    from cnnbench.analysis.crosscheck import crosscheck

    names = ("fvcore", "thop") if counters == "all" else (counters,)
    if len(ispec.shapes) != 1:
        return {n: {"error": "the cross-check takes one input tensor given by its size"} for n in names}
    return crosscheck(latency_spec(mspec, fuse, copy=True), (batch_size, *ispec.shapes[0]), counters)


def latency_spec(mspec: ModelSpec, fuse: bool = False, copy: bool = False) -> ModelSpec:
    """``mspec`` whose ``build()`` returns the model to time or count: fused with ``fuse`` (``build.fuse_model``).

    A caller's instance is deep-copied first when ``fuse`` or ``copy`` is set (fusing replaces modules; a
    counter adds hooks): it is never changed in place.
    """
    from dataclasses import replace

    copy = mspec.source == "instance" and (copy or fuse)
    if not fuse and not copy:
        return mspec

    def build(**overrides: Any):
        import copy as _copy

        model = mspec.build(**overrides)
        if copy:
            model = _copy.deepcopy(model)
        if fuse:
            from cnnbench.catalog.build import fuse_model, spec_prefused

            if not spec_prefused(mspec, overrides):  # registered repvgg_* build fused already: fuse once
                model, _ = fuse_model(model, inplace=True)  # a fresh build, or the copy made above
        return model

    return replace(mspec, builder=build, builder_kwargs={})


def measure_row(mspec: ModelSpec, inputs: Any, batch_size: int, dtype: str, runtime: str, opts: LatencyOptions,
                *, fuse: bool = False) -> dict[str, Any]:
    """Latency of one row as the ``LatencyResult`` dict (``error`` set on failure, never raises for the row).

    Args:
        inputs: The row's :class:`~cnnbench.inputs.InputSpec` (its ``maker(batch_size)`` feeds the runtime).
        fuse: Time the fused model (``build.fuse_model``), as static analysis counted it.
    """
    from cnnbench.latency.engine import run_latency

    chw = inputs.shapes[0] if inputs.shapes else ()
    build, _ = builder_for(latency_spec(mspec, fuse), chw)
    key = mspec.name if mspec.source != "instance" else f"instance-{mspec.name}"
    # with fuse, latency_spec copied an instance already
    res = run_latency(build, inputs.maker(batch_size), opts, runtime=runtime, dtype=dtype, model_key=key,
                      copy_model=mspec.source == "instance" and not fuse)
    d = res.to_dict(include_samples=True)  # raw samples: kept in the history database
    d["oom"] = bool(res.oom)
    return d


def builder_for(spec: ModelSpec, chw: tuple[int, ...]):
    """Zero-argument builder for ``spec`` at input ``chw``: a block fed C channels is built with ``channels=C``."""
    overrides: dict[str, Any] = {}
    if spec.kind == "block" and len(chw) == 3 and chw[0] != spec.input_size[0]:
        overrides["channels"] = chw[0]
    return lambda: spec.build(**overrides), overrides


def input_spec_for(spec: ModelSpec, input_size: tuple[int, ...] | None = None):
    """The :class:`~cnnbench.inputs.InputSpec` of one tensor of ``input_size`` (default: the model's own inputs)."""
    if not input_size:
        return InputSpec.from_shapes(*spec.input_shapes)
    return InputSpec.from_shapes(*spec.shapes_for((tuple(input_size),)))


def row_fields(inputs: Any, batch_size: int) -> tuple[tuple[int, ...], dict[str, Any]]:
    """``input_shape`` (first tensor, batch first) and the ``inputs`` label of a row, from meta example inputs.

    Shapes are known without calling anything; given inputs and factories are made on ``meta`` (a factory is user
    code: it runs here, so its failures surface as the row's).
    """
    if inputs.shapes:
        shapes = [(batch_size, *s) for s in inputs.shapes]
        return shapes[0], {"inputs": ", ".join("x".join(map(str, s)) for s in shapes)}
    args, kwargs = inputs.make(batch_size, device="meta")
    return first_shape(args, kwargs), {"inputs": shape_label(args, kwargs)}


def identity(spec: ModelSpec) -> dict[str, Any]:
    """Extra row fields naming what was built: the registered spec a ``timm:``/``torchvision:`` name reused."""
    return {"registry_name": spec.registry_name} if spec.registry_name else {}


def static_profile(spec: ModelSpec | str, input_size: tuple[int, ...] | None = None, batch_size: int = 1,
                   dtype: str = "fp32", *, inputs: Any = None, fuse: bool = False) -> Profile:
    """Static metrics of one model; never raises for a model that fails to build or trace.

    Args:
        spec: A spec or a name to resolve. A spec of ``source == "instance"`` builds the caller's module, which is
            analysed without being changed (weights, device, dtype, training flag, hooks stay as they are).
        input_size: One tensor's shape without the batch dimension (default: the spec's); ignored with ``inputs``.
        batch_size: Batch prepended to shapes (given example inputs keep their own batch).
        dtype: fp32 | fp16 | bf16.
        inputs: An :class:`~cnnbench.inputs.InputSpec` (several tensors, keyword inputs, a factory).
        fuse: Fuse re-parameterisable branches first (``build.fuse_model``); the row says ``fused``.
    """
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
        return Profile(spec.name, spec.source, spec.family, shape, dtype, error=exit_text(e, "model"),
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
            from cnnbench.catalog.build import fuse_model

            model, fused = fuse_model(model)  # not in place: a fused deep copy, the caller's model stays as it is
        return analyze(model, args, kwargs, dtype=dtype, fused=fused), fused
    from cnnbench.catalog.build import analyze_spec

    chw = inputs.shapes[0] if inputs.shapes else ()
    _, overrides = builder_for(spec, chw)
    # built on meta (CPU with ties kept when the builder computes), the cpu trace path gets a seeded real build
    static = analyze_spec(spec, inputs, batch_size, dtype, fuse=fuse, **overrides)
    return static, bool(static.fused)
