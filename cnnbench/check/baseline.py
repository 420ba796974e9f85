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
     "stable": true, "rounds": 48,
     "modules": {"blocks": [{"calibration_ms": 2.1, "module_ms": {"": 5.0, "features": 4.2, ...}}, ...],
                 "static": {"features": [macs, params], ...}}}   # for attribution (cnnbench.check.attribution)

``modules`` (module times per block, with hooks, eager; and every module's MACs and parameters) is measured after
the latency blocks unless the suite says ``attribution = "never"``; a baseline without it still checks, and an
attribution against it says it has none.

Schema-1 baselines (rounds not grouped in blocks) are refused: re-create them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, ValidationInfo, model_validator

from cnnbench.check.attribution import wanted
from cnnbench.check.calibration import CALIBRATION_ID
from cnnbench.check.measure import Block, OpenFailed, measure_and_judge, measure_blocks, stages, summary
from cnnbench.check.result import CheckReport, Log, RowResult, missing_rows, row_status, threads_notes
from cnnbench.check.schema import Flag, Model, custom, rule
from cnnbench.check.side import LocalSide
from cnnbench.check.stats import compare_static, mean_interval_width
from cnnbench.check.suite import CheckSettings, Entry, Suite
from cnnbench.env import FINGERPRINT_FIELDS
from cnnbench.errors import CnnbenchError, row_error
from cnnbench.records import STATIC_METRICS

BASELINE_SCHEMA = 2
BASELINE_KIND = "cnnbench-baseline"


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
    suite.check_devices()
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
                    if st.attribution != "never":
                        rec["latency"]["modules"] = baseline_modules(side, entry, st, rec["latency"]["clock"],
                                                                     s.get("modules"), log)
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


def baseline_modules(side: LocalSide, entry: Entry, st: CheckSettings, clock: str,
                     static: dict[str, list[int]] | None, log: Log) -> dict[str, Any] | None:
    """Module times in ``attribution_blocks`` blocks (hooks, eager) and the static per-module figures, or ``None``
    (with a warning) when they cannot be measured."""
    from cnnbench.check.attribution import module_blocks

    try:
        blocks = module_blocks([side], entry, st, clock)[0]
    except CnnbenchError:
        raise
    except Exception as e:  # noqa: BLE001 - the baseline stands without them (no attribution against it)
        log(f"warning: {entry.label()}: module times not stored ({row_error(e, entry.label())})")
        return None
    return {"blocks": [b.to_dict() for b in blocks], "static": static or {}}


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


#: The times a baseline may hold, in ms per call: 1 ns to one hour. Outside them a value is corrupt or hand-made
#: (1e300 ms would validate as "positive" and turn every ratio into inf or 0).
MIN_MS, MAX_MS = 1e-6, 3.6e6
_MS = Annotated[float, Field(strict=True, ge=MIN_MS, le=MAX_MS, allow_inf_nan=False)]
_MS_TEXT = f"a time in ms from {MIN_MS:g} to {MAX_MS:g}"
_ROUNDS = Annotated[list[_MS], Field(min_length=1), rule(
    f"{{path}} must be a list of ≥ 1 positive numbers (rounds), each {_MS_TEXT}")]
_RATIO = Annotated[float, Field(strict=True, gt=0, le=MAX_MS / MIN_MS, allow_inf_nan=False)]


class BlockRecord(Model):
    """One block of a baseline latency record: one calibration and one model value per round."""

    words: ClassVar[dict[str, str]] = dict.fromkeys(
        ("extra", "missing", "type"), "{path} must be an object with exactly calibration_ms and model_ms")
    calibration_ms: _ROUNDS
    model_ms: _ROUNDS

    @model_validator(mode="after")
    def _paired(self) -> BlockRecord:
        if len(self.calibration_ms) != len(self.model_ms):
            raise custom("{path}: calibration_ms and model_ms must have one value per round each")
        return self


class ModuleBlockRecord(Model):
    """One block of module times: its calibration (median round) and every module's inclusive ms."""

    words: ClassVar[dict[str, str]] = dict.fromkeys(
        ("extra", "missing", "type"), "{path} must be an object with exactly calibration_ms and module_ms")
    calibration_ms: Annotated[_MS, rule(f"{{path}} must be a number > 0, {_MS_TEXT} (got {{got}})")]
    module_ms: Annotated[dict[str, Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]], rule(
        "{path} must map module paths to times in ms ≥ 0")]


