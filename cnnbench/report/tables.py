"""Rich tables for profile/compare records (stdout); every header carries its unit."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cnnbench.report.units import COLUMNS, CONVENTIONS, ms, si

STATIC_COLUMNS = ["params", "checkpoint_bytes", "macs", "memory_access_bytes", "activations", "arithmetic_intensity"]


def profile_table(records: list[dict[str, Any]], relative_to: dict[str, Any] | None = None,
                  title: str | None = None, footer: str | None = None) -> Table:
    has_latency = any(r.get("latency_ms") for r in records)
    t = Table(title=title, caption=(footer + "\n" if footer else "") + CONVENTIONS, header_style="bold",
              caption_justify="left")
    t.add_column("model")
    t.add_column("input")
    for key in STATIC_COLUMNS:
        t.add_column(COLUMNS[key][0], justify="right")
    if has_latency:
        for col in ("device", "runtime", "batch"):
            t.add_column(col)
        for col in ("median ms", "IQR ms", "p90 ms", "p99 ms", "n", "img/s", "peak MiB"):
            t.add_column(col, justify="right")
    if relative_to:
        for col in ("×params", "×MACs", "×mem", "×latency") if has_latency else ("×params", "×MACs", "×mem"):
            t.add_column(col, justify="right")
    t.add_column("error", style="red", overflow="fold", max_width=60)
    for r in records:
        row = [r["model"], "x".join(map(str, r.get("input_shape") or []))]
        row += [COLUMNS[k][1](r) for k in STATIC_COLUMNS]
        if has_latency:
            lat = r.get("latency_ms") or {}
            noisy = " (noisy)" if lat.get("noisy") else ""
            row += [str(r.get("device") or ""), str(r.get("runtime") or ""), str(r.get("batch_size") or "")]
            row += [ms(lat.get("median")) + noisy, ms(lat.get("iqr")), ms(lat.get("p90")), ms(lat.get("p99")),
                    str(lat.get("samples") or "—"),
                    f"{r['throughput_per_s']:.1f}" if r.get("throughput_per_s") else "—",
                    f"{r['peak_memory_bytes'] / 2**20:.1f}" if r.get("peak_memory_bytes") is not None else "—"]
        if relative_to:
            row += _ratios(r, relative_to, has_latency)
        row.append(r.get("error") or "")
        t.add_row(*row)
    return t


def _ratio(a: Any, b: Any) -> str:
    if a is None or not b:
        return "—"
    return f"{a / b:.2f}×"


def _ratios(r: dict[str, Any], ref: dict[str, Any], has_latency: bool) -> list[str]:
    out = [_ratio(r.get("params"), ref.get("params")), _ratio(r.get("macs"), ref.get("macs")),
           _ratio(r.get("memory_access_bytes"), ref.get("memory_access_bytes"))]
    if has_latency:
        a = (r.get("latency_ms") or {}).get("median")
        b = (ref.get("latency_ms") or {}).get("median")
        out.append(_ratio(a, b))
    return out


def groups_table(title: str, groups, total_macs: int, total_bytes: int, label: str) -> Table:
    """Per-module or per-op breakdown with each metric's share of the total."""
    t = Table(title=title, header_style="bold")
    t.add_column(label)
    if label == "module":
        t.add_column("params", justify="right")
    for col in ("ops", "MACs", "% MACs", "mem access (MiB)", "% mem", "acts"):
        t.add_column(col, justify="right")
    for g in groups:
        row = [g.name]
        if label == "module":
            row.append(si(g.params))
        row += [str(g.count), si(g.macs), f"{100 * g.macs / total_macs:.1f}" if total_macs else "—",
                f"{g.memory_access_bytes / 2**20:.2f}",
                f"{100 * g.memory_access_bytes / total_bytes:.1f}" if total_bytes else "—", si(g.activations)]
        t.add_row(*row)
    return t
