"""How much faster is one `cnnbench sweep --jobs 2` than one `cnnbench profile` process per model?

N timm models (a seeded sample of ``timm.list_models()``), static metrics only, both ways in one run:
  A: ``cnnbench sweep timm:m1 ... timm:mN --no-latency --jobs J --no-save`` (reused workers: imports paid J times);
  B: ``cnnbench profile timm:mi --no-latency`` N times, one process each (imports paid N times).
Prints both wall times and the ratio A / B (the goal: ≤ 0.3). It times things: run it on a quiet machine.

    .venv/bin/python benchmarks/sweep_speed.py --n 30 --jobs 2
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path


def cnnbench_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("cnnbench")
    return [str(exe)] if exe.exists() else [shutil.which("cnnbench") or "cnnbench"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30, help="timm models (default 30)")
    ap.add_argument("--jobs", type=int, default=2, help="sweep worker processes (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import timm

    models = ["timm:" + m for m in sorted(random.Random(args.seed).sample(timm.list_models(), args.n))]
    cli = cnnbench_cmd()
    t0 = time.perf_counter()
    sweep = subprocess.run([*cli, "sweep", *models, "--no-latency", "--jobs", str(args.jobs), "--no-save"],
                           capture_output=True, text=True, check=False)
    a = time.perf_counter() - t0
    failed_a = sweep.returncode not in (0, 1)
    t0 = time.perf_counter()
    failed_b = 0
    for m in models:
        p = subprocess.run([*cli, "profile", m, "--no-latency"], capture_output=True, text=True, check=False)
        failed_b += p.returncode not in (0, 1)
    b = time.perf_counter() - t0
    print(f"{args.n} timm models, static metrics")
    print(f"  sweep --jobs {args.jobs}:        {a:8.1f} s  ({a / args.n:.2f} s per model)"
          + ("  [sweep failed: " + sweep.stderr.strip().splitlines()[-1] + "]" if failed_a else ""))
    print(f"  {args.n} profile processes: {b:8.1f} s  ({b / args.n:.2f} s per model)"
          + (f"  [{failed_b} failed to run]" if failed_b else ""))
    print(f"  ratio sweep / separate:  {a / b:.2f}x (goal ≤ 0.3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
