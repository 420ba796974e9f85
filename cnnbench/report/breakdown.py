"""What `cnnbench profile` prints under its table for one model: the --by module / op breakdown, the ops counted
without a FLOP formula, and the other counters' totals (--counter)."""

from __future__ import annotations

from typing import Any


def profile_extras(p: Any, by: str | None, depth: int) -> list[Any]:
    """Renderables for one profiled model (none when it has no static profile)."""
    from cnnbench.report.tables import groups_table

    s = p.static
    if s is None:
        return []
    parts: list[Any] = []
    if by == "module":
        parts.append(groups_table(f"{p.model}: by module (depth {depth})", s.by_module(depth), s.macs,
                                  s.memory_access_bytes, "module"))
    elif by == "op":
        parts.append(groups_table(f"{p.model}: by op", s.by_op(), s.macs, s.memory_access_bytes, "op"))
    if s.uncounted_ops and by is not None:
        ops = ", ".join(f"{k}×{v['count']} ({100 * v['memory_access_share']:.1f}% mem)"
                        for k, v in list(s.uncounted_ops.items())[:8])
        parts.append(f"[dim]ops without a FLOP formula (0 MACs counted): {ops}[/dim]")
    cc = p.extra.get("crosscheck")
    if cc:
        from cnnbench.report.crosscheck import render_crosscheck

        parts.append(render_crosscheck(p.model, s, cc))
    return parts
