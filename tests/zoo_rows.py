"""Shared by the committed zoo tables' tests (timm-static, timm-latency): read a table, take a seeded sample of its
rows, and re-profile a row in this process to compare its exact columns."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from cnnbench.catalog import resolve
from cnnbench.rows import static_profile

ZOO = Path(__file__).resolve().parents[1] / "results" / "zoo"


def read_rows(table: Path) -> list[dict[str, str]]:
    with table.open(newline="") as f:
        return list(csv.DictReader(f))


def seeded_sample(rows: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """``n`` rows (fewer if the table is smaller), the same ones every run (seed 0)."""
    return random.Random(0).sample(rows, min(n, len(rows)))


def reprofile(row: dict[str, str], exact: tuple[str, ...]) -> dict[str, Any]:
    """The row's model profiled again at the row's input shape and dtype; its ``exact`` columns must equal the row's."""
    shape = tuple(int(d) for d in row["input_shape"].split("x"))
    got = static_profile(resolve(row["model"]), batch_size=shape[0], dtype=row["dtype"]).to_dict()
    assert got["error"] is None
    assert list(got["input_shape"]) == list(shape)
    assert {k: got[k] for k in exact} == {k: int(row[k]) for k in exact}
    return got
