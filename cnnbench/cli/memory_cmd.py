"""Will it fit? Weights, inputs and the peak of activations alive at once — for a forward, or with --train a
training step (gradients, optimizer state) — per batch size; --fit 8GiB finds the largest batch that fits;
--measure checks the estimate against a real run.

Estimates come from the static trace on the meta device (nothing allocated, any batch); see docs/memory.md for
what is counted. Bytes: KiB/MiB/GiB = 2^10/2^20/2^30 (--fit 8GB means 10^9).
"""

from __future__ import annotations

from typing import Annotated

import typer

from cnnbench.cli.options import (
    BatchOpt,
    DtypeOpt,
    FormatOpt,
    InputSizesOpt,
    InputsOpt,
    OutputOpt,
    check_format,
    input_options,
)
from cnnbench.cli.output import emit, stderr, stdout


def memory(
    models: Annotated[list[str], typer.Argument(help="Registry names, timm:NAME, torchvision:NAME, block:NAME, "
                                                "file.py:Class or package.module:factory.")],
    input_size: InputSizesOpt = None,
    inputs: InputsOpt = None,
    batch_size: BatchOpt = None,
    dtype: DtypeOpt = "fp32",
    train: Annotated[bool, typer.Option("--train", help="Also a training step: forward in train mode + backward of "
                                        "output.sum(); gradients and optimizer state.")] = False,
    optimizer: Annotated[str | None, typer.Option(help="Optimizer state for --train: sgd (none) | sgd-momentum "
                                                  "(1× params) | adam | adamw (2× params). Default adam.")] = None,
    fit: Annotated[str | None, typer.Option(help="Find the largest batch whose total fits in this memory: 8GiB, 8G "
                                            "(2^30 B), 8GB (10^9 B), 512MiB, or bytes.")] = None,
    measure: Annotated[bool, typer.Option("--measure", help="Also measure the peaks in a real run on --device "
                                          "(CPU: tensor level and the allocator; CUDA: max_memory_allocated).")] = False,
    device: Annotated[str, typer.Option(help="cpu | cuda | cuda:N: where --measure runs.")] = "cpu",
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.footprint import MemoryOptions, memory_rows, memory_tables
    from cnnbench.plan import Plan

    fmt = check_format(fmt)
    opts = MemoryOptions.parse(train=train, optimizer=optimizer, fit=fit, measure=measure, device=device)
    if opts.device != "cpu":
        from cnnbench.latency.devices import resolve_device

        resolve_device(opts.device)  # no GPU: one line, before anything is built
    plan = Plan.parse(models, **input_options(input_size, inputs, False), batch_sizes=batch_size, dtype=dtype)
    if opts.fit_bytes is not None:
        from cnnbench.errors import CnnbenchError

        fixed = [s.name for s, i in zip(plan.specs, plan.inputs, strict=True) if not i.takes_batch]
        if fixed:
            raise CnnbenchError(f"--fit searches the batch size, but the inputs of {', '.join(fixed)} fix it "
                                "(give --input-size, or an --inputs factory that takes the batch size)")
    result = memory_rows(plan.specs, plan.inputs, plan.batch_sizes, plan.dtype, opts,
                         progress=stderr if stderr.is_terminal else None)
    records = [p.to_dict() for p in result.profiles]

    def show(recs):
        for t in memory_tables(recs):
            stdout.print(t)

    emit(records, fmt, output, show)
    if result.interrupted:
        stderr.print(f"interrupted: kept {len(records)} finished row(s)")
        raise typer.Exit(130)
    if any(r.get("error") for r in records):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("memory", help=__doc__)(memory)
