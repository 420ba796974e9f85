"""Option aliases shared by commands (Typer ``Annotated`` style), and output helpers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

# piped output is not squeezed into 80 columns
stdout = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 320)
stderr = Console(stderr=True)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table | json | csv | md")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Also write the records to FILE "
                                                   "(format from its extension: .json .csv .md).")]
InputSizeOpt = Annotated[str | None, typer.Option("--input-size", help="224, 224x160 or 3x224x224 "
                                                     "(default: the model's own).")]
BatchOpt = Annotated[list[str] | None, typer.Option("--batch-size", "-b", help="Batch size(s): 1,8,32 or "
                                                       "repeat the option.")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="fp32 | fp16 | bf16")]
NoLatencyOpt = Annotated[bool, typer.Option("--no-latency", help="Static metrics only.")]

# latency options shared by `profile` and `compare`
_LAT = "Latency"
DeviceOpt = Annotated[str, typer.Option(help="cpu | cuda | cuda:N", rich_help_panel=_LAT)]
RuntimeOpt = Annotated[list[str] | None, typer.Option(help="eager | compile | onnx (repeat or comma-separate).",
                                                      rich_help_panel=_LAT)]
ThreadsOpt = Annotated[int | None, typer.Option(help="Intra-op threads for torch and ONNX Runtime.",
                                                rich_help_panel=_LAT)]
ChannelsLastOpt = Annotated[bool, typer.Option("--channels-last", rich_help_panel=_LAT)]
MinSamplesOpt = Annotated[int, typer.Option(help="Minimum timed samples per row.", rich_help_panel=_LAT)]
WarmupOpt = Annotated[float, typer.Option(help="Minimum warm-up seconds per row.", rich_help_panel=_LAT)]
OnnxDirOpt = Annotated[str | None, typer.Option(help="ONNX export cache directory.", rich_help_panel=_LAT)]


def check_format(fmt: str) -> str:
    from cnnbench.errors import CnnbenchError
    from cnnbench.report.export import FORMATS

    fmt = fmt.lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise CnnbenchError(f"unknown --format {fmt!r}: choose {', '.join(FORMATS)}")
    return fmt


def emit(records: list[dict[str, Any]], fmt: str, output: Path | None, table_fn=None) -> None:
    """Print records in ``fmt`` on stdout (tables through Rich) and write ``output`` atomically."""
    from cnnbench.report.export import render, write_records

    if output is not None:
        write_records(output, records, fmt)
        stderr.print(f"wrote {len(records)} record(s) to {output}")
    if fmt == "table":
        if table_fn is not None:
            table_fn(records)
    else:
        sys.stdout.write(render(records, fmt))
        sys.stdout.flush()
