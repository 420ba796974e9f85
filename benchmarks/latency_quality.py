"""How good is cnnbench's latency measurement? Agreement, stability, overhead, and ONNX vs eager.

Run:  python benchmarks/latency_quality.py [--threads 2] [--models resnet18,mobilenet_v2] [--quick]

1. Agreement: our eager median (``run_latency``) vs ``torch.utils.benchmark.Timer(...).blocked_autorange()``
   on the same model and input, alternating A B A B A B in one process; ratio of the medians of medians.
   Goal 0.98-1.02.
2. Stability: ``--runs`` separate processes each of ours, ``blocked_autorange`` and timm ``benchmark.py``'s naive
   loop (10 warm-up, 40 timed steps under no_grad, mean of the step times), interleaved ours/bench/timm; the
   coefficient of variation (std/mean, n-1) of each method's per-process figure. Goal: ours <= 1.5% and no worse
   than blocked_autorange. ``--ours-cmd`` replaces our process with any command (e.g. the CLI once wired:
   ``--ours-cmd "cnnbench profile {model} --input-size {size} --threads {threads} --budget {budget}
   --min-samples {min_samples} --format json"``); the first ``"median"`` in its JSON stdout is taken.
3. Overhead: ``nn.Identity`` on a 1-element input; our reported median vs a bare ``perf_counter`` loop around
   the same call, in microseconds.
4. ONNX Runtime vs eager: separate ``run_latency`` rows, alternating eager/onnx twice; median of each.
5. Normalized vs raw (``--calibrate``): ``--processes`` separate ``cnnbench profile MODEL --calibrate --threads 1
   --budget B --format json`` processes per model (registry names: torchvision models are built with
   ``weights=None``), batch 1, 1 thread; the CV (std/mean, n-1) across processes of the raw median and of
   ``latency_normalized`` (median ÷ the calibration workload timed interleaved in the same process), and their ratio
   (normalized CV ÷ raw CV). Goal: ≤ 0.5 (the normalized figure at most half as variable). The load average is
   printed before and after each model. Writes ``latency-quality.md`` and ``latency-quality.csv`` to ``--out``
   (default ``results/``). Only this study: ``--sections 5``.

Everything is batch 1, 3x224x224 (``--size``), fp32, CPU. The load average is printed: on a shared machine the
numbers are noisy and the stability figures say more about the neighbours than about the protocol.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import torch
import torchvision
from torch import nn
from torch.utils.benchmark import Timer

from cnnbench.env import collect_env, fingerprint
from cnnbench.latency.engine import prepare_runner, run_latency
from cnnbench.latency.options import LatencyOptions
from cnnbench.latency.placement import build_inputs
from cnnbench.latency.timer import measure, timer_overhead

OURS_CODE = """
import json, torchvision
from cnnbench.latency.engine import run_latency
from cnnbench.latency.options import LatencyOptions
r = run_latency(lambda: torchvision.models.{model}(weights=None), (1, 3, {size}, {size}),
                LatencyOptions(threads={threads}, budget={budget}, min_samples={min_samples}))
print(json.dumps(r.to_dict()))
"""

BENCH_CODE = """
import json, torch, torchvision
from torch.utils.benchmark import Timer
torch.set_num_threads({threads})
torch.manual_seed(0)
model = torchvision.models.{model}(weights=None).eval()
x = torch.randn(1, 3, {size}, {size})
m = Timer("with torch.inference_mode():\\n    model(x)", globals={{"torch": torch, "model": model, "x": x}},
          num_threads={threads}).blocked_autorange(min_run_time={budget})
print(json.dumps({{"value_ms": m.median * 1e3}}))
"""

# timm benchmark.py InferenceBenchmarkRunner.run on CPU: per-step perf_counter, no_grad, mean of 40 steps
TIMM_CODE = """
import json, time, torch, torchvision
torch.set_num_threads({threads})
torch.manual_seed(0)
model = torchvision.models.{model}(weights=None).eval()
x = torch.randn(1, 3, {size}, {size})
def step():
    t0 = time.perf_counter()
    model(x)
    return time.perf_counter() - t0
with torch.no_grad():
    for _ in range(10):
        step()
    total = sum(step() for _ in range(40))
