"""How often does `cnnbench check` cry wolf, and how often does it catch a real slowdown — on this machine?

Every check runs on the engine `cnnbench check` runs on (:mod:`cnnbench.check.measure`: independent blocks, t
interval across blocks), with every side in its own worker process (:class:`cnnbench.check.against.WorkerSide`), fresh
for every repetition — as in CI, where the baseline comes from another job and ``--against`` starts two workers:

* ``baseline`` — a baseline measured in one process (the stages of ``cnnbench baseline create``), then each check
  in another process against it (Welch t across blocks of model / calibration ratios);
* ``against`` — reference and current measured in the same blocks by two worker processes, as
  ``cnnbench check --against REF`` does (paired t across blocks).

The checks of one repetition, in rotating order (one measurement set is judged at both thresholds where asked):

* **A/A** — the same model again, judged at 5 % and at 10 %: a ``regression`` verdict is a false positive (goal ≤ 5 %);
* **compute +10 %** and **sleep +10 %** judged at 5 %, **compute +15 %** and **sleep +15 %** judged at 10 %: a
  ``regression`` verdict is a detection (goal ≥ 90 %). *compute*: forward spins for ``s`` × the time the forward pass
  just took (a calibrated Python loop: more work); *sleep*: forward sleeps that long (``time.sleep``, its overshoot
  measured and subtracted) — what blocking I/O or a wait looks like. Both are proportional to the model's own
  latency, whatever the load.

``inconclusive`` (exit code 3, a warning in CI) is counted apart: neither a false alarm nor a detection. Prints every
check, then the table with Wilson 95 % intervals and the cost of one check.

    python benchmarks/regression_power.py              # the full run (about 25 min on a 2-core VM)
    python benchmarks/regression_power.py --quick      # a smoke run (about a minute)
    python benchmarks/regression_power.py --model mobilenet_v2 --reps 30 --json power.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from torch import nn

#: Environment of the worker processes: which model to build and how to slow it down (in the "current" worker).
ENV_MODEL, ENV_CONTROL = "CNNBENCH_POWER_MODEL", "CNNBENCH_POWER_CONTROL"


class BusyWait(nn.Module):
    """Runs ``inner``, then spins for ``slowdown`` × the time it took (wall clock): a ``1 + slowdown`` slower model.

    The spin is a plain Python loop whose speed is measured once, so the extra time is pure extra *work*.
    (Spinning on the clock itself would make thousands of system calls, which disturb the caches.)
    """

    def __init__(self, inner: nn.Module, slowdown: float) -> None:
        super().__init__()
        self.inner, self.slowdown = inner, slowdown
        n, best = 200_000, float("inf")
        for _ in range(5):  # the fastest of five: the loop's own speed, without interruptions
            t0 = time.thread_time()
            self._spin(n)
            best = min(best, time.thread_time() - t0)
        self.iters_per_s = n / best

    @staticmethod
    def _spin(n: int) -> None:
        for _ in range(n):
            pass

    def forward(self, x):
        t0 = time.perf_counter()
        y = self.inner(x)
        self._spin(int(self.slowdown * (time.perf_counter() - t0) * self.iters_per_s))
        return y


class Sleep(nn.Module):
    """Runs ``inner``, then sleeps ``slowdown`` × the time it took, less ``time.sleep``'s own overshoot."""

    def __init__(self, inner: nn.Module, slowdown: float) -> None:
        super().__init__()
        self.inner, self.slowdown = inner, slowdown
        over = []
        for _ in range(20):
            t0 = time.perf_counter()
            time.sleep(0.0005)
            over.append(time.perf_counter() - t0 - 0.0005)
        self.overshoot = statistics.median(over)

    def forward(self, x):
        t0 = time.perf_counter()
        y = self.inner(x)
        time.sleep(max(0.0, self.slowdown * (time.perf_counter() - t0) - self.overshoot))
        return y


