"""Benchmark suites for ``cnnbench baseline create`` / ``cnnbench check``: a TOML file → :class:`Suite`.

A suite lists entries (models × devices × runtimes × batch sizes) with their thresholds, under optional
``[defaults]`` and measurement settings in ``[check]``::

    [check]
    rounds = 8                 # rounds measured first, per entry and side
    max_rounds = 32            # more rounds while the verdict is inconclusive, up to this many
    samples_per_round = 5      # interleaved calibration/model samples in one round

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

Every key is checked: an unknown key, a wrong type or an impossible value is a :class:`CnnbenchError` (exit 2)
naming the file and the key. The expanded suite is stored in the baseline, so ``check`` can rerun it.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from cnnbench.errors import CnnbenchError
from cnnbench.inputs import parse_dtype, parse_input_size, parse_int_list

#: Static metrics compared by ``check`` (machine-independent, exact unless a tolerance is given).
STATIC_METRICS = ("params", "checkpoint_bytes", "macs", "memory_access_bytes", "activations")
_RUNTIMES = ("eager", "compile", "onnx")


@dataclass(frozen=True)
class CheckSettings:
    """How latency is measured and judged (the ``[check]`` table).

    Attributes:
        rounds: Rounds measured first for every entry (on each side).
        max_rounds: While inconclusive, more rounds (``rounds`` at a time) up to this many.
        samples_per_round: Calibration and model samples taken alternately in one round.
        round_stat: ``median`` or ``min``: a round's ratio is stat(model samples) / stat(calibration samples).
        clock: ``auto | wall | cpu``. ``cpu`` times with the measuring thread's CPU time
            (``time.thread_time``): time the thread spends preempted by other processes is not counted, which
            makes single-threaded CPU checks far steadier on a shared machine. Valid only on the CPU with
            ``threads = 1`` (the work then runs on the measuring thread). ``auto`` (default) picks ``cpu``
            there and ``wall`` (``time.perf_counter``) otherwise.
        confidence: Level of the bootstrap confidence interval on the ratio.
        bootstrap: Bootstrap resamples.
        seed: Bootstrap seed (verdicts are reproducible from the same samples).
        calibration_max_iqr: The calibration is unstable when the IQR of its per-round medians exceeds this
            fraction of their median.
        warmup: Seconds of warm-up for each model and the calibration before the first round.
        calibration_copies: Calibration instances, used in turn round by round (averages out the few percent an
            instance's speed depends on where its tensors landed in memory).
    """

    rounds: int = 16
    max_rounds: int = 48
    samples_per_round: int = 3
    round_stat: str = "median"
    clock: str = "auto"
    confidence: float = 0.90
    bootstrap: int = 2000
    seed: int = 0
    calibration_max_iqr: float = 0.25
    warmup: float = 0.3
    calibration_copies: int = 4

    def __post_init__(self) -> None:
        if self.rounds < 2:
            raise CnnbenchError(f"[check] rounds must be ≥ 2 (got {self.rounds})")
        if self.max_rounds < self.rounds:
            raise CnnbenchError(f"[check] max_rounds ({self.max_rounds}) must be ≥ rounds ({self.rounds})")
        if self.samples_per_round < 1:
            raise CnnbenchError(f"[check] samples_per_round must be ≥ 1 (got {self.samples_per_round})")
        if self.round_stat not in ("min", "median"):
            raise CnnbenchError(f"[check] round_stat must be \"min\" or \"median\" (got {self.round_stat!r})")
        if self.clock not in ("auto", "wall", "cpu"):
            raise CnnbenchError(f"[check] clock must be auto, wall or cpu (got {self.clock!r})")
        if not 0.5 <= self.confidence < 1:
            raise CnnbenchError(f"[check] confidence must be in [0.5, 1) (got {self.confidence})")
        if self.bootstrap < 100:
            raise CnnbenchError(f"[check] bootstrap must be ≥ 100 (got {self.bootstrap})")
        if not self.calibration_max_iqr > 0:
            raise CnnbenchError(f"[check] calibration_max_iqr must be > 0 (got {self.calibration_max_iqr})")
        if self.warmup < 0:
            raise CnnbenchError(f"[check] warmup must be ≥ 0 seconds (got {self.warmup})")
        if not 1 <= self.calibration_copies <= 16:
            raise CnnbenchError(f"[check] calibration_copies must be 1..16 (got {self.calibration_copies})")

    def clock_for(self, entry: Entry) -> str:
        """``wall`` or ``cpu`` for ``entry`` (see ``clock``)."""
        cpu_ok = entry.device == "cpu" and entry.threads == 1
        if self.clock == "cpu" and not cpu_ok:
            raise CnnbenchError(f"clock = \"cpu\" needs device cpu and threads = 1 ({entry.label()}, "
                                f"threads {entry.threads})")
        if self.clock == "auto":
            return "cpu" if cpu_ok else "wall"
        return self.clock


@dataclass(frozen=True)
class Entry:
    """One measured row of a suite: a model on one device × runtime × batch size.

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
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise CnnbenchError(f"unknown entry key(s) {sorted(unknown)}")
        d = dict(d)
        d["input_size"] = tuple(d.get("input_size", (3, 224, 224)))
        return cls(**d)


@dataclass(frozen=True)
class Suite:
    entries: tuple[Entry, ...]
    settings: CheckSettings = CheckSettings()
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "check": asdict(self.settings), "entries": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Suite:
        """The expanded suite stored in a baseline."""
        try:
            settings = CheckSettings(**d.get("check", {}))
            entries = tuple(Entry.from_dict(e) for e in d["entries"])
        except (TypeError, KeyError, ValueError) as e:
            raise CnnbenchError(f"malformed suite in baseline: {e}") from None
        return cls(entries, settings, str(d.get("source", "")))


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

    _no_unknown(data, _TOP, "top level", fail)
    check = data.get("check", {})
    if not isinstance(check, dict):
        raise fail("[check] must be a table")
    known = {f.name: f.type for f in fields(CheckSettings)}
    _no_unknown(check, set(known), "[check]", fail)
    kwargs: dict[str, Any] = {}
    for k, v in check.items():
        if k in ("round_stat", "clock"):
            kwargs[k] = _str_list(v, f"[check] {k}", fail)[0]
            continue
        want = float if k in ("confidence", "calibration_max_iqr", "warmup") else int
        kwargs[k] = _typed(v, want, f"[check] {k}", fail)
    try:
        settings = CheckSettings(**kwargs)
    except CnnbenchError as e:
        raise fail(str(e)) from None
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise fail("[defaults] must be a table")
    _no_unknown(defaults, _ENTRY_KEYS - {"models"}, "[defaults]", fail)
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list) or not raw_entries:
        raise fail("no [[entry]] tables: list the models to measure")
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_entries, 1):
        if not isinstance(raw, dict):
            raise fail(f"entry {i} must be a table")
        _no_unknown(raw, _ENTRY_KEYS, f"entry {i}", fail)
        merged = {**defaults, **raw}
        if isinstance(defaults.get("tolerance"), dict) and isinstance(raw.get("tolerance"), dict):
            merged["tolerance"] = {**defaults["tolerance"], **raw["tolerance"]}
        for e in _expand(merged, f"entry {i}", fail, resolve_models):
            if e.key in seen:
                raise fail(f"entry {i}: {e.label()} is listed twice")
            seen.add(e.key)
            entries.append(e)
    return Suite(tuple(entries), settings, source)


