"""Option aliases shared by commands (Typer ``Annotated`` style), and the checks and groupings of what they parse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnnbench.cli.output import check_output_path

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
CalibrateOpt = Annotated[bool, typer.Option(
    "--calibrate", help="Also time `cnnbench check`'s calibration workload (eager fp32, 1x3x128x128, same device and "
    "threads) interleaved with each row: rows get calibration_ms and latency_normalized = median / calibration_ms "
    "(dimensionless; steadier across runs on a shared machine). The timed part takes about twice as long.",
    rich_help_panel=_LAT)]


_COMP = "Compressed size (estimate; docs/compression.md)"
WeightBitsOpt = Annotated[int | None, typer.Option(
    "--weight-bits", help="Add compressed_bytes: conv/fc weights stored with K bits (1 = binary, 2 = ternary, 8, "
    "4...; below 16 with an fp32 scale per filter).", rich_help_panel=_COMP)]
SparsityOpt = Annotated[float | None, typer.Option(
    "--sparsity", help="Add compressed_bytes: this fraction of each conv/fc weight pruned, stored in Deep "
    "Compression's relative-index sparse format.", rich_help_panel=_COMP)]
SharedWeightsOpt = Annotated[int | None, typer.Option(
    "--shared-weights", help="Add compressed_bytes: a K-entry fp32 codebook per layer, log2(K)-bit indices.",
    rich_help_panel=_COMP)]
IndexBitsOpt = Annotated[int | None, typer.Option(
    "--index-bits", help="Bits of one relative index with --sparsity (default 4).", rich_help_panel=_COMP)]


def check_format(fmt: str) -> str:
    from cnnbench.errors import CnnbenchError
    from cnnbench.report import FORMATS

    fmt = fmt.lower()
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise CnnbenchError(f"unknown --format {fmt!r}: choose {', '.join(FORMATS)}")
    return fmt


def input_options(input_size: list[str] | None, inputs: str | None, fuse: bool) -> dict:
    """``--input-size`` (once: that shape; repeated: several positional inputs), ``--inputs`` and ``--fuse`` as
    ``Plan.parse`` / ``make_spec`` keywords; only what was given is passed."""
    sizes = list(input_size or [])
    opts: dict = {"input_size": sizes[0] if len(sizes) == 1 else sizes or None}
    if inputs is not None:
        opts["inputs"] = inputs
    if fuse:
        opts["fuse"] = True
    return opts


def check_positive(value: float | None, flag: str, unit: str) -> float | None:
    """A number option that must be finite and > 0 (``nan`` compares false to everything and ``inf`` never ends):
    else one line naming ``flag`` (exit 2). ``None`` (not given) passes."""
    import math

    from cnnbench.errors import CnnbenchError

    if value is not None and not (math.isfinite(value) and value > 0):
        raise CnnbenchError(f"{flag} must be a finite number of {unit} > 0 (got {value!r})")
    return value


def check_calibrate(calibrate: bool, no_latency: bool) -> None:
    """``--calibrate`` normalises latency rows: with ``--no-latency`` there are none (one line, exit 2)."""
    from cnnbench.errors import CnnbenchError

    if calibrate and no_latency:
        raise CnnbenchError("--calibrate times a workload beside each latency row: drop --no-latency (or --calibrate)")
