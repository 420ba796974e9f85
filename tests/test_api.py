"""The library API: cnnbench.profile / compare / list_models on hand-checked models, never changing the caller's model."""

import io
import subprocess
import sys

import pytest
import torch
from torch import nn

import cnnbench
from cnnbench.errors import CnnbenchError, DeviceError, InputError, UnknownModelError

TINY = {"budget": 0.05, "min_samples": 3, "warmup": 0.0}  # latency rows: a few ms each


class TwoConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.b = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fx = nn.Linear(8, 4)
        self.fy = nn.Linear(10, 4)

    def forward(self, x, y):
        return self.fx(x) + self.fy(y)


class Masked(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 3)

    def forward(self, x, mask=None):
        return self.proj(x) * mask


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, x):
        return self.net(x)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(64, 64)
        self.b = nn.Linear(64, 64)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x)
        if y.sum() > 0:  # needs values: cannot run on meta
            return y * 2
        return y


def snapshot(model):
    """Everything a call must leave as it was: weights (values, device, dtype), flags, hooks, attributes."""
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()},
        "devices": {k: (v.device, v.dtype) for k, v in model.state_dict(keep_vars=True).items()},
        "training": {n: m.training for n, m in model.named_modules()},
        "hooks": {n: (len(m._forward_hooks), len(m._forward_pre_hooks)) for n, m in model.named_modules()},
        "attrs": {n: sorted(vars(m)) for n, m in model.named_modules()},
        "params": [id(p) for p in model.parameters()],
    }


def assert_unchanged(model, before):
    after = snapshot(model)
    assert after["devices"] == before["devices"]
    assert after["training"] == before["training"]
    assert after["hooks"] == before["hooks"]
    assert after["attrs"] == before["attrs"]
    assert after["params"] == before["params"]
    for k, v in before["state"].items():
        assert torch.equal(after["state"][k], v), k


# --- package surface --------------------------------------------------------------------------------------------------

