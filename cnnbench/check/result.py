"""What a check returns: one :class:`RowResult` per entry in a :class:`CheckReport` (rendered by ``cli/``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnbench.check.suite import Entry, Suite

Log = Callable[[str], None]


@dataclass
class RowResult:
    """The check of one entry.

    Attributes:
        entry: What was measured.
        status: ``pass | faster | regression | changed | inconclusive | error | new | missing`` (``missing``: in
            the baseline, not in the suite; not checked).
        static: :func:`~cnnbench.check.stats.compare_static` rows (``None`` if either side failed).
        latency: ``estimate, low, high`` (the ratio and its t interval across blocks), ``blocks``, ``rounds`` (of
            the current side, all blocks), ``block_ratios``, ``method``, ``verdict``, ``calibration_unstable``,
            ``clock`` and both sides' medians (``base_ms``, ``current_ms``...).
        error: Why the entry could not be checked.
        attribution: Which modules own the slowdown (:func:`cnnbench.check.attribution.attribute`), measured when
            the entry regressed (or always, ``--explain``); ``{"error": ...}`` when it could not be measured.
    """

    entry: Entry
    status: str
    static: list[dict[str, Any]] | None = None
    latency: dict[str, Any] | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    attribution: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.entry.key, "entry": self.entry.to_dict(), "status": self.status, "static": self.static,
                "latency": self.latency, "error": self.error, "notes": self.notes, "attribution": self.attribution}


@dataclass
class CheckReport:
    """The rows of one check.

    Attributes:
        rows: One per entry checked (plus ``missing`` rows for baseline entries the suite lacks).
        mode: ``baseline | against``.
        reference: Baseline path or ``"REF (sha)"``.
        env: The environment measured in.
        interrupted: Ctrl-C stopped the check: ``rows`` are the entries finished before it.
        planned: Entries the suite lists.
        environment_differences: ``{"field", "baseline", "now"}`` per machine field (CPU, cores, architecture, OS,
            GPU) or torch version in which a baseline's environment differs from this one (``--baseline`` only):
            the comparison may then be meaningless.
    """

    rows: list[RowResult]
    mode: str
    reference: str
    env: dict[str, Any] | None = None
    interrupted: bool = False
    planned: int | None = None
    environment_differences: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """130 interrupted, else 0 pass, 1 regression/change/error, 3 inconclusive."""
        if self.interrupted:
            return 130
        statuses = {r.status for r in self.rows}
        if statuses & {"regression", "changed", "error"}:
            return 1
        if "inconclusive" in statuses:
            return 3
        return 0

    @property
    def verdict(self) -> str:
        return {0: "pass", 1: "fail", 3: "inconclusive", 130: "interrupted"}[self.exit_code]

    def history_records(self) -> list[dict[str, Any]]:
        """The rows measured now as history records (``check --db``): the current side's static metrics and its
        median model time on the check's clock (``latency_ms.median``), with the verdict beside them."""
        out = []
        for r in self.rows:
            if r.status == "missing" or (r.static is None and r.latency is None and r.error is None):
                continue
            e = r.entry
            rec: dict[str, Any] = {"model": e.model, "device": e.device, "runtime": e.runtime,
                                   "batch_size": e.batch_size, "dtype": e.dtype, "input_shape": list(e.input_shape),
                                   "threads": e.threads, "error": r.error, "check_status": r.status,
                                   "check_mode": self.mode, "check_reference": self.reference}
            for row in r.static or []:
                rec[row["metric"]] = row["current"]
            if r.latency:
                lat = r.latency
                rec["latency_ms"] = {"median": lat["current_ms"]}
                rec.update(check_ratio=lat["estimate"], check_low=lat["low"], check_high=lat["high"],
                           check_rounds=lat["rounds"], check_blocks=lat.get("blocks"), clock=lat["clock"])
            if r.attribution and r.attribution.get("rows"):
                rec["check_attribution"] = [
                    {k: a[k] for k in ("module", "ref_ms", "now_ms", "delta_ms", "share", "low_ms", "high_ms",
                                       "named")} for a in r.attribution["rows"][:10]]
            out.append(rec)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "exit_code": self.exit_code, "mode": self.mode,
                "reference": self.reference, "interrupted": self.interrupted, "planned": self.planned,
                "environment_differences": self.environment_differences, "rows": [r.to_dict() for r in self.rows]}


def row_status(static_rows: list[dict[str, Any]] | None, latency: dict[str, Any] | None) -> str:
    if static_rows is not None and not all(r["ok"] for r in static_rows):
        return "changed"
    if latency is None:
        return "pass"
    return latency["verdict"]


def missing_rows(baseline: dict[str, Any], suite: Suite, log: Log | None = None) -> list[RowResult]:
    """A ``missing`` row for every baseline entry the suite does not list (and one warning through ``log``)."""
    keys = {e.key for e in suite.entries}
    gone = [Entry.from_dict(rec["entry"]) for key, rec in baseline["entries"].items() if key not in keys]
    if gone and log is not None:
        log(f"warning: {len(gone)} baseline entr{'y is' if len(gone) == 1 else 'ies are'} not in the suite, "
            f"not checked: {', '.join(e.label() for e in gone)}")
    return [RowResult(e, "missing", notes=["in the baseline, not in the suite: not checked"]) for e in gone]


def threads_notes(entry: Entry) -> list[str]:
    """A note when the entry asks for more threads than this process has cores (its timing is then distorted)."""
    from cnnbench.latency.devices import cores_available, oversubscribed

    if oversubscribed(entry.threads):
        return [f"threads {entry.threads} > {cores_available()} core(s) available: oversubscribed"]
    return []
