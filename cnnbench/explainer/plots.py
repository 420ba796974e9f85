"""Charts of an :class:`~cnnbench.explainer.explanation.Explanation`: the roofline with one point per layer, and time share
vs MACs share by op type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnbench.explainer.optypes import TYPES


def figure(ex: Any):
    """A matplotlib figure: left, log-log arithmetic intensity (FLOP/byte) vs achieved GFLOP/s with the two roofs and
    one point per layer (area ∝ its time, colour = op type or module type); right, share of time vs share of MACs
    (and of memory access) by op type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    roof = ex.roofline or {}
    peak, bw = float(roof.get("peak_gflops", 0) or 0), float(roof.get("bandwidth_gbps", 0) or 0)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2))
    pts = [r for r in ex.layers if r["time_ms"] > 0 and r["flops"] > 0 and r["memory_access_bytes"] > 0]
    colour_of = (lambda r: r.get("op")) if ex.by == "op" else (lambda r: r.get("module_type") or "?")
    labels = sorted({colour_of(r) for r in pts})
    cmap = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20")
    tmax = max((r["time_ms"] for r in pts), default=1.0)
    for i, lab in enumerate(labels):
        sel = [r for r in pts if colour_of(r) == lab]
        ax.scatter([r["arithmetic_intensity"] for r in sel], [r["achieved_gflops"] for r in sel],
                   s=[20 + 600 * r["time_ms"] / tmax for r in sel], color=cmap(i % cmap.N), alpha=0.7,
                   edgecolors="k", linewidths=0.4, label=lab)
    if peak > 0 and bw > 0:
        import numpy as np

        lo = min([r["arithmetic_intensity"] for r in pts] + [peak / bw / 100]) / 2
        hi = max([r["arithmetic_intensity"] for r in pts] + [peak / bw * 100]) * 2
        x = np.geomspace(lo, hi, 200)
        ax.plot(x, np.minimum(peak, x * bw), "k-", lw=1.5)
        ax.annotate(f"peak {peak:.0f} GFLOP/s", (hi, peak), ha="right", va="bottom", fontsize=8)
        ax.annotate(f"{bw:.1f} GB/s", (lo * 1.5, lo * 1.5 * bw), ha="left", va="bottom", fontsize=8, rotation=30)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP / byte of memory access)")
    ax.set_ylabel("achieved GFLOP/s (FLOPs = 2 × MACs)")
    ax.set_title(f"{ex.model}: layers on this machine's roofline ({ex.runtime}, {ex.device}, {ex.threads} thr.)",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    if labels:
        ax.legend(fontsize=7, loc="lower right", markerscale=0.4)
    kinds = sorted(ex.op_types, key=lambda r: TYPES.index(r["op_type"]) if r["op_type"] in TYPES else 99)
    names = [r["op_type"] for r in kinds]
    import numpy as np

    y = np.arange(len(names))
    bx.barh(y - 0.27, [100 * r["time_share"] for r in kinds], 0.27, label="share of time")
    bx.barh(y, [100 * r["macs_share"] for r in kinds], 0.27, label="share of MACs")
    bx.barh(y + 0.27, [100 * r["memory_share"] for r in kinds], 0.27, label="share of memory access")
    bx.set_yticks(y, names, fontsize=8)
    bx.invert_yaxis()
    bx.set_xlabel("%")
    bx.set_title("time vs MACs vs memory access, by op type", fontsize=10)
    bx.legend(fontsize=8)
    bx.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def save_plots(ex: Any, path: str | Path) -> Path:
    """Writes :func:`figure` to ``path`` (PNG/SVG/PDF by extension) atomically."""
    import matplotlib.pyplot as plt

    from cnnbench.report.plots import save_figure

    fig = figure(ex)
    try:
        save_figure(fig, path, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    return Path(path)
