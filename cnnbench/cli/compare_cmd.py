"""Compare models side by side: static costs, interleaved latency, ratios, plots, and which proxy predicts latency."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cnnbench.cli.db_options import DbOpt, SaveOpt, command_line, maybe_save
from cnnbench.cli.options import (
    BatchOpt,
    CalibrateOpt,
    ChannelsLastOpt,
    ColumnsOpt,
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
    PrecisionOpt,
    QuantizationOpt,
    RooflineOpt,
    RuntimeOpt,
    ThreadsOpt,
    WarmupOpt,
    check_calibrate,
    check_format,
    input_options,
    output_path,
)
from cnnbench.cli.output import OutputFailures, check_plot_path, out, stderr, stdout

if TYPE_CHECKING:
    from cnnbench.comparison import CompareView

_LAT = "Latency"
_CMP = "Comparison"


def compare(
    models: Annotated[list[str] | None, typer.Argument(
        help="Models (as for `profile`) and/or family names; mix freely with --family.")] = None,
    family: Annotated[list[str] | None, typer.Option("--family", help="Every model of a family (repeatable; "
                                                        "see `cnnbench list`).", rich_help_panel=_CMP)] = None,
    sort: Annotated[str, typer.Option(help="Row order (ascending): params | macs | memory_access | activations | "
                                      "latency | checkpoint; efficiency = % of this machine's peak, highest first "
                                      "(needs a roofline: --roofline).", rich_help_panel=_CMP)] = "macs",
    relative_to: Annotated[str | None, typer.Option("--relative-to", help="Add ×params/×MACs/×mem/×latency "
                                                       "columns vs this (compared) model.",
                                                       rich_help_panel=_CMP)] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a figure: FILE.png | .svg | .pdf (proxies vs latency "
                                                 "with Pareto fronts, params vs checkpoint).",
                                                 rich_help_panel=_CMP)] = None,
    input_size: InputSizesOpt = None,
    inputs: InputsOpt = None,
    fuse: FuseOpt = False,
    roofline: RooflineOpt = False,
    batch_size: BatchOpt = None,
    dtype: DtypeOpt = "fp32",
    no_latency: NoLatencyOpt = False,
    device: DeviceOpt = "cpu",
    runtime: RuntimeOpt = None,
    threads: ThreadsOpt = None,
    channels_last: ChannelsLastOpt = False,
    budget: Annotated[float, typer.Option(help="Seconds of timed samples per row (spread over the rounds).",
                                          rich_help_panel=_LAT)] = 2.0,
    min_samples: MinSamplesOpt = 30,
    warmup: WarmupOpt = 0.5,
    rounds: Annotated[int, typer.Option(help="Round-robin rounds the budget is split over.",
                                        rich_help_panel=_LAT)] = 5,
    onnx_dir: OnnxDirOpt = None,
    calibrate: CalibrateOpt = False,
    precision: PrecisionOpt = None,
    compile_mode: CompileModeOpt = None,
    quantization: QuantizationOpt = None,
    columns: ColumnsOpt = None,
    fmt: FormatOpt = "table",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Also write FILE: .json/.csv = the "
                                                  "records (as `profile`), .md = the comparison report.",
                                                  callback=output_path)] = None,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Compare models: one row per model × runtime × batch size, latency measured interleaved."""
    from cnnbench import comparison as cmp
    from cnnbench.errors import CnnbenchError
    from cnnbench.inputs import parse_dtype, parse_int_list
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.report import check_columns

    fmt = check_format(fmt)
    cols = check_columns(columns)
    if plot is not None:
        check_plot_path(plot)
    sort = cmp.check_sort(sort, has_latency=not no_latency)
    specs = cmp.resolve_targets(models, family)
    ref = cmp.check_reference(relative_to, specs)
    check_calibrate(calibrate, no_latency)
    lat = None if no_latency else LatencyOptions.parse(
        device=device, runtimes=runtime, threads=threads, channels_last=channels_last, budget=budget,
        min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir, precision=precision, compile_mode=compile_mode,
        quantization=quantization, dtype=dtype, calibrate=calibrate)
    if rounds < 1:
        raise CnnbenchError(f"--rounds must be ≥ 1 (got {rounds})")
    spec = cmp.make_spec(specs, **input_options(input_size, inputs, fuse),
                         batch_sizes=parse_int_list(batch_size, "--batch-size", [1]),
                         dtype=parse_dtype(dtype), latency=lat)

    result = _run(spec, rounds, show_progress=fmt == "table" or stderr.is_terminal)
    from cnnbench.latency.roofline import with_efficiency

    profiles = with_efficiency(result.profiles, measure=roofline and lat is not None)
    records = cmp.sort_records([p.to_dict() for p in profiles], sort)
    corrs = cmp.correlations(records) if lat is not None else []
    view = cmp.CompareView(records, cmp.references(records, ref), ref, sort, result.footer(), corrs, lat is not None, cols)

    # rows to the database first, then stdout, then files: a failed write never loses what was measured
    failures = OutputFailures()
    try:
        maybe_save(records, save=save, db=db, command=command_line())
    except CnnbenchError as e:
        failures.messages.append(str(e))
    if fmt == "table":
        view.print_tables(stdout)
    elif fmt == "md":
        out().write(view.markdown())
    else:
        from cnnbench.report import render

        out().write(render(records, fmt))
    if output is not None:
        from cnnbench.report import format_for_path, write_records
        from cnnbench.store import write_atomic

        with failures.attempt(output):
            if format_for_path(output, "json") == "md":
                write_atomic(output, view.markdown())
            else:
                write_records(output, records, "json" if fmt in ("table", "md") else fmt)
            stderr.print(f"wrote {len(records)} row(s) to {output}")
    if plot is not None:
        with failures.attempt(plot):
            _plot(records, plot, view)
    failures.raise_if_any()

    if result.interrupted:
        stderr.print(f"interrupted: kept {len(records)} row(s)")
        raise typer.Exit(130)
    if any(r.get("error") for r in records):
        raise typer.Exit(1)


def _run(spec, rounds: int, show_progress: bool):
    from cnnbench.comparison import run_compare

    if not show_progress:
        return run_compare(spec, rounds=rounds)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=True) as bar:
        task = bar.add_task("compare", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        return run_compare(spec, rounds=rounds, progress=progress)


def _plot(records: list[dict[str, Any]], path: Path, view: CompareView) -> None:
    from cnnbench.errors import CnnbenchError
    from cnnbench.report import compare_figure

    try:
        compare_figure(records, path, title=view.plot_title(), footnote=view.footer)
    except CnnbenchError as e:  # all rows failed: the table already says why; the exit code reflects it
        stderr.print(f"[yellow]no plot written: {e}[/yellow]")
        return
    stderr.print(f"wrote plot to {path}")


def register(app: typer.Typer) -> None:
    app.command("compare", help=__doc__)(compare)
