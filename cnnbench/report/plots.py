"""Comparison figures (matplotlib, no display needed): cost proxies vs latency with Pareto fronts.

The figure is drawn with matplotlib's object API (``Figure`` + the Agg canvas), never ``pyplot``: it needs no
display and does not change the global backend of a program that imports cnnbench. ``.svg`` and ``.pdf``
files are written by their own canvases, picked by ``savefig`` from the file extension.

**Pareto front.** In "proxy vs latency" panels both axes are costs (lower is better). A model is on the front
when no other model has both a lower-or-equal proxy value and a lower-or-equal latency (one of them strictly
lower). Equivalently: for any proxy budget B, the fastest model with proxy ≤ B is on the front. Models above the
front are slower than some model that is also cheaper by that proxy — the cases where the proxy misleads.
The front is drawn as a dashed staircase through the front models, per (runtime, batch size) group.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnnbench.errors import CnnbenchError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
#: An axis whose positive values span more than this factor is drawn on a log scale.
LOG_SPAN = 20.0
#: With more points than this, only Pareto-front models are labelled (the rest would be unreadable).
MAX_LABELS = 30
_MARKERS = "osD^v<>P*X"
MIB = 2**20


def check_plot_path(path: str | Path, what: str = "--plot") -> Path:
    """``path`` as a Path if its extension is one we can write (the extension check of every ``--plot``).

    Raises:
        CnnbenchError: Another extension.
    """
    p = Path(path)
    if p.suffix.lower() not in PLOT_SUFFIXES:
        raise CnnbenchError(f"{what} {str(path)!r}: use a .png, .svg or .pdf file name")
    return p


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points when both coordinates are minimised, sorted by x.

    >>> pareto_front([(1, 10), (2, 5), (3, 8), (4, 1)])
    [0, 1, 3]
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front: list[int] = []
    best_y = float("inf")
    for i in order:
        # sorted by x, so i is dominated iff an earlier (cheaper-or-equal) point is at least as fast
        if points[i][1] < best_y:
            front.append(i)
            best_y = points[i][1]
    return front


# (record key or getter, axis label)
_AXES = {
    "macs": (lambda r: r.get("macs") and r["macs"] / 1e9, "MACs (GMACs, multiply-accumulates)"),
    "memory_access": (lambda r: r.get("memory_access_bytes") and r["memory_access_bytes"] / MIB,
                      "memory access (MiB)"),
    "activations": (lambda r: r.get("activations") and r["activations"] / 1e6, "activations (M elements)"),
    "params": (lambda r: r.get("params") and r["params"] / 1e6, "parameters (M)"),
    "checkpoint": (lambda r: r.get("checkpoint_bytes") and r["checkpoint_bytes"] / MIB, "checkpoint size (MiB)"),
    "latency": (lambda r: (r.get("latency_ms") or {}).get("median"), "median latency (ms)"),
}


def compare_figure(records: list[dict[str, Any]], path: str | Path, *, title: str | None = None,
                   footnote: str | None = None) -> Path:
    """Writes the comparison figure for ``records`` (profile/compare records) to ``path``; returns the path.

    With latency: four panels — MACs, memory access and activations vs median latency (each with its Pareto
    front) and params vs checkpoint size (with the fp32 line, checkpoint = 4 bytes × params). Without latency:
    params vs checkpoint and MACs vs memory access. Colour = family, marker = (runtime, batch) group.

    Raises:
        CnnbenchError: Bad extension, or no record without an error to plot.
    """
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        # headless CLI: make any later pyplot import safe too; an interactive session's backend is left alone
        matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    path = check_plot_path(path)
    rows = [r for r in records if r.get("params") is not None and not r.get("error")]
    if not rows:
        raise CnnbenchError("nothing to plot: every row failed")
    has_latency = any((r.get("latency_ms") or {}).get("median") for r in rows)
    panels = ([("macs", "latency"), ("memory_access", "latency"), ("activations", "latency"),
               ("params", "checkpoint")] if has_latency else [("params", "checkpoint"), ("macs", "memory_access")])
    ncols = 2
    nrows = (len(panels) + 1) // 2
    fig = Figure(figsize=(13, 5.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()

    fams = sorted({str(r.get("family")) for r in rows})
    cmap = matplotlib.colormaps["tab10" if len(fams) <= 10 else "tab20"]
    colour = {f: cmap(i % cmap.N) for i, f in enumerate(fams)}
    groups = list(dict.fromkeys(_group(r) for r in rows))
    marker = {g: _MARKERS[i % len(_MARKERS)] for i, g in enumerate(groups)}

    for ax, (xk, yk) in zip(axes, panels):
        _panel(ax, rows, xk, yk, colour, marker, groups)
    for ax in axes[len(panels):]:
        ax.set_visible(False)

    handles = [Line2D([], [], ls="", marker="o", color=colour[f], label=f) for f in fams]
    if len(groups) > 1:
        handles += [Line2D([], [], ls="", marker=marker[g], color="0.3", label=_group_label(g)) for g in groups]
    if has_latency:
        handles.append(Line2D([], [], ls="--", color="0.4", label="Pareto front (lower-left is better)"))
    handles.append(Line2D([], [], ls=":", color="0.6", label="fp32: checkpoint = 4 B × params"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=9, frameon=False)
    if title:
        fig.suptitle(title, fontsize=13)
    if footnote:
        fig.text(0.005, 0.002, footnote, fontsize=7, color="0.35", ha="left", va="bottom")
    save_figure(fig, path, dpi=130)
    return path


def save_figure(fig: Any, path: str | Path, **savefig_kwargs: Any) -> None:
    """``fig.savefig`` to ``path`` atomically (:func:`~cnnbench.store.write_atomic`), the format from its
    extension (``.png``, ``.svg``, ``.pdf``)."""
    from cnnbench.store import write_atomic

    fmt = Path(path).suffix.lower().lstrip(".") or "png"
    write_atomic(path, lambda f: fig.savefig(f, format=fmt, **savefig_kwargs))


def _group(r: dict[str, Any]) -> tuple[Any, ...]:
    shape = r.get("input_shape") or [None]
    return (r.get("runtime"), r.get("batch_size") or shape[0])


def _group_label(g: tuple[Any, ...]) -> str:
    runtime, batch = g
    return ", ".join(p for p in (runtime, f"batch {batch}") if p)


def _panel(ax: Any, rows: list[dict[str, Any]], xk: str, yk: str, colour: dict[str, Any],
           marker: dict[tuple[Any, ...], str], groups: list[tuple[Any, ...]]) -> None:
    fx, xlabel = _AXES[xk]
    fy, ylabel = _AXES[yk]
    if yk != "latency":  # static metrics do not depend on the runtime; params/checkpoint not on the batch either
        seen: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in rows:
            shape = tuple(r.get("input_shape") or ())
            seen.setdefault((r["model"], shape[1:] if xk == "params" else shape), r)
        rows = list(seen.values())
    pts = [(fx(r), fy(r), r) for r in rows]
    pts = [(x, y, r) for x, y, r in pts if x and y]  # log axes need positive values; 0/None cannot be placed
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{ylabel.split(' (')[0]} vs {xlabel.split(' (')[0]}", fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    if not pts:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    for x, y, r in pts:
        m = marker[_group(r)] if xk != "params" else "o"  # params/checkpoint: one point per model
        ax.scatter(x, y, s=40, color=colour[str(r.get("family"))], marker=m, zorder=3, edgecolors="white",
                   linewidths=0.5)
    on_front: set[int] = set()
    if yk == "latency":
        for g in groups:
            idx = [i for i, (_, _, r) in enumerate(pts) if _group(r) == g]
            front = [idx[j] for j in pareto_front([(pts[i][0], pts[i][1]) for i in idx])]
            on_front.update(front)
            if len(front) > 1:
                ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], ls="--", color="0.4", lw=1,
                        drawstyle="steps-post", zorder=2)
            ax.scatter([pts[i][0] for i in front], [pts[i][1] for i in front], s=110, facecolors="none",
                       edgecolors="0.3", linewidths=1, zorder=2)
    if xk == "params" and yk == "checkpoint":
        lo, hi = min(x for x, _, _ in pts), max(x for x, _, _ in pts)
        # params in M, checkpoint in MiB: 4 bytes × 1e6 params / 2**20
        ax.plot([lo, hi], [lo * 4e6 / MIB, hi * 4e6 / MIB], ls=":", color="0.6", lw=1, zorder=1)
    for axis, vals in (("x", [p[0] for p in pts]), ("y", [p[1] for p in pts])):
        if min(vals) > 0 and max(vals) / min(vals) > LOG_SPAN:
            (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
            (ax.set_xlabel if axis == "x" else ax.set_ylabel)((xlabel if axis == "x" else ylabel) + ", log scale")
    label_all = len(pts) <= MAX_LABELS
    multi = len(groups) > 1
    labels = []
    for i, (x, y, r) in enumerate(pts):
        if label_all or i in on_front:
            text = str(r["model"]) + (f" ({_group_label(_group(r))})" if multi and xk != "params" else "")
            labels.append((x, y, text))
    _annotate(ax, labels, [(x, y) for x, y, _ in pts])


# label offsets tried in turn (points; alignment): upper right, lower right, upper left, lower left
_OFFSETS = ((4, 3, "left", "bottom"), (4, -3, "left", "top"), (-4, 3, "right", "bottom"), (-4, -3, "right", "top"))


def _annotate(ax: Any, labels: list[tuple[float, float, str]], points: list[tuple[float, float]]) -> None:
    """Labels points, moving a label to another corner of its point when it would overlap an earlier one.

    Overlap is estimated in axes fractions with a fixed character size (7 pt text on a ~6 × 4 inch panel);
    good enough to separate neighbours like resnet200 / resnet200d without a layout engine.
    """
    import math

    def frac(v: float, lim: tuple[float, float], log: bool) -> float:
        lo, hi = (math.log10(lim[0]), math.log10(lim[1])) if log else lim
        return ((math.log10(v) if log else v) - lo) / ((hi - lo) or 1.0)

    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    xlog, ylog = ax.get_xscale() == "log", ax.get_yscale() == "log"
    char_w, h, pad_x, pad_y = 0.0087, 0.03, 0.009, 0.01
    # markers are obstacles too (about ±0.006 × ±0.008 of the panel)
    placed = [(fx - 0.006, fy - 0.008, fx + 0.006, fy + 0.008)
              for fx, fy in ((frac(x, xlim, xlog), frac(y, ylim, ylog)) for x, y in points)]
    for x, y, text in sorted(labels, key=lambda t: (t[0], t[1])):
        fx, fy = frac(x, xlim, xlog), frac(y, ylim, ylog)
        w = char_w * len(text)
        choice = _OFFSETS[0]
        for off in _OFFSETS:
            x0 = fx + pad_x if off[0] > 0 else fx - pad_x - w
            y0 = fy + pad_y if off[1] > 0 else fy - pad_y - h
            box = (x0, y0, x0 + w, y0 + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                choice = off
                break
        x0 = fx + pad_x if choice[0] > 0 else fx - pad_x - w
        y0 = fy + pad_y if choice[1] > 0 else fy - pad_y - h
        placed.append((x0, y0, x0 + w, y0 + h))
        ax.annotate(text, (x, y), xytext=choice[:2], textcoords="offset points", ha=choice[2], va=choice[3],
                    fontsize=7, color="0.15")
