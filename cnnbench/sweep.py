"""Run a sweep: models × batch sizes (× runtimes when measuring latency) → Profile rows.

Every name is resolved before anything is measured (a typo fails fast, exit 2). After that,
failures are rows: a model that fails to build, trace, export or run gets its ``error`` and the
sweep goes on. Ctrl-C stops the sweep and keeps the rows already finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnbench.errors import CnnbenchError
from cnnbench.inputs import parse_dtype, parse_int_list
from cnnbench.latency.choices import RUNTIMES
from cnnbench.latency.devices import cores_available, oversubscribed  # noqa: F401 - re-exported
from cnnbench.latency.protocol import check_protocol_options  # the one protocol check (re-exported)
from cnnbench.profiling import Profile, static_profile
from cnnbench.registry import ModelSpec, resolve


@dataclass(frozen=True)
class LatencyOptions:
    """How latency rows are measured (``profile``, ``compare``, ``sweep``).

    ``precision`` (``None`` | ``"amp-fp16"`` | ``"amp-bf16"``: torch.autocast), ``compile_mode`` (torch.compile's
    mode, ``None`` = default) and ``quantization`` (``onnx-int8``'s scheme) are normalised by :meth:`parse`;
    ``verify`` checks every runtime against eager fp32 before timing it (:mod:`cnnbench.latency.verify`).
    """

    device: str = "cpu"
    runtimes: tuple[str, ...] = ("eager",)
    threads: int | None = None
    channels_last: bool = False
    budget: float = 2.0
    min_samples: int = 30
    warmup: float = 0.5
    onnx_dir: str | None = None
    precision: str | None = None
    compile_mode: str | None = None
    quantization: str = "static"
    verify: bool = True

    @classmethod
    def parse(cls, *, device: str = "cpu", runtimes: list[str] | None = None, threads: int | None = None,
              channels_last: bool = False, budget: float = 2.0, min_samples: int = 30, warmup: float = 0.5,
              onnx_dir: str | None = None, precision: str | None = None, compile_mode: str | None = None,
              quantization: str | None = None, dtype: str = "fp32", verify: bool = True) -> LatencyOptions:
        """Validated options; every combination that cannot run here is a one-line error (exit 2) now.

        Args:
            dtype: The sweep's ``--dtype`` (only checked against ``precision`` and the runtimes here).
        """
        from cnnbench.latency.choices import (
            check_choices,
            normalize_compile_mode,
            normalize_precision,
            normalize_quantization,
            normalize_runtime,
        )
        from cnnbench.latency.placement import normalize_dtype

        rts: list[str] = []
        for item in runtimes or ["eager"]:
            for r in str(item).split(","):
                if not r.strip():
                    continue
                r = normalize_runtime(r)
                if r not in rts:
                    rts.append(r)
        if not rts:
            raise CnnbenchError(f"no runtime given: choose {', '.join(RUNTIMES)}")
        check_protocol_options(budget=budget, min_samples=min_samples, warmup=warmup, threads=threads)
        prec, mode = normalize_precision(precision), normalize_compile_mode(compile_mode)
        quant = normalize_quantization(quantization)
        if compile_mode is not None and mode is not None and "compile" not in rts:
            raise CnnbenchError(f"--compile-mode {compile_mode} needs --runtime compile")
        if quantization is not None and quant != "static" and "onnx-int8" not in rts:
            raise CnnbenchError(f"--quantization {quantization} needs --runtime onnx-int8")
        from cnnbench.latency.devices import resolve_device

        dev = resolve_device(device)  # CUDA missing / index beyond the count → CnnbenchError (exit 2)
        try:
            dt = normalize_dtype(dtype)
        except CnnbenchError:  # a bad --dtype is reported by SweepSpec.parse, with its own wording
            dt = "fp32"
        check_choices(rts, dev, dt, prec)  # CUDA-only runtimes, providers, packages
        device = str(dev)
        return cls(device, tuple(rts), threads, channels_last, float(budget), int(min_samples), float(warmup),
                   onnx_dir, prec, mode, quant, bool(verify))


@dataclass(frozen=True)
class SweepSpec:
    """What to measure: models × their inputs × batch sizes (× runtimes with ``latency``).

    ``inputs`` holds one :class:`~cnnbench.example_inputs.InputSpec` per model (same order as ``specs``); when empty
    (older callers), each model's inputs are read from ``input_size`` (CLI text) at run time.
    """

    specs: tuple[ModelSpec, ...]
    input_size: str | list[str] | None
    batch_sizes: tuple[int, ...]
    dtype: str
    latency: LatencyOptions | None
    counters: str = "ours"
    inputs: tuple[Any, ...] = ()
    fuse: bool = False

    @classmethod
    def parse(cls, models: list[str], *, input_size: str | list[str] | None = None, inputs: str | None = None,
              fuse: bool = False, batch_sizes: list[str] | None = None, dtype: str = "fp32",
              latency: LatencyOptions | None = None, counters: str = "ours") -> SweepSpec:
        """Resolve every name and every model's inputs now, so a typo or an absurd size fails before measuring.

        Args:
            models: Names as ``cnnbench profile`` takes them.
            input_size: ``--input-size`` value(s): one (shorthand with the model's C: ``224``, ``224x160``,
                ``3x224x224``, ``32,``) or several (each literal: several positional tensors).
            inputs: ``file.py:make_inputs`` / ``pkg.mod:fn``: a function returning a tensor, tuple or dict (called
                with the batch size when it takes an argument).
            fuse: Fuse re-parameterisable branches (RepVGG, MobileOne...) before static analysis and latency.
        """
        if not models:
            raise CnnbenchError("no model given (see `cnnbench list`)")
        specs = tuple(resolve(m) for m in models)
        sizes = None if input_size in (None, "", []) else input_size
        if sizes is not None and inputs:
            raise CnnbenchError("give --input-size or --inputs, not both")
        bss = tuple(parse_int_list(batch_sizes, "--batch-size", [1]))
        per_model = inputs_per_model(specs, input_size=sizes, inputs=inputs)
        check_batch_sizes(per_model, bss, batch_sizes is not None and batch_sizes != [], what="--batch-size")
        return cls(specs, sizes, bss, parse_dtype(dtype), latency, counters, per_model, bool(fuse))

    def model_inputs(self) -> tuple[Any, ...]:
        """One ``InputSpec`` per model (``inputs``, or derived from ``input_size`` for older callers)."""
        if self.inputs:
            return self.inputs
        return inputs_per_model(self.specs, input_size=self.input_size)


def inputs_per_model(specs: tuple[ModelSpec, ...], *, input_size: str | list[str] | None = None,
                     inputs: str | None = None, what: str = "--input-size") -> tuple[Any, ...]:
    """Each model's :class:`~cnnbench.example_inputs.InputSpec` from CLI text (sizes checked up front)."""
    from cnnbench.example_inputs import InputSpec
    from cnnbench.inputs import parse_input_sizes

    if inputs:
        from cnnbench.registry import load_user_callable

        factory = InputSpec.from_factory(load_user_callable(inputs, "--inputs"), name=str(inputs))
        return tuple(factory for _ in specs)
    return tuple(InputSpec.from_shapes(*parse_input_sizes(input_size, s.input_size, what)) for s in specs)


def check_batch_sizes(per_model: tuple[Any, ...], batch_sizes: tuple[int, ...], given: bool,
                      what: str = "--batch-size") -> None:
    """Given example inputs (or a factory without a batch argument) fix the batch: refuse another batch size."""
    if not given:
        return
    for ispec in per_model:
        if not ispec.takes_batch and tuple(batch_sizes) != (1,):
            label = ispec.name or "the given inputs"
            raise CnnbenchError(f"{what} cannot be used with {label}: their batch is the batch (a factory that "
                                "takes a batch_size argument can be called at several)")


@dataclass
class SweepResult:
    profiles: list[Profile] = field(default_factory=list)
    interrupted: bool = False


def run_sweep(spec: SweepSpec, progress: Any = None, on_row: Callable[[Profile], None] | None = None) -> SweepResult:
    """Measure every (model, batch size[, runtime]) row; rows are appended (and ``on_row`` called) as they finish."""
    result = SweepResult()

    def add(p: Profile) -> None:
        result.profiles.append(p)
        if on_row is not None:
            on_row(p)

    env = None
    if spec.latency is not None:
        from cnnbench.env import collect_env

        env = collect_env(device=spec.latency.device, threads=spec.latency.threads)
    try:
        for mspec, ispec in zip(spec.specs, spec.model_inputs(), strict=True):
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
            from cnnbench.build import fuse_model, spec_prefused

            if not spec_prefused(mspec, overrides):  # registered repvgg_* build fused already: fuse once
                model, _ = fuse_model(model, inplace=True)  # a fresh build, or the copy made above
        return model

    return replace(mspec, builder=build, builder_kwargs={})


def measure_row(mspec: ModelSpec, inputs: Any, batch_size: int, dtype: str, runtime: str, opts: LatencyOptions,
                *, fuse: bool = False) -> dict[str, Any]:
    """Latency of one row as the ``LatencyResult`` dict (``error`` set on failure, never raises for the row).

    Args:
        inputs: The row's :class:`~cnnbench.example_inputs.InputSpec` (its ``maker(batch_size)`` feeds the runtime).
        fuse: Time the fused model (``build.fuse_model``), as static analysis counted it.
    """
    from cnnbench.latency.runtimes import run_latency
    from cnnbench.profiling import builder_for

    chw = inputs.shapes[0] if inputs.shapes else ()
    build, _ = builder_for(latency_spec(mspec, fuse), chw)
    key = mspec.name if mspec.source != "instance" else f"instance-{mspec.name}"
    res = run_latency(
        build, inputs.maker(batch_size), device=opts.device, runtime=runtime, dtype=dtype,
        channels_last=opts.channels_last, threads=opts.threads, budget_s=opts.budget, min_samples=opts.min_samples,
        warmup_min_s=opts.warmup, onnx_dir=opts.onnx_dir, model_key=key,
        copy_model=mspec.source == "instance" and not fuse,  # with fuse, latency_spec copied it already
        precision=getattr(opts, "precision", None), compile_mode=getattr(opts, "compile_mode", None),
        quantization=getattr(opts, "quantization", None), verify=getattr(opts, "verify", True),
    )
    d = res.to_dict(include_samples=True)  # raw samples: kept in the history database
    d["oom"] = bool(getattr(res, "oom", False))
    return d
