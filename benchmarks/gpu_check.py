"""One command that exercises every CUDA path of cnnbench end to end and prints one summary table.

    python benchmarks/gpu_check.py            # < 5 min on one GPU; exit 1 if a check failed
    python benchmarks/gpu_check.py --markdown # the table as Markdown, for the README's GPU section

Checks (each a real CLI or library call on ``cuda``):

* ``profile mobilenet_v2 --device cuda`` with eager, compile, onnx, onnx-fp16 and tensorrt in fp32, and eager,
  compile, tensorrt under ``--precision amp-fp16`` (each row must have a latency, i.e. it also passed the check
  against eager);
* the engine's timing (``torch.cuda.synchronize`` around ``time.perf_counter``) against CUDA events and against
  ``torch.utils.benchmark.Timer.blocked_autorange`` on the same model and input (medians within 15 %);
* peak memory: a model whose forward allocates a 256 MiB temporary must report 256–400 MiB;
* the OOM back-off: a model allocating 1 GiB per sample, batches 1, 4096, 8192 — batch 4096 is ``out of memory``
  and batch 8192 ``skipped``;
* ``cnnbench.memory``'s estimate on CUDA: resnet50 and mobilenet_v2 at batch 32, inference and a training step,
  the static estimate against the same tracker in the real CUDA run (within 10 %) and against
  ``torch.cuda.max_memory_allocated`` (the ``allocator_*`` fields; printed as ratios, at least the tensor level);
* ``compare`` on CUDA (two models, eager and onnx, interleaved);
* ``baseline create`` + ``check`` on CUDA (a tiny suite: pass or inconclusive, never an error);
* ``pytest -m gpu``.

Without CUDA it says so, prints every row as ``skipped (no CUDA)`` and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
FAST = ["--budget", "0.5", "--min-samples", "10", "--warmup", "0.2"]
PROFILE_FP32 = ("eager", "compile", "onnx", "onnx-fp16", "tensorrt")
PROFILE_AMP = ("eager", "compile", "tensorrt")
MEMORY_MODELS = ("resnet50", "mobilenet_v2")
MEMORY_BATCH = 32
MEMORY_TOLERANCE = 0.10  # |tensor-level measured / estimate - 1|: CUDA kernels may return other helper tensors


def cli(*args: str, timeout: float = 240) -> tuple[int, str, str]:
    """Runs ``python -m cnnbench ARGS``; (exit code, stdout, stderr)."""
    p = subprocess.run([PY, "-m", "cnnbench", *args], check=False, capture_output=True, text=True,
                       timeout=timeout, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:160] if lines else ""


def profile_rows(precision: str | None) -> list[tuple[str, str, str]]:
    """One (check, status, detail) per runtime of ``profile mobilenet_v2 --device cuda``."""
    rts = PROFILE_AMP if precision else PROFILE_FP32
    args = ["profile", "mobilenet_v2", "--device", "cuda", "--runtime", ",".join(rts), *FAST, "-f", "json"]
    if precision:
        args += ["--precision", precision]
    rc, out, err = cli(*args)
    label = precision or "fp32"
    if rc not in (0, 1) or not out.strip():
        return [(f"profile {rt} {label}", "FAIL", f"exit {rc}: {last_line(err)}") for rt in rts]
    rows = []
    for rec in json.loads(out):
        lat = rec.get("latency_ms") or {}
        name = f"profile {rec.get('runtime')} {label}"
        if rec.get("error") or not lat.get("median"):
            rows.append((name, "FAIL", str(rec.get("error"))[:160]))
        else:
            chk = (rec.get("details") or {}).get("check_vs_eager") or {}
            detail = (f"median {lat['median']:.3f} ms, precision {rec.get('precision')}, "
                      f"max |Δ| vs eager {chk.get('max_abs_diff', 'n/a')}")
            rows.append((name, "pass", detail))
    return rows


def timing_agreement() -> tuple[str, str]:
    import torch
    import torch.utils.benchmark as tb
    import torchvision

    from cnnbench.latency.engine import run_latency
    from cnnbench.latency.options import LatencyOptions

    shape = (8, 3, 224, 224)
    r = run_latency(lambda: torchvision.models.resnet18(weights=None), shape,
                    LatencyOptions(device="cuda", budget=1.0, min_samples=30, warmup=0.3))
    if r.error:
        return "FAIL", r.error
    ours = r.latency.median
    torch.manual_seed(0)
    m = torchvision.models.resnet18(weights=None).eval().cuda()
    x = torch.randn(*shape, device="cuda")
    with torch.inference_mode():
        for _ in range(10):
            m(x)
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        ev = []
        for _ in range(50):
            start.record()
            m(x)
            end.record()
            end.synchronize()
            ev.append(start.elapsed_time(end))
        events = sorted(ev)[len(ev) // 2]
        bench = tb.Timer("m(x); torch.cuda.synchronize()", globals={"m": m, "x": x, "torch": torch})
        tbm = bench.blocked_autorange(min_run_time=1.0).median * 1e3
    worst = max(abs(ours / events - 1), abs(ours / tbm - 1))
    detail = f"cnnbench {ours:.3f} ms, CUDA events {events:.3f} ms, torch.utils.benchmark {tbm:.3f} ms"
    return ("pass" if worst <= 0.15 else "FAIL"), detail


def peak_memory() -> tuple[str, str]:
    import torch
    from torch import nn

    from cnnbench.latency.engine import run_latency
    from cnnbench.latency.options import LatencyOptions

    class Allocates256MiB(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            big = torch.ones(64 * 1024 * 1024, device=x.device)  # 64 Mi float32 = 268_435_456 bytes
            return x + big[:1]

    r = run_latency(Allocates256MiB, (1, 1), LatencyOptions(device="cuda", budget=0.2, min_samples=5, warmup=0.05))
    if r.error:
        return "FAIL", r.error
    mib = r.peak_memory_bytes / 2**20
    ok = 256 <= mib <= 400
    return ("pass" if ok else "FAIL"), f"peak {mib:.0f} MiB ({r.details.get('memory_method')}), expected 256-400"


HOG = """
import torch
from torch import nn


