"""The committed zoo table (results/zoo/timm-static.csv) is reproducible: 10 random rows re-profiled in this process
give identical numbers, and every failed row says why."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from cnnbench.catalog import resolve
from cnnbench.rows import static_profile

TABLE = Path(__file__).resolve().parents[1] / "results" / "zoo" / "timm-static.csv"
EXACT = ("params", "checkpoint_bytes", "macs", "memory_access_bytes", "activations")


def _rows() -> list[dict[str, str]]:
    with TABLE.open(newline="") as f:
        return list(csv.DictReader(f))


def _sample(n: int = 10) -> list[dict[str, str]]:
    ok = [r for r in _rows() if not r["error"]]
    return random.Random(0).sample(ok, min(n, len(ok)))


def test_table_covers_its_models_and_every_failure_has_a_reason():
    rows = _rows()
    assert rows and len({r["model"] for r in rows}) == len(rows)
    assert all(r["model"].startswith("timm:") for r in rows)
    for r in rows:
        assert r["error"] or (r["params"].isdigit() and r["macs"].isdigit() and r["trace_device"]), r
    ok = sum(1 for r in rows if not r["error"])
    assert ok / len(rows) >= 0.99 or len(rows) < 100  # the goal holds for the whole zoo (a sample may be small)


@pytest.mark.parametrize("row", _sample(), ids=lambda r: r["model"])
def test_a_random_row_reproduces(row):
    spec = resolve(row["model"])
    shape = tuple(int(d) for d in row["input_shape"].split("x"))
    got = static_profile(spec, batch_size=shape[0], dtype=row["dtype"]).to_dict()
    assert got["error"] is None
    assert list(got["input_shape"]) == list(shape)  # the default pretrained-config input size
    assert {k: got[k] for k in EXACT} == {k: int(row[k]) for k in EXACT}
    assert got["trace_device"] == row["trace_device"]
