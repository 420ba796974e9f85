"""Which module owns a latency regression: per-module times on both sides, in ABBA blocks, and the descent rule.

When an entry regresses (or for every timed entry with ``attribution = "always"``, ``check --explain``), its
modules are timed on both sides in ``attribution_blocks`` more blocks of the check's own protocol
(:func:`~cnnbench.check.measure.measure_blocks` with ``modules=True``: fresh instances per block, sides alternating
ABBA, calibration interleaved). In those blocks the model runs eager with the forward hooks of
:class:`~cnnbench.explainer.attribution.ModuleTimer` on every module (the paths of the static trace; a shared module
once per path), and each block reports every module's **inclusive** time per inference (its own code plus its
children; ``""`` is the whole model), a trimmed mean over the block's inferences.

**Deltas.** Per module, ``delta_ms`` = now − reference:

* ``--against`` (paired): the mean over blocks of ``now_b − ref_b`` with a paired t interval across blocks;
* ``--baseline``: each block's module time is a ratio to its calibration (as the end-to-end check is), so
  ``delta_ms = (mean(now / calibration) − mean(then / calibration)) × calibration now`` — milliseconds at today's
  machine speed — with Welch's t interval on the ratios, scaled the same way.

``share`` = the module's delta ÷ the whole model's delta. A module **owns** part of the slowdown (``named``) when
its interval lies above 0 and its delta is at least half the entry's threshold of the model's reference time and
at least :data:`MIN_SHARE` of the whole slowdown — an A/A check names nothing, and the small knock-on slowdowns of
other modules (caches cooled by a sleep elsewhere) are not named.

**Descent.** The rows start at depth 1 (the model's children, and ``(top level)``: the model's own ``forward``
code outside them). While the top row is named and one of its children holds more than :data:`DESCEND_SHARE` of
its delta, it is replaced by its children and ``<module> (own code)`` — so the top row is the deepest module that
owns the slowdown (``features.5.1``, ``head``), and the shares still add up to the whole. Each step is a note.

**Static.** The per-module MACs and parameters of both sides (from the static trace) mark a row whose module
changed (``static_change``), or that exists on one side only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnbench.check.stats import mean_t_interval, welch_difference

#: A child holding more than this share of its parent's delta is descended into.
DESCEND_SHARE = 0.5
#: A module owns part of a slowdown only with at least this share of it (small knock-on effects — caches cooled by
#: a sleep elsewhere — stay unnamed).
MIN_SHARE = 0.10
#: Rows the table and the Markdown summary list under an entry (the JSON report carries them all).
TOP_ROWS = 5
TOP_LEVEL = "(top level)"
OWN_CODE = " (own code)"


@dataclass
class ModuleBlock:
    """One block's module times on one side: ``module_ms`` = path → inclusive ms per inference (``""``: the model),
    ``calibration_ms`` = the median calibration round of the block."""

    calibration_ms: float
    module_ms: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"calibration_ms": self.calibration_ms, "module_ms": dict(self.module_ms)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModuleBlock:
        return cls(float(d["calibration_ms"]), {str(k): float(v) for k, v in d["module_ms"].items()})


def inclusive_ms(self_ms: dict[str, float]) -> dict[str, float]:
    """Path → its own time plus all its descendants' (``""`` = everything), from self times per path.

    Example: ``{"": 1, "a": 2, "a.x": 3, "b": 4}`` → ``{"": 10, "a": 5, "a.x": 3, "b": 4}``.
    """
    out: dict[str, float] = {}
    for path, ms in self_ms.items():
        out[""] = out.get("", 0.0) + ms
        if path:
            parts = path.split(".")
            for i in range(1, len(parts) + 1):
                p = ".".join(parts[:i])
                out[p] = out.get(p, 0.0) + ms
    return out


def module_static(static: Any) -> dict[str, list[int]]:
    """Path → ``[MACs, params]`` of every module subtree of a :class:`~cnnbench.analysis.StaticProfile`."""
    macs: dict[str, int] = {}
    for r in static.records:
        if not r.module:
            continue
        parts = r.module.split(".")
        for i in range(1, len(parts) + 1):
            p = ".".join(parts[:i])
            macs[p] = macs.get(p, 0) + int(r.macs)
    paths = set(macs) | {p for p in static.module_params if p}
    return {p: [macs.get(p, 0), int(static.module_params.get(p, 0))] for p in sorted(paths)}


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _with_own_code(blocks: Sequence[ModuleBlock]) -> list[dict[str, float]]:
    """Each block's inclusive times plus, per module with children, ``<path> (own code)`` (``(top level)`` for the
    model): its inclusive time minus its direct children's."""
    out = []
    for b in blocks:
        ms = dict(b.module_ms)
        kids: dict[str, float] = {}
        for p, v in b.module_ms.items():
            if p:
                kids[_parent(p)] = kids.get(_parent(p), 0.0) + v
        for p, v in kids.items():
            if p in ms:
                ms[TOP_LEVEL if p == "" else p + OWN_CODE] = ms[p] - v
        out.append(ms)
    return out


