"""How good is cnnbench's memory estimate? Ours (static, on meta) vs a real CPU run vs torchinfo, on every torchvision
classifier; and what the storage liveness costs the static analysis in time.

Run:  python benchmarks/memory_quality.py [--models 'resnet*,vit_b_16'] [--batch-sizes 1,32] [--modes infer,train]
                                          [--max-gib 4 | --max-gib 32:4] [--max-gmacs 32:60] [--part sizes|time|all]
                                          [-o results/memory-quality.md]

Part ``sizes``: for each model (its catalogue input size, fp32), each batch size, inference and training:
  * ours      — inference: ``analyze(build_meta(spec), shape).peak_activation_bytes`` (eval forward, no autograd);
                training: ``traced(..., train=True).trace.peak_bytes`` (train-mode forward + backward of the output's
                sum, parameter gradients included). Parameters, buffers and inputs are excluded from both.
  * measured  — ``cnnbench.footprint.measure.measure_peak`` on a real CPU build (random init): ``measured_peak_bytes`` (the
                same storage tracker watching the real eager run) and, beside it, ``allocator_peak_bytes`` (the CPU
                allocator's peak from ``torch.profiler`` memory events: oneDNN scratch and reordered weights included).
  * torchinfo — ``torchinfo.summary(model, input_size=..., verbose=0, device="meta")`` (meta gives the same figures
                as a CPU run: they are output shapes). Its "Forward/backward pass size" is ``total_output_bytes`` =
                2 × the output bytes of every leaf layer that has parameters ("x2 for gradients"): a training-style
                sum, never a peak. Compared like with like:
                  - training rows: ``total_output_bytes`` vs the measured training peak;
                  - inference rows: ``total_output_bytes / 2`` (the forward half) vs the measured inference peak;
                  - training rows also: its "Estimated Total Size" (params + input + forward/backward) vs
                    weights + inputs + the measured training peak (``ti_total/meas_total``).
Ratios are estimate / measured; the distribution (min / median / max, count within ±2%) is printed side by side.

A measured run is skipped — printed with its reason, never silently — when its estimated total (weights + inputs +
our peak; a training peak already holds the gradients) exceeds ``--max-gib``, or its GMACs (forward MACs at that
batch, ×3 for a training step) exceed ``--max-gmacs``. Both take ``X`` (every batch) or ``B:X,...`` (per batch size;
batches not named are uncapped). The static and torchinfo figures are still computed for skipped rows.

Part ``time``: static analysis time (``analyze`` on meta, inference, batch 1) with the liveness on vs off
(``Liveness.track`` monkeypatched to a no-op inside this script only), alternating on/off, median of ``--repeats``;
prints each model's on/off ratio and their distribution. Goal: ≤ 1.2×. The load average is printed with the figures:
on a shared machine the times say as much about the neighbours as about the tracker.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fnmatch
import gc
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from cnnbench.analysis.liveness import Liveness
from cnnbench.analysis.static import analyze, traced
from cnnbench.catalog import list_specs
from cnnbench.catalog.build import build_cpu, build_meta
from cnnbench.footprint.measure import measure_peak

GIB = 1024**3
FIELDS = ["model", "batch", "mode", "ours", "measured", "allocator", "ours/meas", "alloc/meas", "torchinfo_field",
          "torchinfo", "ti/meas", "ti_total", "meas_total", "ti_total/meas_total", "weights", "inputs", "est_gib",
          "gmacs", "peak_at", "trace", "measure_s", "skipped"]


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def parse_cap(text: str | None) -> dict[int | None, float]:
    """``"4"`` → every batch capped at 4; ``"32:4,8:10"`` → only those batches."""
    if not text:
        return {}
    out: dict[int | None, float] = {}
    for part in text.split(","):
        if ":" in part:
            b, x = part.split(":")
            out[int(b)] = float(x)
        else:
            out[None] = float(part)
    return out


def cap_for(caps: dict[int | None, float], batch: int) -> float | None:
    return caps.get(batch, caps.get(None))


def select(patterns: str | None) -> list:
    specs = list_specs(source="torchvision")
    if not patterns:
        return specs
    pats = [p.strip() for p in patterns.split(",") if p.strip()]
    chosen = [s for s in specs if any(fnmatch.fnmatch(s.name, p) for p in pats)]
    if not chosen:
        sys.exit(f"no torchvision model matches {patterns!r}")
    return chosen


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.3f}"


def mib(n: float | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f}"


def distribution(values: list[float]) -> str:
    if not values:
        return "n=0"
    within = sum(1 for v in values if abs(v - 1) <= 0.02)
    return (f"n={len(values):3d}  min {min(values):6.3f}  median {statistics.median(values):6.3f}  "
            f"max {max(values):7.3f}  within ±2%: {within:3d}/{len(values)}")


def torchinfo_figures(spec, shape: tuple[int, ...]) -> tuple[int, int]:
    """torchinfo's (total_output_bytes, Estimated Total Size in bytes) on a meta build."""
    import torchinfo

    stats = torchinfo.summary(build_meta(spec), input_size=shape, verbose=0, device="meta")
    return stats.total_output_bytes, stats.total_input + stats.total_output_bytes + stats.total_param_bytes


