"""Records → JSON / CSV / Markdown text, written through :func:`cnnbench.store.write_atomic`.

:func:`to_csv` is the one CSV writer of every command (docs/conventions.md, "CSV layout").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cnnbench.records import UNFLATTENED, VOLATILE_KEYS, flatten, in_key_order

FORMATS = ("table", "json", "csv", "md")


def _md_flat(record: dict[str, Any]) -> dict[str, Any]:
    """The Markdown table's cells: ``latency_ms.median`` → ``latency_ms_median``; other nested values as JSON."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if k == "latency_ms" and isinstance(v, dict):
            for sk, sv in v.items():
                out[f"latency_ms_{sk}"] = sv
        elif k in VOLATILE_KEYS:  # as in CSV: a sweep's run particulars (env, row keys, pids) stay in JSON
            continue
        elif isinstance(v, (dict, list, tuple)):
            out[k] = json.dumps(v, separators=(",", ":")) if k != "input_shape" else "x".join(map(str, v))
        else:
            out[k] = v
    return out


def to_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, indent=2, default=str)


def csv_columns(records: list[dict[str, Any]]) -> list[str]:
    """The CSV header: every key of the records in :data:`cnnbench.records.KEY_ORDER` (unknown keys after, first
    seen first), nested dicts flattened by :func:`cnnbench.records.flatten` (``latency_ms`` → ``latency_ms_median``,
    ``latency_ms_iqr``…) even where some rows lack them (a failed row's ``latency_ms`` is null),
    :data:`~cnnbench.records.VOLATILE_KEYS` left out."""
    shape: dict[str, Any] = {}

    def merge(into: dict[str, Any], rec: dict[str, Any], top: bool) -> None:
        for k, v in rec.items():
            if top and k in VOLATILE_KEYS:
                continue
            if isinstance(v, dict) and not (top and k in UNFLATTENED):
                if not isinstance(into.get(k), dict):
                    into[k] = {}  # a key seen null before keeps its place
                merge(into[k], v, False)
            else:
                into.setdefault(k, None)

    for r in records:
        merge(shape, r, True)
    return list(flatten({k: shape[k] for k in in_key_order(shape)}))


def _csv_cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key == "input_shape" and isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return value


def to_csv(records: list[dict[str, Any]]) -> str:
    """The one CSV layout (every command): :func:`csv_columns`, one line per record; integers stay integers beside
    a failed row, null is an empty cell, ``input_shape`` reads ``1x3x224x224``, lists and kept dicts are JSON."""
    import csv
    import io

    cols = csv_columns(records)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in records:
        flat = flatten(r)
        w.writerow([_csv_cell(c, flat.get(c)) for c in cols])
    return buf.getvalue()


def to_markdown(records: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    import pandas as pd

    df = pd.DataFrame([_md_flat(r) for r in records])
    if columns:
        df = df[[c for c in columns if c in df.columns]]
    return _md_table(df)


def _md_table(df) -> str:
    """Markdown without the optional ``tabulate`` dependency."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def render(records: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return to_json(records) + "\n"
    if fmt == "csv":
        return to_csv(records)
    if fmt == "md":
        return to_markdown(records)
    raise ValueError(fmt)


def format_for_path(path: Path, default: str) -> str:
    return {".json": "json", ".csv": "csv", ".md": "md", ".markdown": "md"}.get(path.suffix.lower(), default)


def write_records(path: str | os.PathLike, records: list[dict[str, Any]], default_fmt: str = "json") -> None:
    fmt = format_for_path(Path(path), "json" if default_fmt == "table" else default_fmt)
    from cnnbench.store import write_atomic

    write_atomic(path, render(records, fmt))
