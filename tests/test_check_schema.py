"""One schema for suites and baselines: every malformed field is exit 2 with the field named, before measuring.

Each suite field is broken twice — in a TOML suite (``check --baseline good.json --suite bad.toml``) and in the
suite stored inside a baseline (``check --baseline bad.json``) — and must fail the same way through both paths.
Nothing is measured: the baselines here are written by hand (no latency rounds are ever taken), and the
``check: <entry>`` line that precedes every measurement must not appear.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.check import BASELINE_KIND, BASELINE_SCHEMA, CALIBRATION_ID, LocalSide, Suite, parse_suite
from cnnbench.cli.app import app

USER = str(Path(__file__).parent / "data" / "user_models.py")
runner = CliRunner()
FAST = {"blocks": 2, "max_blocks": 2, "rounds": 2, "samples_per_round": 1, "calibration_copies": 1, "warmup": 0.0}


def _suite_doc(**entry) -> dict:
    return {"check": dict(FAST), "entry": [{"models": [f"{USER}:TwoConv"], "input_size": "3x16x16", "threads": 1,
                                            **entry}]}


def _baseline(suite: Suite, latency: bool = True) -> dict:
    """A well-formed baseline for ``suite``, by hand: real static metrics, made-up latency rounds."""
    entries = {}
    for e in suite.entries:
        static = LocalSide().static(e)["metrics"]
        # 2 blocks of 3 rounds: model 0.05 ms, calibration 5 ms → ratio 0.01
        block = {"calibration_ms": [5.0, 5.1, 4.9], "model_ms": [0.05, 0.051, 0.049]}
        lat = {"blocks": [block, dict(block)], "median_ratio": 0.01, "median_ms": 0.05, "calibration_median_ms": 5.0,
               "calibration_iqr": 0.02, "stable": True, "rounds": 6, "clock": "wall"} if latency else None
        entries[e.key] = {"entry": e.to_dict(), "static": static, "latency": lat, "error": None}
    return {"schema": BASELINE_SCHEMA, "kind": BASELINE_KIND, "created": "2026-01-01T00:00:00+00:00",
            "calibration": CALIBRATION_ID, "git_commit": None, "git_dirty": None, "fingerprint": "test", "env": {},
            "suite": suite.to_dict(), "entries": entries}


@pytest.fixture(scope="module")
def good() -> dict:
    return _baseline(parse_suite(_suite_doc(), source="good"))


def _toml(doc: dict) -> str:
    """A tiny TOML writer for the suites here (tables of scalars, lists and one inline table)."""

    def val(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    lines = ["[check]", *(f"{k} = {val(v)}" for k, v in doc["check"].items())]
    for e in doc["entry"]:
        lines += ["[[entry]]", *(f"{k} = {val(v)}" for k, v in e.items())]
    return "\n".join(lines) + "\n"


def _run(*args: str):
    res = runner.invoke(app, ["check", *args])
    assert "check: " not in res.output  # refused before the first entry was measured
    assert "Traceback" not in res.output and "internal error" not in res.output
    return res


# (what is broken, change to the TOML suite document, change to the baseline's suite entry/check, message)
FIELDS = [
    ("batch size", {"batch_sizes": "one"}, {"batch_size": "one"},
     ("batch_sizes 'one'", "batch_size must be an integer ≥ 1 (got 'one')")),
    ("threshold", {"threshold": -5}, {"threshold": -5}, ("threshold must be a number > 0",) * 2),
    ("threads", {"threads": "2"}, {"threads": "2"}, ("threads must be an integer ≥ 1 (got '2')",) * 2),
    ("latency flag", {"latency": "yes"}, {"latency": "yes"}, ("latency must be true or false",) * 2),
    ("tolerance", {"tolerance": {"macs": -1}}, {"tolerance": {"macs": -1}},
     ("tolerance.macs must be a number ≥ 0",) * 2),
    ("tolerance metric", {"tolerance": {"flops": 0}}, {"tolerance": {"flops": 0}},
     ("unknown key 'flops' in tolerance",) * 2),
    ("runtime", {"runtimes": ["tvm"]}, {"runtime": "tvm"}, ("unknown runtime 'tvm'",) * 2),
    ("device", {"devices": ["tpu"]}, {"device": "tpu"}, ("unknown device 'tpu'",) * 2),
    ("dtype", {"dtype": "int8"}, {"dtype": "int8"}, ("unknown dtype 'int8'", "dtype must be fp32, fp16 or bf16")),
    ("input size", {"input_size": "3x0x16"}, {"input_size": [3, 16]},
     ("malformed --input-size", "input_size must be three integers")),
    ("unknown entry key", {"batch": 1}, {"batch": 1}, ("unknown key 'batch'",) * 2),
]
CHECK_FIELDS = [
    ("rounds", {"rounds": "16"}, "[check] rounds must be an integer ≥ 1 (got '16')"),
    ("clock", {"clock": "gpu"}, "[check] clock must be one of 'wall', 'cpu', 'auto' (got 'gpu')"),
    ("confidence", {"confidence": 2}, "[check] confidence must be a number in [0.5, 1) (got 2)"),
    ("warmup", {"warmup": -1}, "[check] warmup must be a number ≥ 0"),
    ("max_blocks", {"max_blocks": 1}, "[check] max_blocks must be an integer ≥ 2"),
    ("blocks", {"blocks": 1.5}, "[check] blocks must be an integer ≥ 2"),
    ("retired key", {"max_rounds": 48}, "[check] max_rounds is replaced by max_blocks"),
    ("unknown key", {"round": 3}, "unknown key 'round' in [check]"),
]


@pytest.mark.parametrize("what, toml_change, stored_change, messages", FIELDS, ids=[f[0] for f in FIELDS])
def test_malformed_entry_field_fails_the_same_through_both_paths(tmp_path, good, what, toml_change, stored_change,
                                                                  messages):
    good_path = tmp_path / "good.json"
    good_path.write_text(json.dumps(good))
    # 1. a TOML suite
    doc = _suite_doc()
    doc["entry"][0].update(toml_change)
    (tmp_path / "bad.toml").write_text(_toml(doc))
    res = _run("--baseline", str(good_path), "--suite", str(tmp_path / "bad.toml"))
    assert res.exit_code == 2, res.output
    assert f"suite {tmp_path / 'bad.toml'}: entry 1" in res.output and messages[0] in res.output, res.output
    # 2. the suite stored in a baseline
    bad = copy.deepcopy(good)
    bad["suite"]["entries"][0].update(stored_change)
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    res = _run("--baseline", str(tmp_path / "bad.json"))
    assert res.exit_code == 2, res.output
    assert f"baseline {tmp_path / 'bad.json'}: suite: entry 1" in res.output and messages[1] in res.output, res.output


@pytest.mark.parametrize("what, change, message", CHECK_FIELDS, ids=[f[0] for f in CHECK_FIELDS])
def test_malformed_check_setting_fails_the_same_through_both_paths(tmp_path, good, what, change, message):
    good_path = tmp_path / "good.json"
    good_path.write_text(json.dumps(good))
    doc = _suite_doc()
    doc["check"].update(change)
    (tmp_path / "bad.toml").write_text(_toml(doc))
    res = _run("--baseline", str(good_path), "--suite", str(tmp_path / "bad.toml"))
    assert res.exit_code == 2 and message in res.output, res.output
    bad = copy.deepcopy(good)
    bad["suite"]["check"].update(change)
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    res = _run("--baseline", str(tmp_path / "bad.json"))
    assert res.exit_code == 2 and message in res.output and "suite: " in res.output, res.output


def _first(doc: dict) -> dict:
    return next(iter(doc["entries"].values()))


# baseline records (outside the stored suite): one line naming the field
RECORDS = [
    ("static value", lambda d: _first(d)["static"].update(params="lots"),
     "static.params must be an integer ≥ 0 or null (got 'lots')"),
    ("static metric", lambda d: _first(d)["static"].update(flops=1), "static.flops is not a known metric"),
    ("median_ms missing", lambda d: _first(d)["latency"].pop("median_ms"), "latency.median_ms is missing"),
    ("median_ms type", lambda d: _first(d)["latency"].update(median_ms="fast"),
     "latency.median_ms must be a number > 0"),
    ("rounds", lambda d: _first(d)["latency"]["blocks"][1].update(model_ms=[0.05, "x", 0.05]),
     "latency.blocks[1].model_ms must be a list of ≥ 1 positive numbers"),
    ("round count", lambda d: _first(d)["latency"]["blocks"][0].update(model_ms=[0.05, 0.05]),
     "latency.blocks[0]: calibration_ms and model_ms must have one value per round"),
    ("one block", lambda d: _first(d)["latency"].update(blocks=_first(d)["latency"]["blocks"][:1]),
     "latency.blocks must be a list of ≥ 2 blocks"),
    ("block key", lambda d: _first(d)["latency"]["blocks"][0].update(ratio=[0.01]),
     "latency.blocks[0] must be an object with exactly calibration_ms and model_ms"),
    ("rounds total", lambda d: _first(d)["latency"].update(rounds=3), "latency.rounds must be the number of rounds"),
    ("schema-1 rounds", lambda d: _first(d)["latency"].update(model_ms=[0.05, 0.05]), "latency.model_ms is not a known key"),
    ("clock", lambda d: _first(d)["latency"].update(clock="auto"), "latency.clock must be \"wall\" or \"cpu\""),
    ("latency key", lambda d: _first(d)["latency"].update(p99=1.0), "latency.p99 is not a known key"),
    ("error type", lambda d: _first(d).update(error=3), "error must be a string or null"),
    ("record key", lambda d: _first(d).pop("static"), "missing key 'static'"),
    ("entry in record", lambda d: _first(d)["entry"].update(batch_size=0),
     "entry: batch_size must be an integer ≥ 1 (got 0)"),
    ("entry key", lambda d: _first(d)["entry"].update(batch_size=2), "its entry's key is"),
    ("top-level key", lambda d: d.update(extra=1), "unknown key 'extra'"),
    ("no entries", lambda d: d.update(entries={}), "has no entries"),
    ("empty suite", lambda d: d["suite"].update(entries=[]), "suite: \"entries\" must be a non-empty list"),
]


@pytest.mark.parametrize("what, mutate, message", RECORDS, ids=[r[0] for r in RECORDS])
def test_malformed_baseline_record_is_exit_2_naming_the_field(tmp_path, good, what, mutate, message):
    bad = copy.deepcopy(good)
    mutate(bad)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    res = _run("--baseline", str(path))
    assert res.exit_code == 2, res.output
    assert message in res.output and str(path) in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1  # one line


def test_baseline_entries_the_suite_lacks_are_missing_rows_with_a_warning(tmp_path):
    # static only (latency = false): the check itself is a static analysis of a 2-conv model, milliseconds
    two = parse_suite({"check": FAST, "entry": [{"models": [f"{USER}:TwoConv"], "input_size": s, "latency": False}
                                                for s in ("3x16x16", "3x8x8")]}, source="two")
    base = tmp_path / "b.json"
    base.write_text(json.dumps(_baseline(two, latency=False)))
    (tmp_path / "one.toml").write_text(_toml({"check": FAST, "entry": [
        {"models": [f"{USER}:TwoConv"], "input_size": "3x16x16", "latency": False}]}))
    res = runner.invoke(app, ["check", "--baseline", str(base), "--suite", str(tmp_path / "one.toml"), "-f", "json"])
    assert res.exit_code == 0, res.output  # a warning, not a failure
    report = json.loads(res.stdout)
    assert [(r["entry"]["input_size"], r["status"]) for r in report["rows"]] == [([3, 16, 16], "pass"),
                                                                                ([3, 8, 8], "missing")]
    assert "1 baseline entry is not in the suite, not checked" in res.stderr
    # the table names it too
    res = runner.invoke(app, ["check", "--baseline", str(base), "--suite", str(tmp_path / "one.toml")])
    assert res.exit_code == 0 and "missing" in res.stdout and "3x8x8" in res.stdout


def test_a_stored_suite_round_trips_and_is_the_one_checked(tmp_path):
    s = parse_suite(_suite_doc(threshold=0.25, batch_sizes=[1, 2], tolerance={"macs": 0.5}), source="s")
    back = Suite.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s and [e.tolerance for e in back.entries] == [{"macs": 0.5}] * 2
    assert [e.threshold for e in back.entries] == [0.25, 0.25]


@pytest.mark.parametrize("args, message", [
    (["--budget", "inf"], "--budget must be a finite number > 0 of seconds (got inf)"),
    (["--budget", "nan"], "--budget must be a finite number"),
    (["--warmup", "inf"], "--warmup must be a finite number ≥ 0 of seconds (got inf)"),
])
def test_non_finite_protocol_options_are_refused(args, message):
    res = runner.invoke(app, ["profile", f"{USER}:TwoConv", "--input-size", "3x8x8", *args])
    assert res.exit_code == 2 and message in res.output, res.output


def test_threads_beyond_the_cores_available_warn_once():
    import contextlib
    import io

    from cnnbench.latency import check_protocol_options, cores_available, oversubscribed

    n = cores_available()
    assert n >= 1 and not oversubscribed(n) and oversubscribed(n + 1) and not oversubscribed(None)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        for _ in range(2):
            check_protocol_options(budget=1.0, min_samples=1, warmup=0.0, threads=n + 997)
    assert err.getvalue().count(f"--threads {n + 997} exceeds the {n} core(s)") == 1  # once


# -- `cnnbench check --schema` -----------------------------------------------------------------------------------


def _schema() -> dict:
    res = runner.invoke(app, ["check", "--schema"])  # no --suite, no --baseline
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_schema_flag_prints_the_suite_json_schema_naming_every_field():
    from cnnbench.check import CheckSettings

    schema = _schema()
    assert set(schema["properties"]) == {"check", "defaults", "entry"} and schema["required"] == ["entry"]
    defs = schema["$defs"]
    assert set(defs["CheckSettings"]["properties"]) == set(CheckSettings.model_fields) >= {
        "blocks", "max_blocks", "rounds", "samples_per_round", "clock", "confidence", "warmup"}
    entry = defs["EntrySpec"]
    assert set(entry["properties"]) == {"models", "devices", "runtimes", "batch_sizes", "dtype", "threads",
                                        "input_size", "latency", "threshold", "tolerance"}
    assert entry["required"] == ["models"] and set(defs["EntryOptions"]["properties"]) == set(entry["properties"]) - {
        "models"}
    assert all(d["additionalProperties"] is False for d in defs.values())  # unknown keys are errors
    # the ranges the validators enforce are in the schema too
    check = defs["CheckSettings"]["properties"]
    assert check["blocks"]["minimum"] == 2 and check["calibration_copies"]["maximum"] == 16
    assert check["clock"]["enum"] == ["wall", "cpu", "auto"]
    assert entry["properties"]["threshold"]["exclusiveMinimum"] == 0
    assert set(entry["properties"]["tolerance"]["propertyNames"]["enum"]) == {
        "params", "checkpoint_bytes", "macs", "memory_access_bytes", "activations"}


def test_schema_accepts_the_project_suite_and_refuses_a_malformed_one():
    jsonschema = pytest.importorskip("jsonschema")
    tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11

    schema = _schema()
    root = Path(__file__).resolve().parents[1]
    jsonschema.validate(tomllib.loads((root / "benchmarks" / "ci.toml").read_text()), schema)
    jsonschema.validate(_suite_doc(batch_sizes="1,8", devices="cpu", tolerance={"macs": 0.5}), schema)
    for bad in (_suite_doc(threads="2"), _suite_doc(batch=1), _suite_doc(tolerance={"flops": 0}),
                {"check": {"rounds": 0}, "entry": [{"models": "x"}]}, {"entry": []}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_entries_compare_and_hash_without_their_tolerance():
    from cnnbench.check import Entry

    a, b = Entry(model="resnet18"), Entry(model="resnet18", tolerance={"macs": 0.01})
    assert a == b and hash(a) == hash(b)  # one entry, however loosely its static metrics are compared
    assert a != Entry(model="resnet18", threads=1)
