"""The latency zoo (results/zoo/timm-latency.csv, measured in pieces by the command in docs/sweep.md): its rows are
all of the committed sample's models × {eager, onnx}, every failed row says why, and 5 random rows' static columns — the
proxies `reproduce zoo-proxies` correlates with latency — are re-profiled here to the same numbers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from zoo_rows import ZOO, read_rows, reprofile, seeded_sample

from cnnbench.reproduce.zoo_proxies import roofline_ms

TABLE, SAMPLE, ROOFLINE = ZOO / "timm-latency.csv", ZOO / "timm-latency-sample.txt", ZOO / "roofline.json"
EXACT = ("params", "macs", "flops", "memory_access_bytes", "activations", "op_count")


def _rows() -> list[dict[str, str]]:
    return read_rows(TABLE)


def _sample(n: int = 5) -> list[dict[str, str]]:
    return seeded_sample([r for r in _rows() if not r["error"] and r["runtime"] == "eager"], n)


def test_rows_are_the_sample_times_the_runtimes_and_failures_say_why():
    rows = _rows()
    sample = {line.strip() for line in SAMPLE.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert len(sample) >= 300
    keys = [(r["model"], r["runtime"]) for r in rows]
    assert len(keys) == len(set(keys))  # one row per model × runtime, none measured twice
    assert set(keys) == {(m, rt) for m in sample for rt in ("eager", "onnx")}  # the whole sample, on both runtimes
    failed = [r for r in rows if r["error"]]
    assert len(failed) <= 0.05 * len(rows), [(r["model"], r["error"][:60]) for r in failed]
    for r in rows:
        if r["error"]:
            continue
        assert r["batch_size"] == "1" and r["threads"] == "1"
        assert float(r["latency_ms_median"]) > 0 and float(r["latency_ms_iqr"]) >= 0
        assert int(r["latency_ms_samples"]) >= 30  # the default protocol's minimum (--min-samples 30)


@pytest.mark.parametrize("row", _sample(), ids=lambda r: r["model"])
def test_a_random_rows_proxies_reproduce(row):
    got = reprofile(row, EXACT)
    # the study's roofline bound for this row: max(FLOPs / peak, bytes / bandwidth), from the committed roofline
    rl = json.loads(ROOFLINE.read_text())[0]
    bound = max(got["flops"] / (rl["peak_gflops"] * 1e9), got["memory_access_bytes"] / (rl["bandwidth_gbps"] * 1e9))
    df = pd.DataFrame([{"flops": int(row["flops"]), "memory_access_bytes": int(row["memory_access_bytes"])}])
    assert roofline_ms(df, rl).iloc[0] == pytest.approx(bound * 1e3)
