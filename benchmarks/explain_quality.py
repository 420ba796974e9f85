"""How trustworthy is ``cnnbench explain``? Reconciliation, profiler overhead, and the roofline's peak vs plain GEMMs.

Run (on a quiet machine; a few minutes):

    python benchmarks/explain_quality.py [--threads 2] [--models resnet18,mobilenet_v2,shufflenet_v2_x1_0,efficientnet_b0]
                                         [--runtimes eager,compile,onnx] [--budget 2] [--iterations 30] [--quick]

1. Reconciliation: for every model × runtime, ``explain`` (depth 1) gives the sum of the per-layer times and the
   end-to-end median of the normal protocol in the same run (eager and compile: hook-timed layers interleaved with
   the end-to-end samples, compile on a regionally compiled copy timed beside the whole-model compile; onnx: ORT's
   node profiling); the relative difference (sum - e2e) / e2e. Goal: within 10% for
   resnet18 and mobilenet_v2 eager at 2 threads. Also the profiler's own overhead: a profiled inference
   (torch.profiler / ORT profiling) against the end-to-end median.
2. Op-type split: the top op types by share of time vs share of MACs (e.g. "depthwise conv: 7% of MACs, 25% of
   time") per model × runtime.
3. Roofline peak vs plain matmuls timed side by side: ``measure_roofline``'s peak GFLOP/s against
   ``torch.mm`` (perf_counter loop, best of 5 × 10 calls) and ``numpy.matmul`` at 2048² fp32, same threads
   (numpy's BLAS threads from ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS`` set before numpy is imported here).

Prints a Markdown report (paste into the README) and, with ``--json FILE``, the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _plain_gflops(fn, n: int) -> float:
    best = float("inf")
    fn()
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(10):
            fn()
        best = min(best, (time.perf_counter() - t0) / 10)
    return 2 * n**3 / best / 1e9


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models", default="resnet18,mobilenet_v2,shufflenet_v2_x1_0,efficientnet_b0")
    ap.add_argument("--runtimes", default="eager,compile,onnx")
    ap.add_argument("--budget", type=float, default=2.0)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="tiny budgets (checks the script, not the figures)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    import numpy as np
    import torch

    from cnnbench.explainer.run import explain
    from cnnbench.latency.roofline import get_roofline

    torch.set_num_threads(args.threads)
    budget, iters = (0.2, 5) if args.quick else (args.budget, args.iterations)
    roof_kw = {"gemm_sizes": (256,), "stream_bytes": 8 * 2**20, "budget_s": 0.05} if args.quick else {}
    roof = get_roofline("cpu", "fp32", args.threads, refresh=True, **roof_kw)
    n = 256 if args.quick else 2048
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    na, nb = a.numpy(), b.numpy()
    with torch.inference_mode():
        torch_mm = _plain_gflops(lambda: torch.mm(a, b, out=c), n)
    numpy_mm = _plain_gflops(lambda: np.matmul(na, nb), n)
    out: dict = {"threads": args.threads, "load_average": os.getloadavg(), "roofline": {
        k: roof[k] for k in ("peak_gflops", "bandwidth_gbps", "copy_gbps", "triad_gbps", "dispatch_overhead_us",
                             "gemm_n")}, "plain_torch_mm_gflops": torch_mm, "plain_numpy_matmul_gflops": numpy_mm,
        "rows": []}
    print(f"# explain quality — {args.threads} thread(s), load average {os.getloadavg()[0]:.2f}\n")
    print(f"Roofline: peak {roof['peak_gflops']:.1f} GFLOP/s (torch.mm n={roof['gemm_n']}), bandwidth "
          f"{roof['bandwidth_gbps']:.1f} GB/s (copy {roof['copy_gbps']:.1f}, triad {roof['triad_gbps']:.1f}), dispatch "
          f"{roof['dispatch_overhead_us']:.2f} µs. Side by side at {n}²: plain torch.mm {torch_mm:.1f} GFLOP/s, "
          f"numpy.matmul {numpy_mm:.1f} GFLOP/s (peak / torch.mm = {roof['peak_gflops'] / torch_mm:.3f}).\n")
    print("| model | runtime | end-to-end median ms | sum of layers ms | difference | within 10% | profiled inference "
          "ms (overhead) | top op types |")
    print("|---|---|---|---|---|---|---|---|")
    for model in args.models.split(","):
        for rt in args.runtimes.split(","):
            ex = explain(model, runtime=rt, threads=args.threads, roofline=roof, budget=budget, iterations=iters)
            if ex.error:
                print(f"| {model} | {rt} | error: {ex.error} | | | | | |")
                out["rows"].append({"model": model, "runtime": rt, "error": ex.error})
                continue
            rec = ex.reconciliation
            label = rt
            if ex.compile.get("whole_model_ms"):
                label = f"compile (regional; whole model {ex.compile['whole_model_ms']:.2f} ms)"
            print(f"| {model} | {label} | {ex.end_to_end_ms:.2f} | {ex.sum_of_layers_ms:.2f} | {100 * rec['relative']:+.1f}% "
                  f"| {'yes' if rec['within_10pct'] else 'no'} | {ex.profiled_total_ms:.2f} "
                  f"({100 * ex.profiler_overhead['fraction']:.1f}%) | {'; '.join(ex.summary(3))} |")
            sys.stdout.flush()
            out["rows"].append({"model": model, "runtime": rt, "end_to_end_ms": ex.end_to_end_ms,
                                "sum_of_layers_ms": ex.sum_of_layers_ms, "timing_source": ex.timing_source,
                                "profiled_total_ms": ex.profiled_total_ms, "reconciliation": rec,
                                "profiler_overhead": ex.profiler_overhead, "op_types": ex.op_types,
                                "achieved_gflops": ex.totals.get("achieved_gflops"),
                                "roofline_fraction": ex.totals.get("roofline_fraction"),
                                **({"compile": ex.compile} if ex.compile else {})})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
