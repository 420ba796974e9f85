"""Measuring an entry in independent blocks, and judging the blocks (the orchestration of ``check``).

A **block** on a side: :meth:`~cnnbench.check.side.LocalSide.open` (fresh model and calibration instances, their
own warm-up, block sizes fixed once) → ``rounds`` rounds → ``close``. With two sides (``--against``) both open,
measure and close in the same block; who goes first alternates from block to block (ABBA) and from round to
round. ``blocks`` blocks are measured first; while the verdict is inconclusive, half as many again at a time, up
to ``max_blocks``; every ``fresh_process_every`` blocks the worker processes are replaced by fresh ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnbench.check.stats import block_log_ratio, latency_verdict, paired_interval, relative_iqr, welch_interval
from cnnbench.check.suite import CheckSettings, Entry


@dataclass
class Block:
    """One block of one side: ``(calibration ms, model ms)`` per round."""

    calibration_ms: list[float] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)
    module_ms: dict[str, float] | None = None  # blocks measured with modules=True: path → inclusive ms

    def log_ratio(self) -> float:
        """``log(median(model / calibration))`` over the rounds."""
        return block_log_ratio(self.model_ms, self.calibration_ms)

    def to_dict(self) -> dict[str, list[float]]:
        return {"calibration_ms": list(self.calibration_ms), "model_ms": list(self.model_ms)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Block:
        return cls([float(x) for x in d["calibration_ms"]], [float(x) for x in d["model_ms"]])


class OpenFailed(Exception):
    """A side could not open a block (its model fails to build, export or run)."""

    def __init__(self, side: int, message: str) -> None:
        super().__init__(message)
        self.side = side


def stages(st: CheckSettings) -> list[int]:
    """Cumulative block counts at which a verdict is taken: ``blocks``, then half as many more, … ``max_blocks``."""
    step = max(1, math.ceil(st.blocks / 2))
    out = [st.blocks]
    while out[-1] < st.max_blocks:
        out.append(min(out[-1] + step, st.max_blocks))
    return out


def measure_blocks(sides: Sequence[Any], entry: Entry, st: CheckSettings, clock: str, start: int, n: int,
                   modules: bool = False) -> list[list[Block]]:
    """Blocks ``start .. start + n - 1`` on every side; returns ``n`` blocks per side. ``modules``: the model runs
    eager with module hooks and each block carries ``module_ms`` (:mod:`cnnbench.check.attribution`).

    Raises:
        OpenFailed: A side could not open a block (the blocks already open are closed).
    """
    out: list[list[Block]] = [[] for _ in sides]
    every = st.fresh_process_every
    for b in range(start, start + n):
        if every and b > 0 and b % every == 0:
            for s in sides:
                s.restart()
        order = list(range(len(sides))) if b % 2 == 0 else list(reversed(range(len(sides))))
        blocks = [Block() for _ in sides]
        opened: list[int] = []
        try:
            for i in order:
                err = (sides[i].open(entry, st.warmup, st.calibration_copies, modules=True) if modules
                       else sides[i].open(entry, st.warmup, st.calibration_copies))
                if err:
                    raise OpenFailed(i, err)
                opened.append(i)
            for r in range(st.rounds):
                for i in (order if r % 2 == 0 else order[::-1]):
                    c, m = sides[i].round(st.samples_per_round, st.round_stat, clock)
                    blocks[i].calibration_ms.append(c)
                    blocks[i].model_ms.append(m)
            if modules:
                for i in order:
                    blocks[i].module_ms = sides[i].modules()["module_ms"]
        finally:
            for i in opened:
                sides[i].close()
        for i, blk in enumerate(blocks):
            out[i].append(blk)
    return out


def _unstable(blocks: Sequence[Block], max_iqr: float) -> bool:
    return relative_iqr([c for b in blocks for c in b.calibration_ms]) > max_iqr


def judge(cur: Sequence[Block], ref: Sequence[Block], *, paired: bool, st: CheckSettings,
          threshold: float) -> dict[str, Any]:
    """The estimate, interval and verdict from the blocks measured so far (:mod:`cnnbench.check.stats`).

    Args:
        cur: The current side's blocks.
        ref: ``paired``: the reference side's blocks, measured with ``cur`` block by block (same count); else the
            stored baseline's blocks.
        paired: ``--against`` (model now / model at REF per block) or a stored baseline (model / calibration
            now vs then).
    """
    if paired:
        d = [block_log_ratio(c.model_ms, r.model_ms) for c, r in zip(cur, ref, strict=True)]
        est, lo, hi = paired_interval(d, st.confidence)
        unstable = _unstable(cur, st.calibration_max_iqr) or _unstable(ref, st.calibration_max_iqr)
        method = "paired t over blocks"
    else:
        d = [b.log_ratio() for b in cur]
        est, lo, hi = welch_interval(d, [b.log_ratio() for b in ref], st.confidence)
        unstable = _unstable(cur, st.calibration_max_iqr)
        method = "Welch t over blocks"
    return {"estimate": est, "low": lo, "high": hi, "verdict": latency_verdict(est, lo, hi, threshold, unstable),
            "calibration_unstable": unstable, "blocks": len(cur), "rounds": sum(len(b.model_ms) for b in cur),
            "block_ratios": [math.exp(x) for x in d], "method": method, "threshold": threshold,
            "confidence": st.confidence}


def sequential_judge(cur: Sequence[Block], ref: Sequence[Block], *, paired: bool, st: CheckSettings,
                     threshold: float) -> dict[str, Any]:
    """What a check at ``threshold`` concludes from these blocks: the verdict at the first :func:`stages` count
    that is conclusive (or the last one available). Replays a check on blocks measured once (``regression_power``
    judges one run at two thresholds)."""
    res: dict[str, Any] = {}
    for n in stages(st):
        if n > len(cur):
            break
        res = judge(cur[:n], ref[:n] if paired else ref, paired=paired, st=st, threshold=threshold)
        if res["verdict"] != "inconclusive":
            break
    return res


def measure_and_judge(sides: Sequence[Any], entry: Entry, st: CheckSettings, clock: str,
                      ref: Sequence[Block] | None = None, on_blocks: Callable[[list[list[Block]]], None] | None = None
                      ) -> tuple[dict[str, Any], list[list[Block]]]:
    """Measures blocks until the verdict at the entry's threshold is conclusive or ``max_blocks`` are done.

    Args:
        sides: ``[current]`` with ``ref`` the stored baseline's blocks, or ``[reference, current]`` (paired).

    Returns:
        The :func:`judge` result and every side's blocks.
    """
    got: list[list[Block]] = [[] for _ in sides]
    paired = ref is None
    res: dict[str, Any] = {}
    for n in stages(st):
        more = measure_blocks(sides, entry, st, clock, len(got[0]), n - len(got[0]))
        for i, blocks in enumerate(more):
            got[i].extend(blocks)
        if on_blocks is not None:
            on_blocks(got)
        if paired:
            res = judge(got[1], got[0], paired=True, st=st, threshold=entry.threshold)
        else:
            assert ref is not None
            res = judge(got[0], ref, paired=False, st=st, threshold=entry.threshold)
        if res["verdict"] != "inconclusive":
            break
    return res, got


def summary(blocks: Sequence[Block]) -> dict[str, Any]:
    """Medians over every round of a side's blocks, and the spread of the calibration."""
    cal = [c for b in blocks for c in b.calibration_ms]
    mod = [m for b in blocks for m in b.model_ms]
    return {"median_ms": float(np.median(mod)), "calibration_median_ms": float(np.median(cal)),
            "median_ratio": float(np.median([m / c for c, m in zip(cal, mod)])), "calibration_iqr": relative_iqr(cal),
            "rounds": len(mod)}
