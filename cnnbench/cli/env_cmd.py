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
        from cnnbench.report import render

        out().write(render([info], fmt))
        return
    from cnnbench.report import env_table

    stdout.print(env_table(info))


def register(app: typer.Typer) -> None:
    app.command("env", help=__doc__)(env)
