"""``cnnbench history --html DIR``: the history as a self-contained static site (plotly, no network needed).

``DIR/index.html`` lists every model × series × metric with its latest value, the change from the previous run and
a trend sparkline (inline SVG); one page per model draws the median latency with its IQR band, the normalized
latency (median ÷ the calibration workload timed beside it) and the static metrics against run time, marks the
environment changes (:data:`~cnnbench.report.history.ENV_FIELDS`) on the time axis and lists the ``check`` runs
(verdict, ratio with its interval, per-module attribution).

Rows are aggregated to one point per run × series (the median of that run's rows), so the pages stay small
whatever the number of rows. plotly's JavaScript is written once, ``DIR/plotly.min.js``, and loaded with a relative
``<script src>``: the pages open from ``file://`` with no network. Each figure is a JSON block the page hands to
``Plotly.newPlot``; a script error is recorded on ``<body data-errors>`` (the browser test reads it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import re
import statistics
from pathlib import Path
from typing import Any

from cnnbench.report.history import METRICS, STATIC, env_changes

PLOTLY_JS = "plotly.min.js"
#: The series of a latency point: everything that changes a timing except the model (cf. history.SERIES).
LATENCY_KEY = ("input_shape", "dtype", "device", "runtime", "batch_size", "threads")
STATIC_KEY = ("input_shape", "dtype")
STATIC_METRICS = tuple(m for m in METRICS if m in STATIC)
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
_HOVER = "%{y:.4g}<br>%{customdata[0]} · %{customdata[1]}<br>%{customdata[2]}<extra>%{fullData.name}</extra>"


def write_site(rows: list[dict[str, Any]], directory: str | Path, *, db: str, scope: str = "") -> list[Path]:
    """Writes the site for ``rows`` (``Store.results()`` rows) into ``directory``; returns the pages written.

    Args:
        rows: Stored result rows joined with their run, oldest first.
        directory: Created if needed (check it first with ``check_output_path(..., directory=True)``).
        db: The database's path, named on every page.
        scope: The filter the rows were read with (``"resnet18 since 7d"``), shown on the index.
    """
    from cnnbench.store import write_atomic

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    models = model_histories(rows)
    pages = [out / "index.html"]
    if models:
        from plotly.offline import get_plotlyjs

        write_atomic(out / PLOTLY_JS, get_plotlyjs())
    for name, m in models.items():
        pages.append(out / page_name(name))
        write_atomic(pages[-1], _model_page(name, m, db))
    write_atomic(pages[0], _index_page(models, db, scope))
    return pages


def page_name(model: str) -> str:
    """A file name for a model's page: readable, safe on every file system, unique (a hash of the full name)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("._")[:60] or "model"
    return f"model-{slug}-{hashlib.sha1(model.encode()).hexdigest()[:8]}.html"


# -- data: one point per run × series ------------------------------------------------------------------------------


