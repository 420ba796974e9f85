"""Rich tables for profile/compare records (stdout); every header carries its unit.

The default tables fit the terminal (80 columns included) without truncating a number: they start from a
preferred list of columns and drop the least essential ones until the table fits; ``--columns`` picks exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from cnnbench.records import CAPTION, STATIC_METRICS
from cnnbench.report.units import COLUMNS, ms, nbytes, si

_NOISY = "*"


def _lat(key: str) -> Callable[[dict[str, Any]], str]:
    def cell(r: dict[str, Any]) -> str:
        lat = r.get("latency_ms") or {}
        if key == "samples":
            return str(lat["samples"]) if lat.get("samples") else "—"
        text = ms(lat.get(key))
        return text + _NOISY if key == "median" and lat.get("noisy") else text
    return cell


def _plain(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: "—" if r.get(key) is None else str(r[key])


def _input_cell(r: dict[str, Any]) -> str:
    label = r.get("input_label") or r.get("inputs")
    if isinstance(label, str) and label:
        return label
    return "x".join(map(str, r.get("input_shape") or []))


def _model_cell(r: dict[str, Any]) -> str:
    return f"{r['model']} (fused)" if r.get("fused") else str(r["model"])


# record key (as in CSV / to_pandas: latency_ms.median → latency_ms_median) → (header with unit, cell)
FIELDS: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "model": ("model", _model_cell),
    "source": ("source", _plain("source")),
    "family": ("family", _plain("family")),
    "input_shape": ("input", _input_cell),
    "dtype": ("dtype", _plain("dtype")),
    "params": COLUMNS["params"],
    "trainable_params": ("trainable", lambda r: si(r.get("trainable_params"))),
    "buffers": ("buffers", lambda r: si(r.get("buffers"))),
    "checkpoint_bytes": COLUMNS["checkpoint_bytes"],
    "checkpoint_bytes_fp16": ("ckpt fp16 (B)", lambda r: nbytes(r.get("checkpoint_bytes_fp16"))),
    "checkpoint_bytes_int8": ("ckpt int8 (B)", lambda r: nbytes(r.get("checkpoint_bytes_int8"))),
    **{k: COLUMNS[k] for k in ("macs", "flops", "memory_access_bytes", "memory_access_elements", "activations",
                               "arithmetic_intensity")},
    "trace_device": ("traced on", _plain("trace_device")),
    "fused": ("fused", lambda r: "yes" if r.get("fused") else "no" if r.get("fused") is False else "—"),
    "device": ("device", _plain("device")),
    "runtime": ("runtime", _plain("runtime")),
    "precision": ("precision", _plain("precision")),
    "batch_size": ("batch", _plain("batch_size")),
    "threads": ("threads", _plain("threads")),
    "latency_ms_median": ("median ms", _lat("median")),
    "latency_ms_iqr": ("IQR ms", _lat("iqr")),
    "latency_ms_mean": ("mean ms", _lat("mean")),
    "latency_ms_std": ("std ms", _lat("std")),
    "latency_ms_min": ("min ms", _lat("min")),
    "latency_ms_p90": ("p90 ms", _lat("p90")),
    "latency_ms_p99": ("p99 ms", _lat("p99")),
    "latency_ms_samples": ("n", _lat("samples")),
    # --calibrate: the calibration workload's median beside the row, and median ÷ it (dimensionless)
    "calibration_ms": ("calib ms", lambda r: ms(r.get("calibration_ms"))),
    "latency_normalized": ("÷ calib", lambda r: f"{r['latency_normalized']:.4g}"
                           if r.get("latency_normalized") is not None else "—"),
    "throughput_per_s": ("items/s", lambda r: f"{r['throughput_per_s']:.1f}" if r.get("throughput_per_s") else "—"),
    "peak_memory_bytes": ("peak mem (B)", lambda r: nbytes(r.get("peak_memory_bytes"))),
    # model FLOPs ÷ median latency, and that ÷ this machine's measured peak (``cnnbench roofline``)
    "achieved_gflops": ("GFLOP/s", lambda r: f"{r['achieved_gflops']:.1f}" if r.get("achieved_gflops") else "—"),
    "roofline_fraction": ("% of peak", lambda r: f"{100 * r['roofline_fraction']:.1f}"
                          if r.get("roofline_fraction") is not None else "—"),
    "error": ("error", lambda r: str(r.get("error") or "")),
}
_TEXT = {"model", "source", "family", "input_shape", "error"}  # may wrap; numbers never do
_ALIASES = {"input": "input_shape", "batch": "batch_size", "ckpt": "checkpoint_bytes", "checkpoint": "checkpoint_bytes",
            "mem": "memory_access_bytes", "memory_access": "memory_access_bytes", "acts": "activations",
            "latency": "latency_ms_median", "median": "latency_ms_median", "iqr": "latency_ms_iqr",
            "p90": "latency_ms_p90", "p99": "latency_ms_p99", "samples": "latency_ms_samples",
            "throughput": "throughput_per_s", "peak_memory": "peak_memory_bytes", "calibration": "calibration_ms",
            "normalized": "latency_normalized"}

_STATIC_PREFERRED = ["model", "input_shape", *STATIC_METRICS, "arithmetic_intensity"]
_LATENCY_PREFERRED = ["latency_ms_median", "latency_ms_iqr", "latency_ms_p90", "latency_ms_samples", "throughput_per_s",
                      "peak_memory_bytes"]
# what goes, in order, until the default table fits the console: the extras first (long names already wrap at 24
# characters), then long names wrap at 20 and 16, then core columns, with names at 12 as the last resort. With ratio
# columns the absolute memory access and IQR go earlier (×mem and ×latency tell the story).
_EXTRAS = ["trace_device", "calibration_ms", "roofline_fraction", "peak_memory_bytes", "throughput_per_s", "latency_ms_p90", "latency_ms_samples",
           "arithmetic_intensity", "activations", "checkpoint_bytes"]
_FIT_STEPS: list[str | int] = [*_EXTRAS, 20, 16, "input_shape", 12, "latency_ms_iqr", "memory_access_bytes"]
_FIT_STEPS_RATIOS: list[str | int] = [*_EXTRAS, 20, 16, "memory_access_bytes", "latency_ms_iqr", 12, "input_shape"]


def check_columns(text: str | None) -> list[str] | None:
    """``--columns`` → record keys (``None``: the default layout). Unknown names are a one-line usage error."""
    from cnnbench.errors import CnnbenchError

    if text is None or not text.strip():
        return None
    out: list[str] = []
    for raw in text.split(","):
        name = raw.strip().lower().replace(".", "_").replace("-", "_")
        if not name:
            continue
        if name == "all":
            out += [k for k in FIELDS if k not in out]
            continue
        key = _ALIASES.get(name, name)
        if key not in FIELDS:
            raise CnnbenchError(f"unknown column {raw.strip()!r} in --columns: choose from {', '.join(FIELDS)} "
                                "(or all)")
        if key not in out:
            out.append(key)
    if not out:
        raise CnnbenchError(f"no column named in --columns {text!r}")
    return out


def _varying(records: list[dict[str, Any]], key: str) -> bool:
    return len({str(r.get(key)) for r in records}) > 1


def default_columns(records: list[dict[str, Any]], *, compare: bool = False) -> list[str]:
    """The preferred columns for these records (before fitting to a width)."""
    has_latency = any(r.get("latency_ms") for r in records)
    cols = list(_STATIC_PREFERRED)
    if compare and not _varying(records, "input_shape"):
        cols.remove("input_shape")  # said in the title
    for key in ("dtype", "device", "runtime", "precision"):  # one value for all rows: said in the title, not per row
        if _varying(records, key):
            cols.insert(cols.index("params"), key)
    if any(r.get("trace_device") not in (None, "meta") for r in records):
        cols.append("trace_device")
    if has_latency:
        cols += _LATENCY_PREFERRED
    if any(r.get("roofline_fraction") is not None for r in records):
        cols.insert(cols.index("latency_ms_iqr") + 1, "roofline_fraction")
    if any("latency_normalized" in r for r in records):  # --calibrate
        cols[cols.index("latency_ms_iqr") + 1:cols.index("latency_ms_iqr") + 1] = ["latency_normalized",
                                                                                 "calibration_ms"]
    return cols


def common_label(records: list[dict[str, Any]],
                 keys: tuple[str, ...] = ("device", "runtime", "dtype", "precision")) -> str:
    """``"cpu, eager, fp32"``: the values every row shares, each said once (in a title).

    A value is not repeated (``dtype`` fp32 and ``precision`` fp32 are one ``fp32``), and a dtype a precision label
    names already (``fp16`` beside ``cast-fp16``) is left to the label.
    """
    parts: list[str] = []
    for k in keys:
        vals = {str(r.get(k)) for r in records if r.get(k) is not None}
        if len(vals) == 1:
            v = vals.pop()
            if v not in parts:
                parts.append(v)
    return ", ".join(p for p in parts if f"cast-{p}" not in parts)


def profile_table(records: list[dict[str, Any]], relative_to: dict[str, Any] | None = None,
                  title: str | None = None, footer: str | None = None, columns: list[str] | None = None,
                  width: int | None = None, compare: bool = False) -> Table:
    """One row per record. ``columns`` exactly as given; otherwise the defaults, fitted to ``width`` when given.

    An error column (``[n]``) appears only when some row failed; the errors themselves are listed under the table.
    """
    if columns is not None:
        return _build(records, columns, relative_to, title, footer)
    cols = default_columns(records, compare=compare)
    table = _build(records, cols, relative_to, title, footer)
    if width is None or _natural_width(table, width) <= width:
        return table
    name_width = 24
    for step in _FIT_STEPS_RATIOS if relative_to else _FIT_STEPS:
        table = _build(records, cols, relative_to, title, footer, name_width=name_width)
        if _natural_width(table, width) <= width:
            return table
        if isinstance(step, int):
            name_width = step
        elif step in cols:
            cols.remove(step)
    table = _build(records, cols, relative_to, title, footer, name_width=name_width)
    # a very narrow terminal: drop the least essential columns left until it fits — unlisted ones from the right,
    # then the ratio columns, then :data:`_KEEP`'s from its end; the model column always stays (folded at the width
    # when even it alone is wider)
    ratios = (len(_RATIOS) if any(r.get("latency_ms") for r in records) else 3) if relative_to else 0
    while _natural_width(table, width) > width:
        droppable = [c for c in cols if c != "model"]
        if not droppable and not ratios:
            break
        worst = max(droppable, key=lambda c: _drop_rank(c, cols), default=None)
        if ratios and (worst is None or _drop_rank(worst, cols)[0] < 2):
            ratios -= 1
        else:
            cols.remove(worst)
        table = _build(records, cols, relative_to, title, footer, name_width=min(name_width, max(width - 2, 5)),
                       ratios=ratios)
    return table


#: The ratio columns of ``--relative-to``, in order (``×latency`` only with latency).
_RATIOS = ("×params", "×MACs", "×mem", "×latency")
#: What a narrow table keeps longest (model first, then these); unlisted columns go first, from the right.
_KEEP = ("model", "latency_ms_median", "macs", "params", "runtime", "input_shape", "batch_size", "precision",
         "device", "dtype", "memory_access_bytes")


def _drop_rank(col: str, cols: list[str]) -> tuple[int, int]:
    """The highest goes first: unlisted columns (rightmost first), then :data:`_KEEP`'s from its end."""
    return (1, _KEEP.index(col)) if col in _KEEP else (2, cols.index(col))


