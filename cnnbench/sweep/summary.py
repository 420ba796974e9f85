"""What a finished sweep says: failures grouped by cause, a Markdown summary, the records for files."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from cnnbench.records import VOLATILE_KEYS

_PREFIXES = ("timed out after", "worker died", "worker exited with code", "out of memory")


def cause(error: str) -> str:
    """A failure's cause without the model's particulars: ``worker died: SIGSEGV``, ``out of memory``,
    ``RuntimeError: shape mismatch ...`` (numbers read N, at most 70 characters)."""
    for p in _PREFIXES:
        if error.startswith(p):
            return error.split(" (", 1)[0] if p == "worker died" else (p if p == "out of memory" else error)
    text = re.sub(r"\d+", "N", error.split("\n", 1)[0])
    text = re.sub(r"'[^']*'", "'…'", text)
    return text if len(text) <= 70 else text[:67] + "..."


def failures_by_cause(records: list[dict[str, Any]]) -> list[tuple[str, int, list[str]]]:
    """``(cause, count, models)`` most frequent first."""
    models: dict[str, list[str]] = {}
    for r in records:
        if r.get("error"):
            models.setdefault(cause(str(r["error"])), []).append(str(r.get("model")))
    counts = Counter({k: len(v) for k, v in models.items()})
    return [(k, n, models[k]) for k, n in counts.most_common()]


def file_records(records: list[dict[str, Any]], keep_volatile: bool = False) -> list[dict[str, Any]]:
    """Records as ``-o`` writes them: without the run's particulars (node, pids, times, env) unless kept."""
    if keep_volatile:
        return [dict(r) for r in records]
    return [{k: v for k, v in r.items() if k not in VOLATILE_KEYS} for r in records]


def markdown_summary(records: list[dict[str, Any]], *, title: str, command: str, seconds: float, jobs: int,
                     env: dict[str, Any] | None = None, skipped: int = 0) -> str:
    n = len(records)
    failed = [r for r in records if r.get("error")]
    ok = n - len(failed)
    lines = [f"# {title}", "", f"Command: `{command}`", ""]
    if env:
        lines += [(f"Machine: {env.get('cpu_model')} ({env.get('logical_cores')} logical cores), "
                  f"torch {env.get('torch')}, timm {env.get('timm')}, cnnbench {env.get('cnnbench')} "
                  f"(git {str(env.get('git_commit') or '?')[:12]})."), ""]
    pct = 100.0 * ok / n if n else 0.0
    lines += [f"- rows: {n}" + (f" ({skipped} resumed from the database: --resume)" if skipped else ""),
              f"- without error: {ok} ({pct:.1f} %)",
              f"- failed: {len(failed)}",
              (f"- wall time: {seconds:.0f} s with --jobs {jobs} ({seconds / max(n - skipped, 1):.2f} s per "
               f"{'measured ' if skipped else ''}row)"), ""]
    groups = failures_by_cause(records)
    if groups:
        lines += ["## Failures by cause", "", "| cause | rows | models |", "|---|---|---|"]
        for c, k, models in groups:
            shown = ", ".join(models[:6]) + (f", … (+{len(models) - 6})" if len(models) > 6 else "")
            lines.append(f"| {c.replace('|', '/')} | {k} | {shown} |")
        lines.append("")
    lines += [("MACs = multiply-accumulates; memory access = bytes read and written by every op that moves data "
              "(weights included); activations = output elements of every op with MACs (conv/linear/matmul/attention/RNN; attention "
              "counted as one fused op)."), ""]
    return "\n".join(lines)


def write_summary(path: Any, records: list[dict[str, Any]], outcome: Any, *, command: str, jobs: int) -> None:
    """``--summary``: the Markdown summary of a finished sweep, with this machine's environment."""
    from cnnbench.store import write_atomic
    from cnnbench.sweep.tasks import worker_env

    text = markdown_summary(records, title="cnnbench sweep", command=command, seconds=outcome.seconds, jobs=jobs,
                            env=worker_env(None, None), skipped=outcome.skipped)
    write_atomic(path, text)


def summary_tables(records: list[dict[str, Any]], outcome: Any, width: int | None = None,
                   rows: bool = True) -> list[Any]:
    """What a finished sweep prints: the rows (up to 40; not with ``rows=False``) and the summary (counts, wall
    time, failures by cause). ``records`` are every row of the sweep, the ``outcome.skipped`` resumed ones too."""
    from rich.table import Table

    from cnnbench.report.tables import common_label, profile_table

    tables: list[Any] = []
    if rows and records and len(records) <= 40:
        where = common_label(records, ("device", "runtime", "dtype"))
        tables.append(profile_table(records, title=f"cnnbench sweep — {where}" if where else "cnnbench sweep",
                                    width=width))
    t = Table(title="sweep summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("value")
    n = len(records)
    failed = sum(1 for r in records if r.get("error"))
    t.add_row("rows", str(n) + (f" ({outcome.skipped} resumed from the database: --resume)" if outcome.skipped
                                else ""))
    t.add_row("ok", f"{n - failed}" + (f" ({100 * (n - failed) / n:.1f} %)" if n else ""))
    t.add_row("failed", str(failed))
    t.add_row("wall time", f"{outcome.seconds:.1f} s")
    for c, k, models in failures_by_cause(records)[:10]:
        t.add_row(f"  {k} ×", f"{c}  [dim]({', '.join(models[:3])}{' …' if len(models) > 3 else ''})[/dim]")
    tables.append(t)
    return tables
