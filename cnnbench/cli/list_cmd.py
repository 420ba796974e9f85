"""List registered models: family, source, paper and year, default input, published params/MACs."""

from __future__ import annotations

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
    coverage: Annotated[bool, typer.Option("--coverage", help="Show which registry entry covers each "
                                           "architecture/block the seed reading lists name.")] = False,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.catalog import families, list_specs
    from cnnbench.errors import CnnbenchError

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
            from cnnbench.rows import static_profile

            p = static_profile(s, fuse=s.paper_fused).to_dict()  # counted as the paper counted
            rec.update(params=p["params"], macs=p["macs"], error=p["error"])
        records.append(rec)
    emit(records, fmt, output, lambda recs: stdout.print(_table(recs, stats, stdout.width)))


def _table(records, stats: bool, width_limit: int | None = None):
    from cnnbench.report.tables import compact_table, two_line_header
    from cnnbench.report.units import si

    cols = ["model", "family", "source", "year", "input"]
    cols += ["params", "paper params", "MACs", "paper MACs"] if stats else ["paper params", "paper MACs"]
    rows = []
    for r in records:
        row = [r["model"], r["family"], r["source"], str(r["year"] or ""), r["input_size"]]
        if stats:
            row += [si(r.get("params")), si(r["paper_params"]), si(r.get("macs")), si(r["paper_macs"])]
        else:
            row += [si(r["paper_params"]), si(r["paper_macs"])]
        rows.append(row)
    # the house style: names and numbers keep their full width; the paper title (free text) gives way, cut with
    # "…", and is left out when the terminal has no room for it
    t = compact_table(f"{len(records)} models", "MACs = multiply-accumulates (papers' \"FLOPs\")")
    heads = [two_line_header(c.replace("paper ", "paper\n")) for c in cols]
    widths = [max([len(ln) for ln in h.splitlines()] + [len(row[i]) for row in rows]) for i, h in enumerate(heads)]
    for i, (head, width) in enumerate(zip(heads, widths)):
        t.add_column(head, justify="right" if i >= 5 else "left", no_wrap=True, min_width=width)
    room = (width_limit or 10**6) - sum(widths) - 2 * len(widths)
    if room >= 12:
        t.add_column("paper", no_wrap=True, overflow="ellipsis", max_width=room)
    for row, r in zip(rows, records):
        t.add_row(*row, *([r["paper"] or ""] if room >= 12 else []))
    return t
