"""``cnnbench memory`` / ``cnnbench.memory`` (issue 19): refusals, byte sizes, the ``--fit`` search at its
boundary, optimizer state, the JSON rows and their sums, failed rows, the caller's model left alone, and
``--measure`` against the estimate.

The tiny MLP used throughout, ``Linear(10, 20) → ReLU → Linear(20, 5)`` at fp32, by hand (B = batch):

* weights: (10·20 + 20) + (20·5 + 5) = 220 + 105 = 325 params · 4 B = 1300 B; inputs: 10·4·B = 40·B.
* inference peak: Linear1's output (20·4·B = 80·B) and ReLU's (80·B, not in place) alive at once = 160·B
  (at Linear2 only ReLU's 80·B + its 5·4·B = 20·B output = 100·B): total = 1300 + 40·B + 160·B = 1300 + 200·B.
* training step (train mode, backward of ``out.sum()``): the forward keeps ReLU's output r (80·B, saved by ReLU and
  by Linear2) and frees Linear1's; then ``loss`` (4 B) and its seed gradient (4 B). Backward of Linear2:
  grad_r = grad_out @ W2 (80·B; grad_out is the seed expanded: a view, no storage), grad_W2 400 B, grad_b2 20 B;
  ReLU backward: grad_h1 (80·B) while r and grad_r are still alive → 8 + 420 + 3·80·B = 428 + 240·B. Then r and
  grad_r die; Linear1's backward adds grad_W1 800 B + grad_b1 80 B beside grad_h1 → 8 + 1300 + 80·B.
  train peak = max(428 + 240·B, 1308 + 80·B) (the second wins for B ≤ 5, since 160·B > 880 ⇔ B ≥ 6).
* train total (Adam: 2 state tensors = 2·1300 B) = 1300 + 40·B + train peak + 2600.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

import cnnbench
from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.footprint import MAX_FIT_BATCH, MEMORY_KEYS, OPTIMIZERS, max_batch_size, parse_bytes

runner = CliRunner()

GiB, MiB = 2**30, 2**20


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))


def mlp_total(b: int) -> int:
    return 1300 + 200 * b  # weights + 40·B inputs + 160·B peak (module docstring)


def mlp_train_peak(b: int) -> int:
    return max(428 + 240 * b, 1308 + 80 * b)


def mlp_train_total(b: int, state: int = 2600) -> int:
    return 1300 + 40 * b + mlp_train_peak(b) + state


def rows(model, **kw) -> list[dict]:
    return cnnbench.memory(model, **kw).to_dicts()


def one_line_error(res, code: int = 2) -> str:
    """Exit ``code``, nothing on stdout, exactly one line ``error: ...`` on stderr, no traceback."""
    assert res.exit_code == code, (res.stdout, res.stderr)
    assert res.stdout == ""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in res.stderr
    return lines[0]


# ---- 1. bad input: one line, exit 2 --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixed_inputs(tmp_path_factory):
    p = tmp_path_factory.mktemp("inputs") / "fixed.py"
    p.write_text("import torch\n\n\ndef fixed():\n    return torch.zeros(1, 3, 32, 32)\n")
    return f"{p}:fixed"


BAD = [
    (["--fit", "0"], "--fit must be at least 1 byte (got '0')"),
    (["--fit", "8XB"], "--fit: '8XB' is not a size"),
    (["--fit", "-1"], "--fit: '-1' is not a size"),
    (["--fit", "nan"], "--fit: 'nan' is not a size"),
    (["--fit", "0.5"], "--fit must be at least 1 byte"),  # 0.5 B rounds to nothing
    (["--train", "--optimizer", "lion"], "unknown --optimizer 'lion': choose sgd, sgd-momentum, adam, adamw"),
    (["--optimizer", "adam"], "--optimizer needs --train"),
    (["--device", "cpu:1"], "unknown device 'cpu:1'"),
]


@pytest.mark.parametrize(("args", "says"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_options_are_one_line_exit_2(args, says):
    line = one_line_error(runner.invoke(app, ["memory", "resnet18", "--input-size", "3x32x32", *args]))
    assert says in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the answer of a machine without CUDA")
@pytest.mark.parametrize("extra", [[], ["--measure"]])
def test_cuda_without_a_gpu_is_one_line(extra):
    line = one_line_error(runner.invoke(app, ["memory", "resnet18", "--device", "cuda", *extra]))
    assert "CUDA is not available" in line


def test_unknown_model_suggests():
    line = one_line_error(runner.invoke(app, ["memory", "resnet19"]))
    assert "unknown model 'resnet19'" in line and "did you mean" in line and "resnet18" in line


def test_fit_with_inputs_that_fix_the_batch_is_refused(fixed_inputs):
    line = one_line_error(runner.invoke(app, ["memory", "resnet18", "--inputs", fixed_inputs, "--fit", "1GiB"]))
    assert "--fit searches the batch size" in line and "resnet18" in line


@pytest.mark.parametrize(("kw", "says", "not_says"), [
    ({"fit": "8XB"}, "fit: '8XB' is not a size", "--fit"),
    ({"fit": 0}, "fit must be at least 1 byte", "--fit"),
    ({"fit": True}, "fit must be a size", "--fit"),
    ({"train": True, "optimizer": "lion"}, "unknown optimizer='lion'", "--optimizer"),
])
def test_library_errors_name_the_keyword(kw, says, not_says):
    with pytest.raises(CnnbenchError) as e:
        cnnbench.memory("resnet18", input_size=(3, 32, 32), **kw)
    assert says in str(e.value) and not_says not in str(e.value)


def test_library_optimizer_without_train_reads_well():
    with pytest.raises(CnnbenchError) as e:
        cnnbench.memory("resnet18", input_size=(3, 32, 32), optimizer="adam")
    assert "train=True" in str(e.value)
    assert "optimizer='sizes'" not in str(e.value)


# ---- 2. parse_bytes ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "n"), [
    ("8GiB", 8 * 2**30), ("8G", 8 * 2**30), ("8g", 8 * 2**30), ("8GB", 8 * 10**9), ("512MiB", 512 * 2**20),
    ("512M", 512 * 2**20), ("2KB", 2000), ("2KiB", 2048), ("1e9", 10**9), ("1E9", 10**9),
    ("1.5GiB", 3 * 2**29),  # 1.5·2^30 = 3·2^29 = 1,610,612,736
    ("1000", 1000), ("1000B", 1000), (" 8 GiB ", 8 * 2**30), (4096, 4096), (1e6, 10**6), ("1T", 2**40),
])
def test_parse_bytes(text, n):
    assert parse_bytes(text) == n


@pytest.mark.parametrize("text", ["0", "0B", "0.4", "8XB", "-1", "nan", "inf", "1e999", "", "GiB", "8 Gi B",
                                  "1e-3", 0, -5, float("nan"), float("inf"), True])
def test_parse_bytes_refuses(text):
    with pytest.raises(CnnbenchError, match="--fit"):
        parse_bytes(text)


def test_parse_bytes_names_the_flag_it_is_given():
    with pytest.raises(CnnbenchError, match="^--limit: 'x' is not a size"):
        parse_bytes("x", flag="--limit")


# ---- 3. --fit: the search and its boundary ---------------------------------------------------------------------------

def counted(f):
    calls = []

    def g(b):
        calls.append(b)
        return f(b)

    return g, calls


def test_max_batch_size_searches_a_linear_total():
    f, calls = counted(lambda b: 100 + 7 * b)
    # 100 + 7·128 = 996 ≤ 1000 < 1003 = 100 + 7·129
    assert max_batch_size(f, 1000) == 128
    # 1 + doubling 2..128 (7) + 256 (1) + bisection of (128, 256) (log2 128 = 7) = 16 = 2·log2(128) + 2
    assert len(calls) == 16 <= 2 * math.log2(128) + 2
    assert len(set(calls)) == len(calls)  # never the same batch twice
    assert max_batch_size(lambda b: 100 + 7 * b, 996) == 128  # ≤, not <
    assert max_batch_size(lambda b: 100 + 7 * b, 995) == 127
    f, calls = counted(lambda b: 100 + 7 * b)
    assert max_batch_size(f, 99) == 0 and calls == [1]  # 107 > 99: batch 1 does not fit
    assert max_batch_size(lambda b: 100 + 7 * b, 107) == 1


def test_max_batch_size_agrees_with_a_scan():
    def f(b):
        return 3000 + 13 * b + (b // 5) * 11  # non-decreasing, with steps

    for limit in range(2900, 6000, 97):
        scan = max((b for b in range(1, 400) if f(b) <= limit), default=0)
        f2, calls = counted(f)
        assert max_batch_size(f2, limit) == scan, limit
        assert len(calls) <= 2 * math.log2(max(scan, 1)) + 2 + 1, (limit, calls)


def test_max_batch_size_caps():
    f, calls = counted(lambda b: 1)
    assert max_batch_size(f, 10) == MAX_FIT_BATCH == 2**20
    assert len(calls) == 21  # 1, 2, 4, ..., 2^20: 21 batches, then the cap stops the doubling
    assert max_batch_size(lambda b: 1, 10, cap=100) == 100  # 1..64, then min(128, 100) = 100 fits
    assert max_batch_size(lambda b: b, 99, cap=100) == 99  # 100 does not fit: bisection of (64, 100)


@pytest.mark.parametrize(("train", "limit", "want"), [
    (False, 10_000, 43),  # 1300 + 200·43 = 9900 ≤ 10000 < 10100 = 1300 + 200·44
    (False, 9_900, 43),
    (False, 9_899, 42),
    (False, 1_499, 0),  # 1300 + 200 = 1500 > 1499
    # B ≥ 6: 1300 + 40·B + (428 + 240·B) + 2600 = 4328 + 280·B; 20 → 9928 ≤ 10000 < 10208 ← 21
    (True, 10_000, 20),
    (True, 5_328, 1),  # B = 1: 1300 + 40 + max(668, 1388) + 2600 = 5328
    (True, 5_327, 0),
])
def test_fit_on_the_tiny_mlp_is_the_hand_computation(train, limit, want):
    r = rows(mlp(), input_size=(10,), batch_size=[1, 2, 3, 5, 6, 10], train=train, fit=limit)
    assert all(x["error"] is None for x in r)
    assert {x["max_batch_size"] for x in r} == {want} and {x["fit_bytes"] for x in r} == {limit}
    for x in r:
        b = x["batch_size"]
        assert x["weight_bytes"] == 1300 and x["input_bytes"] == 40 * b
        assert x["peak_activation_bytes"] == 160 * b and x["total_bytes"] == mlp_total(b)
        if train:
            assert x["train_peak_activation_bytes"] == mlp_train_peak(b), b
            assert x["train_total_bytes"] == mlp_train_total(b), b


@pytest.mark.parametrize(("train", "size", "limit"), [(False, (3, 32, 32), "64MiB"), (True, (3, 64, 64), "256MiB")])
def test_fit_boundary_on_resnet18(train, size, limit):
    """The search's answer b against the rows' own totals: total(b) ≤ limit < total(b + 1)."""
    key = "train_total_bytes" if train else "total_bytes"
    b = rows("resnet18", input_size=size, train=train, fit=limit)[0]["max_batch_size"]
    assert 1 < b < MAX_FIT_BATCH
    at = {x["batch_size"]: x[key] for x in rows("resnet18", input_size=size, train=train, batch_size=[b, b + 1])}
    assert at[b] <= parse_bytes(limit) < at[b + 1], (b, at)


def test_fit_search_failure_at_batch_1_keeps_the_asked_rows():
    r = rows("resnet18", input_size=(3, 32, 32), batch_size=4, train=True, fit="256MiB")[0]
    assert r["error"] is None and r["train_total_bytes"] > 0
    # batch 1 cannot train (batch norm over 1x512x1x1); the search starts at 2 and still lands on the boundary
    b = r["max_batch_size"]
    at = {x["batch_size"]: x["train_total_bytes"] for x in rows("resnet18", input_size=(3, 32, 32), train=True,
                                                              batch_size=[b, b + 1])}
    assert b >= 2 and at[b] <= 256 * 2**20 < at[b + 1]


# ---- 4. optimizer state ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("opt", "dtype", "state"), [
    # P = 325 trainable params; fp32: grads 4P = 1300 B
    ("sgd", "fp32", 0), ("sgd-momentum", "fp32", 1300), ("adam", "fp32", 2600), ("adamw", "fp32", 2600),
    (None, "fp32", 2600),  # the default is adam
    # fp16: 2 B a param: grads 2P = 650 B, momentum 650 B, Adam 4P = 1300 B
    ("sgd", "fp16", 0), ("sgd-momentum", "fp16", 650), ("adam", "fp16", 1300), ("adamw", "fp16", 1300),
])
def test_optimizer_state(opt, dtype, state):
    r = rows(mlp(), input_size=(10,), train=True, optimizer=opt, dtype=dtype)[0]
    grads = 325 * (4 if dtype == "fp32" else 2)
    assert r["trainable_params"] == 325 and r["gradient_bytes"] == grads
    assert r["optimizer"] == (opt or "adam") and r["optimizer_state_bytes"] == state
    assert state == OPTIMIZERS[opt or "adam"] * grads
    assert r["train_total_bytes"] == r["weight_bytes"] + r["input_bytes"] + r["train_peak_activation_bytes"] + state


def test_frozen_parameters_have_no_gradient_or_state():
    m = mlp()
    m[0].requires_grad_(False)  # 220 of the 325 params frozen: 105 trainable
    r = rows(m, input_size=(10,), train=True, optimizer="adamw", fit=100_000)[0]
    assert r["trainable_params"] == 105 and r["params"] == 325
    assert r["gradient_bytes"] == 105 * 4 == 420 and r["optimizer_state_bytes"] == 2 * 420
    assert r["weight_bytes"] == 1300  # frozen weights still take memory
    # the --fit search sums the same state: its answer is the rows' answer
    b = r["max_batch_size"]
    at = {x["batch_size"]: x["train_total_bytes"]
          for x in rows(m, input_size=(10,), train=True, optimizer="adamw", batch_size=[b, b + 1])}
    assert at[b] <= 100_000 < at[b + 1]


# ---- 5. JSON rows and the table --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def resnet18_json():
    res = runner.invoke(app, ["memory", "resnet18", "-b", "1,2", "--train", "-f", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_json_rows_have_every_key_and_add_up(resnet18_json):
    asked = MEMORY_KEYS[:MEMORY_KEYS.index("train_total_bytes") + 1]  # no --fit, no --measure
    assert "optimizer_state_bytes" in asked and "fit_bytes" not in asked
    one, two = resnet18_json
    for r in (one, two):
        assert r["error"] is None
        assert set(asked) <= set(r), set(asked) - set(r)
        assert not {"fit_bytes", "max_batch_size", "measured_ratio"} & set(r)
        assert r["total_bytes"] == r["weight_bytes"] + r["input_bytes"] + r["peak_activation_bytes"]
        assert r["train_total_bytes"] == (r["weight_bytes"] + r["input_bytes"] + r["train_peak_activation_bytes"]
                                          + r["optimizer_state_bytes"])
        assert r["optimizer"] == "adam" and r["optimizer_state_bytes"] == 2 * r["gradient_bytes"]
        # 11,689,512 params · 4 B; weights add 9,600 float buffers · 4 B + 20 int64 num_batches_tracked · 8 B
        assert r["gradient_bytes"] == 11_689_512 * 4 == 46_758_048
        assert r["weight_bytes"] == 46_758_048 + 9_600 * 4 + 20 * 8 == 46_796_608
        assert r["input_bytes"] == r["batch_size"] * 3 * 224 * 224 * 4  # 602,112 B a sample
        assert r["peak_at"] == "bn1" and r["train_peak_at"] == "(backward)"
        assert r["backward_macs"] > r["forward_macs"] == r["macs"]
    # inference peak: conv1's and bn1's outputs alive at once: 2 · 64·112·112 · 4 B = 6,422,528 B a sample: linear
    assert one["peak_activation_bytes"] == 6_422_528 and two["peak_activation_bytes"] == 2 * 6_422_528
    # the training peak is not: it holds the gradients (46,758,048 B, the same at any batch) — measured here:
    # 64,103,848 B at batch 1, 84,174,248 B at batch 2 (+20,070,400 B of saved activations for the second sample)
    assert one["train_peak_activation_bytes"] == 64_103_848 and two["train_peak_activation_bytes"] == 84_174_248
    assert two["train_peak_activation_bytes"] < 2 * one["train_peak_activation_bytes"]


def test_table_says_its_byte_convention():
    res = runner.invoke(app, ["memory", "resnet18", "--input-size", "3x64x64", "--train", "--fit", "1GiB"])
    assert res.exit_code == 0, res.output
    out = " ".join(res.stdout.split())
    assert "MiB" in out and "KiB/MiB/GiB = 2^10/2^20/2^30" in out
    assert "1,073,741,824 bytes" in out  # --fit 1GiB = 2^30 B
    assert "training step" in out and "2× the trainable parameters (adam)" in out


# ---- 6. failed rows ----------------------------------------------------------------------------------------------------

USER_MODELS = '''import torch
from torch import nn


class Boom(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        raise RuntimeError("boom in forward")


class NoParams(nn.Module):
    def forward(self, x):
        return torch.relu(x)


class Frozen(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)
        self.c.requires_grad_(False)

    def forward(self, x):
        return self.c(x)
'''


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("user") / "nets.py"
    p.write_text(USER_MODELS)
    return str(p)


def test_a_failing_model_is_its_rows_error_and_the_others_go_on(user_file):
    res = runner.invoke(app, ["memory", f"{user_file}:Boom", "resnet18", "-b", "1,2", "--input-size", "3x32x32",
                              "--fit", "1GiB", "-f", "json"])
    assert res.exit_code == 1, res.output
    r = json.loads(res.stdout)
    assert [(x["model"].endswith("Boom"), x["batch_size"]) for x in r] == [(True, 1), (True, 2), (False, 1),
                                                                           (False, 2)]
    for x in r[:2]:
        assert x["error"] == "RuntimeError: boom in forward" and x.get("total_bytes") is None
    for x in r[2:]:
        assert x["error"] is None and x["model"] == "resnet18"
        assert x["total_bytes"] == x["weight_bytes"] + x["input_bytes"] + x["peak_activation_bytes"] > 46_796_608
        assert x["max_batch_size"] > 1 and x["fit_bytes"] == 2**30


@pytest.mark.parametrize("cls", ["NoParams", "Frozen"])
def test_nothing_to_train_is_a_row_error(user_file, cls):
    res = runner.invoke(app, ["memory", f"{user_file}:{cls}", "--train", "--input-size", "3x8x8", "-f", "json"])
    assert res.exit_code == 1, res.output
    (r,) = json.loads(res.stdout)
    assert "nothing to train" in r["error"]


# ---- 7. the caller's model is left as it was ---------------------------------------------------------------------------

def test_the_callers_model_is_untouched():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1),
                      nn.BatchNorm2d(2))
    with torch.no_grad():  # non-default running stats, so a reset would show
        m[1].running_mean.fill_(0.25)
        m[1].running_var.fill_(2.0)
        m[1].num_batches_tracked.fill_(7)
    m.eval()
    m[4].train()  # a mix of modes, as a caller may leave it
    before = {k: v.clone() for k, v in m.state_dict().items()}
    modes = [x.training for x in m.modules()]
    r = rows(m, input_size=(3, 8, 8), batch_size=2, train=True, measure=True, fit="1MiB")[0]
    assert r["error"] is None and r["measured_ratio"] == 1.0 and r["measured_train_ratio"] == 1.0
    after = m.state_dict()
    assert after.keys() == before.keys()
    for k, v in before.items():
        assert torch.equal(after[k], v), k
    assert int(after["1.num_batches_tracked"]) == 7 and int(after["4.num_batches_tracked"]) == 0
    assert all(p.grad is None for p in m.parameters())
    assert [x.training for x in m.modules()] == modes
    assert all(p.device.type == "cpu" and p.dtype == torch.float32 for p in m.parameters())


# ---- 8. --measure on CPU -----------------------------------------------------------------------------------------------

def test_measure_on_cpu_matches_the_estimate_to_the_byte():
    res = runner.invoke(app, ["memory", "resnet18", "--input-size", "3x64x64", "-b", "2", "--train", "--measure",
                              "-f", "json"])
    assert res.exit_code == 0, res.output
    (r,) = json.loads(res.stdout)
    assert r["measure_device"] == "cpu"
    # inference peak: 2 · (64·32·32) · 4 B · batch 2 = 1,048,576 B (conv1 and bn1 outputs, as at 224)
    assert r["peak_activation_bytes"] == r["measured_peak_activation_bytes"] == 1_048_576
    assert r["train_peak_activation_bytes"] == r["measured_train_peak_activation_bytes"]
    assert r["measured_ratio"] == 1.0 and r["measured_train_ratio"] == 1.0
    # The allocator sees every tensor storage the tracker sees (each one is an allocation, freed when the tracker
    # frees it) plus kernel scratch (oneDNN's reordered weights: ~9.5 MB here against 1 MiB of activations), so its
    # peak is at least the tensor-level one. Checked before asserting: inference 9,535,488 ≥ 1,048,576 and
    # training 49,309,096 ≥ 49,014,184 on this machine's torch 2.14 CPU build.
    assert r["allocator_peak_bytes"] >= r["measured_peak_activation_bytes"]
    assert r["allocator_train_peak_bytes"] >= r["measured_train_peak_activation_bytes"]


# ---- 9. --measure on CUDA ----------------------------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_measure_on_cuda():
    res = runner.invoke(app, ["memory", "resnet18", "--input-size", "3x64x64", "-b", "2", "--train", "--measure",
                              "--device", "cuda", "-f", "json"])
    assert res.exit_code == 0, res.output
    (r,) = json.loads(res.stdout)
    assert r["measure_device"].startswith("cuda")
    # the tensor-level tracker is device-blind: storages have the same nbytes on CUDA as on meta
    assert r["measured_peak_activation_bytes"] == r["peak_activation_bytes"] == 1_048_576
    assert r["measured_train_peak_activation_bytes"] == r["train_peak_activation_bytes"]
    assert r["measured_ratio"] == 1.0 and r["measured_train_ratio"] == 1.0
    # max_memory_allocated rounds each block up to 512 B and adds cuDNN/cuBLAS workspaces: never below the tensors
    assert r["allocator_peak_bytes"] >= r["measured_peak_activation_bytes"]
    assert r["allocator_train_peak_bytes"] >= r["measured_train_peak_activation_bytes"]
