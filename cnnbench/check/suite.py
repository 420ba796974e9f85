"""Benchmark suites for ``cnnbench baseline create`` / ``cnnbench check``: a TOML file → :class:`Suite`.

A suite lists entries (models × devices × runtimes × batch sizes) with their thresholds, under optional
``[defaults]`` and measurement settings in ``[check]``::

    [check]
    blocks = 6                 # independent blocks per entry and side (fresh instances, own warm-up)
    max_blocks = 12            # more blocks while the verdict is inconclusive, up to this many
    rounds = 8                 # rounds per block
    samples_per_round = 3      # interleaved calibration/model samples in one round
    clock = "wall"             # the default; "cpu" only on request (blind to sleeps, I/O, other threads, the GPU)

    [defaults]
    devices = ["cpu"]
    runtimes = ["eager"]
    batch_sizes = [1]
    threads = 1
    threshold = 0.10           # latency: a regression is a slowdown beyond 10 %
    tolerance = { macs = 0 }   # static metrics: allowed relative change (default 0: exact)

    [[entry]]
    models = ["resnet18", "mobilenet_v2"]
    input_size = "112"

    [[entry]]
    models = ["squeezenet1_1"]
    latency = false            # static metrics only

**One schema.** A TOML suite is expanded into :class:`Entry` rows; the suite stored in a baseline is read back
with :meth:`Suite.from_dict`. Both paths end in the same validators — :meth:`CheckSettings.__post_init__` and
:meth:`Entry.__post_init__` check the type and range of every field, and :meth:`CheckSettings.from_dict` /
:meth:`Entry.from_dict` refuse unknown and missing keys — so a suite inside a baseline is validated exactly like a
TOML suite. Every problem is a one-line :class:`CnnbenchError` (exit 2) naming the file and the field, raised
before anything is measured.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from cnnbench.errors import CnnbenchError
from cnnbench.inputs import DTYPES, parse_dtype, parse_input_size, parse_int_list
from cnnbench.latency.options import RUNTIMES
from cnnbench.records import STATIC_METRICS

_RUNTIMES = RUNTIMES  # one list of runtimes for every command (cnnbench.latency.options)


# -- field validators (shared by the TOML and the baseline path) ------------------------------------------------


def is_int(v: Any) -> bool:
    """An integer, not a bool (JSON/TOML ``true`` is not 1 here)."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """A finite int or float, not a bool."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _want_int(name: str, v: Any, low: int, what: str = "") -> int:
    if not is_int(v) or v < low:
        raise CnnbenchError(f"{name} must be an integer ≥ {low}{what} (got {v!r})")
    return int(v)


def _want_number(name: str, v: Any, rule: str = "", ok: Any = None) -> float:
    if not is_number(v) or (ok is not None and not ok(float(v))):
        raise CnnbenchError(f"{name} must be a number{rule} (got {v!r})")
    return float(v)