def sizes_row(spec, batch: int, train: bool, caps_gib, caps_gmacs, measured: bool) -> dict[str, Any]:
    shape = (batch, *spec.input_size)
    row: dict[str, Any] = {"model": spec.name, "batch": batch, "mode": "train" if train else "infer"}

    def cpu() -> torch.nn.Module:  # a real CPU build: the measured run's, and the cpu trace path's weights
        return build_cpu(spec)

    prof = analyze(build_meta(spec), shape, cpu_model=cpu)
    row["weights"], row["inputs"] = prof.weight_bytes, prof.input_bytes
    if train:
        run = traced(build_meta(spec), shape, cpu_model=cpu, train=True)
        row["ours"], row["peak_at"], row["trace"] = run.trace.peak_bytes, run.trace.peak_at, run.device
    else:
        row["ours"], row["peak_at"], row["trace"] = prof.peak_activation_bytes, prof.peak_at, prof.trace_device
    est = prof.weight_bytes + prof.input_bytes + row["ours"]
    gmacs = prof.macs / 1e9 * (3 if train else 1)
    row["est_gib"], row["gmacs"] = round(est / GIB, 3), round(gmacs, 1)
    ti_out, ti_total = torchinfo_figures(spec, shape)
    if train:
        row["torchinfo_field"], row["torchinfo"], row["ti_total"] = "total_output_bytes", ti_out, ti_total
    else:
        row["torchinfo_field"], row["torchinfo"] = "total_output_bytes/2", ti_out // 2
    gib_cap, gmacs_cap = cap_for(caps_gib, batch), cap_for(caps_gmacs, batch)
    reason = ""
    if not measured:
        reason = "--no-measure"
    elif gib_cap is not None and est / GIB > gib_cap:
        reason = f"estimated total {est / GIB:.2f} GiB > --max-gib {gib_cap:g}"
    elif gmacs_cap is not None and gmacs > gmacs_cap:
        reason = f"{gmacs:.0f} GMACs > --max-gmacs {gmacs_cap:g}"
    row["skipped"] = reason
    if not reason:
        gc.collect()
        t0 = time.perf_counter()
        try:
            m = measure_peak(cpu, lambda: ((torch.randn(shape),), {}), dtype=torch.float32, device=torch.device("cpu"),
                        train=train)
        except Exception as e:  # noqa: BLE001 — report, keep measuring the rest
            row["skipped"] = f"measure failed: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
        else:
            row["measured"], row["allocator"] = m["measured_peak_bytes"], m["allocator_peak_bytes"]
            row["measure_s"] = round(time.perf_counter() - t0, 1)
            if train:
                row["meas_total"] = prof.weight_bytes + prof.input_bytes + row["measured"]
        gc.collect()
    row["ours/meas"] = ratio(row["ours"], row.get("measured"))
    row["alloc/meas"] = ratio(row.get("allocator"), row.get("measured"))
    row["ti/meas"] = ratio(row["torchinfo"], row.get("measured"))
    row["ti_total/meas_total"] = ratio(row.get("ti_total"), row.get("meas_total"))
    return row


