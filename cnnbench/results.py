"""``Results``: what :func:`cnnbench.profile` and :func:`cnnbench.compare` return — a sequence of ``Profile`` rows.

One row per model × inputs × batch size (× runtime with latency). ``to_dicts()`` gives the records the CLI writes as
JSON; ``to_pandas()`` one DataFrame row per record with nested keys flattened (``latency_ms.median`` →
``latency_ms_median``; ``uncounted_ops`` stays a dict). Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from cnnbench.profiling import Profile

#: Keys kept whole by :meth:`Results.to_pandas` (a dict per row reads better than dozens of sparse columns).
UNFLATTENED = ("uncounted_ops",)


def flatten(record: dict[str, Any], sep: str = "_") -> dict[str, Any]:
    """Nested dicts → ``parent_child`` keys, recursively (``{"latency_ms": {"median": 1}}`` → ``latency_ms_median``).

    Keys in :data:`UNFLATTENED` stay as they are; lists (``input_shape``, raw samples) stay lists.
    """
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and prefix not in UNFLATTENED:
            for k, v in value.items():
                walk(f"{prefix}{sep}{k}" if prefix else str(k), v)
        else:
            out[prefix] = value

    for k, v in record.items():
        walk(str(k), v)
    return out


class Results(Sequence[Profile]):
    """Rows of one ``profile``/``compare`` call, in measurement order (``compare``: sorted as asked).

    Attributes:
        interrupted: Ctrl-C stopped the run; the rows are those finished.
        footer: How latency was measured (``compare``: the interleaving), or ``None``.
    """

    def __init__(self, profiles: Sequence[Profile] = (), *, interrupted: bool = False, footer: str | None = None):
        self._rows: tuple[Profile, ...] = tuple(profiles)
        self.interrupted = interrupted
        self.footer = footer

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Profile: ...

    @overload
    def __getitem__(self, i: slice) -> Results: ...

    def __getitem__(self, i: int | slice) -> Profile | Results:
        if isinstance(i, slice):
            return Results(self._rows[i], interrupted=self.interrupted, footer=self.footer)
        return self._rows[i]

    def __iter__(self) -> Iterator[Profile]:
        return iter(self._rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Results) and self._rows == other._rows

    __hash__ = None  # type: ignore[assignment]

    def to_dicts(self) -> list[dict[str, Any]]:
        """The JSON records (as ``cnnbench profile -f json`` prints them)."""
        return [p.to_dict() for p in self._rows]

    def to_pandas(self):
        """A ``pandas.DataFrame``: one row per record, nested keys flattened with ``_`` (see :func:`flatten`)."""
        import pandas as pd

        return pd.DataFrame([flatten(d) for d in self.to_dicts()])

    @property
    def errors(self) -> list[Profile]:
        """The failed rows (``error`` set: build, trace, export or run failed)."""
        return [p for p in self._rows if p.to_dict().get("error")]

    def __repr__(self) -> str:
        from cnnbench.report.units import ms, si

        head = f"Results({len(self)} row{'s' if len(self) != 1 else ''}{', interrupted' if self.interrupted else ''})"
        if not self._rows:
            return head
        recs = self.to_dicts()
        has_lat = any(r.get("latency_ms") for r in recs)
        cols = ["model", "inputs", "params", "MACs"] + (["runtime", "median ms"] if has_lat else []) + ["error"]
        rows = []
        for r in recs:
            cells = [str(r["model"]), str(r.get("inputs") or "x".join(map(str, r.get("input_shape") or []))),
                     si(r.get("params")), si(r.get("macs"))]
            if has_lat:
                cells += [str(r.get("runtime") or "—"), ms((r.get("latency_ms") or {}).get("median"))]
            err = r.get("error") or ""
            cells.append(err if len(err) <= 60 else err[:57] + "...")
            rows.append(cells)
        if not any(c[-1] for c in rows):
            cols.pop()
            rows = [c[:-1] for c in rows]
        widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(cols)]
        lines = [head, "  " + "  ".join(h.ljust(w) for h, w in zip(cols, widths, strict=True)).rstrip()]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() for cells in rows]
        return "\n".join(lines)
