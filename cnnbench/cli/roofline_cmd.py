"""Measure this machine's roofline: peak GEMM FLOP/s, memory bandwidth, per-op dispatch overhead (cached).

Peak = fastest `torch.mm` of square matrices (best size); bandwidth = the better of a large copy and a triad
(bytes read + written, GB = 10^9 B); dispatch = median latency of a one-element add. Cached per machine
fingerprint, device, dtype and threads under $CNNBENCH_CACHE/roofline (or ~/.cache/cnnbench/roofline);
--refresh measures again. `explain` and latency rows read the cached figures.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cnnbench.cli.options import FormatOpt, OutputOpt, check_format
from cnnbench.cli.output import emit, out, stderr, stdout

_P = "Protocol"


def roofline(
    device: Annotated[str, typer.Option(help="cpu | cuda | cuda:N")] = "cpu",
    threads: Annotated[int | None, typer.Option(help="torch intra-op threads (default: torch's).")] = None,
    dtype: Annotated[str, typer.Option(help="fp32 | fp16 | bf16")] = "fp32",
    refresh: Annotated[bool, typer.Option("--refresh", help="Measure again even when a cached result exists.")] = False,
    gemm_size: Annotated[list[int] | None, typer.Option(help="GEMM sizes n (n×n·n×n) to try (repeat; default "
                                                        "512, 1024, 2048).", rich_help_panel=_P)] = None,
    stream_mb: Annotated[float, typer.Option(help="MiB per array of the copy/triad kernels.",
                                             rich_help_panel=_P)] = 256.0,
    budget: Annotated[float, typer.Option(help="Sampling seconds per kernel.", rich_help_panel=_P)] = 0.3,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.errors import CnnbenchError
    from cnnbench.latency.roofline import DEFAULT_GEMM_SIZES, get_roofline

    fmt = check_format(fmt)
    if not budget > 0 or stream_mb <= 0:
        raise CnnbenchError("--budget and --stream-mb must be > 0")
    sizes = tuple(gemm_size) if gemm_size else DEFAULT_GEMM_SIZES
    if any(n < 1 for n in sizes):
        raise CnnbenchError("--gemm-size must be ≥ 1")
    if threads is not None and threads < 1:
        raise CnnbenchError(f"--threads must be at least 1 (got {threads})")
    stderr.print("[dim]roofline: reading the cache or measuring (a few seconds)…[/dim]")
    r = get_roofline(device, dtype, threads, refresh=refresh, gemm_sizes=sizes, stream_bytes=int(stream_mb * 2**20),
                     budget_s=budget)
    flat = {k: v for k, v in r.items() if k not in ("env", "protocol")}
    if fmt == "json":
        out().write(json.dumps(r, indent=2, default=str) + "\n")
        if output is not None:
            emit([flat], "table", output)  # the file only (its format from the extension)
        return
    if fmt != "table":
        emit([flat], fmt, output)
        return
    from cnnbench.report import roofline_table

    stdout.print(roofline_table(r))
    if output is not None:
        emit([flat], "table", output)


def register(app: typer.Typer) -> None:
    app.command("roofline", help=__doc__)(roofline)
