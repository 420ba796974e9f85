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

**One schema** (pydantic v2 models). The TOML layer is :class:`SuiteFile` (``[check]`` = :class:`CheckSettings`,
``[defaults]`` = :class:`EntryOptions`, ``[[entry]]`` = :class:`EntrySpec`; ``cnnbench check --schema`` prints its
JSON Schema); each ``[[entry]]`` expands into :class:`Entry` rows. The suite stored in a baseline is read back with
:meth:`Suite.from_dict` through the same :class:`CheckSettings` and :class:`Entry` models, so it is validated exactly
like a TOML suite. Unknown keys are refused, types are strict (``"2"`` is not 2, ``true`` is not 1), and every problem
is a one-line :class:`CnnbenchError` (exit 2) naming the file and the field, raised before anything is measured:
each field's constraints are declared to pydantic, and :func:`rule` gives a failure of them its one-line text.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from cnnbench.check.schema import ApiModel, Count, Flag, Model, count, custom, number, one_of, rule
from cnnbench.errors import CnnbenchError
from cnnbench.inputs import DTYPES, parse_dtype, parse_input_size, parse_int_list
from cnnbench.latency.options import RUNTIMES
from cnnbench.records import STATIC_METRICS

_DTYPE_NAMES = tuple(DTYPES)  # fp32, fp16, bf16: the one dtype table (cnnbench.inputs)



#: ``[check]`` keys of older suites, and why they are gone (refused with this message, never silently ignored).
_RETIRED_CHECK_KEYS = {
    "max_rounds": "replaced by max_blocks (rounds are per block now; a check measures independent blocks)",
    "bootstrap": "no longer used (the interval is a t interval across blocks)",
    "seed": "no longer used (the interval is a t interval across blocks)",
}


def _copies_rule(v: Any) -> str:
    too_many = isinstance(v, int) and not isinstance(v, bool) and v > 16
    return "{path} must be 1..16 (got {got})" if too_many else "{path} must be an integer ≥ 1 (got {got})"