def _want_choice(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise CnnbenchError(f"{name} must be one of {', '.join(repr(c) for c in choices)} (got {v!r})")
    return v


def _no_unknown_keys(d: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise CnnbenchError(f"unknown key {unknown[0]!r} in {where} (allowed: {', '.join(sorted(allowed))})")


#: ``[check]`` keys of older suites, and why they are gone (refused with this message, never silently ignored).
_RETIRED_CHECK_KEYS = {
    "max_rounds": "replaced by max_blocks (rounds are per block now; a check measures independent blocks)",
    "bootstrap": "no longer used (the interval is a t interval across blocks)",
    "seed": "no longer used (the interval is a t interval across blocks)",
}


@dataclass(frozen=True)
class CheckSettings:
    """How latency is measured and judged (the ``[check]`` table).

    A side is measured in **blocks** (:mod:`cnnbench.check.measure`): each block builds a fresh model instance and
    fresh calibration instances, warms them up, fixes their block sizes, then takes ``rounds`` rounds. The
    interval is across blocks, so it holds what changes between reruns (instance, memory placement, warm-up,
    the machine minutes apart), not only round-to-round noise (:mod:`cnnbench.check.stats`).

    Attributes:
        blocks: Blocks measured first for every entry (on each side).
        max_blocks: While inconclusive, more blocks (half of ``blocks`` at a time) up to this many.
        rounds: Rounds per block.
        samples_per_round: Calibration and model samples taken alternately in one round.
        round_stat: ``median`` or ``min``: a round's value is stat(samples) for the model and the calibration.
        clock: ``wall`` (default): ``time.perf_counter``, with device synchronisation on CUDA — what a user of the
            model waits. ``cpu``: the measuring thread's CPU time (``time.thread_time``), only on request: it is
            steadier on a shared machine (preemption is not counted) but **blind** to sleeps, blocking I/O, waits
            on other threads and the GPU — a slowdown of that kind passes unseen. Valid only on the CPU with
            ``threads = 1``. ``auto`` (older suites) means ``wall``.
        confidence: Level of the two-sided t interval on the ratio (0.90: "lower bound > 1" is a one-sided 5 %
            test).
        calibration_max_iqr: The calibration is unstable when the IQR of its per-round values exceeds this
            fraction of their median.
        warmup: Seconds of warm-up for the model and for the calibration in every block (at least 3 calls each).
        calibration_copies: Calibration instances per block, used in turn round by round.
        fresh_process_every: ``--against``: replace both worker processes by fresh ones every this many blocks
            (0: one process per side for the whole check). Costs a torch import per side and restart.
    """

    blocks: int = 6
    max_blocks: int = 12
    rounds: int = 8
    samples_per_round: int = 3
    round_stat: str = "median"
    clock: str = "wall"
    confidence: float = 0.90
    calibration_max_iqr: float = 0.25
    warmup: float = 0.1
    calibration_copies: int = 1
    fresh_process_every: int = 0

    def __post_init__(self) -> None:
        def fail(msg: str) -> CnnbenchError:
            return CnnbenchError(f"[check] {msg}")

        try:
            _want_int("blocks", self.blocks, 2, " (an interval needs two)")
            _want_int("max_blocks", self.max_blocks, 2)
            _want_int("rounds", self.rounds, 1)
            _want_int("samples_per_round", self.samples_per_round, 1)
            _want_choice("round_stat", self.round_stat, ("median", "min"))
            _want_choice("clock", self.clock, ("wall", "cpu", "auto"))
            _want_number("confidence", self.confidence, " in [0.5, 1)", lambda x: 0.5 <= x < 1)
            _want_number("calibration_max_iqr", self.calibration_max_iqr, " > 0", lambda x: x > 0)
            _want_number("warmup", self.warmup, " ≥ 0 (seconds)", lambda x: x >= 0)
            _want_int("calibration_copies", self.calibration_copies, 1)
            if self.calibration_copies > 16:
                raise CnnbenchError(f"calibration_copies must be 1..16 (got {self.calibration_copies})")
            _want_int("fresh_process_every", self.fresh_process_every, 0, " (0: never)")
        except CnnbenchError as e:
            raise fail(str(e)) from None
        if self.max_blocks < self.blocks:
            raise fail(f"max_blocks ({self.max_blocks}) must be ≥ blocks ({self.blocks})")
        for name in ("confidence", "calibration_max_iqr", "warmup"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.clock == "auto":
            object.__setattr__(self, "clock", "wall")

    @classmethod
    def from_dict(cls, d: Any) -> CheckSettings:
        """The ``[check]`` table of a TOML suite or the ``check`` object of a baseline's suite."""
        if not isinstance(d, dict):
            raise CnnbenchError(f"[check] must be a table (got {d!r})")
        for k in d:
            if k in _RETIRED_CHECK_KEYS:
                raise CnnbenchError(f"[check] {k} is {_RETIRED_CHECK_KEYS[k]}")
        _no_unknown_keys(d, {f.name for f in fields(cls)}, "[check]")
        return cls(**d)

    def clock_for(self, entry: Entry) -> str:
        """``wall`` or ``cpu`` for ``entry`` (see ``clock``)."""
        if self.clock == "cpu" and not (entry.device == "cpu" and entry.threads == 1):
            raise CnnbenchError(f"clock = \"cpu\" needs device cpu and threads = 1 ({entry.label()}, "
                                f"threads {entry.threads})")
        return self.clock


@dataclass(frozen=True)
class Entry:
    """One measured row of a suite: a model on one device × runtime × batch size.

    Every field is validated on construction (type and range), whichever path built it.

    Attributes:
        model: What a user types for ``profile`` (registry name, ``timm:x``, ``file.py:Class``...).
        device: ``cpu | cuda | cuda:N``.
        runtime: ``eager | compile | onnx``.
        batch_size: N.
        dtype: ``fp32 | fp16 | bf16``.
        input_size: (C, H, W).
        threads: Intra-op threads (``None``: torch's default).
        latency: Measure latency (else static metrics only).
        threshold: A latency ratio above ``1 + threshold`` (with the interval above 1) is a regression.
        tolerance: Metric → allowed relative change of a static metric (missing: 0).
    """

    model: str
    device: str = "cpu"
    runtime: str = "eager"
    batch_size: int = 1
    dtype: str = "fp32"
    input_size: tuple[int, int, int] = (3, 224, 224)
    threads: int | None = None
    latency: bool = True
    threshold: float = 0.10
    tolerance: dict[str, float] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise CnnbenchError(f"model must be a non-empty string (got {self.model!r})")
        dev = self.device
        head, _, idx = dev.partition(":") if isinstance(dev, str) else ("", "", "")
        if head not in ("cpu", "cuda") or (idx and not idx.isdigit()) or (head == "cpu" and idx) or dev.endswith(":"):
            raise CnnbenchError(f"unknown device {dev!r} (cpu, cuda or cuda:N)")
        if not isinstance(self.runtime, str) or self.runtime not in _RUNTIMES:
            raise CnnbenchError(f"unknown runtime {self.runtime!r} ({', '.join(_RUNTIMES)})")
        _want_int("batch_size", self.batch_size, 1)
        if not isinstance(self.dtype, str) or self.dtype not in DTYPES:
            raise CnnbenchError(f"dtype must be fp32, fp16 or bf16 (got {self.dtype!r})")
        size = self.input_size
        if (not isinstance(size, (tuple, list)) or len(size) != 3 or not all(is_int(n) and n >= 1 for n in size)):
            raise CnnbenchError(f"input_size must be three integers ≥ 1 (C, H, W) (got {size!r})")
        object.__setattr__(self, "input_size", tuple(size))
        if self.threads is not None:
            _want_int("threads", self.threads, 1)
        if not isinstance(self.latency, bool):
            raise CnnbenchError(f"latency must be true or false (got {self.latency!r})")
        rule = " > 0 and < 10, a fraction such as 0.10"
        object.__setattr__(self, "threshold", _want_number("threshold", self.threshold, rule, lambda x: 0 < x < 10))
        if not isinstance(self.tolerance, dict):
            raise CnnbenchError(f"tolerance must be a table such as {{ macs = 0.01 }} (got {self.tolerance!r})")
        _no_unknown_keys(self.tolerance, set(STATIC_METRICS), "tolerance")
        tol = {}
        for k, v in self.tolerance.items():
            tol[k] = _want_number(f"tolerance.{k}", v, " ≥ 0", lambda x: x >= 0)
        object.__setattr__(self, "tolerance", tol)

    @property
    def key(self) -> str:
        """Identifies the entry across a baseline and a check."""
        chw = "x".join(map(str, self.input_size))
        return (f"{self.model}|{self.device}|{self.runtime}|b{self.batch_size}|{self.dtype}|{chw}|"
                f"t{self.threads if self.threads is not None else 'default'}")

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch_size, *self.input_size)

    def label(self) -> str:
        return f"{self.model} {self.device}/{self.runtime} b{self.batch_size} {'x'.join(map(str, self.input_size))}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_size"] = list(self.input_size)
        return d

    @classmethod
    def from_dict(cls, d: Any) -> Entry:
        """An entry stored in a baseline (``to_dict`` output): unknown or missing keys are errors."""
        if not isinstance(d, dict):
            raise CnnbenchError(f"must be an object (got {d!r})")
        names = {f.name for f in fields(cls)}
        _no_unknown_keys(d, names, "the entry")
        missing = sorted(names - set(d))
        if missing:
            raise CnnbenchError(f"missing key {missing[0]!r}")
        return cls(**d)


@dataclass(frozen=True)
class Suite:
    entries: tuple[Entry, ...]
    settings: CheckSettings = CheckSettings()
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "check": asdict(self.settings), "entries": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, d: Any, *, where: str = "suite in baseline", resolve_models: bool = False) -> Suite:
        """The expanded suite stored in a baseline, through the same validators as a TOML suite.

        Args:
            d: :meth:`to_dict` output.
            where: Prefix of error messages (``"baseline b.json: suite"``).
            resolve_models: Also check every model name against the registry (as :func:`load_suite` does).

        Raises:
            CnnbenchError: ``{where}: entry N (model): field must be ...`` — one line, naming the field.
        """

        def fail(msg: str) -> CnnbenchError:
            return CnnbenchError(f"{where}: {msg}")

        if not isinstance(d, dict):
            raise fail(f"must be an object (got {type(d).__name__})")
        try:
            _no_unknown_keys(d, {"source", "check", "entries"}, "the suite")
            settings = CheckSettings.from_dict(d.get("check", {}))
        except CnnbenchError as e:
            raise fail(str(e)) from None
        raw = d.get("entries")
        if not isinstance(raw, list) or not raw:
            raise fail("\"entries\" must be a non-empty list")
        entries: list[Entry] = []
        seen: set[str] = set()
        for i, e in enumerate(raw, 1):
            name = f" ({e['model']})" if isinstance(e, dict) and isinstance(e.get("model"), str) else ""
            try:
                entry = Entry.from_dict(e)
                if resolve_models:
                    from cnnbench.catalog import resolve

                    resolve(entry.model)
            except CnnbenchError as err:
                raise fail(f"entry {i}{name}: {err}") from None
            if entry.key in seen:
                raise fail(f"entry {i}: {entry.label()} is listed twice")
            seen.add(entry.key)
            entries.append(entry)
        return cls(tuple(entries), settings, str(d.get("source", "")))


