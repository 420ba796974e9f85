"""Static analysis speed: cnnbench vs fvcore vs thop on every torchvision classification model.

Run: ``python benchmarks/static_speed.py [--models N] [--skip-xxlarge]``

For each model, in turn (interleaved, so machine drift hits all three alike):
  * ours   — build on the meta device + full ``analyze`` (params, 3 checkpoint sizes, MACs, memory
             access, activations, per-module params);
  * fvcore — build on the CPU (``nn.init`` skipped: the cheapest honest CPU build) + ``FlopCountAnalysis.total()``;
  * thop   — the same CPU build + ``thop.profile``.
Construction is counted on every side. Then ``cnnbench profile timm:convnext_xxlarge --no-latency`` runs in a
subprocess (wall time including interpreter start-up and imports; peak RSS = the child's VmHWM).
Prints time ratios and peak memory; the goals are ours ≤ 0.4× fvcore, and convnext_xxlarge < 10 s with < 1.5 GB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=0, help="only the first N models (0 = all)")
    ap.add_argument("--skip-xxlarge", action="store_true")
    args = ap.parse_args()

    import torch

    from cnnbench.analysis.crosscheck import fvcore_count, thop_count
    from cnnbench.analysis.static import analyze
    from cnnbench.catalog import list_specs
    from cnnbench.catalog.build import _no_init, build_meta

    torch.set_num_threads(2)
    specs = list_specs(source="torchvision")
    if args.models:
        specs = specs[: args.models]
    totals = {"ours": 0.0, "fvcore": 0.0, "thop": 0.0}
    failures: dict[str, list[str]] = {"ours": [], "fvcore": [], "thop": []}
    for spec in specs:
        shape = (1, *spec.input_size)
        t0 = time.perf_counter()
        analyze(build_meta(spec), shape)
        totals["ours"] += time.perf_counter() - t0
        for name, fn in (("fvcore", fvcore_count), ("thop", thop_count)):
            gc.collect()
            t0 = time.perf_counter()
            try:
                with _no_init():
                    model = spec.build().eval()
                fn(model, torch.zeros(shape))
            except Exception as e:  # noqa: BLE001 — report, keep timing the rest
                failures[name].append(f"{spec.name} ({type(e).__name__})")
            totals[name] += time.perf_counter() - t0
            del model
        print(f"  {spec.name:20s} ours {totals['ours']:7.1f}s  fvcore {totals['fvcore']:7.1f}s  "
              f"thop {totals['thop']:7.1f}s (cumulative)", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{len(specs)} torchvision models, construction included, 2 threads")
    print(f"  ours (all metrics)  {totals['ours']:8.1f} s")
    print(f"  fvcore (FLOPs only) {totals['fvcore']:8.1f} s   ours/fvcore = {totals['ours'] / totals['fvcore']:.2f}×"
          "  (goal ≤ 0.40×)")
    print(f"  thop (MACs only)    {totals['thop']:8.1f} s   ours/thop   = {totals['ours'] / totals['thop']:.2f}×")
    print(f"  peak RSS of this process (fvcore/thop CPU builds dominate): {peak:.0f} MiB")
    for name, bad in failures.items():
        if bad:
            print(f"  {name} failed on: {', '.join(bad)}")
    if not args.skip_xxlarge:
        code = ("import resource, sys, time; t = time.perf_counter(); from cnnbench.cli.app import main; "
                "sys.argv = ['cnnbench', 'profile', 'timm:convnext_xxlarge', '--no-latency', '-f', 'json']; "
                "import contextlib, io\n"
                "try:\n    with contextlib.redirect_stdout(io.StringIO()): main()\n"
                "except SystemExit as e: code = e.code\n"
                # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's
                "hwm = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
                "print(f'{time.perf_counter() - t:.2f} {int(hwm) / 1024:.0f} {code}')")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        wall, rss, rc = out.stdout.split()[-3:]
        print(f"\ncnnbench profile timm:convnext_xxlarge --no-latency (846M params): {wall} s wall "
              f"(process start + imports included), peak RSS {rss} MiB, exit {rc}  (goals: < 10 s, < 1536 MiB)")


if __name__ == "__main__":
    main()