class CheckSettings(ApiModel):
    """How latency is measured and judged (the ``[check]`` table).

    A side is measured in **blocks** (:mod:`cnnbench.check.measure`): each block builds a fresh model instance and
    fresh calibration instances, warms them up, fixes their block sizes, then takes ``rounds`` rounds. The
    interval is across blocks, so it holds what changes between reruns (instance, memory placement, warm-up,
    the machine minutes apart), not only round-to-round noise (:mod:`cnnbench.check.stats`). ``clock``: ``wall``
    (default): ``time.perf_counter``, synchronised on CUDA — what a user of the model waits. ``cpu``: the measuring
    thread's CPU time, only on request: steadier on a shared machine but **blind** to sleeps, blocking I/O, waits on
    other threads and the GPU; valid only on the CPU with ``threads = 1``. ``auto`` (older suites) means ``wall``.
    """

    model_config = ConfigDict(json_schema_extra={"description": "The [check] table: how latency is measured (in "
                                                 "independent blocks of rounds) and judged."})
    root: ClassVar[str] = "[check] "
    words: ClassVar[dict[str, str]] = {**Model.words, "extra": "unknown key {key} in [check] (allowed: {allowed})",
                                       "type": "{path} must be a table (got {got})"}

    blocks: Annotated[count(2, " (an interval needs two)"), Field(description="Blocks measured first per side.")] = 6
    max_blocks: Annotated[count(2), Field(description="While inconclusive, more blocks up to this many.")] = 12
    rounds: Annotated[Count, Field(description="Rounds per block.")] = 8
    samples_per_round: Annotated[Count, Field(description="Calibration and model samples, alternating, per round.")] = 3
    round_stat: Annotated[one_of("median", "min"), Field(
        description="A round's value for the model and the calibration: this stat of its samples.")] = "median"
    clock: Annotated[one_of("wall", "cpu", "auto"), Field(
        description="wall: what a user waits (default). cpu: the thread's CPU time, blind to sleeps, I/O, other "
        "threads and the GPU; CPU with threads = 1 only. auto (older suites): wall.")] = "wall"
    confidence: Annotated[number(" in [0.5, 1)", ge=0.5, lt=1), Field(
        description="Level of the two-sided t interval on the ratio.")] = 0.90
    calibration_max_iqr: Annotated[number(" > 0", gt=0), Field(
        description="Calibration unstable beyond this IQR / median.")] = 0.25
    warmup: Annotated[number(" ≥ 0 (seconds)", ge=0), Field(description="Seconds of warm-up per block.")] = 0.1
    calibration_copies: Annotated[int, Field(strict=True, ge=1, le=16), rule(_copies_rule), Field(
        description="Calibration instances per block, used in turn.")] = 1
    fresh_process_every: Annotated[count(0, " (0: never)"), Field(
        description="--against: fresh worker processes every this many blocks (0: one per side for the check).")] = 0
    attribution: Annotated[one_of("regression", "always", "never"), Field(
        description="Time every module on both sides (eager, ABBA blocks) to name the one that owns a slowdown: "
        "for regressions (default), for every timed entry (check --explain), or never.")] = "regression"
    attribution_blocks: Annotated[count(2, " (an interval needs two)"), Field(
        description="Blocks per side of module timing for an attribution (and stored by baseline create).")] = 4

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        for k in data if isinstance(data, dict) else ():
            if k in _RETIRED_CHECK_KEYS:
                raise custom(f"{{path}} {k} is {_RETIRED_CHECK_KEYS[k]}")
        return data

    @field_validator("clock")
    @classmethod
    def _auto_is_wall(cls, v: str) -> str:
        return "wall" if v == "auto" else v

    @model_validator(mode="after")
    def _enough_blocks(self) -> CheckSettings:
        if self.max_blocks < self.blocks:
            raise custom(f"{{path}} max_blocks ({self.max_blocks}) must be ≥ blocks ({self.blocks})")
        return self

    @classmethod
    def from_dict(cls, d: Any) -> CheckSettings:
        """The ``[check]`` table of a TOML suite or the ``check`` object of a baseline's suite."""
        return cls.validated(d)

    def clock_for(self, entry: Entry) -> str:
        """``wall`` or ``cpu`` for ``entry`` (see ``clock``)."""
        if self.clock == "cpu" and not (entry.device == "cpu" and entry.threads == 1):
            raise CnnbenchError(f"clock = \"cpu\" needs device cpu and threads = 1 ({entry.label()}, "
                                f"threads {entry.threads})")
        return self.clock


# field types shared by an Entry and the TOML layer (same constraints, same messages)
Threads = Annotated[Count | None, Field(description="Intra-op threads (default: torch's).")]
Latency = Annotated[Flag, Field(description="Measure latency (false: static metrics only).")]
Threshold = Annotated[number(" > 0 and < 10, a fraction such as 0.10", gt=0, lt=10), Field(
    description="A latency ratio above 1 + threshold (interval above 1) is a regression.")]
_METRIC = Annotated[Literal[STATIC_METRICS], rule(
    f"unknown key {{got}} in tolerance (allowed: {', '.join(sorted(STATIC_METRICS))})")]
Tolerance = Annotated[dict[_METRIC, number(" ≥ 0", ge=0)], rule(
    "{path} must be a table such as {{ macs = 0.01 }} (got {got})"), Field(
    description="Static metric → allowed relative change (missing: 0, exact).")]
_DIM = Annotated[int, Field(strict=True, ge=1)]


