"""Sweep a model zoo in isolated worker processes (or on Ray): resumable, rows saved as they arrive.

Targets: names, `timm:*`-style patterns over timm's list (`torchvision:*` too), registered-name patterns,
`file.py:Class`; plus --family / --source. Names of one model (an alias, a file spelt two ways) are measured once.
Each model runs in a reused worker process under --timeout and --max-memory: one that hangs, crashes or runs out of
memory is an error row and the sweep goes on. --jobs is capped by the tasks and by the memory available (said on
stderr). Rows go to the history database as they arrive (--db, default results/cnnbench.db); --resume skips every
row this code version (and, for file.py models, this file content) has already measured on this machine, and the
output still holds every row. Exit 1 if any row failed, 2 if the database or a file could not be written (every row
printed first), 130 on Ctrl-C (finished rows are kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cnnbench.cli.db_options import DbOpt, command_line, db_path
from cnnbench.cli.options import (
    BatchOpt,
    BudgetOpt,
    CalibrateOpt,
    ChannelsLastOpt,
    CompileModeOpt,
    DeviceOpt,
    DtypeOpt,
    FormatOpt,
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
    check_calibrate,
    check_format,
    check_positive,
    input_options,
)
from cnnbench.cli.output import OutputFailures, check_output_path, emit, stderr, stdout

_RUN = "Sweep"


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
    any_version: Annotated[bool, typer.Option("--any-version", help="With --resume: also skip rows measured by "
                                              "another cnnbench version on this machine (a long sweep run in "
                                              "pieces across code changes; each row keeps its own commit).",
                                              rich_help_panel=_RUN)] = False,
    executor: Annotated[str, typer.Option(help="local | ray", rich_help_panel=_RUN)] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (implies --executor ray); default: a "
                                                "local Ray instance.", rich_help_panel=_RUN)] = None,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to reach the Ray cluster at --address.",
                                                   rich_help_panel=_RUN)] = 15.0,
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
    calibrate: CalibrateOpt = False,
    precision: PrecisionOpt = None,
    compile_mode: CompileModeOpt = None,
    quantization: QuantizationOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    summary: Annotated[str | None, typer.Option(help="Also write a Markdown summary (counts, time, failures by "
                                                "cause) to FILE.")] = None,
    db: DbOpt = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not record rows in the database.")] = False,
) -> None:
    from cnnbench.catalog import expand_targets
    from cnnbench.errors import CnnbenchError
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.sweep import RowWriter, measured_records, memory_cap, open_executor, plan_sweep, worker_count

    fmt = check_format(fmt)
    summary_path = check_output_path(summary, "--summary")
    executor = "ray" if address else executor.lower()
    if executor not in ("local", "ray"):
        raise CnnbenchError(f"unknown --executor {executor!r}: choose local or ray")
    if jobs < 1:
        raise CnnbenchError("--jobs must be at least 1")
    check_positive(timeout, "--timeout", "seconds")
    check_positive(max_memory, "--max-memory", "GB")
    check_positive(connect_timeout, "--connect-timeout", "seconds")
    if executor == "ray":
        from cnnbench.sweep.ray_pool import require_ray

        require_ray()  # the extra not installed: one line, before anything else
    if no_save and resume:
        raise CnnbenchError("--resume reads the database: drop --no-save")
    if any_version and not resume:
        raise CnnbenchError("--any-version only changes what --resume skips: add --resume")
    names = expand_targets(targets, family=family, source=source)
    check_calibrate(calibrate, no_latency)
    lat = None if no_latency else LatencyOptions.parse(
        device=device, runtimes=runtime, threads=threads, channels_last=channels_last, budget=budget,
        min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir, precision=precision, compile_mode=compile_mode,
        quantization=quantization, dtype=dtype, calibrate=calibrate)
    ex = open_executor("ray", address, jobs, timeout, memory_cap(max_memory, jobs), connect_timeout) \
        if executor == "ray" else None
    store = None if no_save else _open(db_path(db))
    command = command_line()
    writer = RowWriter(store, command) if store is not None else None
    db_failure = None
    try:
        resumed = measured_records(store, executor, ex, retry_failed=retry_failed,
                                   any_version=any_version) if resume else {}
        plan = plan_sweep(names, **input_options(input_size, inputs, fuse), batch_sizes=batch_size, dtype=dtype,
                           latency=lat, skip=set(resumed))
        if plan.duplicates:
            stderr.print(f"dropped {len(plan.duplicates)} duplicate name(s), each the same model as an earlier "
                         "one (measured once, under the first name): "
                         + ", ".join(f"{dup} (= {first})" for dup, first in plan.duplicates))
        if resume:
            stderr.print(f"resume: skipping {plan.skipped} of {plan.rows} row(s) already measured by "
                         f"{'any' if any_version else 'this'} code version on this machine; "
                         f"{plan.rows - plan.skipped} to go")
        if ex is None:
            jobs, why = worker_count(jobs, len(plan.tasks), max_memory)
            if why:
                stderr.print(why)
            ex = open_executor("local", None, jobs, timeout, memory_cap(max_memory, jobs))
        outcome = _run(plan, ex, writer, executor, jobs)
        if writer is not None:
            db_failure = writer.finish()
    finally:
        if store is not None:
            store.close()
        if executor == "ray" and ex is not None:
            ex.shutdown()
    records = [resumed[k] for k in plan.skipped_keys] + outcome.records
    _finish(records, names, outcome, fmt, output, summary_path, command, jobs, writer, db_failure)


def _open(path: str):
    from cnnbench.store import open_store

    return open_store(path)


def _run(plan: Any, ex: Any, writer: Any, executor: str, jobs: int):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from cnnbench.sweep import run_plan

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


def _finish(records: list[dict[str, Any]], names: list[str], outcome: Any, fmt: str, output: Path | None,
            summary_path: Path | None, command: str, jobs: int, writer: Any, db_failure: str | None) -> None:
    """Hands every row out as ``profile`` does (:func:`~cnnbench.cli.output.emit`): the table or ``--format`` on
    stdout, ``-o``, ``--summary``; a database or file that could not be written is named afterwards (exit 2)."""
    from cnnbench.sweep import ordered, summary_tables, write_summary

    records = ordered(records, names)
    failures = OutputFailures()
    if db_failure:
        failures.messages.append(db_failure)
    elif writer is not None and writer.rows:
        stderr.print(f"recorded {writer.rows} row(s) in {writer.store.path}")

    def show(recs: list[dict[str, Any]]) -> None:
        for table in summary_tables(recs, outcome, width=stdout.width):
            stdout.print(table)

    emit(records, fmt, output, show, failures)
    if fmt != "table":  # stdout is the data: the counts go to stderr
        for table in summary_tables(records, outcome, rows=False):
            stderr.print(table)
    if summary_path is not None:
        with failures.attempt(summary_path):
            write_summary(summary_path, records, outcome, command=command, jobs=jobs)
            stderr.print(f"wrote the summary to {summary_path}")
    failures.raise_if_any()
    if outcome.interrupted:
        stderr.print(f"interrupted: kept {len(outcome.records)} finished row(s)")
        raise typer.Exit(130)
    if any(r.get("error") for r in records):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("sweep", help=__doc__)(sweep)