def test_import_is_lazy_and_exports_the_api():
    code = ("import cnnbench, sys; assert 'torch' not in sys.modules; "
            "names = [cnnbench.profile, cnnbench.compare, cnnbench.list_models, cnnbench.Profile, cnnbench.Results, "
            "cnnbench.CnnbenchError, cnnbench.explain]; assert all(callable(n) for n in names); "
            "import cnnbench.explainer; assert callable(cnnbench.explain); assert 'torch' not in sys.modules; "
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    from cnnbench import api

    assert cnnbench.profile is api.profile and cnnbench.compare is api.compare  # functions, not modules
    assert issubclass(UnknownModelError, CnnbenchError) and issubclass(InputError, CnnbenchError)


def test_list_models():
    names = cnnbench.list_models("resnet*", source="torchvision")
    assert names[:3] == ["resnet18", "resnet34", "resnet50"]


# --- hand-checked models ------------------------------------------------------------------------------------------------

def test_tensor_input_cnn_instance():
    m = TwoConv()
    res = cnnbench.profile(m, input_size=(3, 8, 8))
    assert len(res) == 1 and isinstance(res, cnnbench.Results) and isinstance(res[0], cnnbench.Profile)
    p = res[0]
    # params: a 4*3*3*3 = 108 (no bias) + b 2*4 + 2 = 10 → 118
    assert p.params == 118 and p.to_dict()["params"] == 118
    # MACs: 64 positions × (4 × 27 = 108) = 6912 + 64 × (2 × 4 = 8) = 512 → 7424
    assert p.macs == 7424 and p.flops == 2 * 7424
    assert (p.model, p.source, p.input_shape, p.inputs, p.fused) == ("TwoConv", "instance", (1, 3, 8, 8),
                                                                    "1x3x8x8", False)
    assert p.static.macs == 7424  # the full StaticProfile is still there
    with pytest.raises(AttributeError, match="no key 'nope'"):
        _ = p.nope
    assert "TwoConv" in repr(res) and "7.42k" in repr(res)
    res = cnnbench.profile(m, input_size=(3, 8, 8), batch_size=[1, 4], name="mine")
    assert [r.macs for r in res] == [7424, 4 * 7424] and res[1].model == "mine" and res[1].input_shape == (4, 3, 8, 8)


def test_two_input_model():
    res = cnnbench.profile(TwoInputs(), input_size=[(8,), (10,)], batch_size=3)
    p = res[0]
    # params: 8*4 + 4 = 36, 10*4 + 4 = 44 → 80; MACs: 3 × (8*4 + 10*4 = 72) = 216
    assert p.params == 80 and p.macs == 216
    assert p.input_shape == (3, 8) and p.inputs == "3x8, 3x10"
    x, y = torch.randn(2, 8), torch.randn(2, 10)
    q = cnnbench.profile(TwoInputs(), inputs=(x, y))[0]
    assert q.macs == 2 * 72 and q.inputs == "2x8, 2x10"  # the given inputs' batch is the batch


def test_dict_input_model_keeps_the_given_tensors():
    x, mask = torch.randn(2, 6), torch.ones(2, 3)
    x0 = x.clone()
    p = cnnbench.profile(Masked(), inputs={"x": x, "mask": mask})[0]
    # params 6*3 + 3 = 21; MACs 2 × 6 × 3 = 36
    assert p.params == 21 and p.macs == 36
    assert p.input_shape == (2, 6) and p.inputs == "x=2x6, mask=2x3"
    assert torch.equal(x, x0) and x.device.type == "cpu"


def test_inputs_factory_takes_the_batch_size():
    p = cnnbench.profile(MLP(), inputs=lambda n: torch.randn(n, 32), batch_size=[2, 5])
    # MACs per sample 32*16 + 16*4 = 576
    assert [r.macs for r in p] == [2 * 576, 5 * 576]


def test_mlp_with_a_rank_one_input_size():
    p = cnnbench.profile(MLP(), input_size=(32,))[0]
    # params: 32*16 + 16 = 528, 16*4 + 4 = 68 → 596; MACs 512 + 64 = 576; activations 16 + 4 = 20
    assert (p.params, p.macs, p.activations, p.input_shape) == (596, 576, 20, (1, 32))


def test_tied_weights_count_once_and_checkpoint_matches_torch_save():
    m = Tied()
    p = cnnbench.profile(m, input_size=(64,))[0]
    # 64*64 = 4096 shared + 64 + 64 biases = 4224 (untied would be 8320)
    assert p.params == 4224
    buf = io.BytesIO()
    torch.save(m.state_dict(), buf)
    assert p.checkpoint_bytes == len(buf.getvalue())


def test_model_that_must_be_built_on_cpu(tmp_path):
    # its __init__ calls .item(), which meta tensors refuse: the registry builds it on the CPU; ties survive
    f = tmp_path / "cpu_built.py"
    f.write_text(
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        n = int(torch.tensor(64).item())\n"
        "        self.a = nn.Linear(n, n)\n        self.b = nn.Linear(n, n)\n        self.b.weight = self.a.weight\n"
        "    def forward(self, x):\n        return self.b(self.a(x))\n")
    p = cnnbench.profile(f"{f}:Net", input_size=(64,))[0]
    assert p.error is None and p.params == 4224 and p.source == "file"


def test_data_dependent_model_falls_back_to_a_cpu_trace():
    m = DataDependent()
    before = snapshot(m)
    p = cnnbench.profile(m, input_size=(8,))[0]
    # 8*8 + 8 = 72 params, 64 MACs, whichever path traced it
    assert p.error is None and (p.params, p.macs, p.trace_device) == (72, 64, "cpu")
    assert_unchanged(m, before)


# --- never changes the caller's model -----------------------------------------------------------------------------------

def _busy_model():
    m = TwoConv().train()  # training flag set: must stay set
    m.a.eval()  # and a mixed one
    m.register_forward_hook(lambda *a: None)
    m.note = "mine"
    return m


def test_static_analysis_leaves_the_model_alone():
    m = _busy_model()
    before = snapshot(m)
    cnnbench.profile(m, input_size=(3, 8, 8), batch_size=[1, 2], dtype="fp16")
    assert_unchanged(m, before)
    assert m.training and not m.a.training and m.note == "mine"


def test_latency_fp16_leaves_the_model_alone():
    m = _busy_model()
    before = snapshot(m)
    res = cnnbench.profile(m, input_size=(3, 8, 8), latency=True, dtype="fp16", **TINY)
    assert len(res) == 1
    assert_unchanged(m, before)


def test_onnx_export_leaves_the_model_alone(tmp_path):
    m = _busy_model()
    before = snapshot(m)
    res = cnnbench.profile(m, input_size=(3, 8, 8), latency=True, runtime="onnx", onnx_dir=str(tmp_path), **TINY)
    assert res[0].runtime == "onnx"
    assert_unchanged(m, before)


# --- Results ------------------------------------------------------------------------------------------------------------

def test_to_pandas_flattens_nested_keys():
    res = cnnbench.profile(TwoConv(), input_size=(3, 8, 8), latency=True, runtime=["eager"], batch_size=[1, 2],
                           threads=1, **TINY)
    assert len(res) == 2 and not res.errors
    df = res.to_pandas()
    assert len(df) == 2
    for col in ("model", "params", "macs", "inputs", "latency_ms_median", "latency_ms_p90", "runtime",
                "batch_size", "uncounted_ops"):
        assert col in df.columns, col
    assert "latency_ms" not in df.columns and list(df["macs"]) == [7424, 2 * 7424]
    assert isinstance(df["uncounted_ops"][0], dict)  # kept whole
    assert res[0].latency_ms["median"] > 0 and res.to_dicts()[1]["batch_size"] == 2
    assert len(res[:1]) == 1 and [p.model for p in res] == ["TwoConv", "TwoConv"]


def test_failed_rows_are_rows_and_sys_exit_is_one(tmp_path):
    class Exits(nn.Module):
        def forward(self, x):
            raise SystemExit(3)

    class Breaks(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    res = cnnbench.profile({"exits": Exits(), "breaks": Breaks(), "ok": MLP()}, input_size=(32,))
    assert [p.model for p in res] == ["exits", "breaks", "ok"]
    assert res[0].error == "model called sys.exit(3)"
    assert "ValueError: boom" in res[1].error and res[2].error is None
    assert [p.model for p in res.errors] == ["exits", "breaks"]
    assert "error" in repr(res)
    (row,) = cnnbench.profile(Exits(), input_size=(32,), latency=True, **TINY)  # timing it: a row error too
    assert "sys.exit(3)" in row.to_dict()["error"]


# --- usage errors -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, exc, match", [
    (lambda: cnnbench.profile("resnet5"), UnknownModelError, "unknown model 'resnet5'"),
    (lambda: cnnbench.profile(TwoConv()), InputError, "give input_size"),
    (lambda: cnnbench.profile(TwoConv(), input_size=224), InputError, "input_size must be a shape"),
    (lambda: cnnbench.profile(MLP(), input_size=(99999999999999999999,)), InputError, "out of range"),
    (lambda: cnnbench.profile(MLP(), input_size=(0,)), InputError, "below 1"),
    (lambda: cnnbench.profile(MLP(), input_size=(32,), inputs=torch.zeros(1, 32)), InputError, "not both"),
    (lambda: cnnbench.profile(MLP(), inputs=torch.zeros(1, 32), batch_size=8), CnnbenchError, "their batch"),
    (lambda: cnnbench.profile(MLP(), input_size=(32,), batch_size=0), InputError, "batch_size must be"),
    (lambda: cnnbench.profile(MLP(), inputs=[1, 2][0]), CnnbenchError, "inputs must be a tensor"),
    (lambda: cnnbench.profile(42), CnnbenchError, "model must be a name"),
    (lambda: cnnbench.profile(MLP(), input_size=(32,), latency=True, budget=0), CnnbenchError, "^budget must"),
    (lambda: cnnbench.profile(MLP(), input_size=(32,), runtime="onnx"), CnnbenchError, "need latency=True"),
    (lambda: cnnbench.profile(MLP(), input_size=(32,), latency=True, runtime="tvm"), CnnbenchError,
     "unknown runtime"),
])
def test_usage_errors_are_one_line_and_library_worded(call, exc, match):
    with pytest.raises(exc, match=match) as e:
        call()
    assert "\n" not in str(e.value) and "--" not in str(e.value)


