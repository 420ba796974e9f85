"""The record: its schema (key order, static metrics, volatile keys, :func:`flatten`, the caption), ``Profile`` (one
row) and ``Results``, what :func:`cnnbench.profile` and :func:`cnnbench.compare` return — a sequence of ``Profile`` rows.

One row per model × inputs × batch size (× runtime with latency). ``to_dicts()`` gives the records the CLI writes as
JSON; ``to_pandas()`` one DataFrame row per record with nested keys flattened (``latency_ms.median`` →
``latency_ms_median``; ``uncounted_ops`` stays a dict). Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

# --- the record schema: every module that knows a record's keys takes them from here ----------------------------

#: What was measured: the model and its inputs.
IDENTITY_KEYS = ("model", "source", "family", "input_shape", "dtype")
#: Every static count of a record, in key order (numbers; the history stores each in its own column).
COUNT_KEYS = ("params", "trainable_params", "buffers", "checkpoint_bytes", "macs", "flops", "memory_access_elements",
              "memory_access_bytes", "activations", "arithmetic_intensity")
#: JSON keys every record carries, in this order (later issues append keys; these stay).
STATIC_KEYS = (*IDENTITY_KEYS, *COUNT_KEYS, "uncounted_ops", "error")
#: What a static profile adds beyond :data:`STATIC_KEYS`, with the row's inputs label.
STATIC_EXTRA_KEYS = ("checkpoint_bytes_fp16", "checkpoint_bytes_int8", "trace_device", "fused", "peak_activation_bytes",
                     "peak_at", "op_count", "inputs")
#: What a latency measurement adds (``LatencyResult.to_dict()`` less ``dtype`` and ``error``), then the efficiency
#: against this machine's roofline. ``calibration_ms`` and ``latency_normalized`` (latency median ÷ calibration_ms,
#: dimensionless) are there only when the calibration workload was timed beside the row (``--calibrate``).
LATENCY_KEYS = ("device", "runtime", "batch_size", "threads", "precision", "channels_last", "latency_ms",
                "calibration_ms", "latency_normalized", "throughput_per_s", "peak_memory_bytes", "compile_s", "details",
                "threads_oversubscribed", "samples_ms", "achieved_gflops", "roofline_fraction")
#: THE key order of a record: CSV columns follow it, whichever command wrote the record (JSON keeps each record's
#: own order). Keys not named here come after these, in the order first seen.
KEY_ORDER = (*STATIC_KEYS, *STATIC_EXTRA_KEYS, *LATENCY_KEYS)
#: The static metrics of a model's cost (machine-independent): what ``check`` compares and ``compare`` shows.
STATIC_METRICS = ("params", "checkpoint_bytes", "macs", "memory_access_bytes", "activations")
#: The statistics in ``latency_ms`` (beside ``samples`` and ``noisy``), in milliseconds.
LATENCY_STATS = ("median", "mean", "std", "iqr", "p90", "p99", "min")
#: Keys about one run rather than the model (environment, worker, clock times): JSON files keep them; CSV files and
#: the committed zoo table leave them out (they must not change between runs).
VOLATILE_KEYS = ("row_key", "env", "node", "node_id", "worker_pid", "timed_start", "timed_end", "elapsed_s")
#: Keys kept whole by :func:`flatten` (a dict per row reads better than dozens of sparse columns).
UNFLATTENED = ("uncounted_ops",)
#: The counting conventions, said under every table of records (and in Markdown reports).
CAPTION = (
    "MACs = multiply-accumulates (papers' and torchvision's \"FLOPs\"); FLOPs = 2 × MACs. "
    "Memory access = ShuffleNetV2's MAC: all tensor inputs incl. weights + outputs of every op that moves data "
    "(views count 0); attention (scaled_dot_product_attention) is one fused op: q, k, v, mask and output moved, "
    "the L×S scores never materialised. Activations = output elements of every op with MACs "
    "(conv/linear/matmul/attention/RNN). "
    "k/M/G = 10^3/10^6/10^9; "
    "KiB/MiB/GiB = 2^10/2^20/2^30 bytes; ckpt = torch.save(state_dict) size."
)


@dataclass(frozen=True)
class Profile:
    """One row: a model at one input (and, with latency, one device × runtime × batch size).

    Every key of :meth:`to_dict` is also an attribute with the same value: ``p.params``, ``p.macs``,
    ``p.latency_ms``, ``p.inputs``, ``p.error``... (``p.input_shape`` is the tuple the record writes as a list;
    ``p.static`` is the full :class:`~cnnbench.analysis.static.StaticProfile` with ``by_module()``/``by_op()``;
    ``p.latency`` the raw latency dict). ``error`` is why the row failed: the static failure (build, trace), else
    the runtime's (``"export failed: ..."``, taken from ``latency["error"]`` when the row is made).

    Rows are hashable (``set(results)``, dict keys): the hash is that of what was measured and how it ended —
    ``model``, ``source``, ``family``, ``input_shape``, ``dtype``, ``error`` — immutable values, so it never
    changes; equal rows (every compared field equal, the measured dicts included) hash alike.
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

    def __post_init__(self) -> None:
        # the record's error is the row's: a runtime failure (latency["error"]) when the static half succeeded
        if self.error is None and self.latency is not None and self.latency.get("error"):
            object.__setattr__(self, "error", str(self.latency["error"]))

    def __hash__(self) -> int:
        return hash((self.model, self.source, self.family, tuple(self.input_shape), self.dtype, self.error))

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
            lat.pop("error", None)  # self.error holds it (__post_init__)
            lat.pop("dtype", None)
            d.update(lat)
        if self.env is not None:
            d["env"] = self.env
        # the fields are the record's: extra keys add to it, never replace what an attribute says
        d.update({k: v for k, v in self.extra.items() if k not in _FIELD_KEYS})
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


#: Record keys that are :class:`Profile` fields (the attribute is the field, so the record takes the field's value).
_FIELD_KEYS = frozenset(("model", "source", "family", "input_shape", "dtype", "error", "env"))


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


def in_key_order(keys: Iterable[str]) -> list[str]:
    """``keys`` (each once) in :data:`KEY_ORDER`, unknown keys after them in the order given."""
    rank = {k: i for i, k in enumerate(KEY_ORDER)}
    first = {k: len(rank) + i for i, k in enumerate(dict.fromkeys(keys))}
    return sorted(first, key=lambda k: rank.get(k, first[k]))


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
        """A ``pandas.DataFrame``: one row per record, nested keys flattened with ``_`` (see :func:`flatten`).

        Integer columns stay integers: a column of counts with a missing value (an error row's ``params``, a failed
        latency row's ``batch_size``) is pandas' nullable ``Int64`` (``<NA>``), not ``float64``.
        """
        import pandas as pd

        records = [flatten(d) for d in self.to_dicts()]
        frame = pd.DataFrame(records)
        for col in frame.columns:
            values = [r[col] for r in records if r.get(col) is not None]
            if (len(values) < len(records) and values
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in values)):
                frame[col] = pd.array([r.get(col) for r in records], dtype="Int64")
        return frame

    @property
    def errors(self) -> list[Profile]:
        """The failed rows (``error`` set: build, trace, export or run failed)."""
        return [p for p in self._rows if p.error]

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
