"""Option aliases shared by commands (Typer ``Annotated`` style), and output helpers."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console


def _stdout_width() -> int | None:
    """A terminal's own width, or ``COLUMNS`` when set (Rich reads it); piped output is not squeezed into 80 columns."""
    import os

    return None if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else 320


stdout = Console(soft_wrap=False, width=_stdout_width())
stderr = Console(stderr=True)

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table | json | csv | md")]
def output_path(value: str | None) -> Path | None:
    """``-o`` is checked while the command line is parsed: before anything is measured (see check_output_path)."""
    return check_output_path(value, "--output")


OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Also write the records to FILE "
                                                  "(format from its extension: .json .csv .md).",
                                                  callback=output_path)]
InputSizeOpt = Annotated[str | None, typer.Option("--input-size", help="224, 224x160 or 3x224x224 "
                                                     "(default: the model's own).")]
InputSizesOpt = Annotated[list[str] | None, typer.Option(
    "--input-size", help="Shape without the batch: 224 (the model's channels), 224x160, 3x224x224, '32,' for (32,); "
    "repeat for several positional inputs (default: the model's own).")]
InputsOpt = Annotated[str | None, typer.Option(
    "--inputs", help="FILE.py:make_inputs — a function returning the example input: a tensor, a tuple (positional) "
    "or a dict (keyword); its batch is the batch.")]
FuseOpt = Annotated[bool, typer.Option("--fuse", help="Apply timm's reparameterize_model (RepVGG, MobileOne, FastViT…) "
                                       "before measuring; the row says fused.")]
RooflineOpt = Annotated[bool, typer.Option(
    "--roofline", help="Measure this machine's roofline (cached per environment; see `cnnbench roofline`) so latency "
    "rows get achieved GFLOP/s and % of peak; without it they get them only when a roofline is already cached.",
    rich_help_panel="Latency")]
ColumnsOpt = Annotated[str | None, typer.Option(
    "--columns", help="Table columns, comma-separated record keys (e.g. model,params,macs,latency_ms_p90) or 'all'; "
    "--format json/csv/md always carry every key.")]
BatchOpt = Annotated[list[str] | None, typer.Option("--batch-size", "-b", help="Batch size(s): 1,8,32 or "
                                                       "repeat the option.")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="fp32 | fp16 | bf16")]
NoLatencyOpt = Annotated[bool, typer.Option("--no-latency", help="Static metrics only.")]

# latency options shared by `profile` and `compare`
_LAT = "Latency"
DeviceOpt = Annotated[str, typer.Option(help="cpu | cuda | cuda:N", rich_help_panel=_LAT)]
RuntimeOpt = Annotated[list[str] | None, typer.Option(
    help="eager | compile | onnx | onnx-int8 | openvino (CPU) | onnx-fp16 | tensorrt (CUDA); repeat or "
    "comma-separate. Every runtime is checked against eager fp32 before it is timed.", rich_help_panel=_LAT)]
PrecisionOpt = Annotated[str | None, typer.Option(
    "--precision", help="amp-fp16 | amp-bf16: fp32 weights under torch.autocast (eager, compile; TensorRT's mixed "
    "precision). Rows say amp-fp16; --dtype fp16 (the model cast) says cast-fp16.", rich_help_panel=_LAT)]
CompileModeOpt = Annotated[str | None, typer.Option(
    "--compile-mode", help="torch.compile mode for --runtime compile: default | reduce-overhead | max-autotune "
    "(recorded in details.compile_mode).", rich_help_panel=_LAT)]
QuantizationOpt = Annotated[str | None, typer.Option(
    "--quantization", help="onnx-int8 scheme: static (default: QDQ, per-channel weights, calibrated on seeded "
    "random inputs) | dynamic.", rich_help_panel=_LAT)]
ThreadsOpt = Annotated[int | None, typer.Option(help="Intra-op threads for torch and ONNX Runtime.",
                                                rich_help_panel=_LAT)]
ChannelsLastOpt = Annotated[bool, typer.Option("--channels-last", rich_help_panel=_LAT)]
BudgetOpt = Annotated[float, typer.Option(help="Seconds of timed samples per row (after warm-up).",
                                          rich_help_panel=_LAT)]
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