class Entry(ApiModel):
    """One measured row of a suite: a model on one device × runtime × batch size, every field validated.

    Attributes:
        model: What a user types for ``profile`` (registry name, ``timm:x``, ``file.py:Class``...).
        device: ``cpu | cuda | cuda:N``; runtime: one of :data:`cnnbench.latency.options.RUNTIMES`.
        input_size: (C, H, W); threads: intra-op threads (``None``: torch's default).
        threshold: A latency ratio above ``1 + threshold`` (with the interval above 1) is a regression.
        tolerance: Metric → allowed relative change of a static metric (missing: 0).
    """

    words: ClassVar[dict[str, str]] = {**Model.words, "extra": "unknown key {key} in the entry (allowed: {allowed})"}

    model: Annotated[str, Field(strict=True, pattern=r"\S"), rule("{path} must be a non-empty string (got {got})")]
    device: Annotated[str, Field(strict=True, pattern=r"^(cpu|cuda(:[0-9]+)?)$"), rule(
        "unknown device {got} (cpu, cuda or cuda:N)")] = "cpu"
    runtime: Annotated[Literal[RUNTIMES], rule(f"unknown runtime {{got}} ({', '.join(RUNTIMES)})")] = "eager"
    batch_size: Count = 1
    dtype: Annotated[Literal[_DTYPE_NAMES], rule("{path} must be fp32, fp16 or bf16 (got {got})")] = "fp32"
    input_size: Annotated[tuple[_DIM, _DIM, _DIM], Field(strict=True), BeforeValidator(
        lambda v: tuple(v) if isinstance(v, list) else v), rule(
        "{path} must be three integers ≥ 1 (C, H, W) (got {got})")] = (3, 224, 224)
    threads: Threads = None
    latency: Latency = True
    threshold: Threshold = 0.10
    tolerance: Tolerance = Field(default_factory=dict)

    # tolerance (a dict) is part of neither the hash nor equality, as in the former dataclass
    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return self.model_dump(exclude={"tolerance"}) == other.model_dump(exclude={"tolerance"})

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
        d = self.model_dump()
        d["input_size"] = list(self.input_size)
        return d

    @classmethod
    def from_dict(cls, d: Any) -> Entry:
        """An entry stored in a baseline (``to_dict`` output): unknown or missing keys are errors."""
        if isinstance(d, dict) and set(d) <= set(cls.model_fields):
            missing = sorted(set(cls.model_fields) - set(d))
            if missing:
                raise CnnbenchError(f"missing key {missing[0]!r}")
        return cls.validated(d)


