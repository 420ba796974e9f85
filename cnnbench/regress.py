"""Regression checks: baselines, the calibration workload, bootstrap verdicts, and ``--against REF``.

**Static metrics** (params, checkpoint bytes, MACs, memory access, activations) are exact and machine-independent:
any relative change beyond the entry's tolerance (default 0) fails.

**Latency against a stored baseline** is compared as a *ratio to a calibration workload* (:func:`build_calibration`,
a fixed conv stack + MLP run eager/fp32 on the same device and thread count), so a baseline taken on one machine
still means something on a faster or slower one, and the machine's slow drift cancels. Measurement is in
*rounds*: a round takes ``samples_per_round`` samples of the calibration and of the model, alternately
(:func:`~cnnbench.latency.timer.measure_interleaved`), and yields ``ratio = median(model) / median(calibration)``.
The estimate is ``median(current ratios) / median(baseline ratios)`` with a percentile-bootstrap confidence
interval (numpy, fixed seed, resampling rounds).

**Latency against a git ref** (``--against REF``): REF is checked out in a temporary ``git worktree`` and two
worker processes — one importing the model code of the working tree, one of REF — are driven alternately round
by round from this process, so both sides see the same machine state at the same time. The machine's speed
then cancels without the calibration, and dividing by it would only add its own noise (on the test VM, two
calibration instances differ by up to 3.5 % between A/A runs, more than the models): the estimate is
``median(model now) / median(model at REF)`` with a *paired* bootstrap (rounds resampled jointly). The
calibration is still timed on both sides and still flags an unstable machine. The measuring code (this
``cnnbench``) is the same on both sides; only the model code (``models/`` as ``cnnbench_models``,
``pkg.module:factory`` and ``file.py:Class`` models inside the repository) comes from REF.

Verdict for the entry's threshold ``t`` (:func:`latency_verdict`):

* **regression** — the estimate exceeds ``1 + t`` and the interval's lower bound exceeds 1;
* **inconclusive** — the interval is wider than ``t``, or the calibration was unstable (IQR of its per-round
  values above ``calibration_max_iqr`` of their median): more rounds are measured, up to ``max_rounds``;
  still inconclusive then → a warning (exit code 3), not a failure;
* **faster** / **pass** otherwise.

**Clock.** Rounds are timed with the wall clock (``time.perf_counter``, the device synchronised on CUDA): what a
user of the model waits, sleeps, blocking I/O, waits on other threads and the GPU included. The thread's CPU time
(``clock = "cpu"`` in the suite, CPU and one thread only) is used only when asked for: steadier on a shared
machine, but blind to all of those (see :class:`~cnnbench.suite.CheckSettings`).

**What the interval means.** It is a bootstrap interval over the *rounds of this run*: it holds the
round-to-round noise of one process, one model instance and one memory placement per side, not the variation a
rerun in another process sees (a few percent on a shared VM). Thresholds should stay well above that.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cnnbench.errors import CnnbenchError, row_error
from cnnbench.suite import STATIC_METRICS, CheckSettings, Entry, Suite

BASELINE_SCHEMA = 1
BASELINE_KIND = "cnnbench-baseline"
#: Names the calibration workload; a baseline measured with another one is refused.
CALIBRATION_ID = "convmlp128-v1"
CALIBRATION_SHAPE = (1, 3, 128, 128)

Log = Callable[[str], None]


def build_calibration():
    """The fixed calibration workload (on a 1×3×128×128 input): a conv stack, then a weight-heavy MLP.

    The conv stack (dense 3×3, depthwise 3×3, pointwise 1×1, as in the models it calibrates) is compute-bound;
    the MLP streams about 18 MB of weights per call, so the calibration also feels what slows big models on a shared
    machine — last-level cache and memory bandwidth taken by neighbours. On this project's 2-core test VM, this
    mix made the resnet18 / calibration ratio 2.5× steadier between measurement periods than the conv stack
    alone (period-to-period s.d. 1.3 % vs 3.4 %).

    MACs (64,311,296 in all): conv 3→32 s2 → 64×64: 64·64·32·27 = 3,538,944; dw 32: 64·64·32·9 = 1,179,648;
    pw 32→64: 64·64·64·32 = 8,388,608; conv 64→64 s2 → 32×32: 32·32·64·576 = 37,748,736; dw 64: 32·32·64·9 =
    589,824; pw 64→128: 32·32·128·64 = 8,388,608; linear 128→2048: 262,144; 2048→2048: 4,194,304; 2048→10:
    20,480. The runner seeds the weights, so every side times the same function.
    """
    from torch import nn

    def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, 1, 1, groups=cout, bias=False), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout * 2, 1, bias=False), nn.BatchNorm2d(cout * 2), nn.ReLU(inplace=True)]

    return nn.Sequential(*block(3, 32, 2), *block(64, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(128, 2048), nn.ReLU(inplace=True), nn.Linear(2048, 2048), nn.ReLU(inplace=True),
                         nn.Linear(2048, 10))


# -- statistics ------------------------------------------------------------------------------------------------


def relative_iqr(values: list[float] | np.ndarray) -> float:
    """IQR / median (0 for fewer than two values)."""
    a = np.asarray(values, dtype=np.float64)
    if a.size < 2:
        return 0.0
    p25, p50, p75 = np.percentile(a, [25, 50, 75])
    return float((p75 - p25) / p50) if p50 > 0 else float("inf")


def bootstrap_ratio(cur: list[float], base: list[float], *, paired: bool, confidence: float = 0.95,
                    n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """``median(cur) / median(base)`` and its percentile-bootstrap interval ``(estimate, low, high)``.

    Args:
        cur: Current per-round ratios.
        base: Baseline (or REF) per-round ratios.
        paired: Resample round indices jointly (both sides measured in the same rounds, same length).
        confidence: Interval level.
        n_boot: Resamples.
        seed: numpy seed: the same samples always give the same interval.
    """
    c = np.asarray(cur, dtype=np.float64)
    b = np.asarray(base, dtype=np.float64)
    if c.size == 0 or b.size == 0:
        raise ValueError("no rounds to compare")
    est = float(np.median(c) / np.median(b))
    rng = np.random.default_rng(seed)
    if paired:
        if c.size != b.size:
            raise ValueError("paired bootstrap needs the same number of rounds on both sides")
        idx = rng.integers(0, c.size, size=(n_boot, c.size))
        boots = np.median(c[idx], axis=1) / np.median(b[idx], axis=1)
    else:
        ic = rng.integers(0, c.size, size=(n_boot, c.size))
        ib = rng.integers(0, b.size, size=(n_boot, b.size))
        boots = np.median(c[ic], axis=1) / np.median(b[ib], axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    return est, float(lo), float(hi)


def relative_ci_width(values: list[float], settings: CheckSettings) -> float:
    """Width of the bootstrap interval of ``median(values)``, as a fraction of the median."""
    a = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(settings.seed)
    boots = np.median(a[rng.integers(0, a.size, size=(settings.bootstrap, a.size))], axis=1)
    alpha = (1 - settings.confidence) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    return float((hi - lo) / np.median(a))


def latency_verdict(est: float, lo: float, hi: float, threshold: float, calibration_unstable: bool = False) -> str:
    """``regression | inconclusive | faster | pass`` for a ratio estimate and its interval (module docstring).

    An interval entirely above ``1 + threshold`` is a regression even when wide or with an unstable calibration:
    every plausible value is a slowdown beyond the threshold.
    """
    if lo > 1 + threshold:
        return "regression"
    if hi - lo > threshold or calibration_unstable:
        return "inconclusive"
    if est > 1 + threshold and lo > 1:
        return "regression"
    if est < 1 - threshold and hi < 1:
        return "faster"
    return "pass"


def compare_static(base: dict[str, Any], cur: dict[str, Any], tolerance: dict[str, float]) -> list[dict[str, Any]]:
    """One row per static metric: ``metric, base, current, change`` (relative) and ``ok`` (within tolerance)."""
    rows = []
    for m in STATIC_METRICS:
        b, c = base.get(m), cur.get(m)
        tol = float(tolerance.get(m, 0.0))
        if b == c:
            change, ok = 0.0, True
        elif b is None or c is None:
            change, ok = None, False
        else:
            change = (c - b) / b if b else float("inf")
            ok = abs(change) <= tol
        rows.append({"metric": m, "base": b, "current": c, "change": change, "ok": ok})
    return rows


# -- one side: prepared runners in this process, or a worker process ---------------------------------------------


class LocalSide:
    """Measures entries in this process.

    Args:
        name: Label in messages (``current``, ``REF``...).
        model_wrapper: Applied to every built model before timing (tests and ``regression_power`` inject a
            slowdown with it); static metrics are never wrapped.
    """

    def __init__(self, name: str = "current", model_wrapper: Callable[[Any], Any] | None = None) -> None:
        self.name = name
        self.model_wrapper = model_wrapper
        self._calib: list[Any] = []
        self._model: Any = None
        self._round = 0
        self._prev_threads: int | None = None

    def static(self, entry: Entry) -> dict[str, Any]:
        """``{"metrics": {metric: value}, "error": None}`` or ``{"metrics": None, "error": "..."}``."""
        from cnnbench.profiling import static_profile
        from cnnbench.registry import resolve

        p = static_profile(resolve(entry.model), entry.input_size, entry.batch_size, entry.dtype)
        if p.error or p.static is None:
            return {"metrics": None, "error": p.error or "static analysis failed"}
        s = p.static.to_dict()
        return {"metrics": {m: s.get(m) for m in STATIC_METRICS}, "error": None}

    def open(self, entry: Entry, warmup: float, copies: int = 1) -> str | None:
        """Builds and warms up the entry's model and ``copies`` calibration instances; returns an error or ``None``.

        Rounds rotate through the calibration copies: one instance's timing depends a few percent on where its
        tensors landed in memory (7 % between copies on the test VM), and the median over rounds averages that out.
        """
        import torch

        from cnnbench.latency.runtimes import prepare_runner
        from cnnbench.latency.timer import measure_interleaved
        from cnnbench.registry import resolve

        self.close()
        spec = resolve(entry.model)
        build = spec.build if self.model_wrapper is None else (lambda: self.model_wrapper(spec.build()))
        self._prev_threads = torch.get_num_threads()
        if entry.threads is not None:
            torch.set_num_threads(entry.threads)
        common = {"device": entry.device, "threads": entry.threads}
        try:
            for _ in range(copies):
                self._calib.append(prepare_runner(build_calibration, CALIBRATION_SHAPE, runtime="eager",
                                                  dtype="fp32", **common))
            # model_key=None: an ONNX export per side, never a cache entry shared by REF and the working tree
            self._model = prepare_runner(build, entry.input_shape, runtime=entry.runtime, dtype=entry.dtype,
                                         **common)
            for i in range(copies):
                measure_interleaved(self._fns(i), rounds=1, sync=self._syncs(i), warmup_min_s=warmup / copies)
        except CnnbenchError:
            self.close()
            raise
        except Exception as e:  # noqa: BLE001 - a model that cannot build or run is a row with an error
            self.close()
            return row_error(e, entry.label())
        return None

    def _fns(self, i: int) -> dict[str, Callable[[], object]]:
        assert self._model is not None
        return {"calibration": self._calib[i].call, "model": self._model.call}

    def _syncs(self, i: int) -> dict[str, Any]:
        assert self._model is not None
        return {"calibration": self._calib[i].sync, "model": self._model.sync}

    def round(self, samples: int, stat: str = "median", clock: str = "wall") -> tuple[float, float]:
        """One round: ``(calibration ms, model ms)``, the ``stat`` (median | min) of ``samples`` alternating samples.

        ``clock="cpu"`` times the CPU time of this thread (see :class:`~cnnbench.suite.CheckSettings`).
        """
        import time

        from cnnbench.latency.timer import measure_interleaved

        i = self._round % len(self._calib)
        self._round += 1
        stats = measure_interleaved(self._fns(i), rounds=samples, sync=self._syncs(i), warmup_min_iters=1,
                                    warmup_min_s=0.0, clock=time.thread_time if clock == "cpu" else time.perf_counter)
        return getattr(stats["calibration"], stat), getattr(stats["model"], stat)

    def env(self, entry: Entry | None = None, repo_dir: str | None = None) -> dict[str, Any]:
        from cnnbench.env import collect_env

        return collect_env(device=entry.device if entry else None, threads=entry.threads if entry else None,
                           repo_dir=repo_dir)

    def close(self) -> None:
        for r in [*self._calib, *([self._model] if self._model is not None else [])]:
            r.close()
        self._calib, self._model, self._round = [], None, 0
        if self._prev_threads is not None:
            import torch

            torch.set_num_threads(self._prev_threads)
            self._prev_threads = None

    def shutdown(self) -> None:
        self.close()


# -- measuring an entry ------------------------------------------------------------------------------------------


def _measure_rounds(sides: list[Any], n: int, st: CheckSettings, start: int, clock: str
                    ) -> list[list[tuple[float, float]]]:
    """``n`` rounds on every side; with two sides, who goes first alternates so neither always follows the other."""
    out: list[list[tuple[float, float]]] = [[] for _ in sides]
    for r in range(start, start + n):
        order = range(len(sides)) if r % 2 == 0 else reversed(range(len(sides)))
        for i in order:
            out[i].append(sides[i].round(st.samples_per_round, st.round_stat, clock))
    return out


def _summary(rounds: list[tuple[float, float]]) -> dict[str, Any]:
    cal = [c for c, _ in rounds]
    mod = [m for _, m in rounds]
    ratio = [m / c for c, m in rounds]
    return {"calibration_ms": cal, "model_ms": mod, "ratio": ratio, "median_ratio": float(np.median(ratio)),
            "median_ms": float(np.median(mod)), "calibration_median_ms": float(np.median(cal)),
            "calibration_iqr": relative_iqr(cal)}


#: Keys of a baseline entry's ``latency`` record (written by :func:`create_baseline`) and the required ones.
_LATENCY_KEYS = {"calibration_ms", "model_ms", "ratio", "median_ratio", "median_ms", "calibration_median_ms",
                 "calibration_iqr", "stable", "rounds", "clock"}
_LATENCY_REQUIRED = ("calibration_ms", "model_ms", "median_ms", "calibration_median_ms", "clock")
_TOP_KEYS = {"schema", "kind", "created", "calibration", "git_commit", "git_dirty", "fingerprint", "env", "suite",
             "entries"}


def _validated(rounds: Any, what: str, where: str = "baseline") -> list[tuple[float, float]]:
    """The ``(calibration ms, model ms)`` rounds of a baseline latency record; every field checked (one line)."""
    from cnnbench.suite import is_int, is_number

    def fail(msg: str) -> CnnbenchError:
        return CnnbenchError(f"malformed {where}: {what}: latency.{msg}")

    if not isinstance(rounds, dict):
        raise CnnbenchError(f"malformed {where}: {what}: latency must be an object or null (got {rounds!r})")
    unknown = sorted(set(rounds) - _LATENCY_KEYS)
    if unknown:
        raise fail(f"{unknown[0]} is not a known key")
    for k in _LATENCY_REQUIRED:
        if k not in rounds:
            raise fail(f"{k} is missing")
    for k in ("calibration_ms", "model_ms", "ratio"):
        v = rounds.get(k, [1.0, 1.0])
        if not isinstance(v, list) or len(v) < 2 or not all(is_number(x) and x > 0 for x in v):
            raise fail(f"{k} must be a list of ≥ 2 positive numbers (rounds)")
    if len(rounds["calibration_ms"]) != len(rounds["model_ms"]):
        raise fail("calibration_ms and model_ms must have one value per round each")
    for k in ("median_ms", "calibration_median_ms", "median_ratio"):
        v = rounds.get(k, 1.0)
        if not (is_number(v) and v > 0):
            raise fail(f"{k} must be a number > 0 (got {v!r})")
    if not (is_number(rounds.get("calibration_iqr", 0.0)) and rounds.get("calibration_iqr", 0.0) >= 0):
        raise fail(f"calibration_iqr must be a number ≥ 0 (got {rounds.get('calibration_iqr')!r})")
    if not isinstance(rounds.get("stable", True), bool):
        raise fail(f"stable must be true or false (got {rounds.get('stable')!r})")
    if "rounds" in rounds and not (is_int(rounds["rounds"]) and rounds["rounds"] == len(rounds["model_ms"])):
        raise fail(f"rounds must be the number of rounds stored (got {rounds['rounds']!r})")
    if rounds["clock"] not in ("wall", "cpu"):
        raise fail(f"clock must be \"wall\" or \"cpu\" (got {rounds['clock']!r})")
    return [(float(c), float(m)) for c, m in zip(rounds["calibration_ms"], rounds["model_ms"], strict=True)]


def _validate_static(static: Any, what: str, where: str) -> None:
    from cnnbench.suite import is_int

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
            _validated(rec["latency"], what, where)


@dataclass
class RowResult:
    """The check of one entry.

    Attributes:
        entry: What was measured.
        status: ``pass | faster | regression | changed | inconclusive | error | new | missing`` (``missing``: in
            the baseline, not in the suite; not checked).
        static: :func:`compare_static` rows (``None`` if either side failed).
        latency: ``estimate, low, high, rounds, verdict, calibration_unstable`` and both sides' medians.
        error: Why the entry could not be checked.
    """

    entry: Entry
    status: str
    static: list[dict[str, Any]] | None = None
    latency: dict[str, Any] | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.entry.key, "entry": self.entry.to_dict(), "status": self.status, "static": self.static,
                "latency": self.latency, "error": self.error, "notes": self.notes}


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
    """

    rows: list[RowResult]
    mode: str
    reference: str
    env: dict[str, Any] | None = None
    interrupted: bool = False
    planned: int | None = None

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
                           check_rounds=lat["rounds"], clock=lat["clock"])
            out.append(rec)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "exit_code": self.exit_code, "mode": self.mode,
                "reference": self.reference, "interrupted": self.interrupted, "planned": self.planned,
                "rows": [r.to_dict() for r in self.rows]}