def module_deltas(ref: Sequence[ModuleBlock], cur: Sequence[ModuleBlock], *, paired: bool,
                  confidence: float = 0.90) -> dict[str, dict[str, float]]:
    """Path → ``{ref_ms, now_ms, delta_ms, low_ms, high_ms}`` (module docstring); a path missing on a side counts
    0 ms there (a module added or removed).

    Raises:
        ValueError: ``paired`` with different block counts, or fewer than two blocks on a side.
    """
    if not ref or not cur:
        raise ValueError("module times need blocks on both sides")
    if paired and len(ref) != len(cur):
        raise ValueError("paired module times need as many blocks on both sides")
    r_ms, c_ms = _with_own_code(ref), _with_own_code(cur)
    paths = sorted({p for b in r_ms + c_ms for p in b})
    out: dict[str, dict[str, float]] = {}
    if paired:
        for p in paths:
            r = np.array([b.get(p, 0.0) for b in r_ms])
            c = np.array([b.get(p, 0.0) for b in c_ms])
            est, lo, hi = mean_t_interval(c - r, confidence)
            out[p] = {"ref_ms": float(r.mean()), "now_ms": float(c.mean()), "delta_ms": est, "low_ms": lo,
                      "high_ms": hi}
        return out
    cal_now = float(np.median([b.calibration_ms for b in cur]))
    for p in paths:
        r = np.array([b.get(p, 0.0) / blk.calibration_ms for b, blk in zip(r_ms, ref, strict=True)])
        c = np.array([b.get(p, 0.0) / blk.calibration_ms for b, blk in zip(c_ms, cur, strict=True)])
        est, lo, hi = welch_difference(c, r, confidence)
        out[p] = {"ref_ms": float(r.mean()) * cal_now, "now_ms": float(np.mean([b.get(p, 0.0) for b in c_ms])),
                  "delta_ms": est * cal_now, "low_ms": lo * cal_now, "high_ms": hi * cal_now}
    return out


def _static_change(path: str, ref: dict[str, list[int]] | None, cur: dict[str, list[int]] | None) -> str | None:
    if ref is None or cur is None or path == TOP_LEVEL or path.endswith(OWN_CODE):
        return None
    a, b = ref.get(path), cur.get(path)
    if a is None and b is None:
        return None
    if a is None:
        return "new module"
    if b is None:
        return "removed"
    parts = [f"{what} {x:,} → {y:,}" for what, x, y in (("MACs", a[0], b[0]), ("params", a[1], b[1])) if x != y]
    return ", ".join(parts) or None


