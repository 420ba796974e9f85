"""Profile models: static cost (params, checkpoint, MACs, memory access, activations) and latency."""

from __future__ import annotations

from typing import Annotated

import typer

from cnnbench.cli.db_options import DbOpt, SaveOpt, command_line, deliver
from cnnbench.cli.options import (
    BatchOpt,
    BudgetOpt,
    CalibrateOpt,
    ChannelsLastOpt,
    ColumnsOpt,
    CompileModeOpt,
    DeviceOpt,
    DtypeOpt,
    FormatOpt,
    FuseOpt,
    IndexBitsOpt,
    InputSizesOpt,
    InputsOpt,
    MinSamplesOpt,
    NoLatencyOpt,
    OnnxDirOpt,
    OutputOpt,
    PrecisionOpt,
    QuantizationOpt,
    RooflineOpt,
    RuntimeOpt,
    SharedWeightsOpt,
    SparsityOpt,
    ThreadsOpt,
    WarmupOpt,
    WeightBitsOpt,
    check_calibrate,
    check_format,
    input_options,
)
from cnnbench.cli.output import stderr, stdout


def profile(
    models: Annotated[list[str], typer.Argument(help="Registry names, timm:NAME, torchvision:NAME, block:NAME, "
                                                "file.py:Class or package.module:factory.")],
    input_size: InputSizesOpt = None,
    inputs: InputsOpt = None,
    fuse: FuseOpt = False,
    roofline: RooflineOpt = False,
    batch_size: BatchOpt = None,
    dtype: DtypeOpt = "fp32",
    no_latency: NoLatencyOpt = False,
    device: DeviceOpt = "cpu",
    runtime: RuntimeOpt = None,
    threads: ThreadsOpt = None,
    channels_last: ChannelsLastOpt = False,
    budget: BudgetOpt = 2.0,
    min_samples: MinSamplesOpt = 30,
    warmup: WarmupOpt = 0.5,
    onnx_dir: OnnxDirOpt = None,
    calibrate: CalibrateOpt = False,
    precision: PrecisionOpt = None,
    compile_mode: CompileModeOpt = None,
    quantization: QuantizationOpt = None,
    by: Annotated[str | None, typer.Option("--by", help="Breakdown: module | op.")] = None,
    depth: Annotated[int, typer.Option(help="Module depth for --by module.")] = 1,
    counter: Annotated[str, typer.Option(help="ours | fvcore | thop | all: add other counters' totals.")] = "ours",
    weight_bits: WeightBitsOpt = None,
    sparsity: SparsityOpt = None,
    shared_weights: SharedWeightsOpt = None,
    index_bits: IndexBitsOpt = None,
    columns: ColumnsOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    from cnnbench.analysis.compression import annotate, settings_from_options
    from cnnbench.errors import CnnbenchError
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.plan import Plan
    from cnnbench.report import check_columns
    from cnnbench.rows import run_rows

    fmt = check_format(fmt)
    cols = check_columns(columns)
    if by not in (None, "module", "op"):
        raise CnnbenchError(f"unknown --by {by!r}: choose module or op")
    if depth < 1:
        raise CnnbenchError("--depth must be ≥ 1")
    counter = counter.lower()
    if counter not in ("ours", "fvcore", "thop", "all"):
        raise CnnbenchError(f"unknown --counter {counter!r}: choose ours, fvcore, thop or all")
    check_calibrate(calibrate, no_latency)
    compression = settings_from_options(weight_bits, sparsity, shared_weights, index_bits)
    lat = None if no_latency else LatencyOptions.parse(
        device=device, runtimes=runtime, threads=threads, channels_last=channels_last, budget=budget,
        min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir, precision=precision, compile_mode=compile_mode,
        quantization=quantization, dtype=dtype, calibrate=calibrate)
    spec = Plan.parse(models, **input_options(input_size, inputs, fuse), batch_sizes=batch_size, dtype=dtype,
                           latency=lat, counters=counter)
    result = run_rows(spec, progress=stderr if stderr.is_terminal else None)
    annotate(result.profiles, compression)
    from cnnbench.latency.roofline import with_efficiency

    records = [p.to_dict() for p in with_efficiency(result.profiles, measure=roofline and lat is not None)]

    def show(recs):
        from cnnbench.report import common_label, profile_extras, profile_table

        where = common_label(recs, ("device", "runtime", "dtype", "precision") if lat is not None else ("dtype",))
        stdout.print(profile_table(recs, title=f"cnnbench profile — {where}" if where else "cnnbench profile",
                                   columns=cols, width=stdout.width))
        for p in result.profiles:
            for part in profile_extras(p, by, depth):
                stdout.print(part)

    deliver(records, fmt, output, show, save=save, db=db, command=command_line())
    if result.interrupted:
        stderr.print(f"interrupted: kept {len(records)} finished row(s)")
        raise typer.Exit(130)
    if any(r.get("error") for r in records):
        raise typer.Exit(1)