def _judge(entry: Entry, settings: CheckSettings, measure: Callable[[int], None],
           state: Callable[[], tuple[list[float], list[float], bool, int]], paired: bool) -> dict[str, Any]:
    """Rounds until the verdict is conclusive or ``max_rounds`` is reached."""
    done = 0
    while True:
        measure(settings.rounds if done == 0 else min(settings.rounds, settings.max_rounds - done))
        cur, base, unstable, done = state()
        est, lo, hi = bootstrap_ratio(cur, base, paired=paired, confidence=settings.confidence,
                                      n_boot=settings.bootstrap, seed=settings.seed)
        verdict = latency_verdict(est, lo, hi, entry.threshold, unstable)
        if verdict != "inconclusive" or done >= settings.max_rounds:
            return {"estimate": est, "low": lo, "high": hi, "rounds": done, "verdict": verdict,
                    "calibration_unstable": unstable, "threshold": entry.threshold,
                    "confidence": settings.confidence}


def _status(static_rows: list[dict[str, Any]] | None, latency: dict[str, Any] | None) -> str:
    if static_rows is not None and not all(r["ok"] for r in static_rows):
        return "changed"
    if latency is None:
        return "pass"
    return latency["verdict"]


# -- baseline ----------------------------------------------------------------------------------------------------


