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
from pathlib import Path
from typing import Annotated

import typer

from cnnbench.cli.options import DeviceOpt, DtypeOpt, FormatOpt, InputSizeOpt, OutputOpt, ThreadsOpt, check_format
from cnnbench.cli.output import check_output_path, emit, out, stderr, stdout

_LAT = "Latency"


def _plot_path(value: str | None) -> Path | None:
    return check_output_path(value, "--plot")


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
    from cnnbench.explainer.run import explain as run_explain

    fmt = check_format(fmt)
    if not budget > 0:
        raise CnnbenchError(f"--budget must be > 0 (got {budget})")
    results = []
    for name in models:
        stderr.print(f"[bold]explain {name}[/bold] [dim]({runtime}, {device})[/dim]")
        results.append(run_explain(name, input_size=input_size, batch_size=batch_size, device=device,
                                   runtime=runtime, dtype=dtype, threads=threads, depth=depth, by=by, top=top,
                                   refresh_roofline=refresh_roofline, budget=budget, iterations=iterations))
    if plot is not None:
        from cnnbench.explainer.plots import save

        for ex in results:
            if ex.error is None:
                path = plot if len(results) == 1 else plot.with_name(f"{plot.stem}-{ex.model}{plot.suffix}")
                save(ex, path)
                stderr.print(f"wrote {path}")
    rows = [{"model": ex.model, **r} for ex in results for r in ex.layers]
    if fmt == "json":
        out().write(json.dumps([ex.to_dict() for ex in results], indent=2, default=str) + "\n")
        if output is not None:
            emit(rows, "table", output)
    elif fmt in ("csv", "md"):
        emit(rows, fmt, output)
    else:
        for ex in results:
            _print(ex)
        if output is not None:
            emit(rows, "table", output)
    if any(ex.error for ex in results):
        raise typer.Exit(1)


def _print(ex) -> None:
    from cnnbench.report.tables import compact_table, two_line_header
    from cnnbench.report.units import nbytes, si

    if ex.error:
        stdout.print(f"[red]{ex.model}: {ex.error}[/red]")
        return
    roof = ex.roofline or {}
    rec = ex.reconciliation or {}
    over = ex.profiler_overhead or {}
    by_op = ex.by == "op"
    # the house style: numbers never wrap or get cut; names (module, type, op) fold instead
    t = compact_table(f"{ex.model} · {ex.runtime} · {ex.device} · {ex.threads} thread(s) · batch {ex.batch_size} · "
                      f"depth {ex.depth}")
    cols = ["module", "type"] + (["op"] if by_op else []) + ["ms", "share", "MACs", "mem access (B)", "FLOP/B",
                                                               "GFLOP/s", "GB/s", "% of roof", "bound"]
    # narrow terminals: the module type and the intensity give way (JSON/--format keep everything)
    drop = {"type", "FLOP/B"} if (stdout.width or 200) < 110 else set()
    for c in cols:
        if c in drop:
            continue
        if c in ("module", "type", "op"):
            t.add_column(c, overflow="fold")
        else:
            t.add_column(two_line_header(c) if c != "% of roof" else "% of\nroof", no_wrap=True,
                         justify="left" if c == "bound" else "right")
    for r in ex.layers:
        cells = dict(zip(cols, [r["module"], r["module_type"], *([r["op"]] if by_op else []), f"{r['time_ms']:.3f}",
                                f"{100 * r['share']:.1f}%", si(r["macs"]), nbytes(r["memory_access_bytes"]),
                                f"{r['arithmetic_intensity']:.1f}", f"{r['achieved_gflops']:.1f}",
                                f"{r['achieved_gbps']:.1f}", f"{100 * r['roofline_fraction']:.0f}",
                                r["bound"] or "fused"], strict=True))
        t.add_row(*(v for k, v in cells.items() if k not in drop))
    stdout.print(t)
    how = (f"forward hooks, {ex.timed_inferences} inferences" if ex.timing_source.startswith("forward hooks")
           else f"profiled, {ex.profiled_iterations} inferences")
    stdout.print(f"end-to-end median {ex.end_to_end_ms:.3f} ms (uninstrumented) · sum of layers "
                 f"{ex.sum_of_layers_ms:.3f} ms ({how}) · difference {rec.get('difference_ms', 0):+.3f} ms "
                 f"({100 * rec.get('relative', 0):+.1f}%) · profiler overhead {over.get('ms', 0):.3f} ms "
                 f"({100 * over.get('fraction', 0):.0f}%)")
    comp = ex.compile
    if comp.get("whole_model_ms"):
        stdout.print(f"regional compile ({comp.get('regions', 0)} regions, {comp.get('regional_compile_s', 0):.1f} s) "
                     f"{ex.end_to_end_ms:.3f} ms vs whole-model compile ({comp.get('whole_model_compile_s') or 0:.1f} s)"
                     f" {comp['whole_model_ms']:.3f} ms = {comp.get('regional_vs_whole', 0):.2f}× (fusion stops at "
                     "row boundaries)")
    tot = ex.totals
    if tot.get("achieved_gflops") is not None:
        stdout.print(f"model: {tot['flops'] / 1e9:.2f} GFLOP (2 × MACs) → {tot['achieved_gflops']:.1f} GFLOP/s = "
                     f"{100 * tot['roofline_fraction']:.0f}% of the {roof.get('peak_gflops', 0):.0f} GFLOP/s peak · "
                     f"bandwidth {roof.get('bandwidth_gbps', 0):.1f} GB/s · dispatch "
                     f"{roof.get('dispatch_overhead_us', 0):.2f} µs/op")
    o = compact_table("by op type: share of time vs share of MACs")
    for c in ("op type", "ms", "time", "MACs", "mem access"):
        o.add_column(c, justify="left" if c == "op type" else "right", no_wrap=c != "op type")
    for r in ex.op_types:
        o.add_row(r["op_type"], f"{r['time_ms']:.3f}", f"{100 * r['time_share']:.1f}%", f"{100 * r['macs_share']:.1f}%",
                  f"{100 * r['memory_share']:.1f}%")
    stdout.print(o)
    for line in ex.summary():
        stdout.print(f"  {line}")


def register(app: typer.Typer) -> None:
    app.command("explain", help=__doc__)(explain)