class ModulesRecord(Model):
    """A baseline latency record's ``modules`` (module docstring)."""

    words: ClassVar[dict[str, str]] = {**Model.words, "extra": "{path}.{name} is not a known key",
                                       "type": "{path} must be an object or null (got {got})"}
    blocks: Annotated[list[ModuleBlockRecord], Field(min_length=2), rule(
        "{path} must be a list of ≥ 2 blocks of module times")]
    static: Annotated[dict[str, list[Annotated[int, Field(strict=True, ge=0)]]], rule(
        "{path} must map module paths to [MACs, params]")] = Field(default_factory=dict)


class LatencyRecord(Model):
    """A baseline entry's ``latency`` (module docstring); written by :func:`latency_record`."""

    root: ClassVar[str] = "latency"
    words: ClassVar[dict[str, str]] = {"extra": "{path}.{name} is not a known key",
                                       "missing": "{path}.{name} is missing",
                                       "type": "{path} must be an object or null (got {got})"}
    blocks: Annotated[list[BlockRecord], Field(min_length=2), rule(
        '{path} must be a list of ≥ 2 blocks ({{"calibration_ms": [...], "model_ms": [...]}})')]
    median_ms: Annotated[_MS, rule(f"{{path}} must be a number > 0, {_MS_TEXT} (got {{got}})")]
    calibration_median_ms: Annotated[_MS, rule(f"{{path}} must be a number > 0, {_MS_TEXT} (got {{got}})")]
    median_ratio: Annotated[_RATIO, rule(f"{{path}} must be a number > 0 and ≤ {MAX_MS / MIN_MS:g} (got {{got}})")] \
        = 1.0
    calibration_iqr: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False), rule(
        "{path} must be a number ≥ 0 (got {got})")] = 0.0
    stable: Flag = True
    rounds: Any = None  # when given: the number of rounds stored (checked below)
    modules: ModulesRecord | None = None
    clock: Annotated[Literal["wall", "cpu"], rule('{path} must be "wall" or "cpu" (got {got})')]

    @model_validator(mode="after")
    def _rounds_stored(self) -> LatencyRecord:
        total = sum(len(b.model_ms) for b in self.blocks)
        n = self.rounds
        if "rounds" in self.model_fields_set and not (isinstance(n, int) and not isinstance(n, bool) and n == total):
            raise custom(f"{{path}}.rounds must be the number of rounds stored, {total} (got {{got}})", got=repr(n))
        return self


_METRIC_VALUE = Annotated[Annotated[int, Field(strict=True, ge=0)] | None, rule(
    "{path} must be an integer ≥ 0 or null (got {got})")]


class StaticRecord(Model):
    """A baseline entry's ``static``: :data:`~cnnbench.records.STATIC_METRICS` (any may be absent or null)."""

    words: ClassVar[dict[str, str]] = {
        **Model.words, "extra": f"{{path}}.{{name}} is not a known metric ({', '.join(STATIC_METRICS)})",
        "type": "{path} must be an object or null (got {got})"}
    params: _METRIC_VALUE = None
    checkpoint_bytes: _METRIC_VALUE = None
    macs: _METRIC_VALUE = None
    memory_access_bytes: _METRIC_VALUE = None
    activations: _METRIC_VALUE = None


def _stored_entry(v: Any, info: ValidationInfo) -> Entry:
    """A record's ``entry`` (every key, as :meth:`Entry.from_dict`), under the key the record is stored at."""
    try:
        entry = Entry.from_dict(v)
    except CnnbenchError as e:
        raise custom("{path}: {detail}", detail=str(e)) from None
    key = (info.context or {}).get("key")
    if key is not None and entry.key != key:
        raise custom("its entry's key is {detail}", detail=repr(entry.key))
    return entry


class EntryRecord(Model):
    """One record of a baseline's ``entries``, checked in this order: ``entry``, ``error``, ``static``, ``latency``."""

    entry: Annotated[Entry, PlainValidator(_stored_entry)]
    error: Annotated[str | None, Field(strict=True), rule("{path} must be a string or null")]
    static: StaticRecord | None
    latency: LatencyRecord | None


_OBJECT = Annotated[dict[str, Any], rule('"entries" and "suite" must be objects')]


class BaselineDoc(Model):
    """The baseline document's top level (kind, schema and calibration are checked first, by :func:`load_baseline`)."""

    schema_: Any = Field(None, alias="schema")
    kind: Any = None
    created: Any = None
    calibration: Any = None
    git_commit: Any = None
    git_dirty: Any = None
    fingerprint: Any = None
    env: Any = None
    suite: _OBJECT = Field(None, validate_default=True)
    entries: _OBJECT = Field(None, validate_default=True)