def print_row(r: dict[str, Any]) -> None:
    head = f"  {r['model']:20s} b{r['batch']:<3d} {r['mode']:5s}"
    if r.get("measured") is None:
        print(f"{head} ours {mib(r['ours']):>9s} MiB  torchinfo {mib(r['torchinfo']):>9s} MiB  "
              f"SKIPPED: {r['skipped']}", flush=True)
        return
    print(f"{head} ours {mib(r['ours']):>9s}  measured {mib(r['measured']):>9s}  allocator {mib(r['allocator']):>9s}"
          f"  torchinfo {mib(r['torchinfo']):>9s} MiB | ours/meas {fmt_ratio(r['ours/meas'])}  "
          f"alloc/meas {fmt_ratio(r['alloc/meas'])}  ti/meas {fmt_ratio(r['ti/meas'])}"
          f"  ({r['measure_s']}s, {r['trace']} trace, peak at {r['peak_at'] or '-'})", flush=True)


def summaries(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for mode in ("infer", "train"):
        for batch in sorted({r["batch"] for r in rows}):
            rs = [r for r in rows if r["mode"] == mode and r["batch"] == batch and r.get("measured") is not None]
            if not rs:
                continue
            ti_name = "total_output_bytes" if mode == "train" else "total_output_bytes/2"
            lines.append(f"{mode} batch {batch}:")
            lines.append(f"  ours/measured          {distribution([r['ours/meas'] for r in rs])}")
            lines.append(f"  torchinfo/measured     {distribution([r['ti/meas'] for r in rs])}  ({ti_name})")
            lines.append(f"  allocator/measured     {distribution([r['alloc/meas'] for r in rs])}")
            if mode == "train":
                lines.append(f"  ti total/meas total    {distribution([r['ti_total/meas_total'] for r in rs])}"
                             "  (Estimated Total Size vs weights + inputs + measured peak)")
    off = [r for r in rows if r.get("measured") is not None and abs(r["ours/meas"] - 1) > 0.02]
    if off:
        lines.append("ours off by more than 2%:")
        lines += [f"  {r['model']} b{r['batch']} {r['mode']}: ours {r['ours']} B, measured {r['measured']} B "
                  f"({r['ours/meas']:.4f}), peak at {r['peak_at']}" for r in off]
    skipped = [r for r in rows if r.get("measured") is None]
    if skipped:
        lines.append(f"skipped ({len(skipped)}):")
        lines += [f"  {r['model']} b{r['batch']} {r['mode']}: {r['skipped']}" for r in skipped]
    return lines


def write(path: Path, rows: list[dict[str, Any]], header: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_path = path.with_suffix(".csv")
    with csv_path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4f}" if isinstance(v, float) and "/" in k else v) for k, v in r.items()})
    if path.suffix != ".md":
        return
    cols = ["model", "batch", "mode", "ours MiB", "measured MiB", "allocator MiB", "torchinfo MiB", "ours/meas",
            "alloc/meas", "ti/meas", "peak at", "skipped"]
    out = ["# Memory estimate quality: ours vs a real CPU run vs torchinfo", "", *header, "",
           "```", *summaries(rows), "```", "",
           "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join([r["model"], str(r["batch"]), r["mode"], mib(r["ours"]), mib(r.get("measured")),
                                      mib(r.get("allocator")), mib(r["torchinfo"]), fmt_ratio(r["ours/meas"]),
                                      fmt_ratio(r["alloc/meas"]), fmt_ratio(r["ti/meas"]), r["peak_at"] or "",
                                      r["skipped"]]) + " |")
    path.write_text("\n".join(out) + "\n")


