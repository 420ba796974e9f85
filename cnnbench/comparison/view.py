"""Rendering of ``cnnbench compare``: one table per device/runtime/batch group, correlations, Markdown, plot title."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cnnbench.comparison.ranking import DESCENDING, MIN_CORRELATION_MODELS, group_key, group_label
from cnnbench.records import CAPTION, STATIC_METRICS

if TYPE_CHECKING:
    from rich.console import Console

_CORR_NOTE = ("correlation of median latency with each proxy across the compared models: Spearman ρ = do they rank "
              "the models alike, Pearson r = linear agreement")
_SORT_LABEL = {"params": "params", "macs": "MACs", "memory_access": "memory access", "activations": "activations",
               "latency": "median latency", "checkpoint": "checkpoint size",
               "efficiency": "% of this machine's peak FLOP/s"}


class CompareView:
    """Renders one comparison as Rich tables (on a console the caller gives) or a Markdown report.

    Args:
        records: Sorted records (:func:`cnnbench.comparison.ranking.sort_records`).
        refs: Group key → the reference model's record (:func:`cnnbench.comparison.ranking.references`).
        ref_model: ``--relative-to`` (canonical name) or ``None``.
        sort: The ``--sort`` metric.
        footer: :meth:`cnnbench.comparison.run.CompareResult.footer`.
        corrs: :func:`cnnbench.comparison.ranking.correlations`.
        has_latency: Latency was measured.
        columns: ``--columns`` (``None``: the default columns).
    """

    def __init__(self, records, refs, ref_model, sort, footer, corrs, has_latency, columns=None) -> None:
        self.records = records
        self.refs = refs
        self.ref_model = ref_model
        self.sort = sort
        self.footer = footer
        self.corrs = corrs
        self.has_latency = has_latency
        self.columns = columns
        self.groups: dict[tuple, list[dict[str, Any]]] = {}
        for r in records:
            self.groups.setdefault(group_key(r), []).append(r)

    def _caption(self) -> str:
        order = "descending" if self.sort in DESCENDING else "ascending"
        parts = [f"sorted by {_SORT_LABEL[self.sort]} ({order})"]
        if self.ref_model:
            parts.append(f"×X = X / X of {self.ref_model} in the same device/runtime/batch group")
        if self.footer:
            parts.append(self.footer)
        return "; ".join(parts)

    def _title(self, key: tuple) -> str:
        return f"cnnbench compare — {group_label(key)}" if self.has_latency else "cnnbench compare"

    def plot_title(self) -> str:
        if not self.has_latency:
            return "cnnbench compare (static costs)"
        env = next((r.get("env") for r in self.records if r.get("env")), None) or {}
        where = env.get("gpu_name") if any(str(k[0]).startswith("cuda") for k in self.groups) else env.get("cpu_model")
        threads = next((r.get("threads") for r in self.records if r.get("threads")), None)
        parts = [group_label(k) for k in self.groups] + ([f"{threads} thread{'s' * (threads != 1)}"] if threads else [])
        return f"cnnbench compare{f' on {where}' if where else ''} — {'; '.join(parts)}"

    def print_tables(self, console: Console) -> None:
        """Prints one table per device/runtime/batch group, then the correlation tables, to ``console``."""
        from cnnbench.report.tables import profile_table


        for key, recs in self.groups.items():
            shapes = {"x".join(map(str, r.get("input_shape") or [])) for r in recs}
            title = self._title(key) + (f" — input {shapes.pop()}" if len(shapes) == 1 and self.columns is None else "")
            console.print(profile_table(recs, relative_to=self.refs.get(key) if self.ref_model else None,
                                       title=title, footer=self._caption(), columns=self.columns, width=console.width,
                                       compare=True))
        if self.ref_model and self.refs == {}:
            console.print(f"[yellow]{self.ref_model} has no row to compare against[/yellow]")
        self._print_correlations(console)

    def _print_correlations(self, console: Console) -> None:
        from rich.table import Table

        if not self.has_latency:
            return
        if not self.corrs:
            console.print(f"[dim]which proxy predicts latency: needs ≥ {MIN_CORRELATION_MODELS} models with "
                         "latency in one device/runtime/batch group[/dim]")
            return
        for c in self.corrs:
            t = Table(title=f"Which proxy predicts latency? ({c.group}, n = {c.n})", header_style="bold",
                      caption=_CORR_NOTE, caption_justify="left", min_width=72)
            t.add_column("proxy")
            t.add_column("Spearman ρ", justify="right")
            t.add_column("Pearson r", justify="right")
            for label in c.spearman:
                t.add_row(label, _num(c.spearman[label]), _num(c.pearson[label]))
            console.print(t)
            console.print(c.interpretation(), soft_wrap=True)

    def markdown(self) -> str:
        """The comparison as one Markdown report (``--format md``, ``-o report.md``)."""
        out = ["# cnnbench compare", ""]
        env = next((r.get("env") for r in self.records if r.get("env")), None)
        if env:
            facts = [f"{k}: {env.get(k)}" for k in ("cpu_model", "gpu_name", "torch", "logical_cores")
                     if env.get(k) is not None]
            threads = next((r.get("threads") for r in self.records if r.get("threads")), None)
            if threads:
                facts.append(f"threads: {threads}")
            out += ["Environment — " + "; ".join(facts), ""]
        for key, recs in self.groups.items():
            out += [f"## {self._title(key).removeprefix('cnnbench compare — ') or 'static costs'}", ""]
            out += _md_rows(recs, self.refs.get(key) if self.ref_model else None, self.has_latency)
            out.append("")
        out += [self._caption() + ".", "", CAPTION, ""]
        for c in self.corrs:
            out += [f"## Which proxy predicts latency? ({c.group}, n = {c.n})", "",
                    "| proxy | Spearman ρ | Pearson r |", "|---|---:|---:|"]
            out += [f"| {k} | {_num(c.spearman[k])} | {_num(c.pearson[k])} |" for k in c.spearman]
            out += ["", _CORR_NOTE + "."]
            out += ["", c.interpretation(), ""]
        return "\n".join(out)


def _num(v: float) -> str:
    return "—" if math.isnan(v) else f"{v:+.2f}"


def _md_rows(recs: list[dict[str, Any]], ref: dict[str, Any] | None, has_latency: bool) -> list[str]:
    from cnnbench.report.units import COLUMNS, ms

    head = ["model", "family", "input"] + [COLUMNS[k][0] for k in STATIC_METRICS]
    if has_latency:
        head += ["median ms", "IQR ms", "n", "img/s", "peak MiB"]
    if ref is not None:
        head += ["×params", "×MACs", "×mem"] + (["×latency"] if has_latency else [])
    head.append("error")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i < 3 or h == "error" else "---:"
                                                           for i, h in enumerate(head)) + "|"]
    for r in recs:
        lat = r.get("latency_ms") or {}
        row = [str(r["model"]), str(r.get("family") or ""), "x".join(map(str, r.get("input_shape") or []))]
        row += [COLUMNS[k][1](r) for k in STATIC_METRICS]
        if has_latency:
            row += [ms(lat.get("median")) + (" (noisy)" if lat.get("noisy") else ""), ms(lat.get("iqr")),
                    str(lat.get("samples") or "—"),
                    f"{r['throughput_per_s']:.1f}" if r.get("throughput_per_s") else "—",
                    f"{r['peak_memory_bytes'] / 2**20:.1f}" if r.get("peak_memory_bytes") is not None else "—"]
        if ref is not None:
            pairs = [(r.get(k), ref.get(k)) for k in ("params", "macs", "memory_access_bytes")]
            if has_latency:
                pairs.append((lat.get("median"), (ref.get("latency_ms") or {}).get("median")))
            row += ["—" if a is None or not b else f"{a / b:.2f}×" for a, b in pairs]
        row.append(str(r.get("error") or "").replace("|", "\\|"))
        lines.append("| " + " | ".join(row) + " |")
    return lines