class Hog(nn.Module):
    '''Allocates 1 GiB per sample: batch 4096 cannot fit on any GPU.'''

    def forward(self, x):
        return x.sum() + torch.ones(x.shape[0], 2**28, device=x.device).sum()
"""


def oom_backoff(tmp: Path) -> tuple[str, str]:
    (tmp / "hog.py").write_text(HOG)
    rc, out, err = cli("profile", f"{tmp / 'hog.py'}:Hog", "--input-size", "3x8x8", "-b", "1,4096,8192",
                       "--device", "cuda", *FAST, "-f", "json")
    if not out.strip():
        return "FAIL", f"exit {rc}: {last_line(err)}"
    errs = [r.get("error") or "" for r in json.loads(out)]
    ok = len(errs) == 3 and not errs[0] and errs[1].startswith("out of memory") and errs[2].startswith("skipped")
    return ("pass" if ok else "FAIL"), " | ".join(e[:60] or "ok" for e in errs)


def compare_cuda() -> tuple[str, str]:
    rc, out, err = cli("compare", "resnet18", "mobilenet_v2", "--device", "cuda", "--runtime", "eager,onnx", *FAST,
                       "--rounds", "3", "-f", "json")
    if not out.strip():
        return "FAIL", f"exit {rc}: {last_line(err)}"
    recs = json.loads(out)
    bad = [f"{r['model']}/{r['runtime']}: {r['error']}" for r in recs if r.get("error")]
    return ("pass" if rc == 0 and not bad and len(recs) == 4 else "FAIL"), (
        "; ".join(bad)[:160] or ", ".join(f"{r['model']}/{r['runtime']} {r['latency_ms']['median']:.3f} ms"
                                          for r in recs))


def memory_cuda() -> list[tuple[str, str, str]]:
    """One (check, status, detail) per model × {inference, training step} of ``cnnbench.memory(..., measure=True,
    device="cuda")``: the estimate (static, on meta) against the same storage tracker in the real CUDA run and
    against ``max_memory_allocated`` less what was allocated before (``allocator_*``: cuDNN/cuBLAS workspaces and
    the caching allocator's rounding included, so at least the tensor level)."""
    import torch

    import cnnbench

    def mib(n: int) -> str:
        return f"{n / 2**20:.1f} MiB"

    rows = []
    for name in MEMORY_MODELS:
        labels = [f"memory {name} b{MEMORY_BATCH} {mode}" for mode in ("infer", "train")]
        try:
            (rec,) = cnnbench.memory(name, batch_size=MEMORY_BATCH, train=True, measure=True, device="cuda")
            d = rec.to_dict()
        except Exception as err:  # noqa: BLE001 - a crashed model fails its two rows; the next model still runs
            rows += [(label, "FAIL", f"{type(err).__name__}: {textwrap.shorten(str(err), 140)}") for label in labels]
            continue
        finally:
            torch.cuda.empty_cache()
        if d.get("error"):
            rows += [(label, "FAIL", str(d["error"])[:160]) for label in labels]
            continue
        for label, est_k, meas_k, alloc_k in (
                (labels[0], "peak_activation_bytes", "measured_peak_activation_bytes", "allocator_peak_bytes"),
                (labels[1], "train_peak_activation_bytes", "measured_train_peak_activation_bytes",
                 "allocator_train_peak_bytes")):
            est, meas, alloc = d.get(est_k) or 0, d.get(meas_k) or 0, d.get(alloc_k) or 0
            if not (est and meas):
                rows.append((label, "FAIL", f"no figure: estimate {est}, measured {meas}"))
                continue
            ok = abs(meas / est - 1) <= MEMORY_TOLERANCE and alloc >= 0.99 * meas
            detail = (f"estimate {mib(est)}, measured {mib(meas)} ({meas / est:.3f}× est.), "
                      f"max_memory_allocated {mib(alloc)} ({alloc / est:.3f}× est., {alloc / meas:.3f}× meas.)")
            rows.append((label, "pass" if ok else "FAIL", detail))
    return rows


SUITE = """
[check]
blocks = 3
max_blocks = 3
rounds = 4
warmup = 0.1

[defaults]
devices = ["cuda"]
runtimes = ["eager"]
batch_sizes = [8]

[[entry]]
models = ["resnet18"]
input_size = "112"
"""


def check_cuda(tmp: Path) -> tuple[str, str]:
    (tmp / "suite.toml").write_text(SUITE)
    rc, _, err = cli("baseline", "create", "--suite", str(tmp / "suite.toml"), "-o", str(tmp / "base.json"))
    if rc != 0:
        return "FAIL", f"baseline create exit {rc}: {last_line(err)}"
    rc, _, err = cli("check", "--baseline", str(tmp / "base.json"), "-f", "json")
    # 0 pass, 3 inconclusive: both are a working check; 1 (an A/A regression) or 2 (error) are not
    return ("pass" if rc in (0, 3) else "FAIL"), f"check exit {rc}" + (f": {last_line(err)}" if rc not in (0, 3)
                                                                          else "")


def explain_cuda() -> tuple[str, str]:
    """explain on CUDA, eager (kernel times) and compile (regional, beside the whole-model compile)."""
    parts, ok = [], True
    for rt in ("eager", "compile"):
        rc, out, err = cli("explain", "resnet18", "--device", "cuda", "--runtime", rt, "--budget", "0.5",
                           "--iterations", "10", "-f", "json")
        if rc != 0 or not out.strip():
            return "FAIL", f"{rt}: exit {rc}: {last_line(err)}"
        (d,) = json.loads(out)
        rec = d["reconciliation"]["relative"]
        extra = f", whole model {d['compile']['whole_model_ms']:.3f} ms" if d.get("compile") else ""
        parts.append(f"{rt} {d['end_to_end_ms']:.3f} → {d['sum_of_layers_ms']:.3f} ms ({100 * rec:+.1f}%){extra}")
        ok = ok and not d.get("error") and bool(d["layers"])
    return ("pass" if ok else "FAIL"), "; ".join(parts)


def pytest_gpu() -> tuple[str, str]:
    p = subprocess.run([PY, "-m", "pytest", "-q", "-m", "gpu", "tests"], check=False, capture_output=True,
                       text=True, timeout=240, cwd=ROOT)
    return ("pass" if p.returncode in (0, 5) else "FAIL"), last_line(p.stdout)


CHECKS: list[str] = ([f"profile {rt} fp32" for rt in PROFILE_FP32] + [f"profile {rt} amp-fp16" for rt in PROFILE_AMP]
                     + ["timing vs CUDA events / torch.utils.benchmark", "peak memory", "OOM batch back-off",
                        "compare on CUDA", "check on CUDA", "pytest -m gpu", "explain on CUDA (eager, compile)"]
                     + [f"memory {m} b{MEMORY_BATCH} {mode}" for m in MEMORY_MODELS for mode in ("infer", "train")])


def machine() -> str:
    import torch

    parts = [f"{datetime.date.today().isoformat()}", platform.node() or "?", f"torch {torch.__version__}",
             f"CUDA {torch.version.cuda}"]
    if torch.cuda.is_available():
        parts.append(torch.cuda.get_device_name(0))
        try:
            drv = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                 check=False, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()
            parts.append(f"driver {drv[0]}" if drv else "driver ?")
        except (OSError, subprocess.SubprocessError):
            parts.append("driver ?")
    from importlib import metadata

    for dist in ("onnxruntime", "onnxruntime-gpu", "torch-tensorrt", "tensorrt", "openvino"):
        with contextlib.suppress(metadata.PackageNotFoundError):  # an absent optional package is just not listed
            parts.append(f"{dist} {metadata.version(dist)}")
    return ", ".join(parts)


def table(rows: list[tuple[str, str, float | None, str]], markdown: bool) -> str:
    if markdown:
        lines = ["| check | result | s | detail |", "|---|---|---:|---|"]
        lines += [f"| {c} | {s} | {'' if t is None else f'{t:.0f}'} | {d} |" for c, s, t, d in rows]
        return "\n".join(lines)
    w = max(len(c) for c, *_ in rows)
    lines = [f"{'check':<{w}}  {'result':<18}  {'s':>4}  detail"]
    lines += [f"{c:<{w}}  {s:<18}  {'' if t is None else f'{t:4.0f}':>4}  {d}" for c, s, t, d in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table")
    args = ap.parse_args(argv)
    import torch

    print(f"machine: {machine()}")
    if not torch.cuda.is_available():
        print(f"CUDA is not available (torch {torch.__version__}, CUDA build {torch.version.cuda}): every check "
              "skipped; the CUDA paths are unverified on this machine")
        print(table([(c, "skipped (no CUDA)", None, "") for c in CHECKS], args.markdown))
        return 0
    os.environ.setdefault("CNNBENCH_CACHE", tempfile.mkdtemp(prefix="cnnbench-gpu-check-"))
    results: list[tuple[str, str, float | None, str]] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("profile fp32", lambda: profile_rows(None)),
            ("profile amp", lambda: profile_rows("amp-fp16")),
            (CHECKS[8], timing_agreement), (CHECKS[9], peak_memory), (CHECKS[10], lambda: oom_backoff(tmp)),
            (CHECKS[11], compare_cuda), (CHECKS[12], lambda: check_cuda(tmp)), (CHECKS[13], pytest_gpu),
            (CHECKS[14], explain_cuda),
            ("memory estimate vs max_memory_allocated", memory_cuda),
        ]
        for name, fn in steps:
            t0 = time.perf_counter()
            try:
                got = fn()
            except Exception as err:  # noqa: BLE001 - a crashed check is a failed row; the others still run
                got = ("FAIL", f"{type(err).__name__}: {textwrap.shorten(str(err), 140)}")
            dt = time.perf_counter() - t0
            if isinstance(got, list):
                results += [(c, s, dt / max(len(got), 1), det) for c, s, det in got]
            else:
                results.append((name, got[0], dt, got[1]))
            print(f"  {name}: {results[-1][1]} ({dt:.0f} s)", file=sys.stderr)
    print(table(results, args.markdown))
    failed = [c for c, s, *_ in results if s != "pass"]
    print(f"{len(results) - len(failed)}/{len(results)} passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
