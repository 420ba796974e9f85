"""`cnnbench roofline`: the measured ceilings, their cache per machine fingerprint, --refresh; efficiency of a row;
the compute | memory | overhead rule on synthetic and on real layers.

Every measurement here is tiny (128/256 GEMMs, 4-16 MiB arrays, 0.05 s per kernel, 1 thread) and goes to a
temporary cache directory (``CNNBENCH_CACHE``).
"""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.explainer import bounds
from cnnbench.latency.roofline import KEYS, cache_path, cached_roofline, efficiency, get_roofline, measure_roofline

cli = CliRunner()
TINY = {"gemm_sizes": (128, 256), "stream_bytes": 4 * 2**20, "budget_s": 0.05, "warmup_s": 0.02, "min_samples": 3}
TINY_CLI = ["--threads", "1", "--gemm-size", "128", "--gemm-size", "256", "--stream-mb", "4", "--budget", "0.05"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBENCH_CACHE", str(tmp_path))
    return tmp_path / "roofline"


def test_measure_roofline_fields():
    from cnnbench.env import fingerprint

    r = measure_roofline("cpu", "fp32", 1, **TINY)
    assert set(KEYS) <= set(r)
    assert r["device"] == "cpu" and r["dtype"] == "fp32" and r["threads"] == 1
    assert r["peak_gflops"] > 0 and r["bandwidth_gbps"] > 0 and r["dispatch_overhead_us"] > 0
    assert r["bandwidth_gbps"] == max(r["copy_gbps"], r["triad_gbps"])
    assert r["ridge_flop_per_byte"] == pytest.approx(r["peak_gflops"] / r["bandwidth_gbps"])
    assert r["gemm_n"] in (128, 256)
    assert r["fingerprint"] == fingerprint(r["env"]) and r["env"]["threads"] == 1
    assert r["protocol"]["gemm_sizes"] == [128, 256]


def test_threads_restored():
    before = torch.get_num_threads()
    measure_roofline("cpu", "fp32", 1, **TINY)
    assert torch.get_num_threads() == before


def test_cache_per_fingerprint_and_refresh(cache):
    assert cached_roofline("cpu", "fp32", 1) is None
    first = get_roofline("cpu", "fp32", 1, **TINY)
    assert first["cached"] is False
    path = cache_path("cpu", "fp32", 1)
    assert path.parent == cache and path.is_file()
    assert path.name == f"{first['fingerprint']}-cpu-fp32-t1.json"
    again = get_roofline("cpu", "fp32", 1, **TINY)
    assert again["cached"] is True and again["peak_gflops"] == first["peak_gflops"]
    assert cached_roofline("cpu", "fp32", 1)["measured_at"] == first["measured_at"]
    # another thread count or dtype is another entry
    assert cached_roofline("cpu", "fp32", 2) is None and cached_roofline("cpu", "bf16", 1) is None
    # another machine (another CPU model) is another file
    other = cache_path("cpu", "fp32", 1, env={**first["env"], "cpu_model": "Some Other CPU"})
    assert other != path and other.parent == path.parent
    fresh = get_roofline("cpu", "fp32", 1, refresh=True, **TINY)
    assert fresh["cached"] is False
    assert json.loads(path.read_text())["peak_gflops"] == fresh["peak_gflops"]


def test_corrupt_cache_is_remeasured(cache):
    path = cache_path("cpu", "fp32", 1)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert cached_roofline("cpu", "fp32", 1) is None
    assert get_roofline("cpu", "fp32", 1, **TINY)["cached"] is False


def test_cli_json_cached_refresh(cache):
    res = cli.invoke(app, ["roofline", *TINY_CLI, "-f", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(KEYS) <= set(data) and data["cached"] is False and data["threads"] == 1
    res = cli.invoke(app, ["roofline", *TINY_CLI, "-f", "json"])
    assert json.loads(res.stdout)["cached"] is True
    res = cli.invoke(app, ["roofline", *TINY_CLI, "-f", "json", "--refresh"])
    assert json.loads(res.stdout)["cached"] is False
    res = cli.invoke(app, ["roofline", *TINY_CLI])
    assert res.exit_code == 0 and "GFLOP/s" in res.stdout and "(cached)" in res.stdout


def test_cli_bad_values_exit_2(cache):
    assert cli.invoke(app, ["roofline", "--threads", "0"]).exit_code == 2
    assert cli.invoke(app, ["roofline", "--dtype", "fp8"]).exit_code == 2
    if not torch.cuda.is_available():
        assert cli.invoke(app, ["roofline", "--device", "cuda"]).exit_code == 2
    assert not cache.exists()


# ----------------------------------------------------------------------------- efficiency of a latency row
ROOF = {"peak_gflops": 400.0, "bandwidth_gbps": 40.0, "dispatch_overhead_us": 5.0, "device": "cpu", "dtype": "fp32"}


def test_efficiency():
    # 1e9 MACs = 2e9 FLOPs in 10 ms → 200 GFLOP/s = half of a 400 GFLOP/s peak
    row = {"macs": 10**9, "flops": 2 * 10**9, "latency_ms": {"median": 10.0}, "device": "cpu", "dtype": "fp32"}
    assert efficiency(row, ROOF) == pytest.approx({"achieved_gflops": 200.0, "roofline_fraction": 0.5})
    assert efficiency({"macs": 10**9, "latency_ms": {"median": 10.0}}, ROOF)["achieved_gflops"] == pytest.approx(200)
    none = {"achieved_gflops": None, "roofline_fraction": None}
    assert efficiency(row, None) == none
    assert efficiency({**row, "latency_ms": None}, ROOF) == none
    assert efficiency({**row, "error": "build failed: x"}, ROOF) == none
    assert efficiency({**row, "device": "cuda:0"}, ROOF) == none  # a CPU roofline says nothing about a GPU row
    assert efficiency({**row, "dtype": "fp16"}, ROOF) == none


# ----------------------------------------------------------------------------- bound rule
def test_bound_synthetic_layers():
    # ridge = 400 / 40 = 10 FLOP/byte
    # large GEMM 2048³: 2·2048³ = 17,179,869,184 FLOPs, 3·2048²·4 = 50,331,648 bytes → 341 FLOP/B; at 80% of peak
    f, b = 2 * 2048**3, 3 * 2048**2 * 4
    t = f / (0.8 * 400e9)
    assert bounds.classify(f, b, t, 1, ROOF) == "compute"
    assert bounds.layer_metrics(f, b, t, ROOF)["roofline_fraction"] == pytest.approx(0.8)
    # element-wise add of 2^24 fp32 elements: no FLOP formula (0), 3·2^24·4 = 201,326,592 bytes at 30 GB/s
    b = 3 * 2**24 * 4
    assert bounds.classify(0, b, b / 30e9, 1, ROOF) == "memory"
    assert bounds.layer_metrics(0, b, b / 30e9, ROOF)["roofline_fraction"] == pytest.approx(0.75)
    # one element: 12 bytes in 6 µs, dispatch 5 µs: 6 < 2 × 5
    assert bounds.classify(1, 12, 6e-6, 1, ROOF) == "overhead"
    # far below both roofs: the GEMM at 5% of its roof, and many tiny ops
    assert bounds.classify(2 * 2048**3, 3 * 2048**2 * 4, 2 * 2048**3 / 20e9, 1, ROOF) == "overhead"
    assert bounds.classify(f, 3 * 2048**2 * 4, f / 320e9, 10**6, ROOF) == "overhead"  # 54 ns per op
    assert bounds.classify(0, 0, 1e-3, 1, ROOF) == "overhead"  # moves nothing (views)


def test_bound_real_layers():
    """The same three layers run for real on this machine (1 thread), against its own tiny roofline."""
    from cnnbench.latency import measure

    roof = measure_roofline("cpu", "fp32", 1, **{**TINY, "stream_bytes": 16 * 2**20})
    kw = {"warmup_min_iters": 2, "warmup_min_s": 0.02, "min_samples": 3, "budget_s": 0.05}
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b, c = torch.randn(256, 256), torch.randn(256, 256), torch.empty(256, 256)
        t = measure(lambda: torch.mm(a, b, out=c), **kw).min / 1e3
        assert bounds.classify(2 * 256**3, 3 * 256**2 * 4, t, 1, roof) == "compute"  # 42.7 FLOP/B
        x, y, z = torch.ones(2**22), torch.ones(2**22), torch.empty(2**22)
        t = measure(lambda: torch.add(x, y, out=z), **kw).min / 1e3
        assert bounds.classify(0, 3 * 2**22 * 4, t, 1, roof) == "memory"
        one, out = torch.zeros(1), torch.empty(1)
        t = measure(lambda: torch.add(one, one, out=out), **kw).median / 1e3
        assert bounds.classify(0, 12, t, 1, roof) == "overhead"
    finally:
        torch.set_num_threads(prev)


@pytest.mark.gpu
def test_roofline_cuda(cache):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    r = get_roofline("cuda", "fp16", None, gemm_sizes=(1024, 2048), stream_bytes=64 * 2**20, budget_s=0.05,
                     warmup_s=0.02, min_samples=3)
    assert r["device"].startswith("cuda") and r["peak_gflops"] > 0 and r["bandwidth_gbps"] > 0
    assert r["env"]["gpu_name"]


def test_latency_rows_get_efficiency_from_the_cached_roofline(cache):
    import cnnbench
    from cnnbench.latency import with_efficiency

    rows = cnnbench.profile("squeezenet1_1", input_size=(3, 32, 32), latency=True, threads=1, budget=0.05,
                            min_samples=3, warmup=0)
    assert "roofline_fraction" not in rows[0].to_dict()  # nothing cached yet: no efficiency keys
    roof = get_roofline("cpu", "fp32", 1, **TINY)  # what `cnnbench roofline --threads 1` caches
    (p,) = with_efficiency(list(rows))
    d = p.to_dict()
    # achieved = model FLOPs (2 × MACs, the whole batch) ÷ median seconds; fraction = achieved ÷ measured peak
    achieved = d["flops"] / (d["latency_ms"]["median"] / 1e3) / 1e9
    assert d["achieved_gflops"] == pytest.approx(achieved)
    assert d["roofline_fraction"] == pytest.approx(achieved / roof["peak_gflops"])
    (static,) = with_efficiency(list(cnnbench.profile("squeezenet1_1", input_size=(3, 32, 32))))
    assert "achieved_gflops" not in static.to_dict()  # no latency, no efficiency


def test_compare_sort_efficiency_is_highest_first():
    from cnnbench.comparison import check_sort, sort_records

    recs = [{"model": m, "device": "cpu", "runtime": "eager", "batch_size": 1, "roofline_fraction": f}
            for m, f in (("a", 0.1), ("b", None), ("c", 0.4), ("d", 0.2))]
    assert [r["model"] for r in sort_records(recs, "efficiency")] == ["c", "d", "a", "b"]  # missing last
    with pytest.raises(CnnbenchError, match="--sort efficiency needs latency"):
        check_sort("efficiency", has_latency=False)