def attribute(deltas: dict[str, dict[str, float]], *, threshold: float, static_ref: dict[str, list[int]] | None = None,
              static_cur: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The attribution of one entry from :func:`module_deltas`: ``{"rows", "descended", "total_delta_ms",
    "ref_total_ms", "named"}`` — rows sorted by ``delta_ms``, each ``{module, ref_ms, now_ms, delta_ms, low_ms,
    high_ms, share, named, static_change}`` (module docstring: the descent and ``named`` rules)."""
    total = deltas.get("", {"delta_ms": 0.0, "ref_ms": 0.0})
    ref_total = total["ref_ms"]
    floor = max(threshold / 2 * ref_total, MIN_SHARE * total["delta_ms"])

    def named(p: str) -> bool:
        d = deltas[p]
        return d["low_ms"] > 0 and d["delta_ms"] >= floor

    def children(p: str) -> list[str]:
        kids = [q for q in deltas if q and q != TOP_LEVEL and not q.endswith(OWN_CODE) and _parent(q) == p]
        own = TOP_LEVEL if p == "" else p + OWN_CODE
        return kids + ([own] if own in deltas else [])

    frontier = children("")
    descended: list[str] = []
    while frontier:
        frontier.sort(key=lambda q: -deltas[q]["delta_ms"])
        top = frontier[0]
        kids = [] if top == TOP_LEVEL or top.endswith(OWN_CODE) else children(top)
        if not kids or not named(top):
            break
        best = max(kids, key=lambda q: deltas[q]["delta_ms"])
        held = deltas[best]["delta_ms"] / deltas[top]["delta_ms"]
        if best.endswith(OWN_CODE) or held <= DESCEND_SHARE:
            break
        descended.append(f"descended into {top}: {best} holds {held:.0%} of its delta")
        frontier = frontier[1:] + kids
    rows = []
    for p in sorted(frontier, key=lambda q: -deltas[q]["delta_ms"]):
        d = deltas[p]
        rows.append({"module": p, **{k: d[k] for k in ("ref_ms", "now_ms", "delta_ms", "low_ms", "high_ms")},
                     "share": d["delta_ms"] / total["delta_ms"] if total["delta_ms"] > 0 else None,
                     "named": named(p), "static_change": _static_change(p, static_ref, static_cur)})
    changed = sorted(p for p in set(static_ref or {}) | set(static_cur or {})
                     if _static_change(p, static_ref, static_cur) and _parent(p) == "")
    return {"rows": rows, "descended": descended, "total_delta_ms": total["delta_ms"], "ref_total_ms": ref_total,
            "named": [r["module"] for r in rows if r["named"]], "static_changed": changed}


def summary_line(att: dict[str, Any]) -> str:
    """One line: the owning module(s), or why there are none."""
    if att.get("error"):
        return f"attribution failed: {att['error']}"
    top = [r for r in att["rows"] if r["named"]]
    if not top:
        return "attribution: no module's slowdown is above its noise"
    r = top[0]
    share = f", {r['share']:.0%} of the slowdown" if r["share"] is not None else ""
    return f"slowest change in {r['module']}: +{r['delta_ms']:.3g} ms{share}"


def wanted(settings: Any, latency: dict[str, Any] | None) -> bool:
    """Whether an entry's modules are timed: ``attribution = "always"`` (``--explain``) for every timed entry, the
    default ``"regression"`` when its verdict is one, ``"never"`` not at all."""
    if latency is None or settings.attribution == "never":
        return False
    return settings.attribution == "always" or latency.get("verdict") == "regression"


def module_blocks(sides: Sequence[Any], entry: Any, settings: Any, clock: str) -> list[list[ModuleBlock]]:
    """``settings.attribution_blocks`` blocks with module hooks on every side (ABBA, as the check's own)."""
    from cnnbench.check.measure import measure_blocks

    got = measure_blocks(sides, entry, settings, clock, 0, settings.attribution_blocks, modules=True)
    return [[ModuleBlock(float(np.median(b.calibration_ms)), dict(b.module_ms or {})) for b in side] for side in got]


def attribute_sides(sides: Sequence[Any], entry: Any, settings: Any, clock: str, *,
                    ref: Sequence[ModuleBlock] | None = None, static_ref: dict[str, list[int]] | None = None,
                    static_cur: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The attribution of one entry: ``sides`` = ``[reference, current]`` measured now (paired), or ``[current]``
    with ``ref`` the baseline's module blocks. A failure is ``{"error": ...}``, never the entry's failure."""
    from cnnbench.check.measure import OpenFailed
    from cnnbench.errors import CnnbenchError, row_error

    try:
        got = module_blocks(sides, entry, settings, clock)
        paired = ref is None
        r, c = (got[0], got[1]) if paired else (list(ref or ()), got[0])
        att = attribute(module_deltas(r, c, paired=paired, confidence=settings.confidence),
                        threshold=entry.threshold, static_ref=static_ref, static_cur=static_cur)
    except (OpenFailed, ValueError) as e:
        return {"error": str(e)}
    except CnnbenchError:
        raise
    except Exception as e:  # noqa: BLE001 - attribution is extra information: the verdict stands without it
        return {"error": row_error(e, entry.label())}
    att.update(blocks=len(c), method="paired t over blocks" if paired else "Welch t over blocks (÷ calibration)",
               runtime="eager", clock=clock)
    return att
