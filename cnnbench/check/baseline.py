"""Stored baselines (schema 2: latency rounds grouped in blocks) and ``cnnbench check --baseline``.

Latency against a stored baseline is a *ratio to a calibration workload*
(:func:`~cnnbench.check.calibration.build_calibration`, run eager/fp32 on the same device and thread count), so a
baseline taken on one machine still means something on a faster or slower one. Each side — the baseline when it
was created, the check now — is measured in independent blocks (:mod:`cnnbench.check.measure`); the estimate and
its interval are Welch's t on the block log ratios ``log(median(model / calibration))`` of the two runs
(:func:`~cnnbench.check.stats.welch_interval`).

A baseline entry's ``latency``::

    {"clock": "wall", "blocks": [{"calibration_ms": [...], "model_ms": [...]}, ...],   # one object per block
     "median_ms": ..., "calibration_median_ms": ..., "median_ratio": ..., "calibration_iqr": ...,
     "stable": true, "rounds": 48}

Schema-1 baselines (rounds not grouped in blocks) are refused: re-create them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnbench.check.calibration import CALIBRATION_ID
from cnnbench.check.measure import Block, OpenFailed, measure_and_judge, measure_blocks, stages, summary
from cnnbench.check.result import CheckReport, Log, RowResult, missing_rows, row_status, threads_notes
from cnnbench.check.side import LocalSide
from cnnbench.check.stats import compare_static, mean_interval_width
from cnnbench.check.suite import CheckSettings, Entry, Suite
from cnnbench.errors import CnnbenchError, row_error
from cnnbench.records import STATIC_METRICS

BASELINE_SCHEMA = 2
BASELINE_KIND = "cnnbench-baseline"

#: Keys of a baseline entry's ``latency`` record (written by :func:`create_baseline`) and the required ones.
_LATENCY_KEYS = {"blocks", "median_ratio", "median_ms", "calibration_median_ms", "calibration_iqr", "stable",
                 "rounds", "clock"}
_LATENCY_REQUIRED = ("blocks", "median_ms", "calibration_median_ms", "clock")
_TOP_KEYS = {"schema", "kind", "created", "calibration", "git_commit", "git_dirty", "fingerprint", "env", "suite",
             "entries"}


def latency_record(blocks: list[Block], clock: str, stable: bool) -> dict[str, Any]:
    """A baseline entry's ``latency`` (module docstring)."""
    return {"clock": clock, "blocks": [b.to_dict() for b in blocks], **summary(blocks), "stable": bool(stable)}