class Suite(ApiModel):
    """A validated, expanded suite: its entries, its ``[check]`` settings, and where it was read from."""

    entries: tuple[Entry, ...]
    settings: CheckSettings = CheckSettings()
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "check": self.settings.model_dump(),
                "entries": [e.to_dict() for e in self.entries]}

    def check_devices(self) -> None:
        """Every device a timed entry runs on is available here: a usage error before anything is measured.

        Raises:
            CnnbenchError: The first unavailable device (``CUDA is not available: ...``).
        """
        from cnnbench.latency.devices import resolve_device

        for dev in dict.fromkeys(e.device for e in self.entries if e.latency):
            resolve_device(dev)

    @classmethod
    def from_dict(cls, d: Any, *, where: str = "suite in baseline", resolve_models: bool = False) -> Suite:
        """The expanded suite stored in a baseline, through the models a TOML suite goes through.

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
            _known_keys(d, ("source", "check", "entries"), "the suite")
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
        return cls(entries=tuple(entries), settings=settings, source=str(d.get("source", "")))


# -- the TOML layer ------------------------------------------------------------------------------------------------

_WORD = Annotated[str, Field(strict=True, pattern=r"\S")]
Names = Annotated[_WORD | Annotated[list[_WORD], Field(min_length=1)], rule(
    "{path} must be a string or a list of strings (got {got})")]
_INT_OR_TEXT = Annotated[int, Field(strict=True)] | Annotated[str, Field(strict=True)]


class EntryOptions(Model):
    """What ``[defaults]`` may set, and every ``[[entry]]`` (plural keys expand into one :class:`Entry` each)."""

    devices: Annotated[Names, Field(description="cpu, cuda or cuda:N (one or a list).")] = "cpu"
    runtimes: Annotated[Names, Field(description=f"One or a list of: {', '.join(RUNTIMES)}.")] = "eager"
    batch_sizes: Annotated[_INT_OR_TEXT | list[_INT_OR_TEXT], rule("{path} must be integers (got {got})"), Field(
        description="Integers ≥ 1: 8, [1, 8] or \"1,8\".")] = 1
    dtype: Annotated[Names, Field(description="fp32, fp16 or bf16.")] = "fp32"
    threads: Threads = None
    input_size: Annotated[_INT_OR_TEXT | None, rule(
        "{path} must be a string such as \"224\" or \"3x224x224\" (got {got})"), Field(
        description="\"224\", \"224x160\" or \"3x224x224\" (default: the model's own).")] = None
    latency: Latency = True
    threshold: Threshold = 0.10
    tolerance: Tolerance = Field(default_factory=dict)


class EntrySpec(EntryOptions):
    """One ``[[entry]]`` table (merged over ``[defaults]``)."""

    words: ClassVar[dict[str, str]] = {**Model.words, "extra": "unknown key {key} in the entry (allowed: {allowed})",
                                       "missing": "missing {key}"}
    models: Annotated[Names, Field(description="What `cnnbench profile` takes: resnet18, timm:x, file.py:Class.")]


class SuiteFile(Model):
    """A suite TOML file: [check], [defaults] and [[entry]] tables (``cnnbench check --schema`` prints this model's
    JSON Schema; :func:`parse_suite` validates a suite with its parts, table by table)."""

    model_config = ConfigDict(title="cnnbench suite")
    check: CheckSettings = Field(default_factory=CheckSettings, description="How latency is measured and judged.")
    defaults: EntryOptions = Field(default_factory=EntryOptions, description="Keys every [[entry]] inherits.")
    entry: list[EntrySpec] = Field(min_length=1, description="The models to measure ([[entry]] tables).")


def _known_keys(d: dict[str, Any], allowed: Any, where: str) -> None:
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise CnnbenchError(f"unknown key {unknown[0]!r} in {where} (allowed: {', '.join(sorted(allowed))})")


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
    """Validates a parsed suite document (see the module docstring) and expands its entries.

    ``[defaults]`` is checked for unknown keys; its values are validated merged into each entry (a bad default is
    reported by the first entry that uses it, as ``entry 1: ...``)."""

    def fail(msg: str) -> CnnbenchError:
        return CnnbenchError(f"suite {source}: {msg}")

    try:
        _known_keys(data, SuiteFile.model_fields, "top level")
        settings = CheckSettings.from_dict(data.get("check", {}))
    except CnnbenchError as e:
        raise fail(str(e)) from None
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise fail("[defaults] must be a table")
    try:
        _known_keys(defaults, EntryOptions.model_fields, "[defaults]")
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
            expanded = _expand(EntrySpec.validated(merged), resolve_models)
        except CnnbenchError as e:
            raise fail(f"{where}: {e}") from None
        for e in expanded:
            if e.key in seen:
                raise fail(f"{where}: {e.label()} is listed twice")
            seen.add(e.key)
            entries.append(e)
    return Suite(entries=tuple(entries), settings=settings, source=source)


def _listed(v: str | list[str]) -> list[str]:
    return [x.strip() for x in (v if isinstance(v, list) else [v])]


def _expand(spec: EntrySpec, resolve_models: bool) -> list[Entry]:
    """Plural keys → one :class:`Entry` per combination (which validates every field)."""
    devices = [x.lower() for x in _listed(spec.devices)]
    runtimes = [x.lower() for x in _listed(spec.runtimes)]
    bs = spec.batch_sizes
    batch_sizes = parse_int_list([str(b) for b in (bs if isinstance(bs, list) else [bs])], "batch_sizes", [1])
    dtype = parse_dtype(_listed(spec.dtype)[0])
    size = spec.input_size
    out = []
    for model in _listed(spec.models):
        default_chw: tuple[int, int, int] = (3, 224, 224)
        from cnnbench.catalog import resolve

        try:
            default_chw = tuple(resolve(model).input_size)  # type: ignore[assignment]
        except CnnbenchError:
            if resolve_models or size is None:
                raise
        chw = parse_input_size(None if size is None else str(size), default_chw)
        for dev, rt, b in itertools.product(devices, runtimes, batch_sizes):
            out.append(Entry(model=model, device=dev, runtime=rt, batch_size=b, dtype=dtype, input_size=chw,
                             threads=spec.threads, latency=spec.latency, threshold=spec.threshold,
                             tolerance=spec.tolerance))
    return out
