"""Rendering of ``cnnbench check`` reports (Rich table, ``--summary`` Markdown) and of a created baseline.

The report is the JSON-ready dict of :meth:`cnnbench.check.result.CheckReport.to_dict`; these functions only
format it (``cnnbench check`` prints or writes what they return).
"""

from __future__ import annotations

from typing import Any

_MARK = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive",
         "interrupted": "⏹ interrupted (entries finished so far)"}
_STYLE = {"pass": "green", "faster": "green", "new": "cyan", "regression": "bold red", "changed": "bold red",
          "error": "red", "inconclusive": "yellow", "missing": "yellow"}


def _ratio(lat: dict[str, Any] | None) -> str:
    if not lat:
        return "—"
    return f"{lat['estimate']:.3f}× [{lat['low']:.3f}, {lat['high']:.3f}]"


def _static_cell(row: dict[str, Any]) -> str:
    if row["static"] is None:
        return "—"
    bad = [s for s in row["static"] if not s["ok"]]
    if not bad:
        return "="
    return ", ".join(f"{s['metric']} {s['base']}→{s['current']}" for s in bad)


def _note(row: dict[str, Any]) -> str:
    parts = list(row["notes"])
    if row["error"]:
        parts.append(row["error"])
    lat = row["latency"]
    if lat and lat["calibration_unstable"]:
        parts.append("calibration unstable")
    return "; ".join(parts)


def _blocks(lat: dict[str, Any] | None) -> str:
    """``"6×8"``: independent blocks × rounds per block of a check row."""
    if not lat:
        return "—"
    blocks, rounds = lat.get("blocks") or 0, lat.get("rounds") or 0
    return f"{blocks}×{rounds // blocks}" if blocks else str(rounds)


def _ratio_meaning(report: dict[str, Any]) -> str:
    if report["mode"] == "against":
        return ("latency ratio = model now ÷ model at the ref, both measured in this job in independent blocks "
                "(fresh instances, sides alternating ABBA); interval: paired t across blocks")
    return ("latency ratio = (model ÷ calibration workload) now ÷ the same in the baseline, each side in independent "
            "blocks of fresh instances; interval: Welch t across blocks")


def environment_note(report: dict[str, Any]) -> str | None:
    """One sentence when the baseline was measured in another environment (machine or torch), else ``None``."""
    diffs = report.get("environment_differences") or []
    if not diffs:
        return None
    what = "; ".join(f"{d['field']} {d['baseline']} → {d['now']}" for d in diffs)
    return f"Measured in another environment than the baseline ({what}): the latency comparison may be meaningless."


def _share(a: dict[str, Any]) -> str:
    return "—" if a.get("share") is None else f"{a['share']:.0%}"


def _delta(a: dict[str, Any]) -> str:
    return f"{a['delta_ms']:+.3g} ms [{a['low_ms']:+.3g}, {a['high_ms']:+.3g}]"


def attribution_rows(row: dict[str, Any], top: int | None = None) -> tuple[list[list[str]], list[str]]:
    """The top modules of an entry's attribution as cells ``[module, static change, share, ms ref → now, delta
    [CI], owns it]`` and its notes (the descent, an error)."""
    from cnnbench.check.attribution import TOP_ROWS

    att = row.get("attribution")
    if not att:
        return [], []
    if att.get("error"):
        return [], [f"attribution failed: {att['error']}"]
    cells = [[a["module"], a.get("static_change") or "=", _share(a), f"{a['ref_ms']:.3g} → {a['now_ms']:.3g}",
              _delta(a), "yes" if a["named"] else "no"] for a in att["rows"][:top or TOP_ROWS]]
    notes = []
    steps = [d.split(": ", 1)[0].removeprefix("descended into ") for d in att.get("descended") or []]
    if steps:
        notes.append(f"descended {' → '.join([*steps, att['rows'][0]['module']])} (a child held > 50% of the delta)")
    if not att.get("named"):
        notes.append("no module's slowdown is above its noise")
    notes.append(f"modules timed eager, {att.get('blocks')} blocks per side")
    return cells, notes