_TOP = {"check", "defaults", "entry"}
_ENTRY_KEYS = {"models", "devices", "runtimes", "batch_sizes", "dtype", "threads", "input_size", "latency",
               "threshold", "tolerance"}


def load_suite(path: str | Path, *, resolve_models: bool = True) -> Suite:
    """Reads and validates a suite TOML file.

    Args:
        path: The ``.toml`` file.
        resolve_models: Check every model name against the registry (unknown names fail here, not mid-run). With
            ``False`` (``check --against``: the model code may exist only at the ref), a name this process cannot
            resolve is accepted when the entry gives its ``input_size``.

    Raises:
        CnnbenchError: Missing/unreadable file, invalid TOML, unknown key, wrong type or value.
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise CnnbenchError("reading suite files needs Python ≥ 3.11 (tomllib) or the tomli package") from None
    from cnnbench.inputs import read_user_file

    p = Path(path)
    text = read_user_file(p, "suite file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CnnbenchError(f"suite {p} is not valid TOML: {e}") from None
    return parse_suite(data, source=str(p), resolve_models=resolve_models)


def parse_suite(data: dict[str, Any], *, source: str = "<suite>", resolve_models: bool = True) -> Suite:
    """Validates a parsed suite document (see the module docstring) and expands its entries."""

    def fail(msg: str) -> CnnbenchError:
        return CnnbenchError(f"suite {source}: {msg}")

    try:
        _no_unknown_keys(data, _TOP, "top level")
        settings = CheckSettings.from_dict(data.get("check", {}))
    except CnnbenchError as e:
        raise fail(str(e)) from None
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise fail("[defaults] must be a table")
    try:
        _no_unknown_keys(defaults, _ENTRY_KEYS - {"models"}, "[defaults]")
    except CnnbenchError as e:
        raise fail(str(e)) from None
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list) or not raw_entries:
        raise fail("no [[entry]] tables: list the models to measure")
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_entries, 1):
        where = f"entry {i}"
        if not isinstance(raw, dict):
            raise fail(f"{where} must be a table")
        merged = {**defaults, **raw}
        if isinstance(defaults.get("tolerance"), dict) and isinstance(raw.get("tolerance"), dict):
            merged["tolerance"] = {**defaults["tolerance"], **raw["tolerance"]}
        try:
            _no_unknown_keys(raw, _ENTRY_KEYS, "the entry")
            expanded = _expand(merged, resolve_models)
        except CnnbenchError as e:
            raise fail(f"{where}: {e}") from None
        for e in expanded:
            if e.key in seen:
                raise fail(f"{where}: {e.label()} is listed twice")
            seen.add(e.key)
            entries.append(e)
    return Suite(tuple(entries), settings, source)


def _str_list(v: Any, what: str) -> list[str]:
    items = v if isinstance(v, list) else [v]
    if not items or not all(isinstance(x, str) and x.strip() for x in items):
        raise CnnbenchError(f"{what} must be a string or a list of strings (got {v!r})")
    return [x.strip() for x in items]


def _expand(d: dict[str, Any], resolve_models: bool) -> list[Entry]:
    """The TOML layer only: plural keys → one :class:`Entry` per combination (which validates every field)."""
    if "models" not in d:
        raise CnnbenchError("missing 'models'")
    models = _str_list(d["models"], "models")
    devices = [x.lower() for x in _str_list(d.get("devices", "cpu"), "devices")]
    runtimes = [x.lower() for x in _str_list(d.get("runtimes", "eager"), "runtimes")]
    bs = d.get("batch_sizes", [1])
    bs_items = bs if isinstance(bs, list) else [bs]
    if any(isinstance(b, bool) or not isinstance(b, (int, str)) for b in bs_items):
        raise CnnbenchError(f"batch_sizes must be integers (got {bs!r})")
    batch_sizes = parse_int_list([str(b) for b in bs_items], "batch_sizes", [1])
    dtype = parse_dtype(_str_list(d.get("dtype", "fp32"), "dtype")[0])
    size = d.get("input_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, (str, int))):
        raise CnnbenchError(f"input_size must be a string such as \"224\" or \"3x224x224\" (got {size!r})")
    out = []
    for model in models:
        default_chw: tuple[int, int, int] = (3, 224, 224)
        from cnnbench.catalog import resolve

        try:
            default_chw = tuple(resolve(model).input_size)  # type: ignore[assignment]
        except CnnbenchError:
            if resolve_models or size is None:
                raise
        chw = parse_input_size(None if size is None else str(size), default_chw)
        for dev, rt, b in itertools.product(devices, runtimes, batch_sizes):
            out.append(Entry(model, dev, rt, b, dtype, chw, d.get("threads"), d.get("latency", True),
                             d.get("threshold", 0.10), d.get("tolerance", {})))
    return out