print(json.dumps({{"value_ms": total / 40 * 1e3}}))
"""


def tv_builder(name: str):
    return lambda: getattr(torchvision.models, name)(weights=None)


def cv(values: list[float]) -> float:
    return statistics.stdev(values) / statistics.mean(values) if len(values) > 1 else float("nan")


def find_key(obj: Any, key: str) -> float | None:
    """The first ``key`` in a JSON document (depth-first), as float."""
    if isinstance(obj, dict):
        if key in obj and isinstance(obj[key], (int, float)):
            return float(obj[key])
        children = obj.values()
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    for child in children:
        found = find_key(child, key)
        if found is not None:
            return found
    return None


def run_process(cmd: list[str], key: str) -> float:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)[:200]} failed ({res.returncode}): {res.stderr.strip()[-500:]}")
    value = find_key(json.loads(res.stdout), key)
    if value is None:
        raise RuntimeError(f"no {key!r} in the output of {shlex.join(cmd)[:200]}")
    return value


def section_agreement(args: argparse.Namespace) -> None:
    print("\n1. Agreement: our eager median vs torch.utils.benchmark blocked_autorange median (same process, "
          "alternating x3)")
    print(f"   {'model':<14}{'ours ms':>10}{'blocked ms':>12}{'ratio':>8}   per-pair ratios")
    for name in args.models:
        model, (x,), _ = build_inputs(tv_builder(name), (1, 3, args.size, args.size))
        torch.set_num_threads(args.threads)
        timer = Timer("with torch.inference_mode():\n    model(x)", globals={"torch": torch, "model": model, "x": x},
                      num_threads=args.threads)
        ours, theirs = [], []
        for _ in range(3):
            r = run_latency(tv_builder(name), (1, 3, args.size, args.size),
                            LatencyOptions(threads=args.threads, budget=args.budget, min_samples=args.min_samples))
            ours.append(r.latency.median)
            theirs.append(timer.blocked_autorange(min_run_time=args.budget).median * 1e3)
        o, t = statistics.median(ours), statistics.median(theirs)
        pairs = " ".join(f"{a / b:.3f}" for a, b in zip(ours, theirs))
        print(f"   {name:<14}{o:>10.3f}{t:>12.3f}{o / t:>8.3f}   {pairs}")


def section_stability(args: argparse.Namespace) -> None:
    print(f"\n2. Stability: {args.runs} separate processes per method, interleaved; CV of the per-process figure")
    py = sys.executable
    fmt = {"threads": args.threads, "size": args.size, "budget": args.budget, "min_samples": args.min_samples}
    print(f"   ours: {'--ours-cmd ' + args.ours_cmd if args.ours_cmd else 'python -c <run_latency> (library)'}")
    print(f"   {'model':<14}{'method':<22}{'mean ms':>10}{'CV %':>8}   values ms")
    for name in args.models:
        f = {**fmt, "model": name, "python": py}
        ours_cmd = (shlex.split(args.ours_cmd.format(**f)) if args.ours_cmd
                    else [py, "-c", OURS_CODE.format(**f)])
        methods = {
            "ours (median)": (ours_cmd, "median"),
            "blocked_autorange": ([py, "-c", BENCH_CODE.format(**f)], "value_ms"),
            "timm loop (mean/40)": ([py, "-c", TIMM_CODE.format(**f)], "value_ms"),
        }
        values: dict[str, list[float]] = {m: [] for m in methods}
        for _ in range(args.runs):
            for method, (cmd, key) in methods.items():
                values[method].append(run_process(cmd, key))
        for method, vals in values.items():
            shown = " ".join(f"{v:.2f}" for v in vals)
            print(f"   {name:<14}{method:<22}{statistics.mean(vals):>10.3f}{cv(vals) * 100:>8.2f}   {shown}")


def section_overhead(args: argparse.Namespace) -> None:
    print("\n3. Overhead: nn.Identity on a 1-element input (same call: inference_mode + module call)")
    torch.set_num_threads(args.threads)
    runner = prepare_runner(nn.Identity, (1,), LatencyOptions(verify=False))
    stats = measure(runner.call, budget_s=args.budget, min_samples=args.min_samples)
    # the bare loop gets the same robustness as ours: many short loops, median (preemptions hit few of them)
    call, n, bare = runner.call, 1000, []
    for _ in range(300):
        t0 = time.perf_counter()
        for _ in range(n):
            call()
        bare.append((time.perf_counter() - t0) / n * 1e6)
    ours_us, bare_us = stats.median * 1e3, statistics.median(bare)
    print(f"   ours median {ours_us:.3f} us (block of {stats.block_size} calls, {stats.samples} samples)   "
          f"bare perf_counter loop {bare_us:.3f} us   difference {ours_us - bare_us:+.3f} us "
          f"({(ours_us / bare_us - 1) * 100:+.1f}%)")
    print(f"   clock read overhead {timer_overhead() * 1e9:.0f} ns per sample = "
          f"{timer_overhead() / (stats.median * 1e-3 * stats.block_size) * 100:.3f}% of a sample")


def section_onnx(args: argparse.Namespace) -> None:
    # Rows alternate eager, onnx, eager, onnx as separate run_latency calls (what the CLI does). Interleaving the
    # two runtimes sample by sample in one process would let ORT's spinning workers and torch's OpenMP threads
    # fight over the cores between samples.
    print("\n4. ONNX Runtime vs eager (separate rows, alternating x2, same seeded weights; ratio > 1 = ORT faster)")
    print(f"   {'model':<14}{'eager ms':>10}{'onnx ms':>10}{'eager/onnx':>12}{'export s':>10}  exporter/opset")
    with tempfile.TemporaryDirectory() as cache:
        for name in args.models:
            shape = (1, 3, args.size, args.size)
            med: dict[str, list[float]] = {"eager": [], "onnx": []}
            details: dict[str, Any] = {}
            for _ in range(2):
                for rt in ("eager", "onnx"):
                    opts = LatencyOptions(threads=args.threads, onnx_dir=cache, budget=args.budget,
                                          min_samples=args.min_samples)
                    r = run_latency(tv_builder(name), shape, opts, runtime=rt, model_key=name)
                    if r.error:
                        raise RuntimeError(r.error)
                    med[rt].append(r.latency.median)
                    if rt == "onnx" and not details:
                        details = r.details
            e, o = statistics.median(med["eager"]), statistics.median(med["onnx"])
            print(f"   {name:<14}{e:>10.3f}{o:>10.3f}{e / o:>12.3f}{details['export_s']:>10.1f}  "
                  f"{details['onnx_exporter']}/{details['onnx_opset']}")


def _profile_process(model: str, budget: float) -> dict[str, float]:
    """One fresh ``cnnbench profile MODEL --calibrate`` process: its raw median, calibration and normalized figure."""
    cmd = [sys.executable, "-m", "cnnbench", "profile", model, "--calibrate", "--threads", "1", "--budget",
           str(budget), "--format", "json"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({res.returncode}): {res.stderr.strip()[-500:]}")
    (rec,) = json.loads(res.stdout)
    return {"median_ms": rec["latency_ms"]["median"], "calibration_ms": rec["calibration_ms"],
            "latency_normalized": rec["latency_normalized"]}


#: The "noisy" neighbour: one process that alternates busy phases (streaming a 64 MB array: it takes a core, cache
#: and memory bandwidth) with idle ones, each 0.3-2 s long (seeded): what a shared runner's neighbours look like.
_NEIGHBOUR = """
import random, time
import numpy as np
rng = random.Random(0)
a = np.ones(8 * 2**20)
b = np.empty_like(a)
while True:
    end = time.time() + rng.uniform(0.3, 2.0)
    while time.time() < end:
        np.copyto(b, a)
    time.sleep(rng.uniform(0.3, 2.0))