def _natural_width(table: Table, width: int) -> int:
    from rich.console import Console

    console = Console(width=max(width, 400))
    return table.__rich_measure__(console, console.options).maximum


def compact_table(title: str | None = None, caption: Text | str | None = None) -> Table:
    """The house table: no outer edge, a rule under the header, two spaces between columns, so the 80-column
    budget goes to the numbers (add number columns with ``justify="right", no_wrap=True`` and a unit under the name,
    see :func:`two_line_header`)."""
    return Table(title=title, caption=caption, header_style="bold", caption_justify="left", box=box.SIMPLE_HEAD,
                 show_edge=False, pad_edge=False, collapse_padding=True)


def two_line_header(header: str) -> str:
    """``"median ms"`` → ``"median\nms"``, ``"ckpt (B)"`` → ``"ckpt\n(B)"``: the unit under the name, so a header is no
    wider than its numbers."""
    if " (" in header:
        return header.replace(" (", "\n(", 1)
    if header.endswith(" ms"):
        return header[:-3] + "\nms"
    return header


def _build(records: list[dict[str, Any]], cols: list[str], relative_to: dict[str, Any] | None, title: str | None,
           footer: str | None, name_width: int | None = None, ratios: int | None = None) -> Table:
    has_latency = any(r.get("latency_ms") for r in records)
    errors = [(r, r["error"]) for r in records if r.get("error")]
    show_error_refs = bool(errors) and "error" not in cols
    caption = Text()
    for i, (r, err) in enumerate(errors, 1):
        where = ", ".join(str(r[k]) for k in ("runtime", "batch_size") if r.get(k) is not None and has_latency)
        caption.append(f"[{i}] {r['model']}{f' ({where})' if where else ''}: {err}\n", style="red")
    if any((r.get("latency_ms") or {}).get("noisy") for r in records) and "latency_ms_median" in cols:
        caption.append(f"{_NOISY} noisy: IQR > 10% of the median (torch.utils.benchmark's threshold)\n")
    caption.append((footer + "\n" if footer else "") + CAPTION)
    t = compact_table(title, caption)
    for key in cols:
        if key in _TEXT:
            t.add_column(FIELDS[key][0], overflow="fold", style="red" if key == "error" else None,
                         min_width=min(12, max(len(FIELDS[key][0]), 5)),
                         max_width=name_width if key == "model" else None)
        else:
            t.add_column(two_line_header(FIELDS[key][0]), justify="right", no_wrap=True)
    kept = _RATIOS if has_latency else _RATIOS[:3]
    kept = kept[:ratios] if ratios is not None else kept  # a narrow terminal keeps the first ones
    if relative_to:
        for col in kept:
            t.add_column(col, justify="right", no_wrap=True)
    if show_error_refs:
        t.add_column("error", style="red", no_wrap=True)
    n = 0
    for r in records:
        row = [FIELDS[k][1](r) for k in cols]
        if relative_to:
            row += _ratios(r, relative_to, has_latency)[:len(kept)]
        if show_error_refs:
            n += bool(r.get("error"))
            row.append(f"[{n}]" if r.get("error") else "")
        t.add_row(*row)
    return t


