"""How often does `cnnbench check` cry wolf, and how often does it catch a real 15 % slowdown — on this machine?

Each repetition measures a fresh baseline, then two checks against it (their order alternating):

* **A/A** — the same model again: a ``regression`` verdict is a false positive;
* **slowed** — the model wrapped in :class:`BusyWait`, which spins for ``slowdown`` × the time the forward pass
  just took (so the injected slowdown is exactly proportional to the model's own latency, whatever the load):
  a ``regression`` verdict is a detection. The wait is measured on the clock the check uses (the thread's CPU
  time for single-threaded CPU checks: 15 % more *work*; wall time otherwise).

Prints every check (ratio estimate, interval, rounds, verdict) and the false-positive and detection rates with
Wilson 95 % intervals. Goals: false positives ≤ 5 %, detection ≥ 90 %. ``inconclusive`` (exit code 3, a warning
in CI) is counted separately: it is neither a false alarm nor a detection.

    python benchmarks/regression_power.py                    # resnet18 at 112 px, 20 + 20 checks
    python benchmarks/regression_power.py --model mobilenet_v2 --reps 30 --json power.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch
from torch import nn

from cnnbench.regress import check_against_baseline, create_baseline
from cnnbench.suite import parse_suite


class BusyWait(nn.Module):
    """Runs ``inner`` then busy-waits ``slowdown`` × the time it took: a ``1 + slowdown`` slower model."""

    def __init__(self, inner: nn.Module, slowdown: float, clock=time.perf_counter) -> None:
        super().__init__()
        self.inner = inner
        self.slowdown = slowdown
        self.clock = clock

    def forward(self, x):
        clock = self.clock
        t0 = clock()
        y = self.inner(x)
        end = clock() + self.slowdown * (clock() - t0)
        while clock() < end:  # spin, do not sleep: a sleeping thread frees the core
            pass
        return y


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--input-size", default="112")
    ap.add_argument("--reps", type=int, default=20, help="A/A checks and slowed checks, each (default 20)")
    ap.add_argument("--slowdown", type=float, default=0.15)
    ap.add_argument("--threshold", type=float, default=0.10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--max-rounds", type=int, default=24)
    ap.add_argument("--samples-per-round", type=int, default=5)
    ap.add_argument("--round-stat", default="median", choices=("min", "median"))
    ap.add_argument("--clock", default="auto", choices=("auto", "wall", "cpu"))
    ap.add_argument("--json", help="also write every check to this file")
    args = ap.parse_args(argv)

    suite = parse_suite({
        "check": {"rounds": args.rounds, "max_rounds": args.max_rounds, "samples_per_round": args.samples_per_round,
                  "round_stat": args.round_stat, "clock": args.clock},
        "entry": [{"models": [args.model], "input_size": args.input_size, "threads": args.threads,
                   "threshold": args.threshold}],
    }, source="regression_power")
    entry = suite.entries[0]
    clock = suite.settings.clock_for(entry)
    timer = time.thread_time if clock == "cpu" else time.perf_counter
    print(f"# {entry.label()}, {args.threads} thread(s); threshold {args.threshold:.0%}, injected slowdown "
          f"{args.slowdown:.0%}; rounds {args.rounds}..{args.max_rounds} × {args.samples_per_round} samples "
          f"({args.round_stat}), {clock} clock; torch {torch.__version__}", flush=True)
    checks = []
    t_start = time.perf_counter()
    for rep in range(args.reps):
        base = create_baseline(suite)
        kinds = ["aa", "slowed"] if rep % 2 == 0 else ["slowed", "aa"]
        for kind in kinds:
            wrap = (lambda m: BusyWait(m, args.slowdown, timer)) if kind == "slowed" else None
            t0 = time.perf_counter()
            row = check_against_baseline(base, suite, model_wrapper=wrap).rows[0]
            lat = row.latency or {}
            rec = {"rep": rep, "kind": kind, "verdict": row.status, "estimate": lat.get("estimate"),
                   "low": lat.get("low"), "high": lat.get("high"), "rounds": lat.get("rounds"),
                   "baseline_rounds": base["entries"][entry.key]["latency"]["rounds"],
                   "calibration_unstable": lat.get("calibration_unstable"), "seconds": time.perf_counter() - t0}
            checks.append(rec)
            print(f"{rep:3d} {kind:6s} {row.status:12s} ratio {rec['estimate']:.3f} "
                  f"[{rec['low']:.3f}, {rec['high']:.3f}] rounds {rec['rounds']:2d} "
                  f"(baseline {rec['baseline_rounds']}){' calibration unstable' if rec['calibration_unstable'] else ''}"
                  f"  {rec['seconds']:.1f}s", flush=True)

    print(f"\n# {len(checks)} checks in {time.perf_counter() - t_start:.0f} s")
    for kind, goal_name in (("aa", "false-positive rate"), ("slowed", "detection rate")):
        rs = [c for c in checks if c["kind"] == kind]
        n = len(rs)
        k = sum(c["verdict"] == "regression" for c in rs)
        inc = sum(c["verdict"] == "inconclusive" for c in rs)
        lo, hi = wilson(k, n)
        goal = "goal ≤ 5%" if kind == "aa" else "goal ≥ 90%"
        print(f"{goal_name:20s} {k}/{n} = {k / n:6.1%}  (95% CI {lo:.1%}–{hi:.1%}; {goal}); "
              f"inconclusive {inc}/{n}; pass {sum(c['verdict'] in ('pass', 'faster') for c in rs)}/{n}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "checks": checks}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