class PowerModel(nn.Module):
    """The timed model (built in the worker processes, a fresh instance per block): ``$CNNBENCH_POWER_MODEL`` from
    the registry, slowed down as the control file says for this worker (``{"current": ["compute", 0.1]}``)."""

    def __init__(self) -> None:
        super().__init__()
        from cnnbench.catalog import resolve

        model = resolve(os.environ[ENV_MODEL]).build()
        slow = json.loads(Path(os.environ[ENV_CONTROL]).read_text()).get(os.environ.get("CNNBENCH_SIDE", ""))
        if slow:
            kind, amount = slow
            model = (BusyWait if kind == "compute" else Sleep)(model, amount)
        self.m = model

    def forward(self, x):
        return self.m(x)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


#: (check, slowdown kind, amount, thresholds it is judged at)
CHECKS = [("A/A", None, 0.0, (0.05, 0.10)), ("compute +10%", "compute", 0.10, (0.05,)),
          ("compute +15%", "compute", 0.15, (0.10,)), ("sleep +10%", "sleep", 0.10, (0.05,)),
          ("sleep +15%", "sleep", 0.15, (0.10,))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet18")
    ap.add_argument("--input-size", default="64", help="C×H×W or H (default 64)")
    ap.add_argument("--reps", type=int, default=12, help="repetitions per mode (default 12: ~25 min on 2 cores)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--blocks", type=int, help="default: the [check] default (6)")
    ap.add_argument("--max-blocks", type=int, help="default: the [check] default (12)")
    ap.add_argument("--rounds", type=int, help="rounds per block (default: the [check] default, 8)")
    ap.add_argument("--samples-per-round", type=int)
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--confidence", type=float)
    ap.add_argument("--fresh-process-every", type=int, help="--against mode: fresh workers every N blocks")
    ap.add_argument("--clock", default="wall", choices=("wall", "cpu"),
                    help="wall (the default of `cnnbench check`) or cpu (the thread's CPU time: blind to sleeps)")
    ap.add_argument("--mode", default="both", choices=("baseline", "against", "both"))
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 repetition, 4 blocks of 4 rounds, 48 px (about a minute)")
    ap.add_argument("--json", help="also write every check to this file")
    args = ap.parse_args(argv)
    if args.quick:
        args.reps, args.input_size = 1, "48"
        args.blocks, args.max_blocks, args.rounds = args.blocks or 4, args.max_blocks or 4, args.rounds or 4

    from cnnbench.check.against import WorkerSide
    from cnnbench.check.baseline import baseline_latency
    from cnnbench.check.measure import Block, measure_and_judge, sequential_judge
    from cnnbench.check.suite import parse_suite

    check = {k: v for k, v in {"blocks": args.blocks, "max_blocks": args.max_blocks, "rounds": args.rounds,
                                "samples_per_round": args.samples_per_round, "warmup": args.warmup,
                                "confidence": args.confidence, "fresh_process_every": args.fresh_process_every,
                                "clock": args.clock}.items() if v is not None}
    size = args.input_size if "x" in args.input_size else f"3x{args.input_size}x{args.input_size}"
    tmp = Path(tempfile.mkdtemp(prefix="cnnbench-power-"))
    control = tmp / "control.json"
    control.write_text("{}")
    os.environ[ENV_MODEL], os.environ[ENV_CONTROL] = args.model, str(control)
    suite = parse_suite({"check": check, "entry": [{"models": [f"{Path(__file__).resolve()}:PowerModel"],
                                                    "input_size": size, "threads": args.threads}]},
                        source="regression_power")
    st = suite.settings
    base_entry = suite.entries[0]
    clock = st.clock_for(base_entry)
    import torch

    print(f"# {args.model} {size}, {args.threads} thread(s), {clock} clock; blocks {st.blocks}..{st.max_blocks} × "
          f"{st.rounds} rounds × {st.samples_per_round} samples, confidence {st.confidence}; {args.reps} rep(s) per "
          f"mode; torch {torch.__version__}, {os.cpu_count()} CPUs", flush=True)

    def worker(name: str) -> WorkerSide:
        return WorkerSide(name, tmp, tmp, tmp)

    def entry_at(threshold: float):
        return base_entry.model_copy(update={"threshold": threshold})  # Entry is a pydantic model

    checks: list[dict] = []
    t_start = time.perf_counter()
    modes = ["baseline", "against"] if args.mode == "both" else [args.mode]
    for mode in modes:
        for rep in range(args.reps):
            control.write_text("{}")
            sides = [worker("ref"), worker("current")]
            try:
                ref_blocks: list[Block] | None = None
                if mode == "baseline":
                    t0 = time.perf_counter()
                    # the stages of `baseline create`, at the stricter threshold, in the "ref" process
                    rec = baseline_latency(sides[0], entry_at(0.05), st, lambda m: print(m, flush=True))
                    ref_blocks = [Block.from_dict(b) for b in rec["blocks"]]
                    print(f"{mode:8s} {rep:3d} baseline: {len(ref_blocks)} blocks, {time.perf_counter() - t0:.1f}s",
                          flush=True)
                order = CHECKS[rep % len(CHECKS):] + CHECKS[:rep % len(CHECKS)]
                for name, kind, amount, thresholds in order:
                    control.write_text(json.dumps({"current": [kind, amount]} if kind else {}))
                    t0 = time.perf_counter()
                    # measured as a check at the strictest threshold it is judged at; the others replay its blocks
                    run_sides = [sides[1]] if mode == "baseline" else sides
                    try:
                        res, got = measure_and_judge(run_sides, entry_at(min(thresholds)), st, clock, ref=ref_blocks)
                    except Exception as e:  # noqa: BLE001 - report and go on
                        print(f"{mode:8s} {rep:3d} {name:13s} error: {e}", flush=True)
                        checks.append({"mode": mode, "rep": rep, "check": name, "error": str(e)})
                        continue
                    secs = time.perf_counter() - t0
                    cur = got[0] if mode == "baseline" else got[1]
                    ref = ref_blocks if mode == "baseline" else got[0]
                    for t in thresholds:
                        r = res if t == min(thresholds) else sequential_judge(cur, ref, paired=mode == "against",
                                                                               st=st, threshold=t)
                        rec = {"mode": mode, "rep": rep, "check": name, "threshold": t, "verdict": r["verdict"],
                               "estimate": r["estimate"], "low": r["low"], "high": r["high"], "blocks": r["blocks"],
                               "calibration_unstable": r["calibration_unstable"], "seconds": secs}
                        checks.append(rec)
                        print(f"{mode:8s} {rep:3d} {name:13s} @{t:4.0%} {r['verdict']:12s} ratio {r['estimate']:.3f} "
                              f"[{r['low']:.3f}, {r['high']:.3f}] blocks {r['blocks']:2d}"
                              f"{' calibration unstable' if r['calibration_unstable'] else ''}  {secs:.1f}s",
                              flush=True)
            finally:
                for s in sides:
                    s.shutdown()

    total = time.perf_counter() - t_start
    print(f"\n# {len(checks)} verdicts in {total:.0f} s ({total / 60:.1f} min)")
    print("| mode | check | threshold | goal | regression | rate | 95% Wilson | inconclusive | goal met |\n"
          "|---|---|---:|---|---:|---:|---|---:|---|")
    for mode in modes:
        for name, _kind, _amount, thresholds in CHECKS:
            for t in thresholds:
                rs = [c for c in checks if c["mode"] == mode and c["check"] == name and c.get("threshold") == t]
                n = len(rs)
                k = sum(c["verdict"] == "regression" for c in rs)
                inc = sum(c["verdict"] == "inconclusive" for c in rs)
                lo, hi = wilson(k, n)
                rate = k / n if n else float("nan")
                aa = name == "A/A"
                goal = "false positives ≤ 5%" if aa else "detected ≥ 90%"
                met = (rate <= 0.05) if aa else (rate >= 0.90)
                print(f"| {mode} | {name} | {t:.0%} | {goal} | {k}/{n} | {rate:.0%} | {lo:.0%}–{hi:.0%} | {inc}/{n} | "
                      f"{'yes' if met else 'NO'} |")
    for mode in modes:
        secs = [c["seconds"] for c in checks if c["mode"] == mode and "seconds" in c]
        blocks = [c["blocks"] for c in checks if c["mode"] == mode and "blocks" in c]
        if secs:
            print(f"# {mode}: one check of one entry takes {statistics.median(secs):.1f} s median "
                  f"(max {max(secs):.1f} s), {statistics.median(blocks):.0f} blocks median (max {max(blocks)})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "settings": check, "checks": checks}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
