"""Records → JSON / CSV / Markdown text, and atomic file writes (temp file + rename).

:func:`to_csv` is the one CSV writer of every command (docs/conventions.md, "CSV layout").
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from cnnbench.records import UNFLATTENED, VOLATILE_KEYS, flatten, in_key_order

FORMATS = ("table", "json", "csv", "md")


def _md_flat(record: dict[str, Any]) -> dict[str, Any]:
    """The Markdown table's cells: ``latency_ms.median`` → ``latency_ms_median``; other nested values as JSON."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if k == "latency_ms" and isinstance(v, dict):
            for sk, sv in v.items():
                out[f"latency_ms_{sk}"] = sv
        elif k in ("env",):
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


def write_atomic(path: str | os.PathLike, data: str | bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``data`` so that ``path`` is either the old file or the complete new one, never half.

    ``data`` is text (UTF-8), bytes, or a writer called with a binary file object (e.g.
    ``lambda f: fig.savefig(f, format="png")``). The one atomic write of the project: results, reports, plots.

    An existing path that is not a regular file (``/dev/stdout``, a FIFO, ``/dev/full``) is written to, never
    replaced: renaming over it would turn a device node into a regular file (as root, for every later user).
    The new file gets the usual permissions (``0666 & ~umask``), not ``mkstemp``'s 0600.
    """
    path = Path(path)

    def write(f: BinaryIO) -> None:
        if callable(data):
            data(f)
        else:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)

    if path.exists() and not path.is_file():
        with open(path, "wb") as f:
            write(f)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a results file should read like any other
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_records(path: str | os.PathLike, records: list[dict[str, Any]], default_fmt: str = "json") -> None:
    fmt = format_for_path(Path(path), "json" if default_fmt == "table" else default_fmt)
    write_atomic(path, render(records, fmt))
