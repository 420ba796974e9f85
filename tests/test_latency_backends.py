"""The deployment runtimes (openvino, onnx-int8, onnx-fp16, tensorrt), --precision, --compile-mode, and the check of
every runtime against eager before it is timed (CPU; the CUDA paths are @pytest.mark.gpu)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.latency import (
    LatencyOptions,
    OutputMismatchError,
    Runner,
    check_runner,
    compare_outputs,
    prepare_runner,
    run_latency,
)
from cnnbench.latency.runner import flat_leaves, torch_leaves

PROTOCOL = {"warmup_min_iters": 2, "warmup": 0.0, "min_samples": 3, "budget": 0.05}
SHAPE = (2, 3, 32, 32)
ROOT = Path(__file__).resolve().parent.parent
cli = CliRunner()
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="tests the no-CUDA path")


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


class Elementwise(nn.Module):
    """No Conv/MatMul/Gemm: nothing for int8 to quantise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x * 2 + 1)


def row(runtime: str, tmp_path: Path, **kw) -> dict:
    dtype = kw.pop("dtype", "fp32")  # the row's; the rest are options
    opts = LatencyOptions(threads=kw.pop("threads", 1), onnx_dir=tmp_path, **PROTOCOL, **kw)
    r = run_latency(small_cnn, SHAPE, opts, runtime=runtime, dtype=dtype, model_key="small")
    d = r.to_dict()
    json.dumps(d)  # JSON-ready, details included
    return d


def assert_measured(d: dict, runtime: str, precision: str) -> dict:
    assert d["error"] is None, d["error"]
    assert (d["runtime"], d["precision"], d["batch_size"]) == (runtime, precision, 2)
    assert d["latency_ms"]["median"] > 0 and d["latency_ms"]["samples"] >= 3
    return d["details"]["check_vs_eager"]


# ---- each CPU runtime: a row, checked against eager ------------------------------------------------------------------

def test_onnx_and_openvino_rows_share_one_export_and_match_eager(tmp_path):
    onnx = row("onnx", tmp_path)
    check = assert_measured(onnx, "onnx", "fp32")
    assert check["max_abs_diff"] < 1e-4 * check["eager_scale"] + 1e-6 and check["cosine"] > 0.9999
    ov = row("openvino", tmp_path)
    check = assert_measured(ov, "openvino", "fp32")
    assert ov["details"]["onnx_cached"] and ov["details"]["onnx_path"] == onnx["details"]["onnx_path"]
    # OpenVINO defaults to bf16 on AMX/AVX512-BF16 CPUs: the row asks for (and reads back) f32
    assert ov["details"]["openvino_precision"] == "f32" and ov["details"]["openvino_hint"] == "LATENCY"
    assert ov["compile_s"] > 0 and check["max_abs_diff"] < 1e-3 * check["eager_scale"]


@pytest.mark.parametrize("threads", [1, 2])
def test_threads_are_honoured_and_read_back(tmp_path, threads):
    ov = row("openvino", tmp_path, threads=threads)
    assert ov["error"] is None and ov["threads"] == threads
    assert ov["details"]["openvino_threads"] == threads  # INFERENCE_NUM_THREADS read back from the compiled model
    ort = row("onnx", tmp_path, threads=threads)
    assert ort["details"]["onnx_intra_op_threads"] == threads  # SessionOptions.intra_op_num_threads read back


@pytest.mark.parametrize("scheme", ["static", "dynamic"])
def test_onnx_int8_row_states_its_scheme_and_is_cached_beside_the_export(tmp_path, scheme):
    d = row("onnx-int8", tmp_path, quantization=scheme)
    check = assert_measured(d, "onnx-int8", "int8")
    q = d["details"]["quantization"]
    assert q["scheme"] == scheme and q["weights"] == "int8 per-channel" and q["quantized_ops"] == 3  # 2 conv + 1 gemm
    assert q["format"] == ("QDQ" if scheme == "static" else "ConvInteger/MatMulInteger")
    assert check["cosine"] >= 0.98 and check["rule"] == "int8: cosine ≥ 0.98"
    int8 = Path(d["details"]["onnx_int8_path"])
    assert int8.parent == Path(d["details"]["onnx_path"]).parent and int8.is_file()  # beside the fp32 export
    again = row("onnx-int8", tmp_path, quantization=scheme)
    assert again["details"]["quantization"]["cached"] and again["details"]["onnx_int8_path"] == str(int8)