LAT = {"input_size": (32,), "latency": True}


@pytest.mark.parametrize("call, keyword, flag", [
    (lambda: cnnbench.profile(MLP(), **LAT, precision="x"), "precision='x'", "--precision 'x'"),
    (lambda: cnnbench.profile(MLP(), **LAT, compile_mode="x"), "compile_mode='x'", "--compile-mode 'x'"),
    (lambda: cnnbench.profile(MLP(), **LAT, quantization="x"), "quantization='x'", "--quantization 'x'"),
    (lambda: cnnbench.profile(MLP(), **LAT, dtype="fp16", precision="amp-fp16"), "precision='amp-fp16'",
     "--precision amp-fp16"),
    (lambda: cnnbench.profile(MLP(), **LAT, compile_mode="max-autotune"), "needs runtime='compile'",
     "needs --runtime compile"),
    (lambda: cnnbench.profile(MLP(), **LAT, quantization="dynamic"), "needs runtime='onnx-int8'",
     "needs --runtime onnx-int8"),
    (lambda: cnnbench.profile(MLP(), **LAT, runtime="tensorrt"), "(device='cuda')", "(--device cuda)"),
    (lambda: cnnbench.compare([MLP()], input_size=(32,), sort="latency"), "pass latency=True", "drop --no-latency"),
    (lambda: cnnbench.explain(MLP(), input_size=(32,), top=0), "top must be", "--top must be"),
    (lambda: cnnbench.profile("resnt18"), "(see cnnbench.list_models(), or use timm:NAME",
     "(see `cnnbench list`, or use timm:NAME"),
])
def test_library_messages_name_keyword_arguments(call, keyword, flag):
    # the same checks behind the CLI say --precision 'x'; the library says precision='x'
    with pytest.raises(CnnbenchError) as e:
        call()
    assert keyword in str(e.value) and "--" not in str(e.value) and "`cnnbench" not in str(e.value), str(e.value)
    from cnnbench.errors import library_text

    assert keyword in library_text(flag)


