"""Compare models side by side: static costs and latency measured *interleaved* (the run).

``compare`` answers "which of these models is cheaper here, and does MACs (or params, memory access,
activations) tell me which one is faster?". Two things differ from ``profile``'s sequential sweep:

* **Interleaved latency.** Every (model, runtime, batch size) row is built and prepared first (a build, compile
  or export failure is that row's ``error``; the others go on), each row is warmed up and gets its own block
  size, then the rows are timed round-robin: round ``r`` visits every row once, starting at row ``r mod M`` so
  no row always follows the same neighbour. During the first ``rounds`` rounds a row is sampled for
  ``budget / rounds`` seconds per visit (at least one sample), so each row gets about the time budget
  ``profile`` would give it; further rounds take one sample per row until every row has ``min_samples``.
  Slow drift of the machine (thermal throttling, a neighbour's job) therefore lands on all rows alike instead of
  favouring whichever model ran first. The rows are prepared by :func:`cnnbench.latency.engine.prepare_row`
  (``profile``'s prepare step) and timed by :func:`cnnbench.latency.timer.interleave` (the scheduler under
  :func:`~cnnbench.latency.timer.measure_interleaved`), with a time slice per visit instead of a single sample,
  progress reporting, and Ctrl-C keeping the samples.
* **Peak memory** (CPU) is the RSS growth during each row's warm-up (which contains its first inferences,
  where the allocator grows) with every compared model already resident — the same "weights excluded"
  meaning as ``profile``'s. On CUDA it is not measured here (``max_memory_allocated`` would include the
  other models' weights); use ``cnnbench profile`` for it.

With ``--calibrate`` (``LatencyOptions.calibrate``) the calibration workload of ``cnnbench check`` is built after the
warm-ups (so no peak memory counts it), warmed up, and visited in the same rounds as one more row; every row then gets
``calibration_ms`` (its median) and ``latency_normalized`` = the row's median ÷ ``calibration_ms``.

Sorting, references and correlations (which proxy predicts latency) live in :mod:`cnnbench.comparison.ranking`.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cnnbench import catalog
from cnnbench.catalog import ModelSpec
from cnnbench.errors import CnnbenchError
from cnnbench.plan import Plan, check_batch_sizes, inputs_per_model
from cnnbench.records import Profile
from cnnbench.rows import static_profile

if TYPE_CHECKING:
    from cnnbench.latency.options import LatencyOptions

DEFAULT_ROUNDS = 5

# progress(phase, done, total): phase is "static analysis" | "preparing" | "warm-up" | "measuring".
ProgressFn = Callable[[str, int, int], None]


def resolve_targets(models: list[Any] | None, family: list[str] | None) -> tuple[ModelSpec, ...]:
    """Model specs for positional names and ``--family`` values, in the order given, without duplicates.

    A positional name that is not a model but is a family name expands to that family, so
    ``cnnbench compare resnet mobilenet_v2`` works too (:func:`cnnbench.catalog.resolve_targets`).

    Raises:
        CnnbenchError: Unknown family (with suggestions), unknown model, or nothing to compare.
    """
    return catalog.resolve_targets(
        models, family, empty="nothing to compare: give model names or --family (see `cnnbench list`)")


def make_spec(specs: tuple[ModelSpec, ...], *, input_size: str | list[str] | None, batch_sizes: list[int],
              dtype: str, latency: Any, inputs: str | tuple[Any, ...] | None = None, fuse: bool = False,
              batch_given: bool = False) -> Plan:
    """A :class:`~cnnbench.plan.Plan` over already-resolved specs (every model's inputs checked now).

    ``inputs`` is ``--inputs file.py:make_inputs`` text, or (library callers) one ``InputSpec`` per spec.
    """
    sizes = None if input_size in (None, "", []) else input_size
    if sizes is not None and inputs:
        raise CnnbenchError("give --input-size or --inputs, not both")
    if isinstance(inputs, tuple):
        per_model = inputs
    else:
        per_model = inputs_per_model(specs, input_size=sizes, inputs=inputs)
    check_batch_sizes(per_model, tuple(batch_sizes), batch_given or tuple(batch_sizes) != (1,))
    return Plan(specs, sizes, tuple(batch_sizes), dtype, latency, inputs=per_model, fuse=bool(fuse))


# --- measurement -------------------------------------------------------------------------------------------------

@dataclass
class _Row:
    """One latency row being measured (mutable while the rounds run)."""

    index: int  # position in CompareResult.profiles
    spec: ModelSpec  # builds the model to time (already fused when the comparison fuses)
    shape: tuple[int, ...]  # the first input tensor's full shape (batch first)
    runtime: str
    make_inputs: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]] | None = None  # CPU (args, kwargs); None: shape
    copy_model: bool = False  # spec builds the caller's instance: time a deep copy (run_latency's copy_model)
    runner: Any = None
    timed: Any = None  # cnnbench.latency.timer.Timed once prepared: block size (fixed after warm-up) and samples
    peak: int | None = None
    memory_method: str | None = None
    error: str | None = None
    oom: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # the runner's details (kept after it is closed)
    compile_s: float | None = None

    @property
    def block(self) -> int:
        return self.timed.block if self.timed is not None else 1

    @property
    def samples(self) -> list[float]:
        return self.timed.samples if self.timed is not None else []


@dataclass
class CompareResult:
    """Rows in measurement order plus what the footer must say about how latency was measured."""

    profiles: list[Profile] = field(default_factory=list)
    rounds: int = 0  # rounds completed
    timed_rows: int = 0  # rows taking part in the rounds
    slice_s: float = 0.0
    memory_note: str | None = None
    interrupted: bool = False
    calibration: Any = None  # cnnbench.latency.timer.Timed of the calibration workload (--calibrate)

    def footer(self) -> str | None:
        """One line on how latency was measured (``None`` without latency)."""
        if not self.timed_rows:
            return None
        text = (f"latency measured interleaved: {self.rounds} rounds round-robin over {self.timed_rows} rows "
                f"(each row warmed up first, then ~{self.slice_s * 1e3:.0f} ms of samples per row per round, "
                f"start rotating each round)")
        if self.calibration is not None:
            text += "; the calibration workload was timed in the same rounds as one more row"
        if any(p.latency and p.latency.get("runtime") == "onnx" for p in self.profiles):
            text += "; ONNX Runtime sessions run without intra-op spinning (fair to the interleaved rows)"
        if self.interrupted:
            text += "; INTERRUPTED: latency from the samples taken so far"
        if self.memory_note:
            text += f". {self.memory_note}"
        return text


def run_compare(spec: Plan, *, rounds: int = DEFAULT_ROUNDS, progress: ProgressFn | None = None,
                clock: Callable[[], float] = time.perf_counter) -> CompareResult:
    """Static profile of every model × batch size, then (with ``spec.latency``) interleaved latency of every row.

    Never raises for a failing model (its rows carry ``error``); Ctrl-C returns what is done, ``interrupted`` set.

    Raises:
        CnnbenchError: Bad usage (``rounds`` < 1, unavailable device...).
    """
    if rounds < 1:
        raise CnnbenchError(f"--rounds must be ≥ 1 (got {rounds})")
    result = CompareResult()
    lat = spec.latency
    n_static = len(spec.specs) * len(spec.batch_sizes)
    rows: list[_Row] = []
    try:
        from cnnbench.rows import latency_spec

        for mspec, ispec in zip(spec.specs, spec.inputs, strict=True):
            timed = latency_spec(mspec, spec.fuse)  # fused (and, then, a copy of an instance) when asked
            for bs in spec.batch_sizes:
                if progress:
                    progress("static analysis", len(result.profiles), n_static)
                base = static_profile(mspec, batch_size=bs, dtype=spec.dtype, inputs=ispec, fuse=spec.fuse)
                if lat is None:
                    result.profiles.append(base)
                    continue
                for rt in lat.runtimes:
                    rows.append(_Row(len(result.profiles), timed, tuple(base.input_shape), rt,
                                     make_inputs=ispec.maker(bs),
                                     copy_model=mspec.source == "instance" and not spec.fuse))
                    result.profiles.append(base)
        if lat is not None and rows:
            _measure_rows(rows, lat, spec.dtype, rounds, result, progress, clock)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        for row in rows:
            _close(row)
        gc.collect()
    if lat is not None:
        _attach_latency(rows, lat, spec.dtype, result)
    return result


def _measure_rows(rows: list[_Row], lat: LatencyOptions, dtype: str, rounds: int, result: CompareResult,
                  progress: ProgressFn | None, clock: Callable[[], float]) -> None:
    from cnnbench.latency.devices import resolve_device
    from cnnbench.latency.engine import prepare_calibration
    from cnnbench.latency.memory import PeakMemory
    from cnnbench.latency.threads import torch_threads
    from cnnbench.latency.timer import Timed, timer_overhead

    dev = resolve_device(lat.device)
    # interleaved with other rows: ONNX Runtime's idle workers must not busy-wait and steal torch's cores
    lat = replace(lat, onnx_spinning=False)
    with torch_threads(lat.threads):
        for i, row in enumerate(rows):
            if progress:
                progress("preparing", i, len(rows))
            _prepare_row(row, lat, dtype, dev)
        overhead = timer_overhead(clock)
        for i, row in enumerate(rows):
            if progress:
                progress("warm-up", i, len(rows))
            if row.error:
                continue
            memory = (PeakMemory(dev) if lat.track_memory and dev.type == "cpu" and row.runner.memory_visible
                      else None)
            try:
                # the same warm-up as `profile` (≥ warmup_min_iters calls and ≥ warmup seconds)
                with memory if memory is not None else contextlib.nullcontext():
                    row.timed.warm_up(lat.warmup_min_iters, lat.warmup, clock, overhead_s=overhead)
                if memory is not None:
                    row.peak, row.memory_method = memory.peak_bytes, memory.method
            except Exception as err:  # noqa: BLE001 - a failing row must not stop the comparison
                _fail(row, "run", err, rows)
        result.memory_note = ("peak MiB = RSS growth during each row's warm-up, all compared models resident"
                              if dev.type == "cpu" else "peak memory not measured on CUDA by compare (all models "
                              "are resident at once); see `cnnbench profile`")
        calib_runner = None
        try:
            if lat.calibrate and any(not r.error for r in rows):  # after the warm-ups: never in a row's peak memory
                calib_runner = prepare_calibration(lat)
                result.calibration = Timed(calib_runner.call, calib_runner.sync)
                result.calibration.warm_up(lat.warmup_min_iters, lat.warmup, clock, overhead_s=overhead)
            _rounds(rows, lat, rounds, result, progress, clock)
        finally:
            if calib_runner is not None:
                calib_runner.close()


def _prepare_row(row: _Row, lat: LatencyOptions, dtype: str, dev: Any) -> None:
    from cnnbench.latency.engine import prepare_row
    from cnnbench.latency.timer import Timed

    # row.make_inputs: CPU (args, kwargs) (InputSpec.maker(batch)), else one tensor of row.shape; row.copy_model:
    # the spec returns the caller's instance, so the engine times a deep copy and the instance stays as it was
    prep = prepare_row(row.spec.build, row.make_inputs or row.shape, lat,
                       runtime=row.runtime, device=dev, dtype=dtype, model_key=row.spec.name,
                       copy_model=row.copy_model)
    if prep.runner is None:
        row.error, row.oom = prep.error, prep.oom
        return
    row.runner = prep.runner
    row.facts, row.compile_s = dict(prep.runner.details), prep.runner.compile_s
    row.timed = Timed(prep.runner.call, prep.runner.sync)


def _rounds(rows: list[_Row], lat: LatencyOptions, rounds: int, result: CompareResult, progress: ProgressFn | None,
            clock: Callable[[], float]) -> None:
    from cnnbench.latency.timer import interleave

    active = [r for r in rows if not r.error]
    by_timed = {id(r.timed): r for r in active}
    calib = [result.calibration] if result.calibration is not None else []
    result.timed_rows = len(active)
    result.slice_s = lat.budget / rounds

    def stop(r: int, timed: Any, elapsed: float) -> bool:
        # after the budgeted rounds, one sample per row per round until every row has min_samples
        return r >= rounds and all(len(t.samples) >= lat.min_samples for t in timed)

    def on_visit(r: int, k: int, n: int) -> None:
        if progress:
            progress("measuring", r * n + k, max(rounds, r + 1) * n)

    def on_round(r: int) -> None:
        result.rounds = r

    def on_error(t: Any, err: Exception) -> None:
        if t is result.calibration:  # the rows keep their latency; their calibration keys stay empty
            t.samples.clear()
        else:
            _fail(by_timed[id(t)], "run", err, rows)

    interleave([r.timed for r in active] + calib, stop, slice_s=lambda r: result.slice_s if r < rounds else 0.0,
               clock=clock, on_visit=on_visit, on_round=on_round,
               on_error=on_error)


def _fail(row: _Row, phase: str, err: BaseException, rows: list[_Row] | None = None) -> None:
    from cnnbench.latency.engine import row_failure

    row.error, row.oom = row_failure(err, phase)  # traceback under --debug, one plain line, sys.exit(N)
    _drop(row)
    if row.oom and rows:  # as in `profile`: larger batches of the same model and runtime would fail too
        for other in rows:
            if (other.spec.name == row.spec.name and other.runtime == row.runtime and other.shape[0] > row.shape[0]
                    and not other.error):
                other.error = f"skipped: batch {row.shape[0]} ran out of memory"
                _drop(other)


def _drop(row: _Row) -> None:
    """Out of the rounds, its samples discarded (a failed row has no latency), its runner released."""
    if row.timed is not None:
        row.timed.dropped = True
        row.timed.samples.clear()
    _close(row)


def _close(row: _Row) -> None:
    if row.runner is not None:
        row.runner.close()
        row.runner = None


def _attach_latency(rows: list[_Row], lat: LatencyOptions, dtype: str, result: CompareResult) -> None:
    import torch

    from cnnbench.latency.engine import LatencyResult, calibration_details
    from cnnbench.latency.options import precision_label
    from cnnbench.latency.timer import LatencyStats

    env = None
    if rows:
        from cnnbench.env import collect_env

        env = collect_env(device=lat.device, threads=lat.threads)
    threads = lat.threads or torch.get_num_threads()
    calib = result.calibration if result.calibration is not None and result.calibration.samples else None
    for row in rows:
        base = result.profiles[row.index]
        error = row.error
        stats = None
        if not error and row.samples:
            stats = LatencyStats.from_samples(row.samples, block_size=row.block)
        elif not error:
            error = "interrupted before latency was measured"
        details = {**row.facts, "block_size": row.block, "seed": lat.seed, "memory_method": row.memory_method,
                   "interleaved": {"rounds": result.rounds, "rows": result.timed_rows}}
        if result.interrupted:
            details["interrupted"] = True
        if calib is not None:
            details["calibration"] = calibration_details(calib)
        res = LatencyResult(device=lat.device, runtime=row.runtime, batch_size=row.shape[0], threads=threads,
                            dtype=dtype, precision=precision_label(row.runtime, dtype, lat.precision),
                            channels_last=lat.channels_last, latency=stats, peak_memory_bytes=row.peak,
                            compile_s=row.compile_s, error=error, oom=row.oom, details=details,
                            calibrate=lat.calibrate, calibration=calib.stats() if calib is not None else None)
        result.profiles[row.index] = replace(base, latency=res.to_dict(), env=env)
    # rows never reached (Ctrl-C during static analysis) are not in result.profiles at all
