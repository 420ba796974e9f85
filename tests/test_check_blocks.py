"""`cnnbench check` statistics across independent blocks: hand-checked intervals, the block structure (fresh
instances per block, block sizes fixed once, ABBA order), the stages, and the schema-2 baseline round trip."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cnnbench.check import (
    BASELINE_SCHEMA,
    Block,
    CheckSettings,
    LocalSide,
    baseline_blocks,
    block_log_ratio,
    create_baseline,
    load_baseline,
    mean_interval_width,
    measure_blocks,
    paired_interval,
    parse_suite,
    sequential_judge,
    stages,
    welch_interval,
)
from cnnbench.check.against import check_pair
from cnnbench.errors import CnnbenchError

USER = str(Path(__file__).parent / "data" / "user_models.py")


# -- statistics on synthetic numbers ------------------------------------------------------------------------------


def test_block_log_ratio_is_the_log_of_the_median_round_ratio():
    # round ratios 2/1, 3/1, 4/2 = [2, 3, 2] → median 2
    assert block_log_ratio([2.0, 3.0, 4.0], [1.0, 1.0, 2.0]) == pytest.approx(math.log(2))
    with pytest.raises(ValueError):
        block_log_ratio([1.0], [1.0, 2.0])


def test_paired_interval_is_mean_plus_minus_t_s_over_root_k():
    d = [0.01, 0.03, 0.02, 0.04, 0.00, 0.02]
    # mean 0.02; deviations -.01 .01 0 .02 -.02 0 → Σ² = 0.001 → s² = 0.001 / 5 = 0.0002, s = 0.014142
    # se = s / √6 = 0.0057735; t(5, 0.95) = 2.015048 (90 % two-sided) → h = 0.011634
    est, lo, hi = paired_interval(d, 0.90)
    assert est == pytest.approx(math.exp(0.02))  # 1.020201
    assert lo == pytest.approx(math.exp(0.02 - 0.011634), abs=1e-6)  # 1.008401
    assert hi == pytest.approx(math.exp(0.02 + 0.011634), abs=1e-6)  # 1.032140
    # 95 %: t(5, 0.975) = 2.570582 → h = 0.014841
    assert paired_interval(d, 0.95)[1] == pytest.approx(math.exp(0.02 - 0.014841), abs=1e-6)
    assert mean_interval_width(d, 0.90) == pytest.approx(2 * 0.011634, abs=1e-6)
    with pytest.raises(ValueError):
        paired_interval([0.1], 0.9)


def test_welch_interval_on_two_runs_of_blocks():
    cur, base = [0.10, 0.12, 0.14], [0.00, 0.02, 0.04]
    # difference of means 0.10; s² = 0.0004 on both sides → se = √(2 · 0.0004 / 3) = 0.016330
    # Welch's ν = (2v)² / (2 v² / 2) = 4 with v = 0.0004 / 3; t(4, 0.95) = 2.131847 → h = 0.034813
    est, lo, hi = welch_interval(cur, base, 0.90)
    assert est == pytest.approx(math.exp(0.10))  # 1.105171
    assert lo == pytest.approx(math.exp(0.10 - 0.034813), abs=1e-6)  # 1.067359
    assert hi == pytest.approx(math.exp(0.10 + 0.034813), abs=1e-6)  # 1.144325
    assert welch_interval([0.1, 0.1], [0.0, 0.0]) == pytest.approx((math.exp(0.1),) * 3)  # no spread: a point


def test_stages_extend_by_half_the_blocks_up_to_max_blocks():
    assert stages(CheckSettings(blocks=6, max_blocks=12)) == [6, 9, 12]
    assert stages(CheckSettings(blocks=6, max_blocks=10)) == [6, 9, 10]
    assert stages(CheckSettings(blocks=3, max_blocks=3)) == [3]


def test_sequential_judge_stops_at_the_first_conclusive_stage():
    st = CheckSettings(blocks=3, max_blocks=6, rounds=1, confidence=0.90)
    # paired: the model takes 1.2× the reference's time in every block → conclusive at 3 blocks already
    ref = [Block([1.0], [1.0]) for _ in range(6)]
    cur = [Block([1.0], [1.2]) for _ in range(6)]
    res = sequential_judge(cur, ref, paired=True, st=st, threshold=0.10)
    assert res["verdict"] == "regression" and res["blocks"] == 3 and res["estimate"] == pytest.approx(1.2)
    # noisy first blocks: ratios 0.8, 1.25, then 1.0 (log ratios -0.2231, 0.2231, 0, 0, 0, 0); stages 3, 5, 6
    # 3 blocks: s = 0.2231, se = s/√3 = 0.1288, t(2) = 2.9200 → ±0.3762: [0.687, 1.457], 0.77 wide
    # 5 blocks: s = √(0.0996/4) = 0.1578, se = 0.0706, t(4) = 2.1318 → ±0.1504: [0.860, 1.162], 0.30 wide
    # 6 blocks: s = √(0.0996/5) = 0.1411, se = 0.0576, t(5) = 2.0150 → ±0.1161: [0.890, 1.123], 0.23 wide
    noisy = [Block([1.0], [r]) for r in (0.8, 1.25, 1.0, 1.0, 1.0, 1.0)]
    res = sequential_judge(noisy, ref, paired=True, st=st, threshold=0.10)
    assert res["blocks"] == 6 and res["verdict"] == "inconclusive"  # 0.23 > 0.10 still at the last stage
    assert (res["low"], res["high"]) == pytest.approx((math.exp(-0.1161), math.exp(0.1161)), abs=1e-3)
    # the same blocks judged at a 50 % threshold: too wide at 3 blocks (0.77), a pass at 5 (0.30 ≤ 0.50)
    res = sequential_judge(noisy, ref, paired=True, st=st, threshold=0.50)
    assert res["blocks"] == 5 and res["verdict"] == "pass"


# -- the block structure, on a real µs model ---------------------------------------------------------------------


class CountForward:
    """Wraps the built model, counting its forward calls (``calls``) and the instances built (``instances``)."""

    def __init__(self) -> None:
        self.calls = 0
        self.instances = 0

    def __call__(self, model):
        from torch import nn

        counter = self
        counter.instances += 1

        class Counted(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = model

            def forward(self, x):
                counter.calls += 1
                return self.inner(x)

        return Counted()


def _entry(**check):
    s = parse_suite({"check": {"blocks": 2, "max_blocks": 2, "rounds": 2, "samples_per_round": 2, "warmup": 0.0,
                               **check},
                     "entry": [{"models": [f"{USER}:TwoConv"], "input_size": "3x8x8", "threads": 1,
                                "threshold": 0.5}]}, source="t")
    return s.entries[0], s.settings


def test_block_size_is_fixed_once_per_runner_after_its_warm_up():
    entry, _ = _entry(rounds=5, samples_per_round=3)
    count = CountForward()
    side = LocalSide("current", count)
    try:
        assert side.open(entry, warmup=0.0, copies=1) is None
        n = side.block_sizes["model"]
        assert n > 1  # µs per call: many calls per 1 ms sample
        assert count.calls == 3  # warm-up: 3 calls (WARMUP_MIN_ITERS) with 0 s
        for _ in range(5):
            side.round(3)
        # 5 rounds × 3 samples × n calls, and no warm-up call per round (the old code re-estimated n every round)
        assert count.calls == 3 + 5 * 3 * n
        assert side.block_sizes["model"] == n
    finally:
        side.shutdown()


class Recording(LocalSide):
    """A real LocalSide that logs what the driver asks of it."""

    def __init__(self, name, log):
        super().__init__(name)
        self.log = log

    def open(self, entry, warmup, copies=1):
        self.log.append(("open", self.name))
        return super().open(entry, warmup, copies)

    def round(self, samples, stat="median", clock="wall"):
        self.log.append(("round", self.name))
        return super().round(samples, stat, clock)

    def close(self):
        if self._model is not None:
            self.log.append(("close", self.name))
        super().close()


def test_blocks_have_fresh_instances_and_alternate_who_goes_first():
    entry, st = _entry()
    log: list[tuple[str, str]] = []
    a, b = Recording("A", log), Recording("B", log)
    try:
        got = measure_blocks([a, b], entry, st, "wall", 0, 2)
    finally:
        a.shutdown()
        b.shutdown()
    assert [len(g) for g in got] == [2, 2] and all(len(blk.model_ms) == 2 for g in got for blk in g)
    # block 0: A opens first, rounds A B | B A; block 1: B first (ABBA), rounds B A | A B
    assert log == [("open", "A"), ("open", "B"), ("round", "A"), ("round", "B"), ("round", "B"), ("round", "A"),
                   ("close", "A"), ("close", "B"),
                   ("open", "B"), ("open", "A"), ("round", "B"), ("round", "A"), ("round", "A"), ("round", "B"),
                   ("close", "B"), ("close", "A")]
    assert a.builds == b.builds == 2  # one fresh model instance per block and side


def test_check_pair_builds_one_instance_per_block_per_side():
    entry, st = _entry(blocks=3, max_blocks=3)
    count = CountForward()
    sides = [LocalSide("ref"), LocalSide("current", count)]
    try:
        row = check_pair(entry, sides, st)
    finally:
        for s in sides:
            s.shutdown()
    assert row.latency is not None and row.latency["blocks"] == 3 and row.latency["method"] == "paired t over blocks"
    assert count.instances == 3 and sides[0].builds == sides[1].builds == 3
    assert len(row.latency["block_ratios"]) == 3 and row.status in ("pass", "inconclusive")  # A/A at 50 %


# -- baseline schema 2 ----------------------------------------------------------------------------------------


def test_baseline_schema_2_round_trip(tmp_path):
    suite = parse_suite({"check": {"blocks": 2, "max_blocks": 2, "rounds": 2, "samples_per_round": 1, "warmup": 0.0},
                         "entry": [{"models": [f"{USER}:TwoConv"], "input_size": "3x8x8", "threads": 1,
                                    "threshold": 0.5}]}, source="t")
    doc = create_baseline(suite)
    assert doc["schema"] == BASELINE_SCHEMA == 2
    (rec,) = doc["entries"].values()
    lat = rec["latency"]
    assert len(lat["blocks"]) == 2 and lat["rounds"] == 4  # 2 blocks × 2 rounds
    p = tmp_path / "b.json"
    p.write_text(json.dumps(doc))
    back = load_baseline(p)
    (rec2,) = back["entries"].values()
    blocks = baseline_blocks(rec2["latency"], "x")
    assert [b.to_dict() for b in blocks] == lat["blocks"]
    # a schema-1 document (rounds not in blocks) is refused with what to do
    old = dict(doc, schema=1)
    p.write_text(json.dumps(old))
    with pytest.raises(CnnbenchError, match="has schema 1: .* re-create it with `cnnbench baseline create`"):
        load_baseline(p)