def baseline_blocks(latency: Any, what: str, where: str = "baseline") -> list[Block]:
    """The blocks of a baseline latency record; every field checked (one line naming it)."""
    LatencyRecord.validated(latency, f"malformed {where}: {what}: ")
    return [Block.from_dict(b) for b in latency["blocks"]]


def validate_baseline(doc: dict[str, Any], where: str = "baseline") -> None:
    """Checks every field of a baseline document (after its kind/schema/calibration), before anything is measured.

    The stored suite goes through :meth:`Suite.from_dict` — the models a TOML suite goes through — and every entry
    record through :class:`EntryRecord` (``entry``, ``error``, ``static``, ``latency``), field by field.

    Raises:
        CnnbenchError: One line naming the file and the field.
    """
    BaselineDoc.validated(doc, f"malformed {where}: ")
    if not doc["entries"]:
        raise CnnbenchError(f"{where} has no entries: re-create it with `cnnbench baseline create`")
    Suite.from_dict(doc["suite"], where=f"{where}: suite")
    for key, rec in doc["entries"].items():
        what = f"entry {key!r}"
        if not isinstance(rec, dict):
            raise CnnbenchError(f"malformed {where}: {what} must be an object")
        EntryRecord.validated(rec, f"malformed {where}: {what}: ", context={"key": key})


# -- check -------------------------------------------------------------------------------------------------------


def check_against_baseline(baseline: dict[str, Any], suite: Suite, *, reference: str = "baseline",
                           log: Log | None = None, model_wrapper: Callable[[Any], Any] | None = None) -> CheckReport:
    """Measures ``suite`` now and compares every entry with ``baseline`` (from :func:`load_baseline`).

    Baseline entries the suite lacks are ``missing`` rows (with a warning through ``log``), never silently
    dropped. Ctrl-C stops at once: the report holds the rows finished so far and ``interrupted`` is set.
    """
    log = log or (lambda _m: None)
    suite.check_devices()
    side = LocalSide("current", model_wrapper)
    rows: list[RowResult] = []
    # this environment, taken as baseline create takes it (the first timed entry's device and threads)
    env = side.env(next((e for e in suite.entries if e.latency), None))
    differences = environment_differences(baseline, env)
    for d in differences:
        log(f"warning: the baseline was measured with {d['field']} {d['baseline']!r}, this check runs with "
            f"{d['now']!r}: the comparison may be meaningless")
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
            att = None
            if wanted(suite.settings, latency):
                att = attribution_vs_baseline(side, entry, base["latency"], suite.settings, s.get("modules"), log)
            rows.append(RowResult(entry, row_status(static_rows, latency), static_rows, latency,
                                  notes=threads_notes(entry), attribution=att))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        side.shutdown()
    if not interrupted:
        rows += missing_rows(baseline, suite, log)
    return CheckReport(rows, "baseline", reference, env, interrupted=interrupted,
                       planned=len(suite.entries), environment_differences=differences)


#: What a baseline and a check must share for their latencies to compare: the machine and the torch version.
COMPARED_ENV = (*FINGERPRINT_FIELDS, "torch")


def environment_differences(baseline: dict[str, Any], env: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"field", "baseline", "now"}`` for each :data:`COMPARED_ENV` field the baseline's ``env`` records with
    another value than ``env``; the fingerprint alone when the baseline has no ``env`` but a fingerprint."""
    from cnnbench.env import fingerprint

    then = baseline.get("env") if isinstance(baseline.get("env"), dict) else {}
    diffs = [{"field": k, "baseline": then[k], "now": env.get(k)} for k in COMPARED_ENV
             if k in then and then[k] != env.get(k)]
    if not then and baseline.get("fingerprint") not in (None, fingerprint(env)):
        diffs.append({"field": "machine fingerprint", "baseline": baseline["fingerprint"], "now": fingerprint(env)})
    return diffs


def attribution_vs_baseline(side: Any, entry: Entry, base: dict[str, Any], st: CheckSettings,
                            static_now: dict[str, list[int]] | None, log: Log) -> dict[str, Any]:
    """Module times now (``attribution_blocks`` blocks) against those the baseline stored (Welch, ÷ calibration)."""
    from cnnbench.check.attribution import ModuleBlock, attribute_sides

    mods = base.get("modules")
    if not mods:
        return {"error": "the baseline has no module times (created with attribution = \"never\" or by an older "
                         "cnnbench): re-create it, or use --against REF"}
    log(f"attribution: {entry.label()}: timing its modules ({st.attribution_blocks} blocks)")
    ref = [ModuleBlock.from_dict(b) for b in mods["blocks"]]
    return attribute_sides([side], entry, st, base["clock"], ref=ref, static_ref=mods.get("static"),
                           static_cur=static_now)


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
