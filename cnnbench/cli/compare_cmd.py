"""Compare models side by side: static costs, interleaved latency, ratios, plots, and which proxy predicts latency."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from cnnbench.cli.options import (
    BatchOpt,
    ChannelsLastOpt,
    ColumnsOpt,
    DeviceOpt,
    DtypeOpt,
    FormatOpt,
    FuseOpt,
    InputSizesOpt,
    InputsOpt,
    MinSamplesOpt,
    NoLatencyOpt,
    OnnxDirOpt,
    OutputFailures,
    RuntimeOpt,
    ThreadsOpt,
    WarmupOpt,
    check_format,
    check_output_path,
    out,
    output_path,
    stderr,
    stdout,
)
from cnnbench.cli.storage import DbOpt, SaveOpt, command_line, maybe_save

_LAT = "Latency"
_CMP = "Comparison"


def compare(
    models: Annotated[list[str] | None, typer.Argument(
        help="Models (as for `profile`) and/or family names; mix freely with --family.")] = None,
    family: Annotated[list[str] | None, typer.Option("--family", help="Every model of a family (repeatable; "
                                                        "see `cnnbench list`).", rich_help_panel=_CMP)] = None,
    sort: Annotated[str, typer.Option(help="Row order (ascending): params | macs | memory_access | activations | "
                                      "latency | checkpoint.", rich_help_panel=_CMP)] = "macs",
    relative_to: Annotated[str | None, typer.Option("--relative-to", help="Add ×params/×MACs/×mem/×latency "
                                                       "columns vs this (compared) model.",
                                                       rich_help_panel=_CMP)] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a figure: FILE.png | .svg | .pdf (proxies vs latency "
                                                 "with Pareto fronts, params vs checkpoint).",
                                                 rich_help_panel=_CMP)] = None,
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
    budget: Annotated[float, typer.Option(help="Seconds of timed samples per row (spread over the rounds).",
                                          rich_help_panel=_LAT)] = 2.0,
    min_samples: MinSamplesOpt = 30,
    warmup: WarmupOpt = 0.5,
    rounds: Annotated[int, typer.Option(help="Round-robin rounds the budget is split over.",
                                        rich_help_panel=_LAT)] = 5,
    onnx_dir: OnnxDirOpt = None,
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
    from cnnbench.cli.profile_cmd import input_options
    from cnnbench.errors import CnnbenchError
    from cnnbench.inputs import parse_dtype, parse_int_list
    from cnnbench.report.plots import check_plot_path
    from cnnbench.report.tables import check_columns
    from cnnbench.sweep import LatencyOptions

    fmt = check_format(fmt)
    cols = check_columns(columns)
    if plot is not None:
        check_output_path(check_plot_path(plot), "--plot")
    sort = cmp.check_sort(sort, has_latency=not no_latency)
    specs = cmp.resolve_targets(models, family)
    ref = cmp.check_reference(relative_to, specs)
    lat = None if no_latency else LatencyOptions.parse(
        device=device, runtimes=runtime, threads=threads, channels_last=channels_last, budget=budget,
        min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir)
    if rounds < 1:
        raise CnnbenchError(f"--rounds must be ≥ 1 (got {rounds})")
    spec = cmp.make_spec(specs, **input_options(input_size, inputs, fuse),
                         batch_sizes=parse_int_list(batch_size, "--batch-size", [1]),
                         dtype=parse_dtype(dtype), latency=lat)

    result = _run(spec, rounds, show_progress=fmt == "table" or stderr.is_terminal)
    records = cmp.sort_records([p.to_dict() for p in result.profiles], sort)
    corrs = cmp.correlations(records) if lat is not None else []
    view = _View(records, cmp.references(records, ref), ref, sort, result.footer(), corrs, lat is not None, cols)

    # rows to the database first, then stdout, then files: a failed write never loses what was measured
    failures = OutputFailures()
    try:
        maybe_save(records, save=save, db=db, command=command_line())
    except CnnbenchError as e:
        failures.messages.append(str(e))
    if fmt == "table":
        view.print_tables()
    elif fmt == "md":
        out().write(view.markdown())
    else:
        from cnnbench.report.export import render

        out().write(render(records, fmt))
    if output is not None:
        from cnnbench.report.export import format_for_path, write_atomic, write_records

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


def _plot(records: list[dict[str, Any]], path: Path, view: _View) -> None:
    from cnnbench.errors import CnnbenchError
    from cnnbench.report.plots import compare_figure

    try:
        compare_figure(records, path, title=view.plot_title(), footnote=view.footer)
    except CnnbenchError as e:  # all rows failed: the table already says why; the exit code reflects it
        stderr.print(f"[yellow]no plot written: {e}[/yellow]")
        return
    stderr.print(f"wrote plot to {path}")


_CORR_NOTE = ("correlation of median latency with each proxy across the compared models: Spearman ρ = do they rank "
              "the models alike, Pearson r = linear agreement")
_SORT_LABEL = {"params": "params", "macs": "MACs", "memory_access": "memory access", "activations": "activations",
               "latency": "median latency", "checkpoint": "checkpoint size"}


class _View:
    """Renders one comparison as Rich tables (stdout) or a Markdown report."""

    def __init__(self, records, refs, ref_model, sort, footer, corrs, has_latency, columns=None) -> None:
        from cnnbench.comparison import group_key

        self.records = records
        self.refs = refs
        self.ref_model = ref_model
        self.sort = sort
        self.footer = footer
        self.corrs = corrs
        self.has_latency = has_latency
        self.columns = columns
        self.groups: dict[tuple, list[dict[str, Any]]] = {}
        for r in records:
            self.groups.setdefault(group_key(r), []).append(r)

    def _caption(self) -> str:
        parts = [f"sorted by {_SORT_LABEL[self.sort]} (ascending)"]
        if self.ref_model:
            parts.append(f"×X = X / X of {self.ref_model} in the same device/runtime/batch group")
        if self.footer:
            parts.append(self.footer)
        return "; ".join(parts)

    def _title(self, key: tuple) -> str:
        from cnnbench.comparison import group_label

        return f"cnnbench compare — {group_label(key)}" if self.has_latency else "cnnbench compare"

    def plot_title(self) -> str:
        from cnnbench.comparison import group_label

        if not self.has_latency:
            return "cnnbench compare (static costs)"
        env = next((r.get("env") for r in self.records if r.get("env")), None) or {}
        where = env.get("gpu_name") if any(str(k[0]).startswith("cuda") for k in self.groups) else env.get("cpu_model")
        threads = next((r.get("threads") for r in self.records if r.get("threads")), None)
        parts = [group_label(k) for k in self.groups] + ([f"{threads} thread{'s' * (threads != 1)}"] if threads else [])
        return f"cnnbench compare{f' on {where}' if where else ''} — {'; '.join(parts)}"

    def print_tables(self) -> None:
        from cnnbench.report.tables import profile_table

        for key, recs in self.groups.items():
            shapes = {"x".join(map(str, r.get("input_shape") or [])) for r in recs}
            title = self._title(key) + (f" — input {shapes.pop()}" if len(shapes) == 1 and self.columns is None else "")
            stdout.print(profile_table(recs, relative_to=self.refs.get(key) if self.ref_model else None,
                                       title=title, footer=self._caption(), columns=self.columns, width=stdout.width,
                                       compare=True))
        if self.ref_model and self.refs == {}:
            stdout.print(f"[yellow]{self.ref_model} has no row to compare against[/yellow]")
        self._print_correlations()

    def _print_correlations(self) -> None:
        from rich.table import Table

        if not self.has_latency:
            return
        if not self.corrs:
            from cnnbench.comparison import MIN_CORRELATION_MODELS

            stdout.print(f"[dim]which proxy predicts latency: needs ≥ {MIN_CORRELATION_MODELS} models with "
                         "latency in one device/runtime/batch group[/dim]")
            return
        for c in self.corrs:
            t = Table(title=f"Which proxy predicts latency? ({c.group}, n = {c.n})", header_style="bold",
                      caption=_CORR_NOTE, caption_justify="left", min_width=72)
            t.add_column("proxy")
            t.add_column("Spearman ρ", justify="right")
            t.add_column("Pearson r", justify="right")
            for label in c.spearman:
                t.add_row(label, _num(c.spearman[label]), _num(c.pearson[label]))
            stdout.print(t)
            stdout.print(c.interpretation(), soft_wrap=True)

    def markdown(self) -> str:
        from cnnbench.report.units import CONVENTIONS

        out = ["# cnnbench compare", ""]
        env = next((r.get("env") for r in self.records if r.get("env")), None)
        if env:
            facts = [f"{k}: {env.get(k)}" for k in ("cpu_model", "gpu_name", "torch", "logical_cores")
                     if env.get(k) is not None]
            threads = next((r.get("threads") for r in self.records if r.get("threads")), None)
            if threads:
                facts.append(f"threads: {threads}")
            out += ["Environment — " + "; ".join(facts), ""]
        for key, recs in self.groups.items():
            out += [f"## {self._title(key).removeprefix('cnnbench compare — ') or 'static costs'}", ""]
            out += _md_rows(recs, self.refs.get(key) if self.ref_model else None, self.has_latency)
            out.append("")
        out += [self._caption() + ".", "", CONVENTIONS, ""]
        for c in self.corrs:
            out += [f"## Which proxy predicts latency? ({c.group}, n = {c.n})", "",
                    "| proxy | Spearman ρ | Pearson r |", "|---|---:|---:|"]
            out += [f"| {k} | {_num(c.spearman[k])} | {_num(c.pearson[k])} |" for k in c.spearman]
            out += ["", _CORR_NOTE + "."]
            out += ["", c.interpretation(), ""]
        return "\n".join(out)


def _num(v: float) -> str:
    return "—" if math.isnan(v) else f"{v:+.2f}"


def _md_rows(recs: list[dict[str, Any]], ref: dict[str, Any] | None, has_latency: bool) -> list[str]:
    from cnnbench.report.units import COLUMNS, ms

    static = ["params", "checkpoint_bytes", "macs", "memory_access_bytes", "activations"]
    head = ["model", "family", "input"] + [COLUMNS[k][0] for k in static]
    if has_latency:
        head += ["median ms", "IQR ms", "n", "img/s", "peak MiB"]
    if ref is not None:
        head += ["×params", "×MACs", "×mem"] + (["×latency"] if has_latency else [])
    head.append("error")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i < 3 or h == "error" else "---:"
                                                           for i, h in enumerate(head)) + "|"]
    for r in recs:
        lat = r.get("latency_ms") or {}
        row = [str(r["model"]), str(r.get("family") or ""), "x".join(map(str, r.get("input_shape") or []))]
        row += [COLUMNS[k][1](r) for k in static]
        if has_latency:
            row += [ms(lat.get("median")) + (" (noisy)" if lat.get("noisy") else ""), ms(lat.get("iqr")),
                    str(lat.get("samples") or "—"),
                    f"{r['throughput_per_s']:.1f}" if r.get("throughput_per_s") else "—",
                    f"{r['peak_memory_bytes'] / 2**20:.1f}" if r.get("peak_memory_bytes") is not None else "—"]
        if ref is not None:
            pairs = [(r.get(k), ref.get(k)) for k in ("params", "macs", "memory_access_bytes")]
            if has_latency:
                pairs.append((lat.get("median"), (ref.get("latency_ms") or {}).get("median")))
            row += ["—" if a is None or not b else f"{a / b:.2f}×" for a, b in pairs]
        row.append(str(r.get("error") or "").replace("|", "\\|"))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def register(app: typer.Typer) -> None:
    app.command("compare", help=__doc__)(compare)