"""


def section_normalized(args: argparse.Namespace) -> None:
    n = args.processes
    print(f"\n5. Normalized vs raw: {n} separate `cnnbench profile MODEL --calibrate` processes per model "
          f"(batch 1, 1 thread, budget {args.budget} s); CV across processes; conditions: {', '.join(args.conditions)}")
    print(f"   {'model':<14}{'condition':<10}{'raw CV %':>10}{'norm CV %':>11}{'norm/raw':>10}  {'load before':>12}"
          f"{'load after':>12}   raw medians ms | normalized")
    rows: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    for condition, name in [(c, m) for c in args.conditions for m in args.models]:
        hog = subprocess.Popen([sys.executable, "-c", _NEIGHBOUR]) if condition == "noisy" else None
        try:
            before = os.getloadavg()
            runs = [_profile_process(name, args.budget) for _ in range(n)]
            after = os.getloadavg()
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        raw, norm = [r["median_ms"] for r in runs], [r["latency_normalized"] for r in runs]
        raw_cv, norm_cv = cv(raw), cv(norm)
        ratio = norm_cv / raw_cv if raw_cv > 0 else float("nan")
        summary.append({"model": name, "condition": condition, "processes": n, "raw_cv": raw_cv,
                        "normalized_cv": norm_cv, "ratio": ratio, "load_before": before[0], "load_after": after[0]})
        rows += [{"model": name, "condition": condition, "process": i + 1, **r} for i, r in enumerate(runs)]
        print(f"   {name:<14}{condition:<10}{raw_cv * 100:>10.2f}{norm_cv * 100:>11.2f}{ratio:>10.2f}  {before[0]:>12.2f}"
              f"{after[0]:>12.2f}   {' '.join(f'{v:.3f}' for v in raw)} | {' '.join(f'{v:.4f}' for v in norm)}")
    _write_normalized(args.out, summary, rows, args)


def _write_normalized(out: str, summary: list[dict[str, Any]], rows: list[dict[str, Any]],
                      args: argparse.Namespace) -> None:
    import csv

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "latency-quality.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, ["model", "condition", "process", "median_ms", "calibration_ms", "latency_normalized"])
        w.writeheader()
        w.writerows(rows)
    env = collect_env("cpu", 1)
    lines = ["# Latency quality: the normalized figure vs the raw median across processes", "",
             (f"`python benchmarks/latency_quality.py --sections 5 --models {','.join(args.models)} "
             f"--processes {args.processes} --budget {args.budget} --conditions {','.join(args.conditions)}` on "
             f"{env['cpu_model']}, "
             f"{env['logical_cores']} logical cores, torch {env['torch']}."), "",
             ("Each process is `cnnbench profile MODEL --calibrate --threads 1 --budget B --format json` (batch 1, "
             "fp32, eager, torchvision models with `weights=None`). `latency_normalized` = median ÷ `calibration_ms`, "
             "the calibration workload of `cnnbench check` timed interleaved in the same process (dimensionless). "
             "CV = std (n-1) / mean across processes. Goal: normalized CV ≤ half the raw CV (ratio ≤ 0.5). Conditions: "
             "`quiet` — nothing else running; `noisy` — a neighbour process alternating 0.3-2 s busy phases "
             "(streaming a 64 MB array: a core, cache and memory bandwidth) with 0.3-2 s idle ones, as a shared "
             "runner's neighbours come and go."), "",
             ("| model | condition | processes | raw CV % | normalized CV % | normalized / raw | load 1 min before | "
              "after |"),
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {s['model']} | {s['condition']} | {s['processes']} |"
              f" {s['raw_cv'] * 100:.2f} | {s['normalized_cv'] * 100:.2f} | "
              f"{s['ratio']:.2f} | {s['load_before']:.2f} | {s['load_after']:.2f} |" for s in summary]
    lines += ["", "Per process: `latency-quality.csv` (median_ms, calibration_ms, latency_normalized).", ""]
    with open(os.path.join(out, "latency-quality.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"   wrote {os.path.join(out, 'latency-quality.md')} and latency-quality.csv")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="resnet18,mobilenet_v2")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--runs", type=int, default=5, help="processes per method for the stability section")
    p.add_argument("--budget", type=float, default=2.0, help="seconds of sampling per measurement")
    p.add_argument("--min-samples", type=int, default=30)
    p.add_argument("--ours-cmd", default=None, help="command template for our measurement process "
                   "(placeholders {python} {model} {size} {threads} {budget} {min_samples}); JSON on stdout")
    p.add_argument("--processes", type=int, default=5, help="processes per model for the normalized study (5)")
    p.add_argument("--out", default="results", help="where section 5 writes latency-quality.md and .csv")
    p.add_argument("--sections", default="1,2,3,4,5")
    p.add_argument("--conditions", default="quiet,noisy", help="section 5: quiet and/or noisy (a busy/idle neighbour)")
    p.add_argument("--quick", action="store_true", help="budget 0.3 s, 3 runs, 64x64 input: a smoke test")
    args = p.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    if set(args.conditions) - {"quiet", "noisy"}:
        p.error("--conditions takes quiet and/or noisy")
    if args.quick:
        args.budget, args.runs, args.size, args.min_samples = 0.3, 3, 64, 10
    env = collect_env("cpu", args.threads)
    print(f"cnnbench latency quality | {env['cpu_model']} | {env['logical_cores']} logical cores | "
          f"threads {args.threads} | torch {env['torch']} | onnxruntime {env['onnxruntime']} | "
          f"machine {fingerprint(env)}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"batch 1, 3x{args.size}x{args.size}, fp32, budget {args.budget} s, min samples {args.min_samples}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else "")
    if args.processes < 2:
        p.error("--processes must be at least 2 (a CV needs two values)")
    sections = {"1": section_agreement, "2": section_stability, "3": section_overhead, "4": section_onnx,
                "5": section_normalized}
    for key in args.sections.split(","):
        sections[key.strip()](args)
    if load:
        now = os.getloadavg()
        print(f"\nload average at the end {now[0]:.2f} {now[1]:.2f} {now[2]:.2f} "
              f"(> {env['logical_cores']} means other processes competed for the CPU)")


if __name__ == "__main__":
    main()
