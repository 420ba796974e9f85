"""Sweep a model zoo in isolated worker processes (or on Ray): resumable, rows saved as they arrive.

Targets: names, `timm:*`-style patterns over timm's list (`torchvision:*` too), registered-name patterns,
`file.py:Class`; plus --family / --source. Each model runs in a reused worker process under --timeout and
--max-memory: one that hangs, crashes or runs out of memory is an error row and the sweep goes on. Rows go to the
history database as they arrive (--db, default results/cnnbench.db); --resume skips every row this code version has
already measured on this machine. Exit 1 if any row failed, 130 on Ctrl-C (finished rows are kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnnbench.cli.db_options import DbOpt, command_line, db_path
from cnnbench.cli.options import (
    BatchOpt,
    BudgetOpt,
    ChannelsLastOpt,
    CompileModeOpt,
    DeviceOpt,
    DtypeOpt,
    FuseOpt,
    InputSizesOpt,
    InputsOpt,
    MinSamplesOpt,
    NoLatencyOpt,
    OnnxDirOpt,
    OutputOpt,
    PrecisionOpt,
    QuantizationOpt,
    RuntimeOpt,
    ThreadsOpt,
    WarmupOpt,
    input_options,
)
from cnnbench.cli.output import check_output_path, stderr, stdout

_RUN = "Sweep"
_LAT = "Latency"
GB = 1 << 30


def sweep(
    targets: Annotated[list[str] | None, typer.Argument(help="Names, patterns ('timm:*', 'timm:resnet*', "
                                                        "'torchvision:*', 'resnet*') or file.py:Class.")] = None,
    family: Annotated[str | None, typer.Option(help="Every registered model of this family.")] = None,
    source: Annotated[str | None, typer.Option(help="Every registered model of this source (torchvision, timm, "
                                               "cnnbench).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes for static work (timed work runs one "
                                      "at a time per device).", rich_help_panel=_RUN)] = 1,
    timeout: Annotated[float, typer.Option(help="Seconds one model (one task) may take.",
                                           rich_help_panel=_RUN)] = 300.0,
    max_memory: Annotated[float | None, typer.Option(help="GB one worker may allocate (default: 80 % of RAM / "
                                                     "--jobs).", rich_help_panel=_RUN)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip rows already in the database for this code "
                                         "version and machine.", rich_help_panel=_RUN)] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="With --resume: measure failed rows again.",
                                               rich_help_panel=_RUN)] = False,
    executor: Annotated[str, typer.Option(help="local | ray", rich_help_panel=_RUN)] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (implies --executor ray); default: a "
                                                "local Ray instance.", rich_help_panel=_RUN)] = None,
    input_size: InputSizesOpt = None,
    inputs: InputsOpt = None,
    fuse: FuseOpt = False,
    batch_size: BatchOpt = None,
    dtype: DtypeOpt = "fp32",
    no_latency: NoLatencyOpt = False,
    device: DeviceOpt = "cpu",
    runtime: RuntimeOpt = None,
    threads: ThreadsOpt = None,
    channels_last: ChannelsLastOpt = False,
    budget: BudgetOpt = 2.0,
    min_samples: MinSamplesOpt = 30,
    warmup: WarmupOpt = 0.5,
    onnx_dir: OnnxDirOpt = None,
    precision: PrecisionOpt = None,
    compile_mode: CompileModeOpt = None,
    quantization: QuantizationOpt = None,
    output: OutputOpt = None,
    summary: Annotated[str | None, typer.Option(help="Also write a Markdown summary (counts, time, failures by "
                                                "cause) to FILE.")] = None,
    db: DbOpt = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not record rows in the database.")] = False,
) -> None:
    from cnnbench.catalog import expand_targets
    from cnnbench.errors import CnnbenchError
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.sweep.driver import plan_sweep

    summary_path = check_output_path(summary, "--summary")
    executor = "ray" if address else executor.lower()
    if executor not in ("local", "ray"):
        raise CnnbenchError(f"unknown --executor {executor!r}: choose local or ray")
    if executor == "ray":
        import importlib.util

        from cnnbench.sweep.ray_pool import RAY_MISSING

        if importlib.util.find_spec("ray") is None:  # the extra not installed: one line, before anything else
            raise CnnbenchError(RAY_MISSING)
    if jobs < 1:
        raise CnnbenchError("--jobs must be at least 1")
    if timeout <= 0:
        raise CnnbenchError("--timeout must be positive")
    if max_memory is not None and max_memory <= 0:
        raise CnnbenchError("--max-memory must be positive (GB)")
    if no_save and resume:
        raise CnnbenchError("--resume reads the database: drop --no-save")
    names = expand_targets(targets, family=family, source=source)
    lat = None if no_latency else LatencyOptions.parse(
        device=device, runtimes=runtime, threads=threads, channels_last=channels_last, budget=budget,
        min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir, precision=precision, compile_mode=compile_mode,
        quantization=quantization, dtype=dtype)
    cap = _memory_cap(max_memory, jobs)
    ex = _executor(executor, address, jobs, timeout, cap, lat)
    store = None if no_save else _open(db_path(db))
    try:
        skip: set[str] = set()
        if resume:
            from cnnbench.sweep import resume as res

            fps = res.this_fingerprint() if executor == "local" else _ray_fingerprints(ex)
            skip = res.measured(store, fps, retry_failed=retry_failed)
        plan = plan_sweep(names, **input_options(input_size, inputs, fuse), batch_sizes=batch_size, dtype=dtype,
                          latency=lat, skip=skip)
        if resume:
            stderr.print(f"resume: skipping {plan.skipped} of {plan.rows} row(s) already measured by this code "
                         f"version on this machine; {plan.rows - plan.skipped} to go")
        command = command_line()
        writer = _RowWriter(store, command) if store is not None else None
        outcome = _run(plan, ex, writer, executor, jobs)
    finally:
        if store is not None:
            store.close()
        if executor == "ray":
            ex.shutdown()
    _finish(plan, outcome, names, output, summary_path, command, jobs, store, db)


def _memory_cap(max_memory: float | None, jobs: int) -> int:
    if max_memory is not None:
        return int(max_memory * GB)
    import psutil

    return int(0.8 * psutil.virtual_memory().total / jobs)


def _executor(kind: str, address: str | None, jobs: int, timeout: float, cap: int, lat: Any) -> Any:
    if kind == "ray":
        import os

        from cnnbench.sweep.ray_pool import RayExecutor

        if not address:  # a local Ray instance started for one sweep needs no token files
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")

        ex = RayExecutor(address, timeout=timeout, max_memory=cap)
        ex.connect()  # a cluster that cannot be reached fails now (exit 2), before anything is planned
        return ex
    from cnnbench.sweep.local_pool import LocalPool, WorkerConfig

    return LocalPool(jobs, timeout=timeout, config=WorkerConfig(max_memory=cap))


def _ray_fingerprints(ex: Any) -> set[str]:
    from cnnbench.sweep.ray_pool import cluster_fingerprints

    return cluster_fingerprints(ex)


def _open(path: str):
    from cnnbench.store import open_store

    return open_store(path)


class _RowWriter:
    """Streams each row into the database as it arrives: one run per distinct measuring environment (a Ray
    cluster's nodes each get theirs), created at its first row."""

    def __init__(self, store: Any, command: str) -> None:
        self.store = store
        self.command = command
        self.runs: dict[str, int] = {}
        self.rows = 0
        self._default_env: dict[str, Any] | None = None

    def __call__(self, rec: dict[str, Any]) -> None:
        import json

        env = rec.get("env")
        if not isinstance(env, dict):  # a worker that died left no env: the driver's machine ran it
            if self._default_env is None:
                from cnnbench.sweep.tasks import worker_env

                self._default_env = worker_env(None, None)
            env = self._default_env
        key = json.dumps(env, sort_keys=True, default=str)
        if key not in self.runs:
            self.runs[key] = self.store.start_run(command=self.command, env=env)
        self.store.append_results(self.runs[key], [rec])
        self.rows += 1


def _run(plan: Any, ex: Any, writer: Any, executor: str, jobs: int):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from cnnbench.sweep.driver import run_plan

    todo = plan.rows - plan.skipped
    counts = {"ok": 0, "failed": 0}
    progress = Progress(TextColumn("[bold]sweep[/bold]"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("[green]{task.fields[ok]} ok[/green] [red]{task.fields[failed]} failed[/red]"),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=stderr,
                        disable=not stderr.is_terminal)
    where = f"{executor} executor" + (f", {jobs} worker(s)" if executor == "local" else "")
    stderr.print(f"sweeping {todo} row(s) of {len(plan.specs)} model(s) on the {where}")

    with progress:
        bar = progress.add_task("sweep", total=todo, ok=0, failed=0)

        def on_row(rec: dict[str, Any]) -> None:
            counts["failed" if rec.get("error") else "ok"] += 1
            if writer is not None:
                writer(rec)
            progress.update(bar, advance=1, **counts)
            if rec.get("error") and not stderr.is_terminal:
                stderr.print(f"[red]failed[/red] {rec.get('model')}: {rec['error']}")

        return run_plan(plan, ex, on_row)


def _finish(plan: Any, outcome: Any, names: list[str], output: Path | None, summary_path: Path | None,
            command: str, jobs: int, store: Any, db: str | None) -> None:
    from cnnbench.cli.output import OutputFailures
    from cnnbench.report.export import format_for_path, write_records
    from cnnbench.sweep.summary import failures_by_cause, file_records, markdown_summary

    order = {n: i for i, n in enumerate(names)}
    records = sorted(outcome.records, key=lambda r: (order.get(str(r.get("model")), len(order)),
                                                     r.get("batch_size") or (r.get("input_shape") or [0])[0],
                                                     str(r.get("runtime"))))
    _print_summary(records, outcome, failures_by_cause(records))
    if store is not None and outcome.records:
        stderr.print(f"recorded {len(outcome.records)} row(s) in {store.path}")
    failures = OutputFailures()
    if output is not None:
        with failures.attempt(output):
            fmt = format_for_path(output, "json")
            write_records(output, file_records(records, keep_volatile=fmt == "json"), "json")
            stderr.print(f"wrote {len(records)} record(s) to {output}")
    if summary_path is not None:
        from cnnbench.report.export import write_atomic
        from cnnbench.sweep.tasks import worker_env

        with failures.attempt(summary_path):
            text = markdown_summary(records, title="cnnbench sweep", command=command, seconds=outcome.seconds,
                                    jobs=jobs, env=worker_env(None, None), skipped=outcome.skipped)
            write_atomic(summary_path, text)
            stderr.print(f"wrote the summary to {summary_path}")
    failures.raise_if_any()
    if outcome.interrupted:
        stderr.print(f"interrupted: kept {len(records)} finished row(s)")
        raise typer.Exit(130)
    if outcome.failed:
        raise typer.Exit(1)


def _print_summary(records: list[dict[str, Any]], outcome: Any, groups: list[tuple[str, int, list[str]]]) -> None:
    from rich.table import Table

    from cnnbench.report.tables import common_label, profile_table

    if records and len(records) <= 40:
        where = common_label(records, ("device", "runtime", "dtype"))
        stdout.print(profile_table(records, title=f"cnnbench sweep — {where}" if where else "cnnbench sweep",
                                   width=stdout.width))
    t = Table(title="sweep summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    n = len(records)
    t.add_row("rows", str(n) + (f" (+{outcome.skipped} skipped: --resume)" if outcome.skipped else ""))
    t.add_row("ok", f"{n - outcome.failed}" + (f" ({100 * (n - outcome.failed) / n:.1f} %)" if n else ""))
    t.add_row("failed", str(outcome.failed))
    t.add_row("wall time", f"{outcome.seconds:.1f} s")
    for c, k, models in groups[:10]:
        t.add_row(f"  {k} ×", f"{c}  [dim]({', '.join(models[:3])}{' …' if len(models) > 3 else ''})[/dim]")
    stdout.print(t)


def register(app: typer.Typer) -> None:
    app.command("sweep", help=__doc__)(sweep)
