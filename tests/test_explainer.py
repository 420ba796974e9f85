"""`cnnbench explain`: per-module time joined with the static trace's costs and the roofline.

Tiny models, 1 thread, a tiny roofline measured once per module (same machine load as the explained run), short
budgets. The ONNX Runtime profile parser is tested on hand-written events; one tiny model goes through ORT for real.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.explainer.explanation import TOP
from cnnbench.explainer.ort_profile import parse_ort_profile
from cnnbench.latency import get_roofline, measure_roofline

cli = CliRunner()
FAST = {"threads": 1, "budget": 0.2, "min_samples": 5, "warmup": 0.05, "iterations": 8}
TINY = {"gemm_sizes": (128, 256), "stream_bytes": 4 * 2**20, "budget_s": 0.05, "warmup_s": 0.02, "min_samples": 3}


def conv_relu() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(32, 32, 3, padding=1), nn.ReLU())


@pytest.fixture(scope="module")
def roof():
    return measure_roofline("cpu", "fp32", 1, **TINY)


@pytest.fixture(scope="module")
def tiny(roof):
    from cnnbench.explainer import explain

    model = conv_relu()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ex = explain(model, input_size=(32, 64, 64), roofline=roof, **FAST)
    return model, before, ex


def test_conv_dominates_and_is_compute_bound(tiny):
    _, _, ex = tiny
    assert ex.error is None
    rows = {r["module"]: r for r in ex.layers}
    conv, relu = rows["0"], rows["1"]
    assert conv["module_type"] == "Conv2d" and relu["module_type"] == "ReLU"
    assert conv["macs"] == 64 * 64 * 32 * 32 * 9  # 37,748,736: Ho·Wo·Cout·Cin·k²
    assert conv["flops"] == 2 * conv["macs"]
    # bytes: input 32·64·64·4 + weight 32·32·9·4 + bias 32·4 + output 32·64·64·4 = 1,085,568
    assert conv["memory_access_bytes"] == 524288 + 36864 + 128 + 524288
    assert conv["arithmetic_intensity"] == pytest.approx(75497472 / 1085568)  # 69.5 FLOP/B
    assert conv["share"] == max(r["share"] for r in ex.layers)
    assert conv["bound"] == "compute"
    assert relu["bound"] in ("memory", "overhead")
    assert relu["memory_access_bytes"] == 2 * 524288 and relu["macs"] == 0
    assert sum(r["share"] for r in ex.layers) == pytest.approx(1.0)
    for r in ex.layers:
        assert r["achieved_gflops"] == pytest.approx(r["flops"] / (r["time_ms"] / 1e3) / 1e9)


def test_module_paths_equal_the_static_trace(tiny):
    from cnnbench.analysis import analyze

    model, _, ex = tiny
    static = {g.name for g in analyze(model, (torch.empty(1, 32, 64, 64, device="meta"),)).by_module(1)}
    names = {r["module"] for r in ex.layers}
    assert static == {"0", "1"}
    assert names - {TOP} == static  # the model's own forward (Sequential's Python) is the top level's time
    assert {r["module"] for r in ex.layers if r["macs"] or r["memory_access_bytes"]} == static


def test_model_left_unchanged(tiny):
    model, before, _ = tiny
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model.training  # never switched to eval (the copy was)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_reconciliation_from_the_same_run(tiny):
    _, _, ex = tiny
    d = ex.to_dict()
    for key in ("model", "end_to_end_ms", "sum_of_layers_ms", "profiler_overhead", "roofline", "layers",
                "reconciliation", "op_types"):
        assert key in d
    assert d["end_to_end_ms"] == d["end_to_end"]["median"] > 0
    assert d["end_to_end"]["samples"] >= 5
    assert d["sum_of_layers_ms"] == pytest.approx(sum(r["time_ms"] for r in d["layers"]))
    over, rec = d["profiler_overhead"], d["reconciliation"]
    assert over["ms"] >= 0 and over["fraction"] == pytest.approx(over["ms"] / d["end_to_end_ms"])
    assert rec["difference_ms"] == pytest.approx(d["sum_of_layers_ms"] - d["end_to_end_ms"])
    # eager CPU: layer times from the hooks, the profiler only splits them; its overhead is its own run's
    assert d["timing_source"].startswith("forward hooks")
    assert over["ms"] == pytest.approx(max(d["profiled_total_ms"] - d["end_to_end_ms"], 0.0))
    assert d["profiled_iterations"] == FAST["iterations"]
    # hooked inferences are interleaved with the end-to-end samples: at least as many (a block may hold several)
    assert d["timed_inferences"] >= d["end_to_end"]["samples"]
    assert d["roofline"]["peak_gflops"] > 0 and "env" not in d["roofline"]
    json.dumps(d, default=str)


class _Sleepy(nn.Module):
    """``a`` sleeps 20 ms, ``b`` 5 ms inside ``a``'s sibling ``c`` (depth 2), the model's own code 3 ms."""

    def __init__(self):
        super().__init__()
        self.a = _Sleep(0.020)
        self.c = nn.Sequential(_Sleep(0.005), nn.Identity())

    def forward(self, x):
        import time

        time.sleep(0.003)
        return self.c(self.a(x))


class _Sleep(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        import time

        time.sleep(self.s)
        return x


def test_module_timer_times_modules_with_hooks_only():
    from cnnbench.explainer.attribution import ModuleTimer

    model = _Sleepy()
    timer = ModuleTimer(model, max_depth=1)
    call = timer.call(lambda: model(torch.ones(1)))
    model(torch.ones(1))  # outside call(): not recorded
    assert timer.iterations == []
    for _ in range(4):
        call()
    timer.remove()
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    t = timer.timing()
    assert t.iterations == 4 and set(t.self_ms) == {"", "a", "c"}
    # sleeps are wall time: each module's self time is its sleep (+ at most a few ms of scheduling)
    assert 20 <= t.self_ms["a"] < 26 and 5 <= t.self_ms["c"] < 10 and 3 <= t.self_ms[""] < 8
    assert sum(t.self_ms.values()) == pytest.approx(t.total_ms)
    deep = ModuleTimer(model, max_depth=2)
    deep.call(lambda: model(torch.ones(1)))()
    deep.remove()
    (self_s, total_s), = deep.iterations
    # c.0 sleeps 5 ms inside c: c's own time is only Sequential's loop
    assert set(self_s) == {"", "a", "c", "c.0", "c.1"} and self_s["c"] < 0.003 and self_s["c.0"] >= 0.005
    assert sum(self_s.values()) == pytest.approx(total_s) and total_s >= 0.028


def test_module_times_split_by_the_profiled_proportions():
    from cnnbench.explainer.attribution import Timing, with_module_times

    hooks = Timing({"": 1.0, "conv": 6.0, "fc": 2.0}, {}, {}, total_ms=9.0, iterations=40, kept=20)
    # the profiled run was slower (its per-op cost), in other proportions per module
    prof = Timing({"": 2.0, "conv": 8.0}, {("", "framework (python)"): 2.0, ("conv", "conv"): 6.0,
                                           ("conv", "norm"): 2.0},
                  {("conv", "conv"): 1.0, ("conv", "norm"): 1.0}, total_ms=10.0, iterations=8, kept=4)
    t = with_module_times(hooks, prof)
    # conv: 6 ms split 6:2 → 4.5 + 1.5; the top level's 1 ms all framework; fc unseen by the profiler → framework
    assert t.op_ms == pytest.approx({("", "framework (python)"): 1.0, ("conv", "conv"): 4.5, ("conv", "norm"): 1.5,
                                     ("fc", "framework (python)"): 2.0})
    assert t.self_ms == hooks.self_ms and t.total_ms == 9.0 and t.op_calls == prof.op_calls
    assert sum(t.op_ms.values()) == pytest.approx(t.total_ms)


def test_by_op_and_op_type_totals(roof):
    from cnnbench.explainer import explain  # the package's lazy forwarder to cnnbench.explainer.run.explain

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.Conv2d(16, 32, 1), nn.ReLU())
    ex = explain(model, input_size=(16, 32, 32), roofline=roof, by="op", **FAST)
    assert ex.error is None
    ops = {(r["module"], r["op"]): r for r in ex.layers}
    # depthwise 3×3: 32·32·16·9 = 147,456 MACs; pointwise 16→32: 32·32·32·16 = 524,288 MACs
    assert ops[("0", "depthwise conv")]["macs"] == 147456
    assert ops[("1", "conv")]["macs"] == 524288
    assert ops[("2", "activation")]["time_ms"] > 0
    assert ("0", "framework (python)") in ops
    assert sum(r["time_ms"] for r in ex.layers) == pytest.approx(ex.sum_of_layers_ms)
    types = {t["op_type"]: t for t in ex.op_types}
    assert types["depthwise conv"]["macs_share"] == pytest.approx(147456 / (147456 + 524288))
    assert sum(t["time_share"] for t in ex.op_types) == pytest.approx(1.0)
    assert any(s.startswith("depthwise conv: 22% of MACs") for s in ex.summary(10))  # 147456/671744 = 21.95%


def test_top_and_depth(roof):
    from cnnbench.explainer import explain

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 16 * 16, 10))

        def forward(self, x):
            return self.head(self.stem(x))

    ex1 = explain(Net(), input_size=(3, 16, 16), roofline=roof, **FAST)
    assert {r["module"] for r in ex1.layers} == {"stem", "head", TOP}
    ex2 = explain(Net(), input_size=(3, 16, 16), roofline=roof, depth=2, top=2, **FAST)
    assert len(ex2.layers) == 2
    assert {r["module"] for r in ex2.layers} <= {"stem.0", "stem.1", "head.0", "head.1", TOP}
    assert ex2.layers[0]["time_ms"] >= ex2.layers[1]["time_ms"]


def test_failed_model_is_a_row_and_bad_options_raise(roof):
    from cnnbench.errors import CnnbenchError
    from cnnbench.explainer import explain

    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("nope")

    ex = explain(Bad(), input_size=(3, 8, 8), roofline=roof, **FAST)
    assert ex.error and "nope" in ex.error and ex.layers == []
    for kw in ({"runtime": "tensorrt"}, {"by": "layer"}, {"depth": 0}, {"top": 0}):
        with pytest.raises(CnnbenchError):
            explain(conv_relu(), input_size=(32, 8, 8), roofline=roof, **{**FAST, **kw})


# ----------------------------------------------------------------------------- torch.compile (regional)
def test_region_names():
    from cnnbench.explainer.regional import region_names

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3)
            self.body = nn.Sequential(nn.Sequential(nn.Conv2d(8, 8, 3), nn.ReLU()), nn.ReLU())

        def forward(self, x):
            return self.body(self.stem(x))

    # depth 1: each child; depth 2: body's children, and stem (a leaf, its row is its own); never the model itself
    assert region_names(Net(), 1) == ["stem", "body"]
    assert region_names(Net(), 2) == ["stem", "body.0", "body.1"]
    assert region_names(Net(), 3) == ["stem", "body.0.0", "body.0.1", "body.1"]


def test_compile_is_regional_and_timed_beside_the_whole_model(roof):
    from cnnbench.explainer import explain

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ex = explain(model, input_size=(16, 32, 32), roofline=roof, runtime="compile", **FAST)
    assert ex.error is None, ex.error
    # the caller's model: same weights, no compiled forward left on it, no hooks
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all("forward" not in m.__dict__ and not m._forward_hooks for m in model.modules())
    assert ex.compile["regions"] == 4 and ex.compile["whole_model_ms"] > 0
    assert ex.compile["regional_vs_whole"] == pytest.approx(ex.end_to_end_ms / ex.compile["whole_model_ms"])
    assert ex.compile["whole_model"]["samples"] >= FAST["min_samples"]
    rows = {r["module"]: r for r in ex.layers}
    assert rows["0"]["macs"] == 32 * 32 * 16 * 16 * 9 and rows["0"]["time_ms"] > 0
    assert sum(r["time_ms"] for r in ex.layers) == pytest.approx(ex.sum_of_layers_ms)
    types = {t["op_type"]: t for t in ex.op_types}
    # Inductor calls the convolutions as extern kernels (seen by the profiler); the ReLUs are generated code
    assert types["conv"]["time_ms"] > 0 and types["fused kernels (inductor)"]["time_ms"] > 0
    assert types["activation"]["time_ms"] == 0
    assert any("Regional compilation" in n for n in ex.notes)


def test_profiled_compiled_region_splits_extern_ops_from_fused_kernels():
    from types import SimpleNamespace as E

    from cnnbench.explainer.attribution import _Iteration, _walk

    def ev(name, t, children=()):
        return E(name=name, cpu_time_total=t, device_time_total=0, cpu_children=list(children))

    # module "b" (100 µs): guards 10, a compiled region of 80 holding one conv (50) → fused kernels 30, framework 20
    region = ev("Torch-Compiled Region: 0/1", 80, [ev("## Call CompiledFxGraph x ##", 75,
                                                      [ev("aten::convolution", 50, [ev("aten::_convolution", 49)])])])
    root = ev("cnnbench.module::", 130, [ev("cnnbench.module::b", 100, [ev("TorchDynamo Cache Lookup", 10), region])])
    it = _Iteration()
    _walk(root, "", it, {"b": ["depthwise conv"]}, False)
    assert it.op_us == pytest.approx({("b", "depthwise conv"): 50, ("b", "fused kernels (inductor)"): 30,
                                      ("b", "framework (python)"): 20, ("", "framework (python)"): 30})
    assert it.self_us == pytest.approx({"b": 100, "": 30})


# ----------------------------------------------------------------------------- ONNX Runtime
def test_parse_ort_profile_maps_nodes_to_modules():
    from cnnbench.analysis import OpRecord

    def rec(op, module):
        return OpRecord(op, module, "", ((1, 3, 8, 8), (4, 3, 3, 3)), ((1, 4, 8, 8),), 0, 0, 0, 0, 0, True, False)

    records = [rec("convolution", "conv1"), rec("_native_batch_norm_legit_no_training", "bn1"), rec("relu_", "relu"),
               rec("addmm", "fc")]
    scopes = {"node_conv2d": "conv1", "relu": "relu", "node_linear": "fc", "linear": "fc"}

    def run(scale):
        return [
            {"cat": "Node", "name": "relu_nchwc_kernel_time", "dur": 100 * scale, "args": {"op_name": "Conv"}},
            {"cat": "Node", "name": "ReorderOutput_kernel_time", "dur": 10 * scale, "args": {"op_name": "Reorder"}},
            {"cat": "Node", "name": "node_linear_kernel_time", "dur": 20 * scale, "args": {"op_name": "Gemm"}},
            {"cat": "Session", "name": "model_run", "dur": 140 * scale},
        ]

    events = run(50) + run(1) + run(1) + run(1)  # a slow warm-up run first
    t = parse_ort_profile(events, scopes, skip_runs=1, records=records)
    assert t.iterations == 3
    # the fused conv+bn+relu node (named after relu's output) belongs to conv1, the module that has the conv;
    # ORT's inserted reorder goes to the node before it
    assert t.self_ms == pytest.approx({"conv1": 0.110, "fc": 0.020, "": 0.010})
    assert t.op_ms[("conv1", "conv")] == pytest.approx(0.100)
    assert t.op_ms[("", "framework (python)")] == pytest.approx(0.010)  # 140 - 130 µs of session overhead
    assert t.total_ms == pytest.approx(0.140)


def test_onnx_runtime_tiny_model(roof, tmp_path, monkeypatch):
    from cnnbench.explainer import explain

    monkeypatch.setenv("CNNBENCH_CACHE", str(tmp_path))
    ex = explain(conv_relu(), input_size=(32, 32, 32), roofline=roof, runtime="onnx", **FAST)
    assert ex.error is None, ex.error
    assert ex.timing_source == "ONNX Runtime node profiling"
    rows = {r["module"]: r for r in ex.layers}
    assert rows["0"]["time_ms"] > 0 and rows["0"]["macs"] == 32 * 32 * 32 * 32 * 9
    assert sum(r["time_ms"] for r in ex.layers) == pytest.approx(ex.sum_of_layers_ms)
    assert ex.profiler_overhead["ms"] >= 0


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def cached_roof(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBENCH_CACHE", str(tmp_path))
    return get_roofline("cpu", "fp32", 1, **TINY)  # the CLI finds it cached: nothing long is measured


CLI_FAST = ["--threads", "1", "--budget", "0.2", "--iterations", "5"]
MODEL = "tests/data/user_models.py:TwoConv"


def test_cli_json_table_plot(cached_roof, tmp_path):
    res = cli.invoke(app, ["explain", MODEL, "--input-size", "3x32x32", *CLI_FAST, "-f", "json"])
    assert res.exit_code == 0, res.output
    (d,) = json.loads(res.stdout)
    assert d["model"] == MODEL and d["roofline"]["cached"] is True
    assert [r["module"] for r in d["layers"] if r["module"] != TOP] == ["a", "b"]
    assert d["layers"][0]["macs"] == 32 * 32 * 4 * 3 * 9  # 110,592
    png = tmp_path / "ex.png"
    res = cli.invoke(app, ["explain", MODEL, "--input-size", "3x32x32", *CLI_FAST, "--by", "op", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert "end-to-end median" in res.stdout and "profiler overhead" in res.stdout and "bound" in res.stdout
    assert png.stat().st_size > 10_000


def test_cli_errors_exit_2(cached_roof, tmp_path):
    # each: one line, exit 2, before the first progress line ("explain MODEL (...)") and before anything is measured
    for extra, says in ((["--runtime", "openvino"], "unknown runtime 'openvino'"), (["--by", "x"], "unknown --by"),
                        (["--depth", "0"], "--depth must be an integer ≥ 1 (got 0)"),
                        (["--top", "0"], "--top must be an integer ≥ 1 (got 0)"), (["--budget", "0"], "--budget"),
                        (["--plot", str(tmp_path / "x.txt")], "use a .png, .svg or .pdf file name"),
                        (["--plot", str(tmp_path / "nodir" / "x.png")], "does not exist"),
                        (["-b", "0"], "batch_size must be an integer ≥ 1")):
        res = cli.invoke(app, ["explain", MODEL, "--input-size", "3x32x32", *CLI_FAST, *extra])
        assert res.exit_code == 2, (extra, res.output)
        assert res.stderr.strip().splitlines() == [res.stderr.strip()] and says in res.stderr, (extra, res.stderr)
        assert f"explain {MODEL}" not in res.stderr and res.stdout == "", (extra, res.output)
    if not torch.cuda.is_available():
        res = cli.invoke(app, ["explain", MODEL, "--device", "cuda"])
        assert res.exit_code == 2 and res.stderr.startswith("error: CUDA is not available"), res.output
    assert cli.invoke(app, ["explain", "resnet_nope"]).exit_code == 2


def test_cli_plot_write_failure_keeps_the_table_and_the_other_file(cached_roof, tmp_path):
    full = __import__("pathlib").Path("/dev/full")
    if not full.is_char_device():
        pytest.skip("no /dev/full")
    plot, csv_out = tmp_path / "ex.png", tmp_path / "rows.csv"
    plot.symlink_to(full)  # a .png name that writes into /dev/full: the write fails after measuring (ENOSPC)
    res = cli.invoke(app, ["explain", MODEL, "--input-size", "3x32x32", *CLI_FAST, "--plot", str(plot),
                           "-o", str(csv_out)])
    assert res.exit_code == 2, res.output
    assert f"could not write {plot}: No space left on device" in res.stderr
    assert "end-to-end median" in res.stdout  # the table was printed
    lines = csv_out.read_text().splitlines()  # and the other output written: a, b and the top level
    assert len(lines) == 4 and lines[0].startswith("model,macs")
    assert full.is_char_device() and plot.is_symlink()  # written into, never replaced


def test_an_unusable_roofline_is_refused_or_measured_again(tmp_path, monkeypatch):
    from cnnbench.errors import CnnbenchError
    from cnnbench.explainer import explain
    from cnnbench.latency.roofline import cache_path, cached_roofline

    good = {"peak_gflops": 100.0, "bandwidth_gbps": 10.0, "dispatch_overhead_us": 1.0}
    for bad, says in (({**good, "peak_gflops": 0}, "peak_gflops must be a finite number > 0 (got 0)"),
                      ({**good, "bandwidth_gbps": float("nan")}, "bandwidth_gbps must be a finite number > 0"),
                      ({**good, "dispatch_overhead_us": -1}, "dispatch_overhead_us must be a finite number ≥ 0")):
        with pytest.raises(CnnbenchError, match=re.escape(f"roofline: {says}")):
            explain(conv_relu(), input_size=(32, 8, 8), roofline=bad, **FAST)
    # a cache file with peak 0 (edited, or from a broken run) is not used: measured again, with a note
    monkeypatch.setenv("CNNBENCH_CACHE", str(tmp_path))
    path = cache_path("cpu", "fp32", 1)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**good, "peak_gflops": 0.0}))
    assert cached_roofline("cpu", "fp32", 1) is None
    roof = get_roofline("cpu", "fp32", 1, **TINY)
    assert roof["cached"] is False and roof["peak_gflops"] > 0
    assert roof["cache_note"].endswith("unusable (peak_gflops must be a finite number > 0 (got 0.0)): measured again")
    assert json.loads(path.read_text())["peak_gflops"] == roof["peak_gflops"]  # the cache now holds the new one
    assert "cache_note" not in json.loads(path.read_text())


def _explain_cuda(runtime: str):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    from cnnbench.explainer import explain

    roof = measure_roofline("cuda", "fp32", None, gemm_sizes=(1024,), stream_bytes=64 * 2**20, budget_s=0.05,
                            warmup_s=0.02, min_samples=3)
    ex = explain(conv_relu(), input_size=(32, 64, 64), roofline=roof, device="cuda", runtime=runtime, budget=0.2,
                 min_samples=5, warmup=0.05, iterations=8)
    assert ex.error is None, ex.error
    return ex


@pytest.mark.gpu
def test_explain_cuda():
    ex = _explain_cuda("eager")
    assert "CUDA kernel" in ex.timing_source
    rows = {r["module"]: r for r in ex.layers}
    assert rows["0"]["time_ms"] > 0 and rows["0"]["share"] == max(r["share"] for r in ex.layers)


@pytest.mark.gpu
def test_explain_compile_cuda():
    ex = _explain_cuda("compile")
    assert ex.compile["regions"] == 2 and ex.compile["whole_model_ms"] > 0
    assert {r["module"] for r in ex.layers} >= {"0", "1"}


# ----------------------------------------------------------------------------- regnet-activations (static part)
def test_regnet_activations_static_and_correlation():
    import pandas as pd

    from cnnbench.reproduce import RunOptions
    from cnnbench.reproduce import regnet_activations as ra

    df = ra.static_table(("regnet_x_400mf", "regnet_y_400mf"))
    assert (df["params"] == df["torchvision params"]).all()  # 5,495,976 and 4,344,144
    assert (df["GMACs Δ %"].abs() < 0.5).all()  # torchvision: 0.414 / 0.402 GFLOPS (= GMACs)
    assert df.loc[0, "activations (M)"] > 3  # output elements of every conv/linear at 224×224
    # hand-made timings: latency = 2 ms per M activations exactly → r(activations) = 1 > r(MACs)
    fake = pd.DataFrame({"family": ["RegNetX"] * 3 + ["RegNetY"] * 3, "GMACs": [1, 2, 3, 1, 2, 3],
                         "activations (M)": [5, 3, 9, 4, 8, 6], "memory access (MB)": [1, 2, 3, 4, 5, 6]})
    fake["latency ms"] = 2 * fake["activations (M)"]
    corr = ra.correlations(fake).set_index("predictor")
    assert corr.loc["activations", "pearson r (all)"] == pytest.approx(1.0)
    assert corr.loc["MACs", "pearson r (all)"] < 0.9
    assert ra.verdict(corr.reset_index(), "cpu").startswith("Holds on this CPU")
    res = ra.run(RunOptions(latency=False), models=("regnet_x_400mf",))
    assert res.name == "regnet-activations" and len(res.sections) == 1 and "0.05%" in res.verdicts[0]


def test_cli_plot_of_several_file_models_one_file_each(cached_roof, tmp_path):
    # a file.py:Class name has a slash and a colon: each model's chart gets a file name made safe
    png = tmp_path / "ex.png"
    res = cli.invoke(app, ["explain", MODEL, "tests/data/user_models.py:two_conv", "--input-size", "3x32x32",
                           *CLI_FAST, "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.glob("ex-*.png")) == ["ex-tests_data_user_models.py_TwoConv.png",
                                                                 "ex-tests_data_user_models.py_two_conv.png"]
