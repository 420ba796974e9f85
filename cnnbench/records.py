"""The record: ``Profile`` (one row), ``STATIC_KEYS`` (the key order) and ``Results``, what :func:`cnnbench.profile` and :func:`cnnbench.compare` return — a sequence of ``Profile`` rows.

One row per model × inputs × batch size (× runtime with latency). ``to_dicts()`` gives the records the CLI writes as
JSON; ``to_pandas()`` one DataFrame row per record with nested keys flattened (``latency_ms.median`` →
``latency_ms_median``; ``uncounted_ops`` stays a dict). Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

# JSON keys every record carries, in this order (later issues append keys; these stay).
STATIC_KEYS = (
    "model", "source", "family", "input_shape", "dtype", "params", "trainable_params", "buffers",
    "checkpoint_bytes", "macs", "flops", "memory_access_elements", "memory_access_bytes", "activations",
    "arithmetic_intensity", "uncounted_ops", "error",
)


@dataclass(frozen=True)
class Profile:
    """One row: a model at one input (and, with latency, one device × runtime × batch size).

    Every key of :meth:`to_dict` is also an attribute: ``p.params``, ``p.macs``, ``p.latency_ms``,
    ``p.inputs``... (``p.static`` is the full :class:`~cnnbench.analysis.static.StaticProfile` with
    ``by_module()``/``by_op()``; ``p.latency`` the raw latency dict).
    """

    model: str
    source: str
    family: str
    input_shape: tuple[int, ...]
    dtype: str
    static: Any = None  # StaticProfile | None
    latency: dict[str, Any] | None = None  # LatencyResult.to_dict() | None
    error: str | None = None
    env: dict[str, Any] | None = field(default=None, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: None for k in STATIC_KEYS}
        d.update(model=self.model, source=self.source, family=self.family,
                 input_shape=list(self.input_shape), dtype=self.dtype, error=self.error)
        if self.static is not None:
            s = self.static.to_dict()
            s.pop("input_shape", None)
            s.pop("dtype", None)
            d.update(s)
        if self.latency is not None:
            lat = dict(self.latency)
            if lat.get("error") and not self.error:
                d["error"] = lat["error"]
            lat.pop("error", None)
            lat.pop("dtype", None)
            d.update(lat)
        if self.env is not None:
            d["env"] = self.env
        d.update(self.extra)
        return d

    def __getattr__(self, name: str) -> Any:
        # only called for names that are not fields: look the key up in the record
        if name.startswith("_"):  # copy/pickle probe dunders before the fields exist
            raise AttributeError(name)
        d = self.to_dict()
        if name in d:
            return d[name]
        raise AttributeError(f"Profile has no key {name!r} (keys: {', '.join(d)})")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.to_dict()))


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