def model_histories(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per model (sorted by name): ``runs`` (run id → time, commit, env, env changes), ``latency`` and
    ``normalized`` (series label → points), ``static`` (metric → series label → points) and ``checks``.

    A point is ``{"run_id", "value"}`` (+ ``"iqr"`` for latency): the median over that run's rows of the series.
    """
    by_model: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_model.setdefault(str(r["model"]), []).append(r)
    return {name: _model_history(by_model[name]) for name in sorted(by_model)}


def _model_history(rows: list[dict[str, Any]]) -> dict[str, Any]:
    runs: dict[int, dict[str, Any]] = {}
    cells: dict[tuple, list[dict[str, Any]]] = {}  # (kind, metric, series label, run id) → rows
    checks = []
    for r in rows:
        if r["run_id"] not in runs:
            env = r.get("env") or {}
            runs[r["run_id"]] = {"time": r["time"], "x": _x(r["time"]), "commit": _commit(r), "env": env,
                                 # a point's hover text, once per run (plotly renders it as HTML)
                                 "hover": [html.escape(_commit(r)), r["time"][:16].replace("T", " "),
                                           html.escape(_env_summary(env))]}
        record = r.get("record") or {}
        if record.get("check_status") is not None:
            checks.append({**{k: v for k, v in record.items() if k.startswith("check_")}, "run_id": r["run_id"],
                           "series": _label(r, LATENCY_KEY)})
        lat, static = _label(r, LATENCY_KEY), None
        for kind, column in (("latency", "latency_median_ms"), ("normalized", "latency_normalized")):
            if _finite(r.get(column)):
                cells.setdefault((kind, kind, lat, r["run_id"]), []).append(r)
        for metric in STATIC_METRICS:
            if _finite(r.get(METRICS[metric][0])):
                static = static or _label(r, STATIC_KEY)
                cells.setdefault(("static", metric, static, r["run_id"]), []).append(r)
    prev_env = None
    for run in runs.values():  # oldest first: rows come ordered by run time
        run["changes"] = env_changes(prev_env, run["env"])
        prev_env = run["env"]
    out: dict[str, Any] = {"runs": runs, "latency": {}, "normalized": {}, "static": {}, "checks": checks}
    for (kind, metric, label, run_id), rs in cells.items():
        column = {"latency": "latency_median_ms", "normalized": "latency_normalized"}.get(kind) or METRICS[metric][0]
        point: dict[str, Any] = {"run_id": run_id, "value": statistics.median(r[column] for r in rs)}
        if kind == "latency":
            iqrs = [r["latency_iqr_ms"] for r in rs if _finite(r.get("latency_iqr_ms"))]
            point["iqr"] = statistics.median(iqrs) if iqrs else None
        target = out["static"].setdefault(metric, {}) if kind == "static" else out[kind]
        target.setdefault(label, []).append(point)
    return out


def _finite(v: Any) -> bool:
    """A number JSON and plotly can carry (SQLite keeps an infinite REAL)."""
    return isinstance(v, (int, float)) and math.isfinite(v)


def _label(r: dict[str, Any], keys: tuple[str, ...]) -> str:
    parts = {"device": r.get("device"), "runtime": r.get("runtime"), "batch_size": r.get("batch_size"),
             "input_shape": r.get("input_shape"), "dtype": r.get("dtype"), "threads": r.get("threads")}
    where = "/".join(str(parts[k]) for k in ("device", "runtime") if k in keys and parts[k])
    words = [where, f"b{parts['batch_size']}" if "batch_size" in keys and parts["batch_size"] else "",
             parts["input_shape"] or "", parts["dtype"] or "",
             f"{parts['threads']} thr" if "threads" in keys and parts["threads"] else ""]
    return " ".join(w for w in words if w) or "—"


def _commit(r: dict[str, Any]) -> str:
    c = r.get("git_commit")
    return "no commit" if not c else c[:10] + ("*" if r.get("git_dirty") else "")


def _env_summary(env: dict[str, Any]) -> str:
    parts = [f"torch {env['torch']}" if env.get("torch") else "", str(env.get("gpu_name") or ""),
             str(env.get("cpu_model") or ""), f"{env['threads']} threads" if env.get("threads") else "",
             f"python {env['python']}" if env.get("python") else ""]
    return " · ".join(p for p in parts if p) or "environment not recorded"


def _x(time: str) -> str:
    """Plotly's date format: UTC without an offset (plotly reads none)."""
    t = dt.datetime.fromisoformat(time)
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.isoformat(sep=" ", timespec="microseconds")


# -- figures (plain plotly JSON: no validation cost per page; the tests validate them with plotly) -------------------


def _rgba(color: str, alpha: float) -> str:
    return f"rgba({int(color[1:3], 16)}, {int(color[3:5], 16)}, {int(color[5:7], 16)}, {alpha})"


def _line(label: str, points: list[dict[str, Any]], runs: dict[int, dict[str, Any]], color: str,
          **extra: Any) -> dict[str, Any]:
    label = html.escape(label)  # plotly renders trace names and hover text as (a subset of) HTML
    return {"type": "scatter", "mode": "lines+markers", "name": label, "legendgroup": label,
            "x": [runs[p["run_id"]]["x"] for p in points], "y": [p["value"] for p in points],
            "line": {"color": color}, "hovertemplate": _HOVER,
            "customdata": [runs[p["run_id"]]["hover"] for p in points], **extra}


def _band(label: str, points: list[dict[str, Any]], runs: dict[int, dict[str, Any]], color: str) -> list[dict]:
    pts = [p for p in points if p.get("iqr") is not None]
    if not pts:
        return []
    x = [runs[p["run_id"]]["x"] for p in pts]
    label = html.escape(label)
    return [{"type": "scatter", "mode": "lines", "name": f"{label} IQR", "legendgroup": label, "showlegend": False,
             "x": x + x[::-1], "y": [p["value"] + p["iqr"] / 2 for p in pts] + [p["value"] - p["iqr"] / 2
                                                                                for p in pts][::-1],
             "fill": "toself", "fillcolor": _rgba(color, 0.18), "line": {"width": 0}, "hoverinfo": "skip"}]


def _env_marks(runs: dict[int, dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """Vertical dotted lines (shapes) and labels (annotations, full text on hover) where the environment changed."""
    shapes, notes = [], []
    for run in runs.values():
        if run["changes"]:
            x = run["x"]
            text = "; ".join(run["changes"])
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                           "line": {"color": "#b58900", "width": 1.5, "dash": "dot"}})
            notes.append({"x": x, "xref": "x", "yref": "paper", "y": 1, "yanchor": "bottom", "showarrow": False,
                          "text": html.escape(text if len(text) <= 40 else text[:39] + "…"), "hovertext":
                          html.escape(text), "font": {"size": 10, "color": "#b58900"}})
    return shapes, notes


def _layout(title: str, ytitle: str, runs: dict[int, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    shapes, notes = _env_marks(runs)
    return {"title": {"text": html.escape(title)}, "height": 420, "margin": {"t": 80, "r": 20, "l": 70, "b": 50},
            "xaxis": {"title": {"text": "run time (UTC)"}, "type": "date"},
            "yaxis": {"title": {"text": html.escape(ytitle)}}, "shapes": shapes, "annotations": notes,
            "hovermode": "closest", "legend": {"orientation": "h", "y": -0.2}, **extra}


def latency_figure(m: dict[str, Any], kind: str = "latency") -> dict[str, Any] | None:
    """Median latency (with its IQR band: median ± IQR/2) or normalized latency per series, or ``None``."""
    if not m[kind]:
        return None
    data: list[dict[str, Any]] = []
    for i, (label, points) in enumerate(sorted(m[kind].items())):
        color = _COLORS[i % len(_COLORS)]
        if kind == "latency":
            data += _band(label, points, m["runs"], color)
        data.append(_line(label, points, m["runs"], color))
    title = ("median latency, band = median ± IQR/2" if kind == "latency"
             else "normalized latency: median ÷ the calibration workload timed beside it")
    return {"data": data, "layout": _layout(title, METRICS["latency" if kind == "latency"
                                                            else "latency_normalized"][1], m["runs"])}


def static_figure(m: dict[str, Any]) -> dict[str, Any] | None:
    """One panel per static metric (shared time axis), one line per input × dtype."""
    metrics = [k for k in STATIC_METRICS if k in m["static"]]
    if not metrics:
        return None
    n, gap = len(metrics), 0.04
    layout = _layout("static metrics", "", m["runs"], height=140 + 150 * n)
    layout["xaxis"]["anchor"] = f"y{n}" if n > 1 else "y"
    data = []
    for i, metric in enumerate(metrics):
        axis = "y" if i == 0 else f"y{i + 1}"
        top = 1 - i / n
        layout["yaxis" if i == 0 else f"yaxis{i + 1}"] = {
            "domain": [max(0.0, top - 1 / n + gap), top], "title": {"text": METRICS[metric][1], "font": {"size": 10}}}
        _, _, scale = METRICS[metric]
        for j, (label, points) in enumerate(sorted(m["static"][metric].items())):
            scaled = [{**p, "value": p["value"] * scale} for p in points]
            data.append(_line(f"{metric} {label}", scaled, m["runs"], _COLORS[j % len(_COLORS)], yaxis=axis,
                              showlegend=False))
    return {"data": data, "layout": layout}


def overview_figure(models: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Every latency series relative to its first run (1 = unchanged): the index's one plot."""
    data = []
    for name, m in models.items():
        for label, points in sorted(m["latency"].items()):
            first = points[0]["value"]
            if first:
                rel = [{**p, "value": p["value"] / first} for p in points]
                data.append(_line(f"{name} {label}", rel, m["runs"], _COLORS[len(data) % len(_COLORS)]))
    if not data:
        return None
    return {"data": data, "layout": {
        "title": {"text": "median latency relative to each series' first run"}, "height": 380,
        "margin": {"t": 50, "r": 20, "l": 60, "b": 70}, "xaxis": {"title": {"text": "run time (UTC)"}, "type": "date"},
        "yaxis": {"title": {"text": "latency ÷ first run"}}, "showlegend": len(data) <= 20, "hovermode": "closest"}}


# -- pages -------------------------------------------------------------------------------------------------------

_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}.figure{margin:12px 0 24px}
.pass,.faster,.improvement{color:#2a7a2a}.regression,.changed,.error{color:#b22;font-weight:bold}
.inconclusive{color:#b58900}table.attr{margin:2px 0 6px 24px;font-size:12px}code{font-size:12px}"""


def _page(title: str, body: str, figures: list[tuple[str, dict[str, Any] | None]]) -> str:
    blocks = []
    for fid, fig in figures:
        if fig is not None:
            # no "<" inside a <script> block: "</script>" or "<!--" in a model name cannot end it early
            text = json.dumps(fig, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
            blocks.append(f'<script type="application/json" data-figure="{fid}">{text}</script>')
    load = ""
    if blocks:
        load = (f'<script src="{PLOTLY_JS}" onerror="window.onerror(\'did not load\',this.src,0)">'
                "</script>\n" + "\n".join(blocks) + """
<script>(function(){var n=0;document.querySelectorAll('script[data-figure]').forEach(function(s){
Plotly.newPlot(document.getElementById(s.dataset.figure),JSON.parse(s.textContent).data,
JSON.parse(s.textContent).layout,{responsive:true,displaylogo:false});n++;});
document.body.dataset.plotted=n;})();</script>""")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><script>window.onerror=function(m,s,l){{var b=document.body;b.dataset.errors=(b.dataset.errors||"")+m+" ("+s+":"+l+")\\n";}};</script>
{body}
{load}
</body></html>
"""


def _num(v: float | None, fmt: str = ".4g") -> str:
    return "—" if v is None else format(v, fmt)


def sparkline(values: list[float], width: int = 120, height: int = 24) -> str:
    """An inline SVG trend: the values left to right, scaled to their own range; the last point dotted."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = (width - 4) / max(1, len(values) - 1)
    pts = [(2 + i * step, height - 3 - (v - lo) / span * (height - 6) if hi > lo else height / 2)
           for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f"<title>{len(values)} run(s): {lo:.4g} … {hi:.4g}</title>"
            f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{path}"/>'
            f'<circle cx="{pts[-1][0]:.1f}" cy="{pts[-1][1]:.1f}" r="2.2" fill="#d62728"/></svg>')


def _index_rows(name: str, m: dict[str, Any]) -> list[str]:
    out = []
    series = [("latency", label, pts, 1.0) for label, pts in sorted(m["latency"].items())]
    series += [("latency_normalized", label, pts, 1.0) for label, pts in sorted(m["normalized"].items())]
    series += [(metric, label, pts, METRICS[metric][2]) for metric in STATIC_METRICS
               for label, pts in sorted(m["static"].get(metric, {}).items())]
    link = f'<a href="{page_name(name)}">{html.escape(name)}</a>'
    if not series:
        return [f"<tr><td>{link}</td><td colspan=7 class=muted>no metric values (failed rows only)</td></tr>"]
    for i, (metric, label, pts, scale) in enumerate(series):
        values = [p["value"] * scale for p in pts]
        change = "" if len(values) < 2 or not values[-2] else f"{100 * (values[-1] / values[-2] - 1):+.1f}%"
        out.append(f"<tr><td>{link if i == 0 else ''}</td><td>{html.escape(METRICS[metric][1])}</td>"
                   f"<td>{html.escape(label)}</td><td class=num>{_num(values[-1])}</td><td class=num>{change}</td>"
                   f"<td>{sparkline(values)}</td><td class=num>{len(values)}</td>"
                   f"<td>{html.escape(m['runs'][pts[-1]['run_id']]['time'][:16].replace('T', ' '))}</td></tr>")
    return out


def _index_page(models: dict[str, dict[str, Any]], db: str, scope: str) -> str:
    where = f"<code>{html.escape(db)}</code>" + (f" ({html.escape(scope)})" if scope else "")
    if not models:
        return _page("cnnbench history", f"<h1>cnnbench history</h1><p>Nothing recorded in {where}: record runs "
                     "with <code>--save</code> or <code>--db FILE</code> (profile, compare, check, sweep).</p>", [])
    rows = [row for name, m in models.items() for row in _index_rows(name, m)]
    n_runs = len({run_id for m in models.values() for run_id in m["runs"]})
    body = (f"<h1>cnnbench history</h1><p class=muted>{len(models)} model(s), {n_runs} run(s) from {where}. "
            "One point per run × series (the median of that run's rows); Δ = change from the previous run.</p>"
            '<div id="overview" class="figure"></div><table><tr><th>model</th><th>metric</th><th>series</th>'
            "<th>latest</th><th>Δ</th><th>trend</th><th>runs</th><th>last run (UTC)</th></tr>"
            + "\n".join(rows) + "</table>")
    return _page("cnnbench history", body, [("overview", overview_figure(models))])


def _checks_table(checks: list[dict[str, Any]], runs: dict[int, dict[str, Any]]) -> str:
    if not checks:
        return ""
    rows = []
    for c in checks:
        ratio = c.get("check_ratio")
        interval = (f"{ratio:.3f}× [{_num(c.get('check_low'), '.3f')}, {_num(c.get('check_high'), '.3f')}]"
                    if ratio is not None else "—")
        status = str(c.get("check_status"))
        run = runs[c["run_id"]]
        rows.append(f"<tr><td>{html.escape(run['time'][:16].replace('T', ' '))}</td><td>{html.escape(run['commit'])}"
                    f"</td><td>{html.escape(c['series'])}</td><td class=\"{html.escape(status)}\">"
                    f"{html.escape(status)}</td><td class=num>{interval}</td>"
                    f"<td>{html.escape(str(c.get('check_mode') or ''))}</td>"
                    f"<td>{html.escape(str(c.get('check_reference') or ''))}</td></tr>")
        attribution = c.get("check_attribution") or []
        if attribution:
            inner = "".join(
                f"<tr><td>{html.escape(str(a.get('module')))}</td><td class=num>{_num(a.get('ref_ms'))}</td>"
                f"<td class=num>{_num(a.get('now_ms'))}</td><td class=num>{_num(a.get('delta_ms'), '+.4g')}</td>"
                f"<td class=num>{'—' if a.get('share') is None else format(100 * a['share'], '.0f') + '%'}</td>"
                f"<td class=num>[{_num(a.get('low_ms', a.get('low')))}, {_num(a.get('high_ms', a.get('high')))}]</td>"
                f"<td>{'yes' if a.get('named') else ''}</td></tr>" for a in attribution)
            rows.append("<tr><td></td><td colspan=6><table class=attr><tr><th>module</th><th>ref (ms)</th>"
                        "<th>now (ms)</th><th>Δ (ms)</th><th>share of Δ</th><th>Δ interval (ms)</th>"
                        "<th>owns it</th></tr>"
                        f"{inner}</table></td></tr>")
    return ("<h2>check runs</h2><table><tr><th>run (UTC)</th><th>commit</th><th>series</th><th>verdict</th>"
            "<th>ratio now ÷ ref [interval]</th><th>mode</th><th>reference</th></tr>" + "\n".join(rows) + "</table>")


def _model_page(name: str, m: dict[str, Any], db: str) -> str:
    runs = m["runs"]
    changes = "".join(f"<li>{html.escape(r['time'][:16].replace('T', ' '))} · {html.escape(r['commit'])}: "
                      f"{html.escape('; '.join(r['changes']))}</li>" for r in runs.values() if r["changes"])
    first, last = next(iter(runs.values())), list(runs.values())[-1]
    figures = [("latency", latency_figure(m)), ("normalized", latency_figure(m, "normalized")),
               ("static", static_figure(m))]
    body = (f'<p><a href="index.html">← all models</a></p><h1>{html.escape(name)}</h1>'
            f"<p class=muted>{len(runs)} run(s), {html.escape(first['time'][:10])} → "
            f"{html.escape(last['time'][:10])}, from <code>{html.escape(db)}</code>. Hover a point for its commit "
            "(* = uncommitted changes), date and environment; dotted lines mark environment changes.</p>"
            + "".join(f'<div id="{fid}" class="figure"></div>' for fid, fig in figures if fig is not None)
            + (f"<h2>environment changes</h2><ul>{changes}</ul>" if changes else "")
            + _checks_table(m["checks"], runs))
    return _page(f"cnnbench history: {name}", body, figures)