def create_baseline(suite: Suite, *, log: Log | None = None,
                    model_wrapper: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Measures ``suite`` now and returns the baseline document (see :func:`load_baseline`).

    Latency rounds continue past ``rounds`` until the bootstrap interval of the median ratio is narrower than
    half the entry's threshold and the calibration is stable, or ``max_rounds`` is reached.
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
                if env is None:
                    env = side.env(entry)
                clock = st.clock_for(entry)
                err = side.open(entry, st.warmup, st.calibration_copies)
                if err:
                    rec["error"] = err
                else:
                    rounds: list[tuple[float, float]] = []
                    while True:
                        n = st.rounds if not rounds else min(st.rounds, st.max_rounds - len(rounds))
                        rounds += _measure_rounds([side], n, st, len(rounds), clock)[0]
                        summ = _summary(rounds)
                        width = relative_ci_width(summ["ratio"], st)
                        stable = width <= entry.threshold / 2 and summ["calibration_iqr"] <= st.calibration_max_iqr
                        if stable or len(rounds) >= st.max_rounds:
                            break
                    summ.update(stable=bool(stable), rounds=len(rounds), clock=clock)
                    rec["latency"] = summ
                    side.close()
                    if not stable:
                        log(f"warning: {entry.label()}: baseline latency still noisy after {len(rounds)} rounds")
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


def load_baseline(path: str | Path) -> dict[str, Any]:
    """Reads and validates a baseline file.

    Raises:
        CnnbenchError: Missing, unreadable, not JSON, not a baseline, from a newer schema, or malformed.
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
    if doc.get("calibration") != CALIBRATION_ID:
        raise CnnbenchError(f"baseline {p} was measured with calibration {doc.get('calibration')!r}, this cnnbench "
                            f"uses {CALIBRATION_ID!r}: re-create the baseline")
    validate_baseline(doc, f"baseline {p}")
    return doc


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
                rows.append(RowResult(entry, _status(static_rows, None), static_rows, notes=notes))
                continue
            env = env or side.env(entry)
            err = side.open(entry, suite.settings.warmup, suite.settings.calibration_copies)
            if err:
                rows.append(RowResult(entry, "error", static_rows, error=err))
                continue
            try:
                latency = _latency_vs_baseline(side, entry, base["latency"], suite.settings)
            except CnnbenchError:
                raise
            except Exception as e:  # noqa: BLE001 - a model failing mid-measurement is a row, not a crash
                rows.append(RowResult(entry, "error", static_rows, error=row_error(e, entry.label())))
                continue
            finally:
                side.close()
            rows.append(RowResult(entry, _status(static_rows, latency), static_rows, latency,
                                  notes=threads_notes(entry)))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        side.shutdown()
    if not interrupted:
        rows += missing_rows(baseline, suite, log)
    return CheckReport(rows, "baseline", reference, env, interrupted=interrupted,
                       planned=len(suite.entries))


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
    from cnnbench.sweep import cores_available, oversubscribed

    if oversubscribed(entry.threads):
        return [f"threads {entry.threads} > {cores_available()} core(s) available: oversubscribed"]
    return []


def _latency_vs_baseline(side: LocalSide, entry: Entry, base: dict[str, Any], st: CheckSettings) -> dict[str, Any]:
    base_ratio = [m / c for c, m in _validated(base, entry.key)]
    clock = base["clock"]  # like for like, whatever the suite says now
    cur: list[tuple[float, float]] = []

    def measure(n: int) -> None:
        cur.extend(_measure_rounds([side], n, st, len(cur), clock)[0])

    def state() -> tuple[list[float], list[float], bool, int]:
        unstable = relative_iqr([c for c, _ in cur]) > st.calibration_max_iqr
        return [m / c for c, m in cur], base_ratio, unstable, len(cur)

    latency = _judge(entry, st, measure, state, paired=False)
    summ = _summary(cur)
    latency.update(clock=clock, current_ms=summ["median_ms"], base_ms=base["median_ms"],
                   calibration_current_ms=summ["calibration_median_ms"],
                   calibration_base_ms=base["calibration_median_ms"])
    return latency