def test_int8_on_a_model_with_nothing_to_quantise_is_an_error_row(tmp_path):
    r = run_latency(Elementwise, SHAPE, LatencyOptions(onnx_dir=tmp_path, **PROTOCOL), runtime="onnx-int8", model_key="ew")
    assert r.latency is None
    assert r.error.startswith("quantize failed: RuntimeError: nothing to quantise: the graph has no Conv, MatMul")
    assert "\n" not in r.error and "\x1b" not in r.error


# ---- amp vs cast: different rows, different labels -------------------------------------------------------------------

@pytest.mark.parametrize(("kw", "label"), [({"precision": "amp-bf16"}, "amp-bf16"), ({"dtype": "bf16"}, "cast-bf16"),
                                           ({"precision": "amp-fp16"}, "amp-fp16"), ({}, "fp32")])
def test_amp_and_cast_rows_are_labelled_apart(tmp_path, kw, label):
    d = row("eager", tmp_path, **kw)
    assert d["error"] is None, d["error"]  # this torch supports CPU autocast in fp16 and bf16
    assert d["precision"] == label and d["dtype"] == kw.get("dtype", "fp32")
    if label == "fp32":
        assert "check_vs_eager" not in d["details"]  # eager fp32 is the reference
    else:
        check = d["details"]["check_vs_eager"]
        assert check["rule"].startswith("bf16" if "bf16" in label else "fp16")
        assert d["details"].get("autocast") == kw.get("precision")


def test_amp_really_runs_under_autocast():
    runner = prepare_runner(small_cnn, SHAPE, LatencyOptions(precision="amp-bf16", verify=False))
    try:
        assert runner.call().dtype == torch.bfloat16  # Linear under CPU autocast(bf16) returns bf16; weights fp32
    finally:
        runner.close()


def test_compile_mode_is_passed_and_recorded(tmp_path):
    r = run_latency(small_cnn, SHAPE, LatencyOptions(compile_mode="reduce-overhead", threads=1, **PROTOCOL), runtime="compile")
    if r.error and any(s in r.error.lower() for s in ("compiler", "toolchain", "cpp")):
        pytest.skip(f"no working C++ toolchain: {r.error}")
    assert r.error is None and r.details["compile_mode"] == "reduce-overhead"
    assert r.details["check_vs_eager"]["max_abs_diff"] <= 1e-4 * r.details["check_vs_eager"]["eager_scale"] + 1e-6


# ---- a runtime that computes something else is rejected -------------------------------------------------------------

def test_compare_outputs_tolerances_by_hand():
    ref = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    # fp32: scale = 2; allowed = 1e-4·2 + 1e-3·|ref| = [1.2e-3, 2.2e-3, 7e-4]
    facts = compare_outputs(ref + np.float32(5e-4), ref, "fp32")
    assert facts["max_abs_diff"] == pytest.approx(5e-4, rel=1e-3)
    with pytest.raises(OutputMismatchError, match=r"max \|Δ\| 0\.01 > tol 0\.0007"):
        compare_outputs(ref + np.array([0, 0, 0.01], dtype=np.float32), ref, "fp32")
    # bf16: allowed at 0.5 = 0.1·2 + 0.05·0.5 = 0.225, so 0.2 passes where fp32 would not
    compare_outputs(ref + np.array([0, 0, 0.2], dtype=np.float32), ref, "amp-bf16")
    # int8: cosine([1, -2, 0.5], [1, -2, 0.5]·3) = 1 passes; a sign flip of one element: (1 + 4 - 0.25)/5.25 = 0.905
    assert compare_outputs(ref * 3, ref, "int8")["cosine"] == pytest.approx(1.0)
    with pytest.raises(OutputMismatchError, match=r"cosine similarity 0\.9048 < 0\.98"):
        compare_outputs(ref * np.array([1, 1, -1], dtype=np.float32), ref, "int8")
    with pytest.raises(OutputMismatchError, match="non-finite"):
        compare_outputs(np.array([1.0, np.nan, 0.5], dtype=np.float32), ref, "fp32")
    with pytest.raises(OutputMismatchError, match=r"output shape \[2\] is not eager's \[3\]"):
        compare_outputs(ref[:2], ref, "fp32")
    # eager's outputs below fp16's smallest normal (6.1e-5): fp16 computes zeros; not comparable, said so
    tiny = np.array([3e-9, -1e-9], dtype=np.float32)
    assert "below fp16's normal range" in compare_outputs(np.zeros(2, np.float32), tiny, "amp-fp16")["skipped"]