def test_cli_messages_keep_their_flags():
    from typer.testing import CliRunner

    from cnnbench.cli.app import app

    res = CliRunner().invoke(app, ["profile", "resnet18", "--precision", "x"])
    assert res.exit_code == 2 and "unknown --precision 'x'" in res.output, res.output


@pytest.mark.parametrize("runtime", [[], [""], ()])
def test_an_empty_runtime_list_is_refused_not_eager(runtime):
    with pytest.raises(CnnbenchError, match=r"^runtime=.* names no runtime: give one of eager") as e:
        cnnbench.profile(MLP(), **LAT, runtime=runtime, **TINY)
    assert "\n" not in str(e.value)


def test_list_models_unknown_source_is_the_cli_error():
    from typer.testing import CliRunner

    from cnnbench.cli.app import app

    with pytest.raises(CnnbenchError, match="unknown source 'keras': choose torchvision, timm or cnnbench") as e:
        cnnbench.list_models(source="keras")
    res = CliRunner().invoke(app, ["list", "--source", "keras"])
    assert res.exit_code == 2 and str(e.value) in res.output
    assert cnnbench.list_models("resnet18", source="TorchVision") == ["resnet18"]


def test_meta_inputs_count_statically_but_latency_refuses_them_up_front():
    x = torch.empty(1, 3, 8, 8, device="meta")
    row = cnnbench.profile(TwoConv(), inputs=x)[0]
    assert row.error is None and row.macs == 1 * 4 * 3 * 3 * 3 * 64 + 1 * 2 * 4 * 64  # 6912 + 512 = 7424 MACs
    for call in (cnnbench.profile, cnnbench.compare):
        with pytest.raises(InputError, match="^inputs are meta tensors .*latency=True runs the model") as e:
            call(TwoConv(), inputs=x, latency=True, **TINY)
        assert "\n" not in str(e.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_cuda_is_a_device_error():
    with pytest.raises(DeviceError):
        cnnbench.profile(MLP(), input_size=(32,), latency=True, device="cuda")


# --- CLI input parsing (Plan.parse: what the flags hand over) ------------------------------------------------------

def test_sweep_spec_parses_several_inputs_and_a_factory(tmp_path):
    from cnnbench.plan import Plan

    s = Plan.parse(["squeezenet1_1"], input_size=["3x32x32", "10"])
    assert s.inputs[0].shapes == ((3, 32, 32), (10,))  # repeated: each literal
    assert Plan.parse(["squeezenet1_1"], input_size="64").inputs[0].shapes == ((3, 64, 64),)
    assert Plan.parse(["squeezenet1_1"], input_size="32,").inputs[0].shapes == ((32,),)  # trailing comma
    with pytest.raises(InputError, match="out of range"):
        Plan.parse(["squeezenet1_1"], input_size="99999999999999999999")
    f = tmp_path / "inp.py"
    f.write_text("import torch\ndef make_inputs(batch_size):\n    return torch.zeros(batch_size, 32)\n")
    s = Plan.parse(["squeezenet1_1"], inputs=f"{f}:make_inputs", batch_sizes=["2"], fuse=True)
    assert s.inputs[0].takes_batch and s.fuse and s.batch_sizes == (2,)
    with pytest.raises(CnnbenchError, match="not both"):
        Plan.parse(["squeezenet1_1"], input_size="64", inputs=f"{f}:make_inputs")


def test_file_model_with_a_file_inputs_factory(tmp_path):
    from cnnbench.plan import Plan
    from cnnbench.rows import run_rows

    f = tmp_path / "two.py"
    f.write_text(
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fx = nn.Linear(8, 4)\n"
        "        self.fy = nn.Linear(10, 4)\n"
        "    def forward(self, x, y):\n        return self.fx(x) + self.fy(y)\n"
        "def make_inputs():\n    return torch.zeros(2, 8), torch.zeros(2, 10)\n")
    (p,) = run_rows(Plan.parse([f"{f}:Net"], inputs=f"{f}:make_inputs")).profiles
    assert p.error is None and p.macs == 2 * 72 and p.to_dict()["inputs"] == "2x8, 2x10"
    (p,) = run_rows(Plan.parse([f"{f}:Net"], input_size=["8", "10"])).profiles
    assert p.macs == 72 and p.input_shape == (1, 8)


# --- compare --------------------------------------------------------------------------------------------------------------

def test_compare_mixes_names_and_instances():
    res = cnnbench.compare(["squeezenet1_1", TwoConv(), TwoConv()], input_size=(3, 8, 8), sort="macs")
    assert isinstance(res, cnnbench.Results)
    assert [p.model for p in res] == ["TwoConv", "TwoConv#2", "squeezenet1_1"]  # two instances: two rows
    assert res[0].macs == 7424


def test_compare_with_interleaved_latency_leaves_instances_alone():
    a, b = _busy_model(), TwoConv()
    before = snapshot(a)
    res = cnnbench.compare({"conv": a, "other": b}, input_size=(3, 8, 8), latency=True, rounds=1, **TINY)
    assert [p.model for p in res] == ["conv", "other"] and "interleaved" in res.footer
    assert not res.errors and all(p.latency_ms["median"] > 0 for p in res)
    assert_unchanged(a, before)


# --- 20 torchvision models: an instance profiles exactly like its registry name ---------------------------------------

TV20 = ["alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_b1", "mnasnet0_5", "mnasnet1_0",
        "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "regnet_x_400mf", "regnet_y_400mf", "resnet18",
        "resnet50", "resnext50_32x4d", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "squeezenet1_0", "squeezenet1_1",
        "vgg11"]
STATIC = ("params", "trainable_params", "buffers", "checkpoint_bytes", "checkpoint_bytes_fp16", "checkpoint_bytes_int8",
          "macs", "flops", "memory_access_elements", "memory_access_bytes", "activations", "arithmetic_intensity",
          "uncounted_ops", "input_shape", "dtype")


@pytest.mark.parametrize("name", TV20)
def test_instance_equals_registry_name(name):
    import torchvision

    try:
        with torch.device("meta"):
            model = torchvision.models.get_model(name, weights=None)
    except (NotImplementedError, RuntimeError):  # builders that compute while building (RegNet): on the CPU
        model = torchvision.models.get_model(name, weights=None)
    ours = cnnbench.profile(model, input_size=(3, 64, 64))[0].to_dict()
    ref = cnnbench.profile(f"torchvision:{name}", input_size=(3, 64, 64))[0].to_dict()
    assert ours["error"] is None and ref["error"] is None
    assert {k: ours[k] for k in STATIC} == {k: ref[k] for k in STATIC}
    assert ref["model"] == f"torchvision:{name}" and ref["registry_name"] == name and ours["source"] == "instance"


# --- fuse (item 5 plumbing) ------------------------------------------------------------------------------------------

def test_fuse_is_off_by_default_and_says_so():
    import timm

    plain, fused = cnnbench.profile(["timm:repvgg_a0"], input_size=(3, 32, 32)), cnnbench.profile(
        "timm:repvgg_a0", input_size=(3, 32, 32), fuse=True)
    # as timm creates it: 9,108,968 params (3x3 + 1x1 + identity branches); fused: 8,309,384 (the RepVGG paper's 8.30M)
    assert (plain[0].params, plain[0].fused) == (9_108_968, False)
    assert (fused[0].params, fused[0].fused) == (8_309_384, True) and fused[0].macs < plain[0].macs
    m = timm.create_model("repvgg_a0")
    before = snapshot(m)
    p = cnnbench.profile(m, input_size=(3, 32, 32), fuse=True)[0]
    assert (p.params, p.fused) == (8_309_384, True)
    assert_unchanged(m, before)  # a fused copy was counted
    assert cnnbench.profile(TwoConv(), input_size=(3, 8, 8), fuse=True)[0].fused is False  # nothing to fuse


def test_given_inputs_reach_a_data_dependent_forward_with_their_values():
    class Gate(nn.Module):
        """conv 3→4 (3×3, pad 1) always; a second conv 4→4 only when the input's mean is positive."""

        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3, padding=1)
            self.b = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            y = self.a(x)
            if x.mean() > 0:  # needs the values: meta and fake cannot answer, the trace runs on the CPU
                y = self.b(y)
            return y

    m = Gate()
    pos, neg = torch.ones(1, 3, 8, 8), -torch.ones(1, 3, 8, 8)
    # a: 8·8 positions × 4 outputs × 3·3·3 = 6,912 MACs; b: 8·8 × 4 × 4·3·3 = 9,216
    on_pos = cnnbench.profile(m, inputs=pos)[0]
    on_neg = cnnbench.profile(m, inputs=neg)[0]
    assert (on_pos.trace_device, on_pos.macs) == ("cpu", 6_912 + 9_216)
    assert (on_neg.trace_device, on_neg.macs) == ("cpu", 6_912)
    assert torch.equal(pos, torch.ones(1, 3, 8, 8)) and torch.equal(neg, -torch.ones(1, 3, 8, 8))


