"""The block catalogue: attention, convolution, pooling, activation and norm modules on a standard feature map.

Each block is profiled on 1×256×56×56 by default (``--input-size`` to change; a block fed C channels is
built for C); the fusion blocks take their own inputs (AFF/iAFF two maps, MCB/MLB a map and a question vector,
HBP three maps), and one ``--input-size`` also sizes their same-shape further inputs. Overhead columns subtract a
reference block: ``identity`` (zero cost) for attention,
pooling, activations and norm layers, a plain 3×3 conv (C→C, no bias) for convolutions.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cnnbench.cli.options import DtypeOpt, FormatOpt, InputSizeOpt, OutputOpt, check_format
from cnnbench.cli.output import emit, stderr, stdout

KINDS = ("attention", "conv", "pool", "activation", "norm")


def blocks(
    kind: Annotated[str | None, typer.Option("--kind", help="attention | conv | pool | activation | norm")] = None,
    input_size: InputSizeOpt = None,
    dtype: DtypeOpt = "fp32",
    latency: Annotated[bool, typer.Option("--latency", help="Also measure CPU eager latency (interleaving is "
                                          "left to `compare`; budget per block below).")] = False,
    budget: Annotated[float, typer.Option(help="Seconds of timed samples per block with --latency.")] = 0.5,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.catalog import list_specs
    from cnnbench.errors import CnnbenchError
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.plan import Plan
    from cnnbench.report import blocks_table, overhead_records
    from cnnbench.rows import run_rows

    fmt = check_format(fmt)
    if kind is not None and kind not in KINDS:
        raise CnnbenchError(f"unknown --kind {kind!r}: choose {', '.join(KINDS)}")
    from cnnbench_models.blocks.catalog import REFERENCE

    specs = [s for s in list_specs(kind="block") if s.block_kind in KINDS and (kind is None or s.block_kind == kind)]
    lat = LatencyOptions.parse(budget=budget, min_samples=10, warmup=0.1) if latency else None
    names = [s.name for s in specs]
    refs = sorted({REFERENCE[s.block_kind] for s in specs})
    sweep = Plan.parse([f"block:{n}" for n in names + [r for r in refs if r not in names]],
                            input_size=input_size, dtype=dtype, latency=lat)
    result = run_rows(sweep, progress=stderr if stderr.is_terminal else None)
    records = overhead_records(specs, result.profiles, REFERENCE)
    emit(records, fmt, output, lambda recs: stdout.print(blocks_table(recs)))
    if result.interrupted:
        raise typer.Exit(130)
    if any(r.get("error") for r in records):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("blocks", help=__doc__)(blocks)
