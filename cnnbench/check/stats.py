"""Statistics of ``cnnbench check``: block values, t intervals across blocks, verdicts, static comparisons.

A side is measured in *blocks* (:mod:`cnnbench.check.measure`): each block has its own model and calibration
instances, its own warm-up and block sizes, and takes ``rounds`` rounds. A block is summarised by one number, its
**block log ratio** — the log of the median of its round ratios (:func:`block_log_ratio`). Blocks, not rounds, are
the independent units: what changes between them (model instance, memory placement, warm-up, block size, the
machine's state minutes apart) is what changes between reruns, so an interval across blocks holds the variation a
rerun sees, where a bootstrap over the rounds of one instance held only the round-to-round noise of one process.

With few blocks (6..12) a bootstrap over blocks is coarse (its interval cannot be wider than the extreme values),
so the interval is Student's t on the block log ratios:

* **paired** (``--against``: both sides measured in the same blocks, rounds alternating): ``d_k`` = block log ratio
  of block ``k`` (median over its rounds of ``model now / model at REF``); ``mean(d) ± t(K-1) · s(d) / √K``;
* **two samples** (a stored baseline): ``c_k`` and ``b_j`` = block log ratios of ``model / calibration`` now and in
  the baseline; ``mean(c) - mean(b) ± t(ν) · √(s_c²/K_c + s_b²/K_b)``, Welch's ν.

The estimate and the bounds are ``exp`` of those: a ratio and its interval, as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cnnbench.records import STATIC_METRICS


def relative_iqr(values: Sequence[float] | np.ndarray) -> float:
    """IQR / median (0 for fewer than two values)."""
    a = np.asarray(values, dtype=np.float64)
    if a.size < 2:
        return 0.0
    p25, p50, p75 = np.percentile(a, [25, 50, 75])
    return float((p75 - p25) / p50) if p50 > 0 else float("inf")


def block_log_ratio(num: Sequence[float], den: Sequence[float]) -> float:
    """``log(median(num_i / den_i))`` over the rounds of one block (round-wise ratios, same length)."""
    if len(num) != len(den) or not num:
        raise ValueError("a block needs the same number (≥ 1) of values on both sides")
    return float(math.log(np.median(np.asarray(num, dtype=np.float64) / np.asarray(den, dtype=np.float64))))


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile (scipy)."""
    from scipy.stats import t

    return float(t.ppf(p, df))


def paired_interval(d: Sequence[float], confidence: float = 0.90) -> tuple[float, float, float]:
    """``(estimate, low, high)`` ratios from paired block log ratios: ``exp(mean ± t(K-1) · s / √K)``.

    Raises:
        ValueError: Fewer than two blocks.
    """
    m, lo, hi = mean_t_interval(d, confidence)
    return math.exp(m), math.exp(lo), math.exp(hi)


def mean_t_interval(values: Sequence[float], confidence: float = 0.90) -> tuple[float, float, float]:
    """``(mean, low, high)``: Student's t interval of the mean of ``values`` (in their own unit).

    Raises:
        ValueError: Fewer than two values.
    """
    a = np.asarray(values, dtype=np.float64)
    if a.size < 2:
        raise ValueError("an interval needs at least two blocks")
    m, se = float(a.mean()), float(a.std(ddof=1)) / math.sqrt(a.size)
    h = t_quantile((1 + confidence) / 2, a.size - 1) * se
    return m, m - h, m + h


def welch_interval(cur: Sequence[float], base: Sequence[float], confidence: float = 0.90
                   ) -> tuple[float, float, float]:
    """``(estimate, low, high)`` ratios from the block log ratios of two runs: Welch's t on ``mean(cur) - mean(base)``.

    Raises:
        ValueError: Fewer than two blocks on a side.
    """
    m, lo, hi = welch_difference(cur, base, confidence)
    return math.exp(m), math.exp(lo), math.exp(hi)


def welch_difference(cur: Sequence[float], base: Sequence[float], confidence: float = 0.90
                     ) -> tuple[float, float, float]:
    """``(difference, low, high)``: Welch's t interval of ``mean(cur) - mean(base)`` (in their own unit).

    Raises:
        ValueError: Fewer than two values on a side.
    """
    c, b = np.asarray(cur, dtype=np.float64), np.asarray(base, dtype=np.float64)
    if c.size < 2 or b.size < 2:
        raise ValueError("an interval needs at least two blocks on each side")
    vc, vb = float(c.var(ddof=1)) / c.size, float(b.var(ddof=1)) / b.size
    m, se = float(c.mean() - b.mean()), math.sqrt(vc + vb)
    if se == 0:
        return m, m, m
    df = (vc + vb) ** 2 / (vc ** 2 / (c.size - 1) + vb ** 2 / (b.size - 1))
    h = t_quantile((1 + confidence) / 2, df) * se
    return m, m - h, m + h


def mean_interval_width(values: Sequence[float], confidence: float = 0.90) -> float:
    """Width of the t interval of ``mean(values)`` (log ratios: roughly a fraction of the ratio)."""
    a = np.asarray(values, dtype=np.float64)
    if a.size < 2:
        return math.inf
    return 2 * t_quantile((1 + confidence) / 2, a.size - 1) * float(a.std(ddof=1)) / math.sqrt(a.size)


def latency_verdict(est: float, lo: float, hi: float, threshold: float, calibration_unstable: bool = False) -> str:
    """``regression | faster | inconclusive | pass`` for a ratio estimate and its interval.

    * **regression**: the estimate exceeds ``1 + threshold`` and the interval lies above 1 (proven slower, by more
      than the threshold at the best estimate) — however wide the interval;
    * **faster**: the mirror image;
    * **inconclusive**: otherwise, when the interval is wider than ``threshold`` or the calibration was unstable —
      too noisy to call it a pass (more blocks are measured, up to ``max_blocks``);
    * **pass** otherwise.

    With an interval that holds the rerun-to-rerun variation, an A/A check is a regression in at most
    ``(1 - confidence) / 2`` of runs (the interval's lower bound above 1), fewer still as the estimate must also
    exceed ``1 + threshold``.
    """
    if lo > 1 and est > 1 + threshold:
        return "regression"
    if hi < 1 and est < 1 - threshold:
        return "faster"
    if hi - lo > threshold or calibration_unstable:
        return "inconclusive"
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
