"""Print the environment recorded with every latency result (CPU, cores, library versions, GPU, git)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cnnbench.cli.options import FormatOpt, check_format
from cnnbench.cli.output import out, stdout


def env(
    device: Annotated[str | None, typer.Option(help="Also describe this device (cuda: GPU, CUDA, cuDNN).")] = None,
    threads: Annotated[int | None, typer.Option(help="Threads to record (default: torch's).")] = None,
    fmt: FormatOpt = "table",
) -> None:
    from cnnbench.env import collect_env, fingerprint

    fmt = check_format(fmt)
    info = collect_env(device=device, threads=threads)
    info["fingerprint"] = fingerprint(info)
    if fmt == "json":
        out().write(json.dumps(info, indent=2) + "\n")
        return
    if fmt in ("csv", "md"):
        from cnnbench.report.export import render

        out().write(render([info], fmt))
        return
    from rich.table import Table

    t = Table(title="cnnbench env", show_header=False)
    t.add_column("key", style="bold")
    t.add_column("value")
    for k, v in info.items():
        t.add_row(k, "—" if v is None else str(v))
    stdout.print(t)


def register(app: typer.Typer) -> None:
    app.command("env", help=__doc__)(env)
