"""Where the time goes: each module's time beside its MACs, memory access and this machine's roofline.

Eager on the CPU: each module's time from forward hooks (perf_counter, about 1 µs a module call), its split over op
types from torch.profiler; on CUDA: the profiler's kernel times. onnx: ONNX Runtime's node profiling mapped back to
module scopes. Rows: time_ms, share, MACs, memory access, arithmetic intensity (FLOP/byte), achieved GFLOP/s and
GB/s, roofline_fraction = achieved ÷ min(peak, intensity × bandwidth) and bound (compute | memory | overhead).
compile: regional compilation (each row's module compiled on its own, the calls between them eager, timed as
eager), beside the whole model compiled at once (Inductor fuses across modules, so that one has no per-module
times). The
sum of the layers is shown beside the end-to-end median (latency protocol, uninstrumented, same run), with the
profiler's overhead. MACs = multiply-accumulates; FLOPs = 2 × MACs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from cnnbench.cli.options import DeviceOpt, DtypeOpt, FormatOpt, InputSizeOpt, OutputOpt, ThreadsOpt, check_format
from cnnbench.cli.output import OutputFailures, check_plot_path, emit, out, stderr, stdout

_LAT = "Latency"


def _plot_path(value: str | None) -> Path | None:
    return check_plot_path(value)  # a writable .png/.svg/.pdf, before anything is measured


def explain(
    models: Annotated[list[str], typer.Argument(help="Model name(s): resnet18, timm:NAME, file.py:Class…")],
    device: DeviceOpt = "cpu",
    runtime: Annotated[str, typer.Option(help="eager | compile (regional: each row module compiled on its own) | onnx",
                                         rich_help_panel=_LAT)] = "eager",
    threads: ThreadsOpt = None,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", help="Batch size.")] = 1,
    input_size: InputSizeOpt = None,
    dtype: DtypeOpt = "fp32",
    depth: Annotated[int, typer.Option(help="Module depth of the rows (1 = the model's children).")] = 1,
    top: Annotated[int | None, typer.Option(help="Only the K rows with the most time.")] = None,
    by: Annotated[str, typer.Option(help="module | op (module × op type).")] = "module",
    plot: Annotated[str | None, typer.Option(help="Write the roofline and op-type charts to FILE (.png/.svg).",
                                             callback=_plot_path)] = None,
    budget: Annotated[float, typer.Option(help="Seconds of end-to-end samples.", rich_help_panel=_LAT)] = 1.0,
    iterations: Annotated[int, typer.Option(help="Inferences profiled for the op split.", rich_help_panel=_LAT)] = 20,
    refresh_roofline: Annotated[bool, typer.Option("--refresh-roofline", help="Measure the roofline again.")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.errors import CnnbenchError
    from cnnbench.explainer import check_options
    from cnnbench.explainer import explain as run_explain

    fmt = check_format(fmt)
    if not budget > 0:
        raise CnnbenchError(f"--budget must be > 0 (got {budget})")
    # every option checked before the first progress line (the models are resolved by explain itself)
    check_options(runtime=runtime, by=by, depth=depth, top=top, iterations=iterations, batch_size=batch_size,
                  threads=threads, device=device, dtype=dtype)
    results = []
    for name in models:
        stderr.print(f"[bold]explain {name}[/bold] [dim]({runtime}, {device})[/dim]")
        ex = run_explain(name, input_size=input_size, batch_size=batch_size, device=device, runtime=runtime,
                         dtype=dtype, threads=threads, depth=depth, by=by, top=top,
                         refresh_roofline=refresh_roofline, budget=budget, iterations=iterations)
        if (ex.roofline or {}).get("cache_note"):
            stderr.print(f"[yellow]warning: {ex.roofline['cache_note']}[/yellow]", soft_wrap=True, highlight=False)
        results.append(ex)
    rows = [{"model": ex.model, **r} for ex in results for r in ex.layers]
    failures = OutputFailures()  # a file that cannot be written never costs the table or the other files
    if fmt == "json":
        out().write(json.dumps([ex.to_dict() for ex in results], indent=2, default=str) + "\n")
        out().flush()
        if output is not None:
            emit(rows, "table", output, failures=failures)
    elif fmt in ("csv", "md"):
        emit(rows, fmt, output, failures=failures)
    else:
        from cnnbench.explainer import print_explanation

        for ex in results:
            print_explanation(ex, stdout)
        if output is not None:
            emit(rows, "table", output, failures=failures)
    if plot is not None:
        from cnnbench.explainer import save_plots

        for ex in results:
            if ex.error is None:
                # one file per model: its name made safe for a file name (file.py:Class has a slash and a colon)
                tag = re.sub(r"[^\w.-]+", "_", ex.model).strip("_")
                path = plot if len(results) == 1 else plot.with_name(f"{plot.stem}-{tag}{plot.suffix}")
                with failures.attempt(path):
                    save_plots(ex, path)
                    stderr.print(f"wrote {path}")
    failures.raise_if_any()
    if any(ex.error for ex in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("explain", help=__doc__)(explain)