def check_output_path(path: Path | str | None, what: str = "--output", *, directory: bool = False) -> Path | None:
    """Refuses, before anything is measured, an output path that cannot be written (one line, exit 2).

    A file path must not name a directory and its directory must exist and be writable (an existing file must be
    writable too); with ``directory=True`` the path is a directory that exists writable or can be created under a
    writable ancestor.
    """
    import os

    from cnnbench.errors import CnnbenchError

    if path is None:
        return None
    if str(path).strip() == "":
        raise CnnbenchError(f"{what} is empty (an unset environment variable?)")
    p = Path(path).expanduser()
    if directory:
        if p.exists() and not p.is_dir():
            raise CnnbenchError(f"{what} {p} is not a directory")
        anc = p
        while not anc.exists() and anc != anc.parent:
            anc = anc.parent
        if not anc.is_dir() or not os.access(anc, os.W_OK | os.X_OK):
            raise CnnbenchError(f"{what} {p}: cannot create or write there ({anc} is not a writable directory)")
        return p
    if p.is_dir():
        raise CnnbenchError(f"{what} {p} is a directory; name a file")
    parent = p.parent if str(p.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise CnnbenchError(f"{what} {p}: {parent} is not a directory")
    if not parent.is_dir():
        raise CnnbenchError(f"{what} {p}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CnnbenchError(f"{what} {p}: directory {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise CnnbenchError(f"{what} {p} is not writable")
    return p


class OutputFailures:
    """Collects file writes that failed after measuring, so every other output (and the table) still happens.

    ``with failures.attempt(path): write(...)`` records an ``OSError`` instead of raising; :meth:`raise_if_any`
    ends the command with one line naming the path(s) and exit 2 once everything else is done.
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attempt(self, path: Path | str):
        import contextlib

        @contextlib.contextmanager
        def guard():
            try:
                yield
            except OSError as e:  # reported once, by raise_if_any, after every other output
                self.messages.append(f"could not write {path}: {e.strerror or e}")

        return guard()

    def raise_if_any(self) -> None:
        from cnnbench.errors import CnnbenchError

        if self.messages:
            raise CnnbenchError("; ".join(self.messages) + " (the results above were printed"
                                + " and saved to the database where one was named)")


def emit(records: list[dict[str, Any]], fmt: str, output: Path | None, table_fn=None,
         failures: OutputFailures | None = None) -> None:
    """Print records in ``fmt`` on stdout (tables through Rich), then write ``output`` atomically.

    The printout comes first, so a failed write never loses the results; with ``failures`` the write error is
    collected (see :class:`OutputFailures`), else it is raised as a one-line error naming the path.
    """
    from cnnbench.report.export import render, write_records

    if fmt == "table":
        if table_fn is not None:
            table_fn(records)
    else:
        out().write(render(records, fmt))
        out().flush()
    if output is not None:
        own = failures or OutputFailures()
        with own.attempt(output):
            write_records(output, records, fmt)
            stderr.print(f"wrote {len(records)} record(s) to {output}")
        if failures is None:
            own.raise_if_any()


_real_stdout: Any = None  # while a command runs: the stream cnnbench's own output goes to


@contextlib.contextmanager
def guard_stdout() -> Iterator[None]:
    """While a command runs, only cnnbench writes to stdout; user code (import, build, forward, export) cannot.

    ``sys.stdout`` and file descriptor 1 point at stderr for the duration (``latency.usercode.fds_redirected``), so
    a model that ``print()``s (or a C++ library that writes to fd 1) cannot break ``--format json | jq``;
    cnnbench's own output goes through :func:`out` (and the ``stdout`` Console) to a duplicate of the real fd 1.
    Under ``CliRunner`` (no real fd) the redirect is Python-level only.
    """
    import os

    from cnnbench.latency.usercode import fds_redirected

    global _real_stdout
    saved = sys.stdout
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    with contextlib.ExitStack() as stack:
        real = saved
        if fd == 1:
            saved.flush()
            real = os.fdopen(os.dup(1), "w", encoding=getattr(saved, "encoding", None) or "utf-8", errors="replace")
            stack.callback(real.close)  # after fd 1 is restored (the stack unwinds in reverse)
            stack.enter_context(fds_redirected({1: 2}))
        _real_stdout, stdout.file, sys.stdout = real, real, sys.stderr
        try:
            yield
        finally:
            sys.stdout, stdout.file, _real_stdout = saved, None, None  # the Console follows sys.stdout again


def out() -> Any:
    """The real stdout: where cnnbench's own output goes (the guard sends everything else to stderr)."""
    return _real_stdout if _real_stdout is not None else sys.stdout
