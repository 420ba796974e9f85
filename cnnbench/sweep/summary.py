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
    lines += [f"- rows: {n}" + (f" (+{skipped} skipped by --resume)" if skipped else ""),
              f"- without error: {ok} ({pct:.1f} %)",
              f"- failed: {len(failed)}",
              f"- wall time: {seconds:.0f} s with --jobs {jobs} ({seconds / max(n, 1):.2f} s per row)", ""]
    groups = failures_by_cause(records)
    if groups:
        lines += ["## Failures by cause", "", "| cause | rows | models |", "|---|---|---|"]
        for c, k, models in groups:
            shown = ", ".join(models[:6]) + (f", … (+{len(models) - 6})" if len(models) > 6 else "")
            lines.append(f"| {c.replace('|', '/')} | {k} | {shown} |")
        lines.append("")
    lines += [("MACs = multiply-accumulates; memory access = bytes read and written by every op that moves data "
              "(weights included); activations = output elements of conv/linear/matmul/attention ops (attention "
              "counted as one fused op)."), ""]
    return "\n".join(lines)