def part_sizes(args, specs) -> None:
    caps_gib, caps_gmacs = parse_cap(args.max_gib), parse_cap(args.max_gmacs)
    batches = [int(b) for b in args.batch_sizes.split(",")]
    modes = [m.strip() for m in args.modes.split(",")]
    header = [f"`python benchmarks/memory_quality.py {' '.join(sys.argv[1:])}`", "",
              (f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32, CPU; {load()} at the start; "
               "ratios are estimate / measured (tensor-level peak of the real run); torchinfo: inference rows "
               "total_output_bytes/2, training rows total_output_bytes (a sum of layer outputs ×2, not a peak).")]
    print(header[-1], flush=True)
    rows: list[dict[str, Any]] = []
    for batch in batches:
        for spec in specs:
            for mode in modes:
                try:
                    r = sizes_row(spec, batch, mode == "train", caps_gib, caps_gmacs, not args.no_measure)
                except Exception as e:  # noqa: BLE001 — the static side failed: a row that says so, keep going
                    r = dict.fromkeys(FIELDS)
                    r.update(model=spec.name, batch=batch, mode=mode, peak_at="",
                             skipped=f"static failed: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
                rows.append(r)
                print_row(r)
                if args.output:
                    write(Path(args.output), rows, header)
    print(f"\n{len(rows)} rows; {load()} at the end")
    header[-1] += f"; {load()} at the end."
    for line in summaries(rows):
        print(line)
    if args.output:
        write(Path(args.output), rows, header)
        print(f"wrote {args.output} (+ {Path(args.output).with_suffix('.csv')})")


@contextlib.contextmanager
def liveness_off():
    real = Liveness.track
    Liveness.track = lambda self, out: None  # the benchmark's own 'off': the tracker still exists, never looks
    try:
        yield
    finally:
        Liveness.track = real


def part_time(args, specs) -> None:
    print(f"\nstatic analysis time, liveness on vs off (analyze on meta, batch 1, median of {args.repeats}); "
          f"{load()}", flush=True)
    ratios = []
    tot_on = tot_off = 0.0
    for spec in specs:
        model = build_meta(spec)
        shape = (1, *spec.input_size)
        analyze(model, shape)  # warm-up (first-call caches)
        on, off = [], []
        for _ in range(args.repeats):
            gc.collect()
            t0 = time.perf_counter()
            analyze(model, shape)
            on.append(time.perf_counter() - t0)
            gc.collect()
            with liveness_off():
                t0 = time.perf_counter()
                prof = analyze(model, shape)
                off.append(time.perf_counter() - t0)
            assert prof.peak_activation_bytes == 0, "the 'off' side still tracked storages"
        m_on, m_off = statistics.median(on), statistics.median(off)
        tot_on, tot_off = tot_on + m_on, tot_off + m_off
        ratios.append(m_on / m_off)
        print(f"  {spec.name:20s} on {m_on * 1e3:8.1f} ms  off {m_off * 1e3:8.1f} ms  on/off {m_on / m_off:.3f}",
              flush=True)
    print(f"on/off ratio: {distribution(ratios)}  (goal ≤ 1.2×); above 1.2×: {sum(r > 1.2 for r in ratios)}")
    print(f"sum of medians: on {tot_on:.2f} s, off {tot_off:.2f} s, on/off {tot_on / tot_off:.3f}; {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated names or globs (default: the 80 torchvision classifiers)")
    ap.add_argument("--batch-sizes", default="1,32")
    ap.add_argument("--modes", default="infer,train", help="infer, train or both")
    ap.add_argument("--max-gib", help="skip a measured run whose estimated total exceeds it: X or B:X,... per batch")
    ap.add_argument("--max-gmacs", help="skip a measured run above this many GMACs (training ×3): X or B:X,...")
    ap.add_argument("--no-measure", action="store_true", help="static and torchinfo figures only")
    ap.add_argument("--part", default="sizes", choices=("sizes", "time", "all"))
    ap.add_argument("--repeats", type=int, default=5, help="time part: repeats per side")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-o", "--output", help="write the rows: .csv, or .md (a .csv beside it too)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    specs = select(args.models)
    print(f"{len(specs)} models; {load()}", flush=True)
    if args.part in ("sizes", "all"):
        part_sizes(args, specs)
    if args.part in ("time", "all"):
        part_time(args, specs)


if __name__ == "__main__":
    main()
