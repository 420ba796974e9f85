"""Tables of the model catalogue: `cnnbench list` and `cnnbench list --coverage`."""

from __future__ import annotations

from typing import Any


def models_table(records: list[dict[str, Any]], stats: bool, width_limit: int | None = None) -> Any:
    """`cnnbench list`: one row per registered model (with ``stats``: our params/MACs beside the paper's)."""
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


def coverage_table(rows: list[dict[str, Any]]) -> Any:
    """``cnnbench list --coverage`` as a rich table (:func:`cnnbench.catalog.coverage.coverage_rows`): the totals by
    status in the title, one row per item."""
    from rich.table import Table

    n = {s: sum(r["status"] == s for r in rows) for s in ("covered", "stand-in", "not a network", "planned")}
    title = (f"seed coverage: {len(rows)} items — {n['covered']} covered, {n['stand-in']} stand-in, "
             f"{n['not a network']} not a network, {n['planned']} planned")
    t = Table(title=title, header_style="bold")
    for col in ("seed", "item", "status", "covered by", "reason / what differs"):
        t.add_column(col, overflow="fold", max_width=50)
    for r in rows:
        style = None if r["status"] in ("covered", "not a network") else "yellow"
        t.add_row(r["seed"][:3], r["item"], r["status"], r["names"] or "—", r["reason"], style=style)
    return t
