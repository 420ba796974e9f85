"""The block catalogue's records and table: each block's costs and its overhead over a reference block."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Overheads are computed for these record keys (``overhead_<key>``), and for the median latency.
OVERHEAD_KEYS = ("params", "macs", "memory_access_bytes", "activations")


def overhead_records(specs: Sequence[Any], profiles: Sequence[Any], reference: Mapping[str, str]) -> list[dict]:
    """One record per block spec: its profile's record plus kind, paper, year, reference and ``overhead_*``.

    Args:
        specs: Block specs (``block_kind``, ``paper``, ``year``), in table order.
        profiles: Profiles of the blocks and of their reference blocks (by ``model`` name).
        reference: Block kind → name of its reference block (``identity``, ``conv3x3``...).
    """
    by_name = {p.model: p.to_dict() for p in profiles}
    records = []
    for s in specs:
        if s.name not in by_name:  # not reached: the sweep was interrupted
            continue
        rec = dict(by_name[s.name])
        ref_name = reference[s.block_kind]
        ref = by_name.get(ref_name) or {}
        rec["block_kind"] = s.block_kind
        rec["paper"] = s.paper
        rec["year"] = s.year
        rec["reference"] = ref_name
        for key in OVERHEAD_KEYS:
            a, b = rec.get(key), ref.get(key)
            rec[f"overhead_{key}"] = a - b if a is not None and b is not None else None
        a = (rec.get("latency_ms") or {}).get("median")
        b = (ref.get("latency_ms") or {}).get("median")
        rec["overhead_latency_ms"] = a - b if a is not None and b is not None else None
        records.append(rec)
    return records


def blocks_table(records: list[dict[str, Any]]):
    from rich.table import Table

    from cnnbench.records import CAPTION
    from cnnbench.report.units import ms, nbytes, si

    shape = "x".join(map(str, records[0]["input_shape"])) if records else ""
    t = Table(title=f"cnnbench blocks on {shape}", header_style="bold", caption_justify="left",
              caption="Δ = overhead vs the reference block (identity: zero cost; conv3x3: a plain 3×3 conv C→C). "
              + CAPTION)
    for col in ("block", "kind", "paper (year)", "params", "MACs", "mem access (B)", "acts", "Δparams", "ΔMACs",
                "Δmem (B)", "median ms", "Δms", "error"):
        t.add_column(col, justify="left" if col in ("block", "kind", "paper (year)", "error") else "right",
                     overflow="fold", max_width=40 if col in ("paper (year)", "error") else None)
    for r in records:
        lat = (r.get("latency_ms") or {}).get("median")
        # a block fed other inputs than the title's (the multi-input fusion blocks) names them under its name
        name = r["model"] if r.get("inputs", shape) in (shape, "") else f"{r['model']}\n({r['inputs']})"
        t.add_row(name, r["block_kind"], f"{r['paper']} ({r['year']})", si(r.get("params")), si(r.get("macs")),
                  nbytes(r.get("memory_access_bytes")), si(r.get("activations")), si(r.get("overhead_params")),
                  si(r.get("overhead_macs")), nbytes(r.get("overhead_memory_access_bytes")), ms(lat),
                  ms(r.get("overhead_latency_ms")), r.get("error") or "")
    return t