def test_a_runner_returning_zeros_is_rejected():
    ref = np.linspace(-1, 1, 20, dtype=np.float32).reshape(2, 10)
    zeros = Runner("fake", torch.device("cpu"), lambda: torch.zeros(2, 10), to_leaves=torch_leaves)
    with pytest.raises(OutputMismatchError, match=r"^output differs from eager: max \|Δ\| 1 > tol"):
        check_runner(zeros, ref, "fp32")


def _corrupt_first_conv(path: Path) -> None:
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(path))
    conv = next(n for n in proto.graph.node if n.op_type == "Conv")
    init = next(i for i in proto.graph.initializer if i.name == conv.input[1])
    init.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(init), init.name))  # negated weights
    onnx.save(proto, str(path))


@pytest.mark.parametrize("runtime", ["onnx", "openvino"])
def test_a_corrupted_cached_graph_is_an_error_row_not_a_fast_number(tmp_path, runtime):
    first = row("onnx", tmp_path)
    assert first["error"] is None
    path = Path(first["details"]["onnx_path"])
    _corrupt_first_conv(path)  # the cache now holds a graph computing something else...
    from cnnbench.latency.backends.onnx_export import entry_digests

    meta = json.loads((path.parent / "meta.json").read_text())
    meta["sha256"] = entry_digests(path.parent)  # ...that checks out (an exporter bug): only the eager check sees it
    (path.parent / "meta.json").write_text(json.dumps(meta))
    d = row(runtime, tmp_path)
    assert d["latency_ms"] is None
    assert d["error"].startswith("output differs from eager: max |Δ| ") and " > tol " in d["error"]


# ---- usage errors: one line, exit 2 ----------------------------------------------------------------------------------

def one_line_error(res) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.output, res.output
    return lines[0]


@pytest.mark.parametrize(("args", "match"), [
    (["--runtime", "warp-drive"], "unknown runtime 'warp-drive': expected one of eager, compile, onnx, onnx-int8"),
    (["--runtime", "tensorrt"], "--runtime tensorrt needs a CUDA device (--device cuda)"),
    (["--runtime", "onnx-fp16"], "--runtime onnx-fp16 needs a CUDA device"),
    (["--runtime", "onnx", "--precision", "amp-fp16"], "--precision amp-fp16 (torch.autocast) applies to eager"),
    (["--dtype", "fp16", "--precision", "amp-fp16"], "give --dtype fp16 (the model cast to fp16) or --precision"),
    (["--compile-mode", "max-autotune"], "--compile-mode max-autotune needs --runtime compile"),
    (["--runtime", "compile", "--compile-mode", "fastest"], "unknown --compile-mode 'fastest'"),
    (["--runtime", "onnx", "--quantization", "dynamic"], "--quantization dynamic needs --runtime onnx-int8"),
    (["--runtime", "openvino", "--dtype", "fp16"], "--dtype fp16 casts the torch model; --runtime openvino"),
])
def test_bad_runtime_options_are_one_line_exit_2(args, match):
    for command in ("profile", "compare"):
        res = cli.invoke(app, [command, "resnet18", "--input-size", "32", *args])
        assert match in one_line_error(res)


@no_cuda
def test_tensorrt_with_cuda_asked_but_absent_is_one_line():
    with pytest.raises(CnnbenchError, match="CUDA is not available"):
        LatencyOptions.parse(device="cuda", runtimes=["tensorrt"])