def report_table(report: dict[str, Any]):
    from rich.markup import escape
    from rich.table import Table

    env = environment_note(report)
    t = Table(title=f"cnnbench check vs {report['reference']}: {_MARK[report['verdict']]}", header_style="bold",
              caption=f"{_ratio_meaning(report)}; a regression is a ratio above 1 + threshold with the interval "
                      "above 1. Static metrics must match exactly unless a tolerance is set."
                      + (f"\n[yellow]{escape(env)}[/yellow]" if env else ""),
              caption_justify="left")
    for col in ("entry", "static", "latency ratio [CI]", "ms ref → now", "blocks×rounds", "verdict", "note"):
        t.add_column(col, overflow="fold")
    for r in report["rows"]:
        e, lat = r["entry"], r["latency"]
        label = f"{e['model']} {e['device']}/{e['runtime']} b{e['batch_size']} {'x'.join(map(str, e['input_size']))}"
        ms = f"{lat['base_ms']:.3g} → {lat['current_ms']:.3g}" if lat else "—"
        st = _STYLE.get(r["status"], "")
        t.add_row(label, _static_cell(r), _ratio(lat), ms, _blocks(lat),
                  f"[{st}]{r['status']}[/{st}]" if st else r["status"], _note(r))
        cells, notes = attribution_rows(r)
        for module, change, share, ms_a, delta, named in cells:
            t.add_row(f"  └ {escape(module)}", escape(change), f"{share} of slowdown", ms_a, "",
                      "[bold]owns it[/bold]" if named == "yes" else "", delta)
        if notes:
            t.add_row("", "", "", "", "", "", f"[dim]{escape('; '.join(notes))}[/dim]")
    return t


def report_markdown(report: dict[str, Any]) -> str:
    """The ``--summary`` text (GitHub-flavoured Markdown, e.g. for ``$GITHUB_STEP_SUMMARY``)."""
    env = environment_note(report)
    lines = [f"## cnnbench check: {_MARK[report['verdict']]}", "",
             f"Compared with **{report['reference']}**.", "", *([f"⚠️ {env}", ""] if env else []),
             "| entry | static | latency ratio [CI] | ms ref → now | blocks×rounds | verdict | note |",
             "|---|---|---|---|---:|---|---|"]
    for r in report["rows"]:
        e, lat = r["entry"], r["latency"]
        label = f"`{e['model']}` {e['device']}/{e['runtime']} b{e['batch_size']} " \
                f"{'x'.join(map(str, e['input_size']))}"
        ms = f"{lat['base_ms']:.3g} → {lat['current_ms']:.3g}" if lat else "—"
        verdict = f"**{r['status']}**" if r["status"] in ("regression", "changed", "error") else r["status"]
        cells = [label, _static_cell(r), _ratio(lat), ms, _blocks(lat), verdict, _note(r)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    for r in report["rows"]:
        cells, notes = attribution_rows(r)
        if not cells and not notes:
            continue
        e = r["entry"]
        title = f"**Module times of `{e['model']}` {e['device']}/{e['runtime']}** ({r['status']}):"
        lines += ["", title, ""]
        if cells:
            lines += ["| module | static | share of slowdown | ms ref → now | Δ ms [CI] | owns it |",
                      "|---|---|---:|---|---|---|"]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in [f"`{m}`", *rest]) + " |"
                      for m, *rest in cells]
        lines += ["", *[f"- {n}" for n in notes]]
    meaning = _ratio_meaning(report)
    note = f"{meaning[0].upper()}{meaning[1:]}; a regression is an estimate above 1 + threshold with the interval's " \
           "lower bound above 1."
    lines += ["", note,
              "Exit codes: 0 pass · 1 regression · 2 usage error · 3 inconclusive.", ""]
    return "\n".join(lines)


def baseline_table(doc: dict[str, Any]):
    from rich.table import Table

    t = Table(title=f"cnnbench baseline ({doc['created']}, commit {str(doc.get('git_commit'))[:10]})",
              header_style="bold")
    for col in ("entry", "params", "MACs", "model ms", "calibration ms", "ratio", "rounds", "note"):
        t.add_column(col, overflow="fold")
    for key, rec in doc["entries"].items():
        st, lat = rec["static"] or {}, rec["latency"]
        note = rec["error"] or ("" if not lat else f"{lat['clock']} time" + ("" if lat["stable"] else
                                                                             "; noisy: consider more rounds"))
        t.add_row(key, str(st.get("params", "—")), str(st.get("macs", "—")),
                  f"{lat['median_ms']:.3g}" if lat else "—", f"{lat['calibration_median_ms']:.3g}" if lat else "—",
                  f"{lat['median_ratio']:.3f}" if lat else "—", str(lat["rounds"]) if lat else "—", note)
    return t
