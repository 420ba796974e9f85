"""How often does `cnnbench check` cry wolf, and how often does it catch a real 15 % slowdown — on this machine?

Two modes (``--mode``), each with A/A and slowed checks:

* ``baseline`` — each repetition measures a fresh baseline, then two checks against it (their order
  alternating), as ``cnnbench baseline create`` + ``cnnbench check --baseline`` do;
* ``paired`` — reference and current model measured in alternating rounds in one job, as
  ``cnnbench check --against REF`` does (here both sides in this process).

The checks:

* **A/A** — the same model again: a ``regression`` verdict is a false positive;
* **slowed** — the model wrapped in :class:`BusyWait`, which spins for ``slowdown`` × the time the forward pass
  just took (so the injected slowdown is exactly proportional to the model's own latency, whatever the load):
  a ``regression`` verdict is a detection. The forward pass is timed on the clock the check uses (wall time, the
  default; the thread's CPU time with ``--clock cpu``) and the wait is a calibrated loop: 15 % more *work*.

Prints every check (ratio estimate, interval, rounds, verdict) and the false-positive and detection rates with
Wilson 95 % intervals. Goals: false positives ≤ 5 %, detection ≥ 90 %. ``inconclusive`` (exit code 3, a warning
in CI) is counted separately: it is neither a false alarm nor a detection.

    python benchmarks/regression_power.py                    # resnet18 at 112 px, 20 + 20 checks per mode
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

from cnnbench.against import check_pair
from cnnbench.regress import LocalSide, check_against_baseline, create_baseline
from cnnbench.suite import parse_suite


class BusyWait(nn.Module):
    """Runs ``inner``, then spins for ``slowdown`` × the time it took: a ``1 + slowdown`` slower model.

    The forward pass is timed with ``clock``; the spin is a plain Python loop whose speed is measured once, so
    the extra time is pure extra *work*. (Spinning on ``time.thread_time()`` itself would make thousands of
    system calls, which disturb the caches and slow whatever runs next — e.g. the calibration workload.)
    """

    def __init__(self, inner: nn.Module, slowdown: float, clock=time.perf_counter) -> None:
        super().__init__()
        self.inner = inner
        self.slowdown = slowdown
        self.clock = clock
        self.iters_per_s = self._loop_speed()

    @staticmethod
    def _spin(n: int) -> None:
        for _ in range(n):
            pass

    def _loop_speed(self) -> float:
        n, best = 200_000, float("inf")
        for _ in range(5):  # the fastest of five: the loop's own speed, without interruptions
            t0 = time.thread_time()
            self._spin(n)
            best = min(best, time.thread_time() - t0)
        return n / best

    def forward(self, x):
        t0 = self.clock()
        y = self.inner(x)
        self._spin(int(self.slowdown * (self.clock() - t0) * self.iters_per_s))
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
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--max-rounds", type=int, default=48)
    ap.add_argument("--samples-per-round", type=int, default=3)
    ap.add_argument("--round-stat", default="median", choices=("min", "median"))
    ap.add_argument("--clock", default="wall", choices=("wall", "cpu"),
                    help="wall (the default of `cnnbench check`) or cpu (the thread's CPU time: blind to sleeps)")
    ap.add_argument("--mode", default="both", choices=("baseline", "paired", "both"))
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
    checks: list[dict] = []
    t_start = time.perf_counter()
    modes = ["baseline", "paired"] if args.mode == "both" else [args.mode]
    for mode in modes:
        for rep in range(args.reps):
            base = create_baseline(suite) if mode == "baseline" else None
            for kind in (["aa", "slowed"] if rep % 2 == 0 else ["slowed", "aa"]):
                wrap = (lambda m: BusyWait(m, args.slowdown, timer)) if kind == "slowed" else None
                t0 = time.perf_counter()
                if base is not None:
                    row = check_against_baseline(base, suite, model_wrapper=wrap).rows[0]
                    base_rounds = base["entries"][entry.key]["latency"]["rounds"]
                else:
                    sides = [LocalSide("ref"), LocalSide("current", wrap)]
                    try:
                        row = check_pair(entry, sides, suite.settings)
                    finally:
                        for s in sides:
                            s.shutdown()
                    base_rounds = None
                lat = row.latency or {}
                rec = {"mode": mode, "rep": rep, "kind": kind, "verdict": row.status, "error": row.error,
                       "estimate": lat.get("estimate"), "low": lat.get("low"), "high": lat.get("high"),
                       "rounds": lat.get("rounds"), "baseline_rounds": base_rounds,
                       "calibration_unstable": lat.get("calibration_unstable"), "seconds": time.perf_counter() - t0}
                checks.append(rec)
                if row.error:
                    print(f"{mode:8s} {rep:3d} {kind:6s} error: {row.error}", flush=True)
                    continue
                print(f"{mode:8s} {rep:3d} {kind:6s} {row.status:12s} ratio {rec['estimate']:.3f} "
                      f"[{rec['low']:.3f}, {rec['high']:.3f}] rounds {rec['rounds']:2d}"
                      f"{f' (baseline {base_rounds})' if base_rounds else ''}"
                      f"{' calibration unstable' if rec['calibration_unstable'] else ''}  {rec['seconds']:.1f}s",
                      flush=True)

    print(f"\n# {len(checks)} checks in {time.perf_counter() - t_start:.0f} s")
    for mode in modes:
        for kind, goal_name in (("aa", "false-positive rate"), ("slowed", "detection rate")):
            rs = [c for c in checks if c["kind"] == kind and c["mode"] == mode]
            n = len(rs)
            k = sum(c["verdict"] == "regression" for c in rs)
            inc = sum(c["verdict"] == "inconclusive" for c in rs)
            lo, hi = wilson(k, n)
            goal = "goal ≤ 5%" if kind == "aa" else "goal ≥ 90%"
            print(f"{mode:8s} {goal_name:20s} {k}/{n} = {k / n:6.1%}  (95% CI {lo:.1%}–{hi:.1%}; {goal}); "
                  f"inconclusive {inc}/{n}; pass {sum(c['verdict'] in ('pass', 'faster') for c in rs)}/{n}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "checks": checks}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
