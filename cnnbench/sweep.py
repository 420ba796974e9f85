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
from cnnbench.inputs import parse_dtype, parse_input_size, parse_int_list
from cnnbench.profile import Profile, static_profile
from cnnbench.registry import ModelSpec, resolve

RUNTIMES = ("eager", "compile", "onnx")


def cores_available() -> int:
    """CPU cores this process may run on (its affinity mask: what a container or ``taskset`` allows)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def oversubscribed(threads: int | None) -> bool:
    """``threads`` exceeds :func:`cores_available` (the threads then time-share cores: far slower, noisy)."""
    return threads is not None and threads > cores_available()


_WARNED_THREADS: set[int] = set()


def check_protocol_options(*, budget: float, min_samples: int, warmup: float, threads: int | None,
                           zero_budget_ok: bool = False) -> None:
    """Usage errors (exit 2) for the measurement options every timing command shares.

    Non-finite ``budget``/``warmup`` (``inf`` would never stop, ``nan`` compares false) are refused. ``threads``
    above the cores available to the process (:func:`oversubscribed`) is allowed but warned about on stderr, once
    per thread count; rows measured so should be marked ``threads_oversubscribed: true``.
    """
    import math
    import sys

    if not math.isfinite(budget) or not (budget >= 0 if zero_budget_ok else budget > 0):
        raise CnnbenchError(f"--budget must be a finite number {'≥ 0' if zero_budget_ok else '> 0'} of seconds "
                            f"(got {budget})")
    if min_samples < 1:
        raise CnnbenchError(f"--min-samples must be ≥ 1 (got {min_samples})")
    if not math.isfinite(warmup) or warmup < 0:
        raise CnnbenchError(f"--warmup must be a finite number ≥ 0 of seconds (got {warmup})")
    if threads is not None and threads < 1:
        raise CnnbenchError(f"--threads must be ≥ 1 (got {threads})")
    if oversubscribed(threads) and threads not in _WARNED_THREADS:
        _WARNED_THREADS.add(threads)
        print(f"warning: --threads {threads} exceeds the {cores_available()} core(s) available to this process: "
              "threads will time-share cores (far slower and noisier than a real machine with that many)",
              file=sys.stderr)


@dataclass(frozen=True)
class LatencyOptions:
    device: str = "cpu"
    runtimes: tuple[str, ...] = ("eager",)
    threads: int | None = None
    channels_last: bool = False
    budget: float = 2.0
    min_samples: int = 30
    warmup: float = 0.5
    onnx_dir: str | None = None

    @classmethod
    def parse(cls, *, device: str = "cpu", runtimes: list[str] | None = None, threads: int | None = None,
              channels_last: bool = False, budget: float = 2.0, min_samples: int = 30, warmup: float = 0.5,
              onnx_dir: str | None = None) -> LatencyOptions:
        rts: list[str] = []
        for item in runtimes or ["eager"]:
            for r in str(item).split(","):
                r = r.strip().lower()
                if not r:
                    continue
                if r not in RUNTIMES:
                    raise CnnbenchError(f"unknown runtime {r!r}: choose eager, compile or onnx")
                if r not in rts:
                    rts.append(r)
        if not rts:
            raise CnnbenchError("no runtime given: choose eager, compile or onnx")
        check_protocol_options(budget=budget, min_samples=min_samples, warmup=warmup, threads=threads)
        from cnnbench.latency.devices import onnx_providers, resolve_device

        dev = resolve_device(device)  # CUDA missing / index beyond the count → CnnbenchError (exit 2)
        if "onnx" in rts:
            onnx_providers(dev)  # provider missing → CnnbenchError
        device = str(dev)
        return cls(device, tuple(rts), threads, channels_last, float(budget), int(min_samples), float(warmup),
                   onnx_dir)


@dataclass(frozen=True)
class SweepSpec:
    specs: tuple[ModelSpec, ...]
    input_size: str | None
    batch_sizes: tuple[int, ...]
    dtype: str
    latency: LatencyOptions | None
    counters: str = "ours"

    @classmethod
    def parse(cls, models: list[str], *, input_size: str | None = None, batch_sizes: list[str] | None = None,
              dtype: str = "fp32", latency: LatencyOptions | None = None, counters: str = "ours") -> SweepSpec:
        if not models:
            raise CnnbenchError("no model given (see `cnnbench list`)")
        specs = tuple(resolve(m) for m in models)
        for s in specs:  # validate the size once per model, before measuring anything
            parse_input_size(input_size, s.input_size)
        return cls(specs, input_size, tuple(parse_int_list(batch_sizes, "--batch-size", [1])), parse_dtype(dtype),
                   latency, counters)


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
        for mspec in spec.specs:
            chw = parse_input_size(spec.input_size, mspec.input_size)
            skip_larger: str | None = None
            for bs in spec.batch_sizes:
                if progress is not None:
                    progress.print(f"[dim]profiling {mspec.name} batch {bs}…[/dim]")
                base = static_profile(mspec, chw, bs, spec.dtype)
                extra: dict[str, Any] = {}
                if spec.counters != "ours" and base.static is not None:
                    from cnnbench.analysis.crosscheck import crosscheck

                    extra["crosscheck"] = crosscheck(mspec, (bs, *chw), spec.counters)
                if spec.latency is None:
                    add(_with(base, extra=extra))
                    continue
                for rt in spec.latency.runtimes:
                    if skip_larger:
                        add(_with(base, error=skip_larger, extra=extra, env=env))
                        continue
                    lat = measure_row(mspec, (bs, *chw), spec.dtype, rt, spec.latency)
                    if lat.get("oom"):
                        skip_larger = f"skipped: batch {bs} ran out of memory on {spec.latency.device}"
                    lat.pop("oom", None)
                    add(_with(base, latency=lat, extra=extra, env=env))
    except KeyboardInterrupt:
        result.interrupted = True
    return result


def _with(p: Profile, **changes: Any) -> Profile:
    from dataclasses import replace

    return replace(p, **{k: v for k, v in changes.items() if v is not None})


def measure_row(mspec: ModelSpec, shape: tuple[int, ...], dtype: str, runtime: str,
                opts: LatencyOptions) -> dict[str, Any]:
    """Latency of one row as the ``LatencyResult`` dict (``error`` set on failure, never raises for the row)."""
    from cnnbench.latency.runtimes import run_latency
    from cnnbench.profile import builder_for

    build, _ = builder_for(mspec, shape[1:])
    res = run_latency(
        build, shape, device=opts.device, runtime=runtime, dtype=dtype, channels_last=opts.channels_last,
        threads=opts.threads, budget_s=opts.budget, min_samples=opts.min_samples, warmup_min_s=opts.warmup,
        onnx_dir=opts.onnx_dir, model_key=mspec.name,
    )
    d = res.to_dict(include_samples=True)  # raw samples: kept in the history database
    d["oom"] = bool(getattr(res, "oom", False))
    return d