def _no_unknown(table: dict[str, Any], allowed: set[str], where: str, fail) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} in {where} (allowed: {', '.join(sorted(allowed))})")


def _typed(v: Any, want: type, what: str, fail) -> Any:
    if isinstance(v, bool) or not isinstance(v, (int, float) if want is float else int):
        raise fail(f"{what} must be {'a number' if want is float else 'an integer'} (got {v!r})")
    return want(v)


def _str_list(v: Any, what: str, fail) -> list[str]:
    items = v if isinstance(v, list) else [v]
    if not items or not all(isinstance(x, str) and x.strip() for x in items):
        raise fail(f"{what} must be a string or a list of strings (got {v!r})")
    return [x.strip() for x in items]


def _expand(d: dict[str, Any], where: str, fail, resolve_models: bool) -> list[Entry]:
    if "models" not in d:
        raise fail(f"{where}: missing 'models'")
    models = _str_list(d["models"], f"{where}: models", fail)
    devices = [x.lower() for x in _str_list(d.get("devices", "cpu"), f"{where}: devices", fail)]
    for dev in devices:
        head, _, idx = dev.partition(":")
        if head not in ("cpu", "cuda") or (idx and not idx.isdigit()) or (head == "cpu" and idx):
            raise fail(f"{where}: unknown device {dev!r} (cpu, cuda or cuda:N)")
    runtimes = [x.lower() for x in _str_list(d.get("runtimes", "eager"), f"{where}: runtimes", fail)]
    for rt in runtimes:
        if rt not in _RUNTIMES:
            raise fail(f"{where}: unknown runtime {rt!r} (eager, compile or onnx)")
    bs = d.get("batch_sizes", [1])
    bs_items = bs if isinstance(bs, list) else [bs]
    if any(isinstance(b, bool) or not isinstance(b, (int, str)) for b in bs_items):
        raise fail(f"{where}: batch_sizes must be integers (got {bs!r})")
    try:
        batch_sizes = parse_int_list([str(b) for b in bs_items], "batch_sizes", [1])
        dtype = parse_dtype(_str_list(d.get("dtype", "fp32"), f"{where}: dtype", fail)[0])
    except CnnbenchError as e:
        raise fail(f"{where}: {e}") from None
    threads = d.get("threads")
    if threads is not None and (_typed(threads, int, f"{where}: threads", fail) < 1):
        raise fail(f"{where}: threads must be ≥ 1 (got {threads})")
    latency = d.get("latency", True)
    if not isinstance(latency, bool):
        raise fail(f"{where}: latency must be true or false (got {latency!r})")
    threshold = _typed(d.get("threshold", 0.10), float, f"{where}: threshold", fail)
    if not 0 < threshold < 10:
        raise fail(f"{where}: threshold must be a fraction > 0 such as 0.10 (got {threshold})")
    tol = d.get("tolerance", {})
    if not isinstance(tol, dict):
        raise fail(f"{where}: tolerance must be a table such as {{ macs = 0.01 }}")
    _no_unknown(tol, set(STATIC_METRICS), f"{where}: tolerance", fail)
    tolerance = {k: _typed(v, float, f"{where}: tolerance.{k}", fail) for k, v in tol.items()}
    if any(v < 0 for v in tolerance.values()):
        raise fail(f"{where}: tolerances must be ≥ 0")
    size = d.get("input_size")
    if size is not None and not isinstance(size, (str, int)):
        raise fail(f"{where}: input_size must be a string such as \"224\" or \"3x224x224\" (got {size!r})")
    out = []
    for model in models:
        default_chw: tuple[int, int, int] = (3, 224, 224)
        from cnnbench.registry import resolve

        try:
            default_chw = tuple(resolve(model).input_size)  # type: ignore[assignment]
        except CnnbenchError as e:
            if resolve_models or size is None:
                raise fail(f"{where}: {e}") from None
        try:
            chw = parse_input_size(None if size is None else str(size), default_chw)
        except CnnbenchError as e:
            raise fail(f"{where}: {e}") from None
        for dev, rt, b in itertools.product(devices, runtimes, batch_sizes):
            out.append(Entry(model, dev, rt, b, dtype, chw, threads, latency, threshold, dict(tolerance)))
    return out