def create_baseline(suite: Suite, *, log: Log | None = None,
                    model_wrapper: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Measures ``suite`` now and returns the baseline document (see :func:`load_baseline`).

    Latency blocks continue past ``blocks`` (by the check's stages) until the t interval of the mean block log
    ratio is narrower than half the entry's threshold and the calibration is stable, or ``max_blocks`` is reached.
    """
    log = log or (lambda _m: None)
    st = suite.settings
    side = LocalSide("baseline", model_wrapper)
    entries: dict[str, Any] = {}
    env = None
    try:
        for entry in suite.entries:
            log(f"baseline: {entry.label()}")
            rec: dict[str, Any] = {"entry": entry.to_dict(), "static": None, "latency": None, "error": None}
            s = side.static(entry)
            rec["static"], rec["error"] = s["metrics"], s["error"]
            if entry.latency and rec["error"] is None:
                env = env or side.env(entry)
                try:
                    rec["latency"] = baseline_latency(side, entry, st, log)
                except OpenFailed as e:
                    rec["error"] = str(e)
                except CnnbenchError:
                    raise
                except Exception as e:  # noqa: BLE001 - a model failing mid-measurement is a row, not a crash
                    rec["error"] = row_error(e, entry.label())
            entries[entry.key] = rec
    finally:
        side.shutdown()
    from cnnbench.env import collect_env, fingerprint

    env = env or collect_env()
    return {
        "schema": BASELINE_SCHEMA,
        "kind": BASELINE_KIND,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "calibration": CALIBRATION_ID,
        "git_commit": env.get("git_commit"),
        "git_dirty": env.get("git_dirty"),
        "fingerprint": fingerprint(env),
        "env": env,
        "suite": suite.to_dict(),
        "entries": entries,
    }


def baseline_latency(side: LocalSide, entry: Entry, st: CheckSettings, log: Log) -> dict[str, Any]:
    clock = st.clock_for(entry)
    blocks: list[Block] = []
    stable = False
    for n in stages(st):
        blocks += measure_blocks([side], entry, st, clock, len(blocks), n - len(blocks))[0]
        width = mean_interval_width([b.log_ratio() for b in blocks], st.confidence)
        unstable = summary(blocks)["calibration_iqr"] > st.calibration_max_iqr
        stable = width <= entry.threshold / 2 and not unstable
        if stable:
            break
    if not stable:
        log(f"warning: {entry.label()}: baseline latency still noisy after {len(blocks)} blocks")
    return latency_record(blocks, clock, stable)


# -- reading and validating --------------------------------------------------------------------------------------


def load_baseline(path: str | Path) -> dict[str, Any]:
    """Reads and validates a baseline file.

    Raises:
        CnnbenchError: Missing, unreadable, not JSON, not a baseline, from another schema, or malformed.
    """
    from cnnbench.inputs import read_user_file

    p = Path(path)
    text = read_user_file(p, "baseline", " (create it with `cnnbench baseline create`)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise CnnbenchError(f"baseline {p} is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("kind") != BASELINE_KIND:
        raise CnnbenchError(f"{p} is not a cnnbench baseline (no \"kind\": \"{BASELINE_KIND}\")")
    schema = doc.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise CnnbenchError(f"malformed baseline {p}: bad \"schema\" {schema!r}")
    if schema > BASELINE_SCHEMA:
        raise CnnbenchError(f"baseline {p} has schema {schema}, newer than this cnnbench reads ({BASELINE_SCHEMA}): "
                            "upgrade cnnbench or re-create the baseline")
    if schema < BASELINE_SCHEMA:
        raise CnnbenchError(f"baseline {p} has schema {schema}: its latency rounds are not grouped in independent "
                            "blocks, which this cnnbench's interval needs; re-create it with `cnnbench baseline "
                            "create`")
    if doc.get("calibration") != CALIBRATION_ID:
        raise CnnbenchError(f"baseline {p} was measured with calibration {doc.get('calibration')!r}, this cnnbench "
                            f"uses {CALIBRATION_ID!r}: re-create the baseline")
    validate_baseline(doc, f"baseline {p}")
    return doc


def baseline_blocks(latency: Any, what: str, where: str = "baseline") -> list[Block]:
    """The blocks of a baseline latency record; every field checked (one line naming it)."""
    from cnnbench.check.suite import is_int, is_number

    def fail(msg: str) -> CnnbenchError:
        return CnnbenchError(f"malformed {where}: {what}: latency.{msg}")

    if not isinstance(latency, dict):
        raise CnnbenchError(f"malformed {where}: {what}: latency must be an object or null (got {latency!r})")
    unknown = sorted(set(latency) - _LATENCY_KEYS)
    if unknown:
        raise fail(f"{unknown[0]} is not a known key")
    for k in _LATENCY_REQUIRED:
        if k not in latency:
            raise fail(f"{k} is missing")
    raw = latency["blocks"]
    if not isinstance(raw, list) or len(raw) < 2:
        raise fail("blocks must be a list of ≥ 2 blocks ({\"calibration_ms\": [...], \"model_ms\": [...]})")
    for i, blk in enumerate(raw):
        if not isinstance(blk, dict) or set(blk) != {"calibration_ms", "model_ms"}:
            raise fail(f"blocks[{i}] must be an object with exactly calibration_ms and model_ms")
        for k in ("calibration_ms", "model_ms"):
            v = blk[k]
            if not isinstance(v, list) or not v or not all(is_number(x) and x > 0 for x in v):
                raise fail(f"blocks[{i}].{k} must be a list of ≥ 1 positive numbers (rounds)")
        if len(blk["calibration_ms"]) != len(blk["model_ms"]):
            raise fail(f"blocks[{i}]: calibration_ms and model_ms must have one value per round each")
    for k in ("median_ms", "calibration_median_ms", "median_ratio"):
        v = latency.get(k, 1.0)
        if not (is_number(v) and v > 0):
            raise fail(f"{k} must be a number > 0 (got {v!r})")
    if not (is_number(latency.get("calibration_iqr", 0.0)) and latency.get("calibration_iqr", 0.0) >= 0):
        raise fail(f"calibration_iqr must be a number ≥ 0 (got {latency.get('calibration_iqr')!r})")
    if not isinstance(latency.get("stable", True), bool):
        raise fail(f"stable must be true or false (got {latency.get('stable')!r})")
    total = sum(len(b["model_ms"]) for b in raw)
    if "rounds" in latency and not (is_int(latency["rounds"]) and latency["rounds"] == total):
        raise fail(f"rounds must be the number of rounds stored, {total} (got {latency['rounds']!r})")
    if latency["clock"] not in ("wall", "cpu"):
        raise fail(f"clock must be \"wall\" or \"cpu\" (got {latency['clock']!r})")
    return [Block.from_dict(b) for b in raw]


def _validate_static(static: Any, what: str, where: str) -> None:
    from cnnbench.check.suite import is_int

    if static is None:
        return
    if not isinstance(static, dict):
        raise CnnbenchError(f"malformed {where}: {what}: static must be an object or null (got {static!r})")
    for k, v in static.items():
        if k not in STATIC_METRICS:
            raise CnnbenchError(f"malformed {where}: {what}: static.{k} is not a known metric "
                                f"({', '.join(STATIC_METRICS)})")
        if v is not None and not (is_int(v) and v >= 0):
            raise CnnbenchError(f"malformed {where}: {what}: static.{k} must be an integer ≥ 0 or null "
                                f"(got {v!r})")


def validate_baseline(doc: dict[str, Any], where: str = "baseline") -> None:
    """Checks every field of a baseline document (after its kind/schema/calibration), before anything is measured.

    The stored suite goes through :meth:`Suite.from_dict` — the validators a TOML suite goes through — and every
    entry record (``entry``, ``static``, ``latency``, ``error``) is checked field by field.

    Raises:
        CnnbenchError: One line naming the file and the field.
    """
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise CnnbenchError(f"malformed {where}: unknown key {unknown[0]!r}")
    entries = doc.get("entries")
    if not isinstance(entries, dict) or not isinstance(doc.get("suite"), dict):
        raise CnnbenchError(f"malformed {where}: \"entries\" and \"suite\" must be objects")
    if not entries:
        raise CnnbenchError(f"{where} has no entries: re-create it with `cnnbench baseline create`")
    Suite.from_dict(doc["suite"], where=f"{where}: suite")
    for key, rec in entries.items():
        what = f"entry {key!r}"
        if not isinstance(rec, dict):
            raise CnnbenchError(f"malformed {where}: {what} must be an object")
        unknown = sorted(set(rec) - {"entry", "static", "latency", "error"})
        missing = sorted({"entry", "static", "latency", "error"} - set(rec))
        if unknown or missing:
            raise CnnbenchError(f"malformed {where}: {what}: "
                                + (f"unknown key {unknown[0]!r}" if unknown else f"missing key {missing[0]!r}"))
        try:
            entry = Entry.from_dict(rec["entry"])
        except CnnbenchError as e:
            raise CnnbenchError(f"malformed {where}: {what}: entry: {e}") from None
        if entry.key != key:
            raise CnnbenchError(f"malformed {where}: {what}: its entry's key is {entry.key!r}")
        if rec["error"] is not None and not isinstance(rec["error"], str):
            raise CnnbenchError(f"malformed {where}: {what}: error must be a string or null")
        _validate_static(rec["static"], what, where)
        if rec["latency"] is not None:
            baseline_blocks(rec["latency"], what, where)


# -- check -------------------------------------------------------------------------------------------------------


def check_against_baseline(baseline: dict[str, Any], suite: Suite, *, reference: str = "baseline",
                           log: Log | None = None, model_wrapper: Callable[[Any], Any] | None = None) -> CheckReport:
    """Measures ``suite`` now and compares every entry with ``baseline`` (from :func:`load_baseline`).

    Baseline entries the suite lacks are ``missing`` rows (with a warning through ``log``), never silently
    dropped. Ctrl-C stops at once: the report holds the rows finished so far and ``interrupted`` is set.
    """
    log = log or (lambda _m: None)
    side = LocalSide("current", model_wrapper)
    rows: list[RowResult] = []
    env = None
    interrupted = False
    try:
        for entry in suite.entries:
            base = baseline["entries"].get(entry.key)
            if base is None:
                rows.append(RowResult(entry, "new", notes=["not in the baseline: re-create it to track this entry"]))
                continue
            log(f"check: {entry.label()}")
            s = side.static(entry)
            if s["error"] or base["error"]:
                rows.append(RowResult(entry, "error", error=s["error"] or f"baseline: {base['error']}"))
                continue
            static_rows = compare_static(base["static"] or {}, s["metrics"], entry.tolerance)
            if not entry.latency or base["latency"] is None:
                notes = ["static only: the baseline has no latency for it"] if entry.latency else []
                rows.append(RowResult(entry, row_status(static_rows, None), static_rows, notes=notes))
                continue
            env = env or side.env(entry)
            try:
                latency = latency_vs_baseline(side, entry, base["latency"], suite.settings)
            except OpenFailed as e:
                rows.append(RowResult(entry, "error", static_rows, error=str(e)))
                continue
            except CnnbenchError:
                raise
            except Exception as e:  # noqa: BLE001 - a model failing mid-measurement is a row, not a crash
                rows.append(RowResult(entry, "error", static_rows, error=row_error(e, entry.label())))
                continue
            rows.append(RowResult(entry, row_status(static_rows, latency), static_rows, latency,
                                  notes=threads_notes(entry)))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        side.shutdown()
    if not interrupted:
        rows += missing_rows(baseline, suite, log)
    return CheckReport(rows, "baseline", reference, env, interrupted=interrupted,
                       planned=len(suite.entries))


def latency_vs_baseline(side: Any, entry: Entry, base: dict[str, Any], st: CheckSettings) -> dict[str, Any]:
    """Measures ``entry`` on ``side`` in blocks and judges it against a baseline latency record."""
    ref = baseline_blocks(base, entry.key)
    clock = base["clock"]  # like for like, whatever the suite says now
    latency, (cur,) = measure_and_judge([side], entry, st, clock, ref=ref)
    now = summary(cur)
    latency.update(clock=clock, current_ms=now["median_ms"], base_ms=base["median_ms"],
                   calibration_current_ms=now["calibration_median_ms"],
                   calibration_base_ms=base["calibration_median_ms"], base_blocks=len(ref))
    return latency
