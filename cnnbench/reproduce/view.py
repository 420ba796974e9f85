"""Rendering of ``cnnbench reproduce``: the list of reproductions, a result's tables, its history records."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def history_records(res) -> list[dict[str, Any]]:
    """One history record per table row: ``model`` = ``<reproduction>/<table>/<row label>``, all columns kept."""
    out = []
    for sec in res.sections:
        for row in sec.df.to_dict(orient="records"):
            label = next(iter(row.values()), "") if row else ""
            clean = {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            out.append({"model": f"{res.name}/{sec.key}/{label}", "source": "reproduce", "family": res.name,
                        **clean})
    return out


def list_table(repros) -> Table:
    from rich.table import Table

    t = Table(title="cnnbench reproductions", header_style="bold")
    t.add_column("name")
    t.add_column("timed")
    t.add_column("what")
    for r in repros:
        t.add_row(r.name, "yes" if r.timed else "static", r.summary)
    return t


def _cell(v: Any, col: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if "Δ" in col or "%" in col:
            if "Δ" in col:
                return f"{v:+.2f}" if abs(v) < 10 else f"{v:+.1f}"
            return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def print_result(res, console: Console) -> None:
    """Prints the reproduction: title, claim, one table per section, verdicts, notes and where it was measured."""
    from rich.table import Table

    console.print(f"\n[bold]{res.title}[/bold]  ({res.source})")
    console.print(f"[italic]Claim:[/italic] {res.claim}")
    for s in res.sections:
        t = Table(title=s.title, header_style="bold", caption=s.note or None, caption_justify="left")
        for col in s.df.columns:
            t.add_column(str(col), justify="left" if s.df[col].dtype == object else "right", overflow="fold")
        for row in s.df.itertuples(index=False):
            t.add_row(*[_cell(v, str(c)) for v, c in zip(row, s.df.columns)])
        console.print(t)
    for v in res.verdicts:
        console.print(f"[bold]Verdict:[/bold] {v}")
    for n in res.notes:
        console.print(f"[dim]Note: {n}[/dim]")
    if res.env:
        console.print(f"[dim]Measured on: {res.env}[/dim]")
