"""List registered models: family, source, paper and year, default input, published params/MACs."""

from __future__ import annotations

from typing import Annotated

import typer

from cnnbench.cli.options import FormatOpt, OutputOpt, check_format, emit, stdout


def list_models(
    family: Annotated[str | None, typer.Option("--family", help="Only this family (e.g. resnet).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="torchvision | timm | cnnbench")] = None,
    pattern: Annotated[str | None, typer.Argument(help="fnmatch pattern, e.g. 'resnet*'.")] = None,
    stats: Annotated[bool, typer.Option("--stats", help="Also compute our params/MACs (traces each model on "
                                        "the meta device; slower).")] = False,
    coverage: Annotated[bool, typer.Option("--coverage", help="Show which registry entry covers each "
                                           "architecture/block the seed reading lists name.")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.errors import CnnbenchError
    from cnnbench.registry import families, list_specs

    fmt = check_format(fmt)
    if coverage:
        from cnnbench.cli.coverage_view import show_coverage

        show_coverage(fmt, output)
        return
    if family and family.lower() not in families():
        from difflib import get_close_matches

        close = get_close_matches(family.lower(), families(), n=3)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise CnnbenchError(f"unknown family {family!r}{hint}")
    if source and source.lower() not in ("torchvision", "timm", "cnnbench"):
        raise CnnbenchError(f"unknown source {source!r}: choose torchvision, timm or cnnbench")
    specs = list_specs(family=family, source=source, pattern=pattern)
    records = []
    for s in specs:
        rec = {
            "model": s.name, "family": s.family, "source": s.source, "paper": s.paper, "year": s.year,
            "input_size": "x".join(map(str, s.input_size)), "paper_params": s.paper_params,
            "paper_macs": s.paper_macs, "paper_table": s.paper_table or None,
        }
        if stats:
            from cnnbench.profiling import static_profile

            p = static_profile(s, fuse=s.paper_fused).to_dict()  # counted as the paper counted
            rec.update(params=p["params"], macs=p["macs"], error=p["error"])
        records.append(rec)
    emit(records, fmt, output, lambda recs: stdout.print(_table(recs, stats)))


def _table(records, stats: bool):
    from rich.table import Table

    from cnnbench.report.units import si

    t = Table(title=f"{len(records)} models", caption="MACs = multiply-accumulates (papers' \"FLOPs\")",
              header_style="bold")
    for col in ("model", "family", "source", "paper", "year", "input"):
        t.add_column(col, overflow="fold" if col == "paper" else "ellipsis", max_width=48 if col == "paper" else None)
    if stats:
        t.add_column("params", justify="right")
    t.add_column("paper params", justify="right")
    if stats:
        t.add_column("MACs", justify="right")
    t.add_column("paper MACs", justify="right")
    for r in records:
        row = [r["model"], r["family"], r["source"], r["paper"] or "", str(r["year"] or ""), r["input_size"]]
        if stats:
            row += [si(r.get("params")), si(r["paper_params"]), si(r.get("macs")), si(r["paper_macs"])]
        else:
            row += [si(r["paper_params"]), si(r["paper_macs"])]
        t.add_row(*row)
    return t
