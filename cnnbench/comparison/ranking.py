"""Ranking compared models: ``--sort`` keys, groups of comparable rows, references, and which proxy predicts latency.

Correlations (:func:`correlations`) use ``scipy.stats.spearmanr`` (does the proxy *rank* the models like their
latency does?) and ``pearsonr`` (linear agreement) of the median latency against params, MACs, memory access
bytes and activations, within one (device, runtime, batch size) group. Torch-free.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

from cnnbench.catalog import ModelSpec, resolve
from cnnbench.errors import CnnbenchError

#: ``--sort`` choice → record key (``latency`` is the median of ``latency_ms``). Ascending; missing values last.
SORT_KEYS = {
    "params": "params",
    "macs": "macs",
    "memory_access": "memory_access_bytes",
    "activations": "activations",
    "latency": "latency_ms.median",
    "checkpoint": "checkpoint_bytes",
    "efficiency": "roofline_fraction",  # descending: the model closest to this machine's peak first
}
#: Sorted high → low (every other metric is a cost, sorted low → high).
DESCENDING = frozenset({"efficiency"})
#: Cost proxies correlated with latency: label → record key.
PROXIES = {"params": "params", "MACs": "macs", "memory access": "memory_access_bytes", "activations": "activations"}
#: Fewest models with latency for which correlations are printed.
MIN_CORRELATION_MODELS = 4


def check_sort(metric: str, has_latency: bool) -> str:
    """Validated ``--sort`` value (``memory-access`` and ``memory_access`` both accepted)."""
    m = metric.strip().lower().replace("-", "_")
    if m not in SORT_KEYS:
        raise CnnbenchError(f"unknown --sort {metric!r}: choose {', '.join(SORT_KEYS)}")
    if m in ("latency", "efficiency") and not has_latency:
        raise CnnbenchError(f"--sort {m} needs latency: drop --no-latency")
    return m


def check_reference(name: str | None, specs: tuple[ModelSpec, ...]) -> str | None:
    """The canonical name of ``--relative-to``; it must be one of the compared models."""
    if name is None:
        return None
    ref = resolve(name).name
    if ref not in {s.name for s in specs}:
        raise CnnbenchError(f"--relative-to {name!r} is not among the compared models "
                            f"({', '.join(s.name for s in specs[:8])}{', …' if len(specs) > 8 else ''})")
    return ref


def metric_value(record: dict[str, Any], metric: str) -> float | None:
    """The value ``--sort metric`` orders by (``None`` when missing)."""
    key = SORT_KEYS[metric]
    if key == "latency_ms.median":
        return (record.get("latency_ms") or {}).get("median")
    return record.get(key)


def group_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """Rows comparable with each other: same device, runtime and batch size."""
    shape = record.get("input_shape") or [None]
    return (record.get("device"), record.get("runtime"), record.get("batch_size") or shape[0])


def group_label(key: tuple[Any, ...]) -> str:
    device, runtime, batch = key
    return ", ".join(p for p in (device, runtime, f"batch {batch}") if p)


def sort_records(records: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Grouped by (device, runtime, batch) in first-seen order, ascending by ``metric`` within a group (descending for
    :data:`DESCENDING` metrics); rows without a value last."""
    order: dict[tuple[Any, ...], int] = {}
    for r in records:
        order.setdefault(group_key(r), len(order))

    def key(item: tuple[int, dict[str, Any]]) -> tuple[Any, ...]:
        i, r = item
        v = metric_value(r, metric)
        if v is not None and metric in DESCENDING:
            v = -v
        return (order[group_key(r)], v is None, v if v is not None else 0, i)

    return [r for _, r in sorted(enumerate(records), key=key)]


def references(records: list[dict[str, Any]], ref_model: str | None) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Group key → the reference model's record in that group (for ratio columns)."""
    if ref_model is None:
        return {}
    return {group_key(r): r for r in records if r["model"] == ref_model}


@dataclass(frozen=True)
class Correlation:
    """Correlation of latency with each proxy within one group of rows."""

    group: str
    n: int
    spearman: dict[str, float]  # proxy label → rho (nan when undefined, e.g. a constant proxy)
    pearson: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "n": self.n, "spearman": self.spearman, "pearson": self.pearson}

    def interpretation(self) -> str:
        """One line: which proxy ranks latency best on this machine (Pearson breaks Spearman ties)."""
        valid = [k for k in self.spearman if not math.isnan(self.spearman[k])]
        if not valid:
            return "no proxy could be correlated (constant values)"
        # stable sorts: equal values keep PROXIES order (params, MACs, memory access, activations)
        ranked = sorted(valid, key=lambda k: -self.spearman[k])
        best_v = self.spearman[ranked[0]]
        tied = [k for k in ranked if best_v - self.spearman[k] < 0.005]
        step = 12 / (self.n * (self.n**2 - 1))  # how far one swap of neighbours moves Spearman's rho
        caveat = f" With {self.n} models one swap of neighbours moves ρ by {step:.2f}."

        def by_pearson(keys: list[str]) -> str:
            keys = [k for k in keys if not math.isnan(self.pearson[k])]
            if len(keys) < 2:
                return ""
            k = max(keys, key=lambda k: self.pearson[k])
            return f"; the best linear fit is {k} (Pearson r = {self.pearson[k]:.2f})"

        if best_v < 0.5:
            return f"No proxy ranks latency well here: the best is {ranked[0]} (Spearman ρ = {best_v:.2f})." + caveat
        if len(tied) == len(ranked):
            return (f"All proxies rank latency the same way here (Spearman ρ = {best_v:.2f}){by_pearson(tied)}."
                    + caveat)
        worst = ranked[-1]
        names = tied[0] if len(tied) == 1 else ", ".join(tied[:-1]) + f" and {tied[-1]}"
        verb = "ranks" if len(tied) == 1 else "rank"
        return (f"{names} {verb} latency best here (Spearman ρ = {best_v:.2f}){by_pearson(tied)}; {worst} worst "
                f"(ρ = {self.spearman[worst]:.2f})." + caveat)


def correlations(records: list[dict[str, Any]]) -> list[Correlation]:
    """Spearman and Pearson correlation of median latency with each proxy, per group with ≥ 4 measured models."""
    from scipy import stats

    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in records:
        med = (r.get("latency_ms") or {}).get("median")
        if med is not None and not r.get("error") and all(r.get(k) is not None for k in PROXIES.values()):
            groups.setdefault(group_key(r), []).append(r)
    out = []
    for key, rs in groups.items():
        if len(rs) < MIN_CORRELATION_MODELS:
            continue
        y = [r["latency_ms"]["median"] for r in rs]
        sp, pe = {}, {}
        for label, k in PROXIES.items():
            x = [float(r[k]) for r in rs]
            with warnings.catch_warnings():  # a constant column gives nan plus a warning; nan is our answer
                warnings.simplefilter("ignore")
                sp[label] = float(stats.spearmanr(x, y).statistic)
                pe[label] = float(stats.pearsonr(x, y).statistic) if len(set(x)) > 1 else math.nan
        out.append(Correlation(group_label(key), len(rs), sp, pe))
    return out