def test_deploy_options_reach_latency_rows():
    rows = cnnbench.profile("squeezenet1_1", input_size=(3, 32, 32), latency=True, threads=1, budget=0.05,
                            min_samples=3, warmup=0, precision="amp-bf16")
    assert rows[0].precision == "amp-bf16" and rows[0].error is None  # autocast, not a cast of the weights
    with pytest.raises(CnnbenchError, match="need latency=True"):
        cnnbench.profile("squeezenet1_1", precision="amp-bf16")


def test_every_dtype_spelling_comes_from_one_table():
    from cnnbench.inputs import DTYPES, normalize_dtype, parse_dtype, torch_dtype

    spellings = {"fp32": "fp32", "float32": "fp32", "float": "fp32", "FP16": "fp16", "half": "fp16",
                 "float16": "fp16", "bf16": "bf16", "bfloat16": "bf16"}
    for text, name in spellings.items():
        assert parse_dtype(text) == normalize_dtype(text) == name
        assert str(torch_dtype(text)) == f"torch.{DTYPES[name]}"
    with pytest.raises(CnnbenchError, match=r"^unknown dtype 'int8': choose fp32, fp16 or bf16$"):
        parse_dtype("int8")


def test_warnings_of_a_library_call_name_keyword_arguments(monkeypatch, capsys):
    from cnnbench.latency import options

    monkeypatch.setattr(options, "_WARNED_THREADS", set())
    monkeypatch.setattr(options, "oversubscribed", lambda threads: True)  # on any machine: as if 3 threads time-shared the cores
    cnnbench.profile(MLP(), input_size=(32,), latency=True, threads=3, **TINY)
    err = capsys.readouterr().err
    assert "warning: threads=3 exceeds the" in err and "--threads" not in err, err


def test_explain_refuses_meta_inputs_up_front():
    with pytest.raises(InputError, match="^inputs are meta tensors .*: explain runs the model on real tensors"):
        cnnbench.explain(TwoConv(), inputs=torch.empty(1, 3, 8, 8, device="meta"))
    import inspect

    assert "input_size" in inspect.signature(cnnbench.explain).parameters  # the explainer's own signature
