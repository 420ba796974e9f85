"""Static-sweep throughput: the local pool with --jobs 1 and 2 vs a 3-node Ray cluster on this machine.

Run:  python benchmarks/sweep_throughput.py [--n 100] [--seed 0] [--skip-ray]
      python benchmarks/sweep_throughput.py --latency --n 12   # the latency zoo's job: --jobs 1 vs 2

The same ``--n`` timm models (a seeded draw from the latency zoo's sample, ``results/zoo/timm-latency-sample.txt``)
are swept statically (``--no-latency --no-save``) three ways, one after the other:

* ``local -j1`` and ``local -j2``: the local pool of reused worker processes;
* ``ray 3 nodes``: three raylets started as docs/sweep.md tells users (``ray start --head --port P --num-cpus 1``,
  then ``ray start --address 127.0.0.1:P --num-cpus 1`` twice; a free port and a temp dir of its own), swept with
  ``--address``, then stopped.

Printed per way: the wall time of the whole command (process start, imports, planning, Ray connection included) and
the sweep's own ``wall time`` line, models per hour from each, and the load average before and after. Nothing else
should load the CPU while it runs. On one machine the nodes share its cores: N nodes cannot beat the machine's core
count, whatever N is.

``--latency``: the latency zoo's own job instead (``--runtime eager,onnx --threads 1``, no Ray), local ``-j1`` vs
``-j2``, each with an empty ONNX cache of its own (so both export every model). Timed work runs one task at a time
whatever ``--jobs`` is; ``-j2`` only overlaps the static traces with it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sweep(models: list[str], extra: list[str], env: dict[str, str] | None = None,
          what: tuple[str, ...] = ("--no-latency",)) -> tuple[float, float | None, str]:
    """(command wall s, the sweep's own wall time s, the tail of its output)."""
    t0 = time.perf_counter()
    r = subprocess.run([str(BIN / "cnnbench"), "sweep", *models, *what, "--no-save", *extra],
                       capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    out = r.stdout + r.stderr
    if r.returncode not in (0, 1):
        raise SystemExit(f"sweep failed (exit {r.returncode}):\n{out[-3000:]}")
    m = re.search(r"wall time\s*│\s*([\d.]+) s", out)
    return wall, float(m.group(1)) if m else None, out


def report(label: str, n: int, wall: float, own: float | None, before: str, after: str) -> None:
    own_txt = f"{own:7.1f} s ({n / own * 3600:6.0f} models/h)" if own else "      -"
    print(f"  {label:12s} command {wall:7.1f} s ({n / wall * 3600:6.0f} models/h)   sweep {own_txt}   "
          f"[{before} → {after}]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--latency", action="store_true", help="the latency zoo's job (eager + ONNX Runtime, 1 thread)")
    args = ap.parse_args()
    sample = [line.strip() for line in (ROOT / "results/zoo/timm-latency-sample.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    models = sorted(random.Random(args.seed).sample(sample, args.n))
    if args.latency:
        print(f"{args.n} timm models (seed {args.seed} from the zoo sample), latency sweep (--runtime eager,onnx "
              f"--threads 1), --no-save; {os.cpu_count()} logical cores; {load()}", flush=True)
        for jobs in (1, 2):
            before = load()
            with tempfile.TemporaryDirectory(prefix="cnnbench-cache-") as cache:
                wall, own, _ = sweep(models, ["--jobs", str(jobs)], env={**os.environ, "CNNBENCH_CACHE": cache},
                                     what=("--runtime", "eager,onnx", "--threads", "1"))
            report(f"latency -j{jobs}", args.n, wall, own, before, load())
        return
    print(f"{args.n} timm models (seed {args.seed} from the zoo sample), static sweep, --no-save; {os.cpu_count()} "
          f"logical cores; {load()}", flush=True)
    for jobs in (1, 2):
        before = load()
        wall, own, _ = sweep(models, ["--jobs", str(jobs)])
        report(f"local -j{jobs}", args.n, wall, own, before, load())
    if args.skip_ray:
        return
    ray = str(BIN / "ray")
    tmp = tempfile.mkdtemp(prefix="cnnbench-ray-")
    env = {**os.environ, "RAY_TMPDIR": tmp}
    port = free_port()
    starts = [[ray, "start", "--head", "--port", str(port), "--num-cpus", "1"],
              [ray, "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "1"],
              [ray, "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "1"]]
    try:
        t0 = time.perf_counter()
        for cmd in starts:
            subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=240)
        print(f"  3 raylets up in {time.perf_counter() - t0:.1f} s (port {port}, RAY_TMPDIR {tmp})", flush=True)
        before = load()
        wall, own, _ = sweep(models, ["--address", f"127.0.0.1:{port}"], env=env)
        report("ray 3 nodes", args.n, wall, own, before, load())
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, env=env, timeout=120, check=False)


if __name__ == "__main__":
    main()