def _ratio(a: Any, b: Any) -> str:
    if a is None or not b:
        return "—"
    return f"{a / b:.2f}×"


def _ratios(r: dict[str, Any], ref: dict[str, Any], has_latency: bool) -> list[str]:
    out = [_ratio(r.get("params"), ref.get("params")), _ratio(r.get("macs"), ref.get("macs")),
           _ratio(r.get("memory_access_bytes"), ref.get("memory_access_bytes"))]
    if has_latency:
        a = (r.get("latency_ms") or {}).get("median")
        b = (ref.get("latency_ms") or {}).get("median")
        out.append(_ratio(a, b))
    return out


def groups_table(title: str, groups, total_macs: int, total_bytes: int, label: str) -> Table:
    """Per-module or per-op breakdown with each metric's share of the total; modules also show their output shape
    and the bytes of activations alive when they return (the storages the forward created and still holds: the
    largest is the inference peak's neighbourhood, ``peak_activation_bytes``).

    The house style (:func:`compact_table`): numbers never wrap, the unit under the header; byte sizes keep a
    binary prefix (no "0.00 MiB" for a small module).
    """
    t = compact_table(title)
    t.add_column(label, overflow="fold")
    if label == "module":
        t.add_column("output", no_wrap=True)  # torchinfo's "Output Shape" (batch first; tuples joined by ", ")
        t.add_column("params", justify="right", no_wrap=True)
    else:
        t.add_column("ops", justify="right", no_wrap=True)  # how many times the op ran
    cols = ["MACs", "% MACs", "mem access (B)", "% mem", "acts"]
    if label == "module":
        cols.append("alive at exit (B)")
    for col in cols:
        t.add_column(two_line_header(col), justify="right", no_wrap=True)
    for g in groups:
        row = [g.name]
        if label == "module":
            row += [getattr(g, "out_shape", "") or "—", si(g.params)]
        else:
            row += [str(g.count)]
        row += [si(g.macs), f"{100 * g.macs / total_macs:.1f}" if total_macs else "—",
                nbytes(g.memory_access_bytes),
                f"{100 * g.memory_access_bytes / total_bytes:.1f}" if total_bytes else "—", si(g.activations)]
        if label == "module":
            row.append(nbytes(getattr(g, "alive_bytes", None)))
        t.add_row(*row)
    return t
