"""The history of recorded results: one trend per series (model × input × device × runtime × batch size).

:func:`history_records` turns stored rows into records with the change from the previous run of the same series
and what changed in the environment; :func:`history_table` and :func:`plot_history` render them (``cnnbench
history`` only parses options and prints).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

#: --metric name → (results column, header with unit, scale to display).
METRICS = {
    "latency": ("latency_median_ms", "median latency (ms)", 1.0),
    "p90": ("latency_p90_ms", "p90 latency (ms)", 1.0),
    "throughput": ("throughput_per_s", "throughput (inputs/s)", 1.0),
    # the median ÷ a calibration workload timed beside it: comparable across machines of different speed
    "latency_normalized": ("latency_normalized", "median latency ÷ calibration", 1.0),
    "params": ("params", "params (M)", 1e-6),
    "checkpoint": ("checkpoint_bytes", "checkpoint (MiB)", 1 / 2**20),
    "macs": ("macs", "GMACs (multiply-accumulates)", 1e-9),
    "flops": ("flops", "GFLOPs (2 × MACs)", 1e-9),
    "memory_access": ("memory_access_bytes", "memory access (MiB)", 1 / 2**20),
    "activations": ("activations", "activations (M)", 1e-6),
    "peak_memory": ("peak_memory_bytes", "peak memory (MiB)", 1 / 2**20),
}
#: Environment fields whose change is marked (they can explain a step in latency).
ENV_FIELDS = ("cpu_model", "logical_cores", "gpu_name", "torch", "torchvision", "timm", "onnxruntime", "python",
              "threads", "cuda", "cudnn")
SERIES = ("model", "input_shape", "dtype", "device", "runtime", "batch_size", "threads")
#: Machine-independent metrics: one series per model × input × dtype (device, runtime and threads do not matter).
STATIC = {"params", "checkpoint", "macs", "flops", "memory_access", "activations"}
STATIC_SERIES = ("model", "input_shape", "dtype")


def _series_key(r: dict[str, Any], metric: str) -> tuple:
    return tuple(r.get(k) for k in (STATIC_SERIES if metric in STATIC else SERIES))


def env_changes(prev: dict[str, Any] | None, cur: dict[str, Any] | None) -> list[str]:
    """``["torch 2.3.0→2.4.0", "cpu_model A→B"]`` for the :data:`ENV_FIELDS` that differ."""
    if not prev or not cur:
        return []
    return [f"{k} {prev.get(k)}→{cur.get(k)}" for k in ENV_FIELDS if prev.get(k) != cur.get(k)]


def history_records(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """One record per stored result with a value for ``metric``, series by series, oldest first.

    Each carries ``change`` (relative to the previous value of its series) and ``env_changes``.
    """
    column = METRICS[metric][0]
    by_series: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get(column) is None:
            continue
        rs = by_series.setdefault(_series_key(r, metric), [])
        if metric in STATIC and rs and rs[-1]["run_id"] == r["run_id"]:
            continue  # the same static value on every runtime row of one run
        rs.append(r)
    out = []
    for series in sorted(by_series, key=lambda s: tuple("" if v is None else str(v) for v in s)):
        prev = None
        for r in by_series[series]:
            value = r[column]
            change = None
            if prev is not None and prev[column]:
                change = value / prev[column] - 1
            keys = STATIC_SERIES if metric in STATIC else SERIES
            out.append({
                **{k: (r.get(k) if k in keys else None) for k in SERIES},
                "run_id": r["run_id"], "time": r["time"], "git_commit": r.get("git_commit"),
                "git_dirty": None if r.get("git_dirty") is None else bool(r["git_dirty"]),
                "metric": metric, "value": value, "change": change,
                "env_changes": env_changes(prev["env"] if prev else None, r.get("env")),
                "error": r.get("error"),
            })
            prev = r
    return out


def _commit(rec: dict[str, Any]) -> str:
    c = rec.get("git_commit")
    return "—" if not c else c[:10] + ("*" if rec.get("git_dirty") else "")


def history_table(records: list[dict[str, Any]], metric: str, db: str):
    from rich.table import Table

    _, header, scale = METRICS[metric]
    t = Table(title=f"cnnbench history: {metric}", header_style="bold", caption_justify="left",
              caption=f"{db} · * = uncommitted changes · Δ = change from the previous run of the same row")
    for col in ("model", "input", "device", "runtime", "batch", "run", "time (UTC)", "commit"):
        t.add_column(col)
    t.add_column(header, justify="right")
    t.add_column("Δ", justify="right")
    t.add_column("environment change", style="yellow", overflow="fold", max_width=50)
    last = None
    for r in records:
        series = tuple(r.get(k) for k in SERIES)
        if last is not None and series != last:
            t.add_section()
        last = series
        change = "" if r["change"] is None else f"{100 * r['change']:+.1f}%"
        if r["change"] is not None and abs(r["change"]) >= 0.05:
            change = f"[bold]{change}[/bold]"
        t.add_row(str(r["model"]), r["input_shape"] or "", r["device"] or "—", r["runtime"] or "—",
                  str(r["batch_size"] or ""), str(r["run_id"]), r["time"][:19].replace("T", " "), _commit(r),
                  f"{r['value'] * scale:.4g}", change, "; ".join(r["env_changes"]))
    return t


def plot_history(records: list[dict[str, Any]], metric: str, path: str | Path) -> None:
    """One line per series against run time; environment changes as dotted lines. Written atomically."""
    import matplotlib

    from cnnbench.report.plots import save_figure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    plot_format(path)  # a bad extension fails before drawing
    _, header, scale = METRICS[metric]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    series: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        series.setdefault(_series_key(r, metric), []).append(r)
    for rs in series.values():
        r0 = rs[0]
        label = " ".join(str(x) for x in (r0["model"], r0["input_shape"], r0["device"], r0["runtime"],
                                          f"b{r0['batch_size']}" if r0["batch_size"] else None) if x)
        times = [dt.datetime.fromisoformat(r["time"]) for r in rs]
        line, = ax.plot(times, [r["value"] * scale for r in rs], marker="o", label=label)
        for r, t in zip(rs, times):
            if r["env_changes"]:
                ax.axvline(t, color=line.get_color(), linestyle=":", alpha=0.7)
                ax.annotate(", ".join(r["env_changes"])[:60], (t, r["value"] * scale), fontsize=7, rotation=90,
                            va="bottom", ha="right", color=line.get_color())
    ax.set_ylabel(header)
    ax.set_xlabel("run time (UTC)")
    ax.set_title(f"cnnbench history: {metric}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    try:
        save_figure(fig, path, dpi=120)
    finally:
        plt.close(fig)


def plot_format(path: Path) -> str:
    """``png``, ``svg`` or ``pdf``: the format of ``path`` (the one check, :func:`~cnnbench.report.plots.check_plot_path`)."""
    from cnnbench.report.plots import check_plot_path

    return check_plot_path(path).suffix.lower().lstrip(".")
