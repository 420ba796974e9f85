"""Reproduce a published table or figure: the paper's numbers beside ours, the deviation and a verdict.

`cnnbench reproduce --list` shows what can be reproduced; `cnnbench reproduce NAME` (or `all`) runs it.

Writes Markdown, CSV and PNG files under results/reproduce/ (or -o DIR).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnnbench.cli.db_options import DbOpt, SaveOpt, command_line, maybe_save
from cnnbench.cli.output import OutputFailures, check_output_path, stderr, stdout

_LAT = "Latency"


def register(app: typer.Typer) -> None:
    app.command("reproduce", help=__doc__)(reproduce)


def reproduce(
    name: Annotated[str | None, typer.Argument(help="Reproduction name (see --list), or 'all'.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the reproductions and exit.")] = False,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", "-o", help="Directory for the .md/.csv/.png "
                                                       "files (default results/reproduce).")] = None,
    no_latency: Annotated[bool, typer.Option("--no-latency", help="Static metrics only (skip timing).")] = False,
    device: Annotated[str, typer.Option(help="cpu | cuda | cuda:N", rich_help_panel=_LAT)] = "cpu",
    budget: Annotated[float, typer.Option(help="Sampling seconds per timed configuration (interleaved).",
                                          rich_help_panel=_LAT)] = 1.0,
    min_samples: Annotated[int, typer.Option(help="Minimum samples per configuration.",
                                             rich_help_panel=_LAT)] = 10,
    warmup: Annotated[float, typer.Option(help="Minimum warm-up seconds per configuration.",
                                          rich_help_panel=_LAT)] = 0.3,
    threads: Annotated[int, typer.Option(help="torch intra-op threads while timing (1 = the ShuffleNetV2 "
                                         "paper's single-thread ARM setup).", rich_help_panel=_LAT)] = 1,
    batch_size: Annotated[int | None, typer.Option("--batch-size", "-b", help="Override the batch size a "
                                                      "reproduction times with.", rich_help_panel=_LAT)] = None,
    statistic: Annotated[str, typer.Option(help="min | median: the per-call time throughput is computed from "
                                           "(min resists preemption on a busy machine).",
                                           rich_help_panel=_LAT)] = "min",
    table: Annotated[Path | None, typer.Option("--table", help="The committed table a table-reading reproduction "
                                               "reads (zoo-proxies: results/zoo/timm-latency.csv).")] = None,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    from cnnbench import reproduce as studies
    from cnnbench.errors import CnnbenchError

    if list_:
        stdout.print(studies.list_table(studies.REPRODUCTIONS))
        return
    if name is None:
        raise CnnbenchError("name a reproduction (see `cnnbench reproduce --list`) or use --list")
    if name.strip().lower() == "all":  # a table-reading entry whose table is not here is skipped, and said so
        todo = []
        for r in studies.REPRODUCTIONS:
            if r.reads and table is None and not Path(r.reads).is_file():
                stderr.print(f"skipping {r.name}: it reads {r.reads}, which is not here (--table FILE)")
            else:
                todo.append(r.name)
    else:
        todo = [studies.get(name).name]
    from cnnbench.latency.options import check_protocol_options

    check_protocol_options(budget=budget, min_samples=min_samples, warmup=warmup, threads=threads,
                           zero_budget_ok=True)
    if batch_size is not None and batch_size < 1:
        raise CnnbenchError(f"--batch-size must be ≥ 1 (got {batch_size})")
    statistic = statistic.lower()
    if statistic not in ("min", "median"):
        raise CnnbenchError(f"unknown --statistic {statistic!r}: choose min or median")
    dev = studies.check_device(device)  # no CUDA → one-line error, exit 2
    opts = studies.RunOptions(device=dev, latency=not no_latency, budget_s=budget, min_samples=min_samples,
                      warmup_s=warmup, threads=threads, batch_size=batch_size, statistic=statistic,
                      table=str(table) if table is not None else None,
                      progress=lambda msg: stderr.print(f"[dim]{msg}[/dim]"))
    out_dir = check_output_path(output_dir or studies.DEFAULT_OUT_DIR, "--output-dir", directory=True)
    failures = OutputFailures()
    for n in todo:
        stderr.print(f"[bold]reproduce {n}[/bold]")
        res = studies.run(n, opts)
        studies.print_result(res, stdout)
        maybe_save(studies.history_records(res), save=save, db=db, command=command_line())  # rows first, then files
        with failures.attempt(out_dir):
            paths = studies.write_outputs(res, out_dir)
            stderr.print("wrote " + ", ".join(str(p) for p in paths))
    failures.raise_if_any()
