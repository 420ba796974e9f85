"""`cnnbench list --coverage`: every architecture/block heading of the seed reading lists and what covers it."""

from __future__ import annotations

from pathlib import Path

from cnnbench.cli.output import emit, stdout


def show_coverage(fmt: str, output: Path | None) -> None:
    from cnnbench.catalog.coverage import coverage_rows, render_markdown

    rows = coverage_rows()
    if fmt == "md" and output is None:
        stdout.out(render_markdown(), highlight=False)
        return

    def table(recs):
        from rich.table import Table

        covered = sum(r["status"] == "covered" for r in recs)
        t = Table(title=f"seed coverage: {covered} of {len(recs)} headings covered", header_style="bold")
        for col in ("seed", "heading", "covered by", "reason if not covered"):
            t.add_column(col, overflow="fold", max_width=50)
        for r in recs:
            style = None if r["status"] == "covered" else "yellow"
            t.add_row(r["seed"][:3], r["heading"], r["covered_by"] or "—", r["reason"] or "", style=style)
        stdout.print(t)

    emit(rows, fmt, output, table)
