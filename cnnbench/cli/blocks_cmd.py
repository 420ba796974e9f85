"""The block catalogue: attention, convolution, pooling and activation modules on a standard feature map.

Each block is profiled on 1×256×56×56 by default (``--input-size`` to change; a block fed C channels is
built for C). Overhead columns subtract a reference block: ``identity`` (zero cost) for attention,
pooling and activations, a plain 3×3 conv (C→C, no bias) for convolutions.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cnnbench.cli.options import DtypeOpt, FormatOpt, InputSizeOpt, OutputOpt, check_format, emit, stderr, stdout

KINDS = ("attention", "conv", "pool", "activation")


def blocks(
    kind: Annotated[str | None, typer.Option("--kind", help="attention | conv | pool | activation")] = None,
    input_size: InputSizeOpt = None,
    dtype: DtypeOpt = "fp32",
    latency: Annotated[bool, typer.Option("--latency", help="Also measure CPU eager latency (interleaving is "
                                          "left to `compare`; budget per block below).")] = False,
    budget: Annotated[float, typer.Option(help="Seconds of timed samples per block with --latency.")] = 0.5,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.errors import CnnbenchError
    from cnnbench.registry import list_specs, resolve
    from cnnbench.sweep import LatencyOptions, SweepSpec, run_sweep

    fmt = check_format(fmt)
    if kind is not None and kind not in KINDS:
        raise CnnbenchError(f"unknown --kind {kind!r}: choose {', '.join(KINDS)}")
    from cnnbench_models.blocks.catalog import REFERENCE

    specs = [s for s in list_specs(kind="block") if s.block_kind in KINDS and (kind is None or s.block_kind == kind)]
    lat = LatencyOptions.parse(budget=budget, min_samples=10, warmup=0.1) if latency else None
    names = [s.name for s in specs]
    refs = sorted({REFERENCE[s.block_kind] for s in specs})
    sweep = SweepSpec.parse([f"block:{n}" for n in names + [r for r in refs if r not in names]],
                            input_size=input_size, dtype=dtype, latency=lat)
    result = run_sweep(sweep, progress=stderr if stderr.is_terminal else None)
    by_name = {p.model: p.to_dict() for p in result.profiles}
    records = []
    for s in specs:
        rec = dict(by_name[s.name])
        ref_name = REFERENCE[s.block_kind]
        ref = by_name.get(ref_name) or {}
        rec["block_kind"] = s.block_kind
        rec["paper"] = s.paper
        rec["year"] = s.year
        rec["reference"] = ref_name
        for key in ("params", "macs", "memory_access_bytes", "activations"):
            a, b = rec.get(key), ref.get(key)
            rec[f"overhead_{key}"] = a - b if a is not None and b is not None else None
        a = (rec.get("latency_ms") or {}).get("median")
        b = (ref.get("latency_ms") or {}).get("median")
        rec["overhead_latency_ms"] = a - b if a is not None and b is not None else None
        records.append(rec)
    _ = resolve  # names were resolved by SweepSpec.parse
    emit(records, fmt, output, lambda recs: stdout.print(_table(recs)))
    if result.interrupted:
        raise typer.Exit(130)
    if any(r.get("error") for r in records):
        raise typer.Exit(1)


def _table(records: list[dict[str, Any]]):
    from rich.table import Table

    from cnnbench.report.units import CONVENTIONS, ms, nbytes, si

    shape = "x".join(map(str, records[0]["input_shape"])) if records else ""
    t = Table(title=f"cnnbench blocks on {shape}", header_style="bold", caption_justify="left",
              caption="Δ = overhead vs the reference block (identity: zero cost; conv3x3: a plain 3×3 conv C→C). "
              + CONVENTIONS)
    for col in ("block", "kind", "paper (year)", "params", "MACs", "mem access (B)", "acts", "Δparams", "ΔMACs",
                "Δmem (B)", "median ms", "Δms", "error"):
        t.add_column(col, justify="left" if col in ("block", "kind", "paper (year)", "error") else "right",
                     overflow="fold", max_width=40 if col in ("paper (year)", "error") else None)
    for r in records:
        lat = (r.get("latency_ms") or {}).get("median")
        t.add_row(r["model"], r["block_kind"], f"{r['paper']} ({r['year']})", si(r.get("params")), si(r.get("macs")),
                  nbytes(r.get("memory_access_bytes")), si(r.get("activations")), si(r.get("overhead_params")),
                  si(r.get("overhead_macs")), nbytes(r.get("overhead_memory_access_bytes")), ms(lat),
                  ms(r.get("overhead_latency_ms")), r.get("error") or "")
    return t


def register(app: typer.Typer) -> None:
    app.command("blocks", help=__doc__)(blocks)
