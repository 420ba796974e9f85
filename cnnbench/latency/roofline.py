"""This machine's ceilings — peak GEMM FLOP/s, sustained memory bandwidth, per-op dispatch overhead — and their cache.

The protocol (:func:`measure_roofline`), every kernel timed with the latency engine's :func:`~cnnbench.latency.
timer.measure` (warm-up, blocked samples) at the given device, dtype and torch intra-op threads:

* **peak_gflops** — ``torch.mm(a, b, out=c)`` of square ``n×n`` matrices for each ``n`` in ``gemm_sizes``;
  ``2·n³`` FLOPs over the *fastest* sample (a ceiling is a best case); the best size wins (``gemm_n``).
* **bandwidth_gbps** — the better of two STREAM-style kernels on ``stream_bytes``-sized arrays (well past the
  last-level cache): *copy* ``dst.copy_(src)`` moves ``2 × bytes`` (read + write) and *triad*
  ``torch.add(b, c, alpha=2, out=a)`` moves ``3 × bytes``; both figures are kept (``copy_gbps``, ``triad_gbps``).
  GB = 10⁹ bytes.
* **dispatch_overhead_us** — the *median* latency of a trivial op, ``torch.add(x, x, out=y)`` on one element:
  what every eager aten call costs before it does any work (on CUDA: launch plus synchronisation amortised over a
  block of calls).
* **ridge_flop_per_byte** = peak_gflops / bandwidth_gbps: the arithmetic intensity (FLOP per byte moved) above
  which the compute roof, not bandwidth, limits a kernel.

Cache: one JSON file per machine and setting, ``<dir>/<fingerprint>-<device>-<dtype>-t<threads>.json`` where
``<dir>`` is ``$CNNBENCH_CACHE/roofline`` (else ``$XDG_CACHE_HOME/cnnbench/roofline`` or
``~/.cache/cnnbench/roofline``) and ``<fingerprint>`` is :func:`cnnbench.env.fingerprint` (CPU model, cores,
architecture, OS, GPU). :func:`get_roofline` measures once and reuses the file; ``refresh=True`` remeasures.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnnbench.errors import CnnbenchError
from cnnbench.latency.threads import torch_threads

#: Keys every roofline dict carries (JSON output of ``cnnbench roofline``).
KEYS = ("peak_gflops", "bandwidth_gbps", "dispatch_overhead_us", "ridge_flop_per_byte", "copy_gbps", "triad_gbps",
        "gemm_n", "device", "dtype", "threads", "fingerprint", "measured_at", "protocol", "env")
DEFAULT_GEMM_SIZES = (512, 1024, 2048)
DEFAULT_STREAM_BYTES = 256 * 2**20


def cache_dir() -> Path:
    """``$CNNBENCH_CACHE/roofline`` if set, else ``$XDG_CACHE_HOME/cnnbench/roofline`` or ``~/.cache/...``."""
    from cnnbench.env import cache_dir as _cache_dir

    return _cache_dir("roofline")


def _norm(device: str, dtype: str, threads: int | None) -> tuple[str, str, int]:
    import torch

    from cnnbench.inputs import normalize_dtype
    from cnnbench.latency.devices import resolve_device

    dev = str(resolve_device(device))
    dt = normalize_dtype(dtype)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise CnnbenchError(f"--threads must be an integer ≥ 1 (got {threads!r})")
    return dev, dt, threads if threads is not None else torch.get_num_threads()


def cache_path(device: str = "cpu", dtype: str = "fp32", threads: int | None = None,
               env: dict[str, Any] | None = None) -> Path:
    """Where the roofline of this machine at ``device``/``dtype``/``threads`` is cached."""
    from cnnbench.env import collect_env, fingerprint

    dev, dt, n = _norm(device, dtype, threads)
    fp = fingerprint(env if env is not None else collect_env(device=dev, threads=n))
    return cache_dir() / f"{fp}-{re.sub(r'[^a-z0-9]', '', dev)}-{dt}-t{n}.json"


def _time(fn, sync, *, budget_s: float, warmup_s: float, min_samples: int, stat: str = "min") -> float:
    """Seconds per call of ``fn`` under the latency protocol: the fastest sample (ceilings) or the median."""
    from cnnbench.latency.timer import measure

    stats = measure(fn, sync=sync, warmup_min_iters=2, warmup_min_s=warmup_s, min_samples=min_samples,
                    budget_s=budget_s)
    return (stats.min if stat == "min" else stats.median) / 1e3


def measure_roofline(device: str = "cpu", dtype: str = "fp32", threads: int | None = None, *,
                     gemm_sizes: Sequence[int] = DEFAULT_GEMM_SIZES, stream_bytes: int = DEFAULT_STREAM_BYTES,
                     budget_s: float = 0.3, warmup_s: float = 0.1, min_samples: int = 5) -> dict[str, Any]:
    """Measures this machine's roofline with the protocol of the module docstring (nothing cached).

    Args:
        device: ``cpu | cuda | cuda:N``.
        dtype: ``fp32 | fp16 | bf16`` (the GEMM and stream arrays' dtype).
        threads: torch intra-op threads while measuring (default: torch's current setting; restored after).
        gemm_sizes: Square GEMM sizes tried; the fastest (in FLOP/s) is the peak.
        stream_bytes: Bytes of each array of the copy/triad kernels (make it far larger than the caches).
        budget_s: Sampling seconds per kernel; ``warmup_s`` warm-up seconds; ``min_samples`` samples at least.

    Returns:
        A dict with :data:`KEYS` (``protocol`` records the parameters above, ``env`` :func:`cnnbench.env.
        collect_env`).
    """
    import torch

    from cnnbench.env import collect_env, fingerprint
    from cnnbench.inputs import torch_dtype
    from cnnbench.latency.devices import device_sync

    dev, dt, n_threads = _norm(device, dtype, threads)
    if not gemm_sizes or any(int(n) < 1 for n in gemm_sizes) or stream_bytes < 1024:
        raise CnnbenchError("gemm sizes must be ≥ 1 and stream arrays at least 1 KiB")
    tdev, tdt = torch.device(dev), torch_dtype(dt)
    sync = device_sync(tdev)
    kw = {"budget_s": budget_s, "warmup_s": warmup_s, "min_samples": min_samples}
    with torch_threads(n_threads), torch.inference_mode():
        best, best_n = 0.0, int(gemm_sizes[0])
        for n in gemm_sizes:
            a = torch.randn(n, n, device=tdev).to(tdt)
            b = torch.randn(n, n, device=tdev).to(tdt)
            c = torch.empty(n, n, device=tdev, dtype=tdt)
            gflops = 2 * n**3 / _time(lambda a=a, b=b, c=c: torch.mm(a, b, out=c), sync, **kw) / 1e9
            if gflops > best:
                best, best_n = gflops, int(n)
        elems = stream_bytes // tdt.itemsize
        src = torch.ones(elems, device=tdev, dtype=tdt)
        dst = torch.empty_like(src)
        copy_gbps = 2 * elems * tdt.itemsize / _time(lambda: dst.copy_(src), sync, **kw) / 1e9
        third = torch.ones_like(src)
        triad_gbps = 3 * elems * tdt.itemsize / _time(lambda: torch.add(src, third, alpha=2, out=dst), sync,
                                                        **kw) / 1e9
        one = torch.zeros(1, device=tdev, dtype=tdt)
        out = torch.empty_like(one)
        dispatch_s = _time(lambda: torch.add(one, one, out=out), sync, stat="median", **kw)
    bandwidth = max(copy_gbps, triad_gbps)
    env = collect_env(device=dev, threads=n_threads)
    return {
        "peak_gflops": best,
        "bandwidth_gbps": bandwidth,
        "dispatch_overhead_us": dispatch_s * 1e6,
        "ridge_flop_per_byte": best / bandwidth,
        "copy_gbps": copy_gbps,
        "triad_gbps": triad_gbps,
        "gemm_n": best_n,
        "device": dev,
        "dtype": dt,
        "threads": n_threads,
        "fingerprint": fingerprint(env),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "protocol": {"gemm_sizes": [int(n) for n in gemm_sizes], "stream_bytes": int(stream_bytes),
                     "budget_s": budget_s, "warmup_s": warmup_s, "min_samples": min_samples,
                     "peak": "fastest sample", "dispatch": "median sample"},
        "env": env,
    }


def roofline_problem(roofline: Any) -> str | None:
    """What makes ``roofline`` unusable (a dict whose ``peak_gflops`` and ``bandwidth_gbps`` are finite numbers
    > 0 and ``dispatch_overhead_us`` a finite number ≥ 0), or ``None`` when it is usable."""
    import math

    if not isinstance(roofline, dict):
        return f"not an object (got {type(roofline).__name__})"
    for key, low in (("peak_gflops", 0.0), ("bandwidth_gbps", 0.0), ("dispatch_overhead_us", None)):
        v = roofline.get(key)
        if key not in roofline:
            return f"{key} is missing"
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or \
                (v <= low if low is not None else v < 0):
            return f"{key} must be a finite number {'> 0' if low is not None else '≥ 0'} (got {v!r})"
    return None


def check_roofline(roofline: Any, what: str = "roofline") -> None:
    """Refuses a roofline a division would fail on (peak or bandwidth ≤ 0, NaN...): :func:`roofline_problem`.

    Raises:
        CnnbenchError: One line naming the key.
    """
    problem = roofline_problem(roofline)
    if problem is not None:
        raise CnnbenchError(f"{what}: {problem}")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # missing or half-written/corrupt: measure again
    if roofline_problem(data) is not None:
        return None  # not a usable roofline (edited, or from a broken measurement): measure again
    return data


def cached_roofline(device: str = "cpu", dtype: str = "fp32", threads: int | None = None) -> dict[str, Any] | None:
    """The cached roofline of this machine at ``device``/``dtype``/``threads``, or ``None`` when none is cached."""
    data = _read(cache_path(device, dtype, threads))
    if data is not None:
        data["cached"] = True
    return data


def get_roofline(device: str = "cpu", dtype: str = "fp32", threads: int | None = None, *, refresh: bool = False,
                 **measure_kw: Any) -> dict[str, Any]:
    """The cached roofline, or a fresh measurement (saved to the cache) when none is cached or ``refresh``.

    The result says ``cached`` (True when read from the file) and ``cache_path``.
    """
    from cnnbench.store import write_atomic

    path = cache_path(device, dtype, threads)
    invalid = None
    if not refresh:
        data = _read(path)
        if data is not None:
            return {**data, "cached": True, "cache_path": str(path)}
        try:
            invalid = roofline_problem(json.loads(path.read_text()))
        except (OSError, ValueError):
            invalid = None  # missing (or half-written): nothing to say
    data = measure_roofline(device, dtype, threads, **measure_kw)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, indent=1) + "\n")
    except OSError as e:  # an unwritable cache costs a remeasurement next time, never the result
        data["cache_error"] = f"could not write {path}: {e.strerror or e}"
    if invalid is not None:  # said by the caller (explain warns); not stored in the new cache file
        data["cache_note"] = f"the cached roofline {path} was unusable ({invalid}): measured again"
    return {**data, "cached": False, "cache_path": str(path)}


def _median_ms(record: dict[str, Any]) -> float | None:
    lat = record.get("latency_ms")
    if isinstance(lat, dict):
        lat = lat.get("median")
    if lat is None:
        lat = record.get("latency_ms_median", record.get("median_ms"))
    try:
        v = float(lat)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def efficiency(record: dict[str, Any], roofline: dict[str, Any] | None) -> dict[str, float | None]:
    """Efficiency of one latency row: ``{"achieved_gflops", "roofline_fraction"}`` (``None``s when not computable).

    ``achieved_gflops`` = the row's FLOPs (``flops``, else 2 × ``macs``; the whole batch) ÷ median latency;
    ``roofline_fraction`` = achieved ÷ ``peak_gflops`` of ``roofline``. Rows with an error or without latency, and
    a roofline measured for another device or dtype than the row's, give ``None``.
    """
    none: dict[str, float | None] = {"achieved_gflops": None, "roofline_fraction": None}
    if not roofline or record.get("error"):
        return none
    for key in ("device", "dtype"):
        if record.get(key) is not None and roofline.get(key) is not None and str(record[key]) != str(roofline[key]):
            return none
    flops = record.get("flops")
    if flops is None and record.get("macs") is not None:
        flops = 2 * record["macs"]
    median = _median_ms(record)
    if not flops or median is None:
        return none
    achieved = float(flops) / (median / 1e3) / 1e9
    peak = float(roofline.get("peak_gflops") or 0)
    return {"achieved_gflops": achieved, "roofline_fraction": achieved / peak if peak > 0 else None}


def with_efficiency(profiles: list[Any], *, measure: bool = False) -> list[Any]:
    """``profiles`` with ``achieved_gflops`` and ``roofline_fraction`` on every latency row (issue: efficiency).

    The roofline is this machine's for the row's device, dtype and threads: read from the cache
    (``cnnbench roofline``), or measured and cached first when ``measure`` (``--roofline``). Rows without latency, and
    rows whose roofline is neither cached nor measured, are returned as they are (their keys stay absent).
    """
    from dataclasses import replace

    rooflines: dict[tuple[Any, ...], dict[str, Any] | None] = {}
    out = []
    for p in profiles:
        d = p.to_dict()
        if not d.get("latency_ms") or d.get("error"):
            out.append(p)
            continue
        key = (d.get("device") or "cpu", d.get("dtype") or "fp32", d.get("threads"))
        if key not in rooflines:
            rooflines[key] = get_roofline(*key) if measure else cached_roofline(*key)
        roof = rooflines[key]
        out.append(p if roof is None else replace(p, extra={**p.extra, **efficiency(d, roof)}))
    return out
