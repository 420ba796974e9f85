"""List registered models: family, source, paper and year, default input, published params/MACs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cnnbench.cli.options import FormatOpt, OutputOpt, check_format
from cnnbench.cli.output import emit, stdout


def list_models(
    family: Annotated[str | None, typer.Option("--family", help="Only this family (e.g. resnet).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="torchvision | timm | cnnbench")] = None,
    pattern: Annotated[str | None, typer.Argument(help="fnmatch pattern, e.g. 'resnet*'.")] = None,
    stats: Annotated[bool, typer.Option("--stats", help="Also compute our params/MACs (traces each model on "
                                        "the meta device; slower).")] = False,
    coverage: Annotated[bool, typer.Option("--coverage", help="Show every item the seed reading lists "
                                           "name (network, block, technique) and its status: covered, stand-in, "
                                           "not a network, planned.")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.catalog import families, list_specs
    from cnnbench.errors import CnnbenchError

    fmt = check_format(fmt)
    if coverage:
        _show_coverage(fmt, output)
        return
    if family and family.lower() not in families():
        from difflib import get_close_matches

        close = get_close_matches(family.lower(), families(), n=3)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise CnnbenchError(f"unknown family {family!r}{hint}")
    specs = list_specs(family=family, source=source, pattern=pattern)
    records = []
    for s in specs:
        rec = {
            "model": s.name, "family": s.family, "source": s.source, "paper": s.paper, "year": s.year,
            "input_size": "x".join(map(str, s.input_size)), "paper_params": s.paper_params,
            "paper_macs": s.paper_macs, "paper_table": s.paper_table or None,
        }
        if stats:
            from cnnbench.rows import static_profile

            p = static_profile(s, fuse=s.paper_fused).to_dict()  # counted as the paper counted
            rec.update(params=p["params"], macs=p["macs"], error=p["error"])
        records.append(rec)
    from cnnbench.report import models_table

    emit(records, fmt, output, lambda recs: stdout.print(models_table(recs, stats, stdout.width)))


def _show_coverage(fmt: str, output: Path | None) -> None:
    """``--coverage``: every item of the seed reading lists, its status and what covers it."""
    from cnnbench.catalog.coverage import coverage_rows, render_markdown
    from cnnbench.report import coverage_table

    rows = coverage_rows()
    if fmt == "md" and output is None:
        stdout.out(render_markdown(), highlight=False, end="")
        return
    emit(rows, fmt, output, lambda recs: stdout.print(coverage_table(recs)))