def test_profile_json_carries_precision_and_compare_passes_the_options(tmp_path):
    res = cli.invoke(app, ["profile", "resnet18", "--input-size", "32", "--precision", "amp-bf16", "--threads", "1",
                           "--budget", "0.05", "--min-samples", "3", "--warmup", "0", "-f", "json"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    assert (rec["runtime"], rec["dtype"], rec["precision"]) == ("eager", "fp32", "amp-bf16")
    res = cli.invoke(app, ["compare", "resnet18", "--input-size", "32", "--runtime", "eager,onnx-int8", "--threads",
                           "1", "--budget", "0.05", "--min-samples", "3", "--warmup", "0", "--rounds", "1",
                           "--onnx-dir", str(tmp_path), "-f", "json"])
    assert res.exit_code == 0, res.output
    eager, int8 = sorted(json.loads(res.stdout), key=lambda r: r["runtime"])
    assert (eager["precision"], int8["precision"]) == ("fp32", "int8")
    assert int8["details"]["quantization"]["scheme"] == "static" and int8["details"]["check_vs_eager"]["cosine"] > .98


# ---- the GPU check script and the CUDA paths -------------------------------------------------------------------------

@no_cuda
def test_gpu_check_without_cuda_skips_every_row_and_exits_0():
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], check=False, capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "CUDA is not available" in p.stdout
    rows = [ln for ln in p.stdout.splitlines() if ln.startswith(("profile ", "timing ", "peak ", "OOM ", "compare ",
                                                                   "check on ", "pytest ", "explain "))]
    assert len(rows) == 15 and all("skipped (no CUDA)" in ln for ln in rows)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(("runtime", "precision"), [("eager", "amp-fp16"), ("onnx", None), ("onnx-fp16", None)])
def test_cuda_rows_are_checked_against_eager(tmp_path, runtime, precision):
    import onnxruntime as ort

    if runtime.startswith("onnx") and "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime without CUDAExecutionProvider")
    r = run_latency(small_cnn, SHAPE, LatencyOptions(device="cuda", precision=precision, onnx_dir=tmp_path, **PROTOCOL), runtime=runtime, model_key="small")
    assert r.error is None, r.error
    assert r.precision == {"eager": "amp-fp16", "onnx": "fp32", "onnx-fp16": "fp16"}[runtime]
    assert "check_vs_eager" in r.details


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tensorrt_row_or_clear_error(tmp_path):
    try:
        LatencyOptions.parse(device="cuda", runtimes=["tensorrt"])
    except CnnbenchError as e:
        pytest.skip(str(e))
    r = run_latency(small_cnn, SHAPE, LatencyOptions(device="cuda", onnx_dir=tmp_path, **PROTOCOL), runtime="tensorrt", model_key="small")
    assert r.error is None, r.error
    assert r.compile_s > 0 and r.details["tensorrt_backend"] in ("torch-tensorrt", "onnxruntime")


# ---- every output tensor is checked; a NaN reference fails ------------------------------------------------------------

class TwoHeads(nn.Module):
    """Two outputs; in bf16 the second one is off by 100 (the first is right): only a check of every tensor sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        y = self.fc(x)
        z = y * 2
        if y.dtype == torch.bfloat16:
            z = z + 100
        return {"logits": y, "aux": [z]}


class NaNOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x) * float("nan")


def _bf16_row(model: nn.Module) -> dict:
    opts = LatencyOptions(**PROTOCOL, threads=1)
    return run_latency(lambda: model, (2, 4), opts, runtime="eager", dtype="bf16", copy_model=True).to_dict()


def test_every_output_tensor_is_compared_not_only_the_first():
    d = _bf16_row(TwoHeads())
    # |z_bf16 - z| = 100 against bf16's tolerance 0.1·max|z| + 0.05·|z| (|z| ≈ 1 for Linear(4, 3) on randn): fails
    assert d["latency_ms"] is None
    assert d["error"].startswith("output differs from eager: output ['aux'][0]: max |Δ| 10"), d["error"]


def test_a_nan_eager_output_fails_the_row_instead_of_passing():
    d = _bf16_row(NaNOut())
    assert d["latency_ms"] is None
    assert d["error"] == ("eager output has NaN (6) of 6 value(s) in output tensor (fp32, the reference): nothing "
                          "to check the runtime against")  # 2 × 3 outputs, all NaN


def test_output_structure_and_count_must_match():
    ref = [("['a']", np.ones(2, np.float32)), ("['b']", np.ones(2, np.float32))]
    tree = Runner("fake", torch.device("cpu"), lambda: {"a": torch.ones(2)}, to_leaves=torch_leaves)
    with pytest.raises(OutputMismatchError, match=r"output structure \['a'\] is not eager's \['a'\], \['b'\]"):
        check_runner(tree, ref, "fp32")
    flat = Runner("fake-ort", torch.device("cpu"), lambda: [np.ones(2, np.float32)], to_leaves=flat_leaves,
                  flat=True)
    with pytest.raises(OutputMismatchError, match=r"1 output tensor\(s\), eager gives 2"):
        check_runner(flat, ref, "fp32")
    both = Runner("fake-ort", torch.device("cpu"), lambda: [np.ones(2, np.float32), np.ones(2, np.float32) * 1.5],
                  to_leaves=flat_leaves, flat=True)
    with pytest.raises(OutputMismatchError, match=r"output \['b'\]: max \|Δ\| 0\.5"):
        check_runner(both, ref, "fp32")
    good = Runner("fake-ort", torch.device("cpu"), lambda: [np.ones(2, np.float32), np.ones(2, np.float32)],
                  to_leaves=flat_leaves, flat=True)
    check_runner(good, ref, "fp32")
    assert good.details["check_vs_eager"]["outputs"] == 2 and good.details["check_vs_eager"]["max_abs_diff"] == 0.0
