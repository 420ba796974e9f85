"""The caller's model is never changed (tied submodules, forwards with side effects), a shared submodule is credited
per path it was called through, and wrapped models (DataParallel, DDP, torch.compile, TorchScript, fx, torch.ao
quantized) count as the model they wrap.

Every expected number has its arithmetic beside it.
"""

import io
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from typer.testing import CliRunner

import cnnbench
from cnnbench.analysis import TRACE_DEVICES, analyze, checkpoint_bytes
from cnnbench.errors import CnnbenchError

# TorchScript and torch.ao quantization are deprecated upstream; users still bring such models
pytestmark = [pytest.mark.filterwarnings("ignore:.*deprecated:FutureWarning"),
              pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*quantize_per_tensor.*:UserWarning"),
              pytest.mark.filterwarnings("ignore:Please use quant_min:UserWarning")]

SHAPE = (1, 3, 8, 8)
# conv 3→4 3x3: 4*3*3*3 = 108 + 4 bias = 112; linear 144→5: 144*5 = 720 + 5 = 725  →  837 parameters
PARAMS = 837
# conv: 4 x 6 x 6 outputs x 27 = 3888; linear: 144 x 5 = 720  →  4608 MACs
MACS = 4608


def tiny() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)).eval()


def _save_size(sd) -> int:
    buf = io.BytesIO()
    torch.save(sd, buf)
    return buf.tell()


def _roofline():
    """A tiny roofline for explain (measured, not the cached one)."""
    from cnnbench.latency import measure_roofline

    return measure_roofline("cpu", "fp32", 1, gemm_sizes=(64, 128), stream_bytes=2**20, budget_s=0.02,
                            warmup_s=0.01, min_samples=3)


# --- 1. the model is never changed --------------------------------------------------------------------------------

class TiedTwice(nn.Module):
    """One conv registered under two names, and a forward that writes to its own attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.a = self.b = nn.Conv2d(3, 3, 3, padding=1)
        self.calls = 0
        self.seen: list[tuple[int, ...]] = []

    def forward(self, x):
        self.calls += 1
        self.seen.append(tuple(x.shape))
        return self.b(self.a(x))


def _snapshot(m: nn.Module):
    return ({k: v.clone() for k, v in m.state_dict().items()},
            [(mod.training, len(mod._forward_hooks), len(mod._forward_pre_hooks)) for mod in m.modules()],
            [(t.device, t.dtype, t.requires_grad) for t in [*m.parameters(), *m.buffers()]],
            m.calls, list(m.seen))


def _assert_unchanged(m: TiedTwice, before) -> None:
    sd, flags, tensors, calls, seen = before
    now = _snapshot(m)
    assert now[0].keys() == sd.keys()
    for k, v in sd.items():
        assert torch.equal(now[0][k], v), k
    assert now[1:] == (flags, tensors, calls, seen)
    assert m.a is m.b and m.a.weight.device.type == "cpu"


@pytest.fixture()
def tied():
    torch.manual_seed(0)
    m = TiedTwice()
    m.train()
    m.a.register_forward_hook(lambda *_: None)
    return m


@pytest.mark.parametrize("path", [None, *TRACE_DEVICES])
def test_a_tied_submodule_and_attribute_writes_stay_in_the_copy(tied, path):
    before = _snapshot(tied)
    p = analyze(tied, (1, 3, 16, 16), path=path)
    # conv 3→3 3x3 pad 1 at 16x16, twice: 2 x (3 x 256 x 27) = 41472 MACs; params 3*27 + 3 = 84, once
    assert (p.params, p.macs) == (84, 41472)
    _assert_unchanged(tied, before)


def test_profile_static_and_latency_rows_leave_the_model_as_it_was(tied):
    before = _snapshot(tied)
    static = cnnbench.profile(tied, input_size=(3, 16, 16), latency=False)
    assert static.to_dicts()[0]["params"] == 84 and static.to_dicts()[0]["error"] is None
    _assert_unchanged(tied, before)
    timed = cnnbench.profile(tied, input_size=(3, 16, 16), latency=True, budget=0.05, min_samples=3, warmup=0.01)
    (row,) = timed.to_dicts()
    assert row["error"] is None and row["latency_ms"]["median"] > 0
    _assert_unchanged(tied, before)


def test_explain_leaves_the_model_as_it_was(tied):
    roof = _roofline()
    before = _snapshot(tied)
    ex = cnnbench.explain(tied, input_size=(3, 16, 16), roofline=roof, threads=1, budget=0.05, min_samples=3,
                          warmup=0.01, iterations=3)
    assert ex.error is None
    assert ex.totals["macs"] == 41472
    _assert_unchanged(tied, before)


# --- 2. a shared submodule is credited per path -------------------------------------------------------------------

class SharedTwoParents(nn.Module):
    """One Linear(10, 10) reached as ``a`` and as ``blk.0`` (two parents, two depths): 100 MACs a call."""

    def __init__(self) -> None:
        super().__init__()
        lin = nn.Linear(10, 10, bias=False)
        self.a = lin
        self.blk = nn.Sequential(lin, nn.ReLU())

    def forward(self, x):
        return self.blk(self.a(x))


class SharedSameParent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = self.b = nn.Linear(10, 10, bias=False)

    def forward(self, x):
        return self.b(self.a(x)[:, :4].repeat(1, 3)[:, :10])


@pytest.mark.parametrize("path", TRACE_DEVICES)
def test_a_shared_module_is_credited_to_each_path_it_was_called_through(path):
    p = analyze(SharedSameParent(), (1, 10), path=path)
    groups = {g.name: g for g in p.by_module()}
    # each call: 10 x 10 = 100 MACs; fvcore gives a 100 and b 100 too
    assert (groups["a"].macs, groups["b"].macs, p.macs) == (100, 100, 200)
    # the weight (100) belongs to the first path, so per-module parameters add up to the total
    assert (groups["a"].params, groups["b"].params, p.params) == (100, 0, 100)
    assert groups["a"].out_shape == groups["b"].out_shape == "1x10"


@pytest.mark.parametrize("path", TRACE_DEVICES)
def test_a_shared_module_under_two_parents_at_two_depths(path):
    p = analyze(SharedTwoParents(), (2, 10), path=path)
    deep = {g.name: g.macs for g in p.by_module(depth=2)}
    # batch 2: 2 x 100 = 200 MACs a call
    assert deep == {"a": 200, "blk.0": 200, "blk.1": 0}
    assert {g.name: g.macs for g in p.by_module()} == {"a": 200, "blk": 200} and p.macs == 400
    m = SharedTwoParents()
    analyze(m, (2, 10), path=path)
    assert m.a is m.blk[0]  # the split is the copy's


def test_explain_times_a_shared_module_per_path_as_the_trace_counts_it():
    roof = _roofline()
    m = SharedSameParent()
    ex = cnnbench.explain(m, input_size=(10,), roofline=roof, threads=1, budget=0.05, min_samples=3, warmup=0.01,
                          iterations=3)
    layers = {r["module"]: r for r in ex.layers}
    # one call of 100 MACs each, timed where it is counted (before: b had its 100 MACs and no time)
    assert (layers["a"]["macs"], layers["b"]["macs"]) == (100, 100)
    assert layers["a"]["calls"] == layers["b"]["calls"] == 1.0
    assert layers["a"]["time_ms"] > 0 and layers["b"]["time_ms"] > 0
    assert m.a is m.b


# --- 3. wrappers ---------------------------------------------------------------------------------------------------

def _wrapped(kind: str) -> nn.Module:
    net = tiny()
    if kind == "DataParallel":
        return nn.DataParallel(net)
    if kind == "compile":
        return torch.compile(net)
    if kind == "compile(DataParallel)":
        return torch.compile(nn.DataParallel(net))
    if kind == "jit.script":
        return torch.jit.script(net)
    if kind == "jit.trace":
        return torch.jit.trace(net, torch.randn(SHAPE))
    if kind == "fx":
        return torch.fx.symbolic_trace(net)
    raise AssertionError(kind)


WRAPPERS = ("DataParallel", "compile", "compile(DataParallel)", "jit.script", "jit.trace", "fx")


@pytest.mark.parametrize("kind", WRAPPERS)
def test_a_wrapper_counts_as_the_model_it_wraps(kind):
    w = _wrapped(kind)
    p = analyze(w, SHAPE)
    assert (p.params, p.trainable_params, p.macs) == (PARAMS, PARAMS, MACS)
    assert p.checkpoint_bytes == checkpoint_bytes(tiny()) == _save_size(tiny().state_dict())
    if kind.startswith("jit"):
        assert p.trace_device == "cpu" and "TorchScript" in p.note
        assert [(g.name, g.macs) for g in p.by_module()] == [("(top level: " + p.note + ")", MACS)]
    else:
        assert p.note == ""
        assert [(g.name, g.macs) for g in p.by_module()] == [("0", 3888), ("1", 0), ("2", 0), ("3", 720)]
    (row,) = cnnbench.profile(w, input_size=SHAPE[1:], latency=False).to_dicts()
    assert (row["params"], row["macs"], row["error"]) == (PARAMS, MACS, None)


def test_explain_times_the_wrapped_model_under_the_names_the_trace_counts():
    ex = cnnbench.explain(nn.DataParallel(tiny()), input_size=SHAPE[1:], roofline=_roofline(), threads=1,
                          budget=0.05, min_samples=3, warmup=0.01, iterations=3)
    layers = {r["module"]: r for r in ex.layers}
    # timed as 0..3 (not "module", the wrapper's path), so MACs and time land in the same rows
    assert {k: layers[k]["macs"] for k in ("0", "1", "2", "3")} == {"0": 3888, "1": 0, "2": 0, "3": 720}
    assert "module" not in layers and layers["0"]["time_ms"] > 0 and layers["3"]["time_ms"] > 0


@pytest.mark.filterwarnings("ignore:The .grad attribute:UserWarning")  # torch's own, moving a ScriptModule
def test_explain_refuses_a_script_module_in_one_line():
    with pytest.raises(CnnbenchError, match="TorchScript module takes no forward hooks"):
        cnnbench.explain(torch.jit.script(tiny()), input_size=SHAPE[1:], roofline=_roofline(), threads=1,
                         budget=0.05, min_samples=3, warmup=0.01, iterations=3)


def test_distributed_data_parallel_is_unwrapped(tmp_path):
    import torch.distributed as dist

    if not dist.is_available():
        pytest.skip("torch without distributed")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'pg'}", rank=0, world_size=1)
    try:
        p = analyze(nn.parallel.DistributedDataParallel(tiny()), SHAPE)
    finally:
        dist.destroy_process_group()
    assert (p.params, p.macs) == (PARAMS, MACS)


def test_a_script_module_is_not_changed_and_takes_the_cpu_path_only():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).train()
    s = torch.jit.script(net)
    before = {k: v.clone() for k, v in s.state_dict().items()}
    p = analyze(s, SHAPE)
    # conv 4 x 6 x 6 x 27 = 3888 MACs (batch norm has no FLOP formula); params 112 + BN 2 x 4 = 120
    assert (p.macs, p.params, p.buffers) == (3888, 120, 9)  # buffers: mean 4, var 4, num_batches_tracked 1
    assert s.training
    assert all(torch.equal(v, before[k]) for k, v in s.state_dict().items())  # BN ran in eval: stats untouched
    with pytest.raises(CnnbenchError, match="cpu path only"):
        analyze(s, SHAPE, path="meta")


def test_a_scripted_submodule_is_counted_inside_its_parent():
    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = torch.jit.script(tiny())
            self.head = nn.Linear(5, 2)

        def forward(self, x):
            return self.head(self.body(x))

    p = analyze(Outer(), SHAPE)
    # 4608 + 5 x 2 = 4618 MACs; 837 + 10 + 2 = 849 parameters
    assert (p.macs, p.params) == (4618, 849)
    # the scripted body takes no hooks: its ops are its parent's (here the top level's), and the note says so
    assert p.note == "TorchScript body: counted in its parent, no rows of its own" and p.trace_device == "cpu"
    assert {g.name: g.macs for g in p.by_module()} == {f"(top level: {p.note})": MACS, "head": 10}


def test_cli_profile_of_a_script_module_by_module(tmp_path):
    from cnnbench.cli.app import app

    src = tmp_path / "scripted.py"
    src.write_text("import torch\nfrom torch import nn\n\n\ndef make():\n"
                   "    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 5))\n"
                   "    return torch.jit.script(net)\n")
    runner = CliRunner()
    res = runner.invoke(app, ["profile", f"{src}:make", "--input-size", "3x8x8", "--no-latency", "--by", "module"])
    assert res.exit_code == 0, res.output
    assert "TorchScript module, no per-module rows" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["profile", f"{src}:make", "--input-size", "3x8x8", "--no-latency", "-f", "json"])
    (rec,) = json.loads(res.stdout)
    assert (rec["params"], rec["macs"], rec["trace_device"]) == (PARAMS, MACS, "cpu")


def test_dynamic_quantized_linear_counts_its_packed_int8_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
    q = torch.ao.quantization.quantize_dynamic(net, {nn.Linear}, dtype=torch.qint8)
    p = analyze(q, (1, 8))
    # weights 8*4 + 4*2 = 40 int8, biases 4 + 2 = 6 fp32  →  46 parameters, none trainable
    assert (p.params, p.trainable_params, p.buffers) == (46, 0, 0)
    assert p.checkpoint_bytes == _save_size(q.state_dict())
    # quantized::linear_dynamic: 8 x 4 + 4 x 2 = 40 MACs
    assert p.macs == 40


@pytest.mark.parametrize("engine", ["fbgemm", "x86"])
def test_static_quantized_conv_net_counts_its_int8_weights(engine):
    if engine not in torch.backends.quantized.supported_engines:
        pytest.skip(f"no {engine} engine")

    class Q(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.quant = torch.ao.quantization.QuantStub()
            self.conv = nn.Conv2d(3, 4, 3)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4 * 6 * 6, 5)
            self.dequant = torch.ao.quantization.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.fc(F.relu(self.conv(self.quant(x))).flatten(1)))

    old = torch.backends.quantized.engine
    torch.backends.quantized.engine = engine
    try:
        torch.manual_seed(0)
        m = Q().eval()
        m.qconfig = torch.ao.quantization.get_default_qconfig(engine)
        prepared = torch.ao.quantization.prepare(m)
        prepared(torch.randn(4, 3, 8, 8))
        q = torch.ao.quantization.convert(prepared)
        p = analyze(q, SHAPE)
    finally:
        torch.backends.quantized.engine = old
    # int8 weights 108 + 720 and fp32 biases 4 + 5: 837 parameters, as the float net; the QuantStub's scale and
    # zero point are 2 buffer elements
    assert (p.params, p.trainable_params, p.buffers) == (PARAMS, 0, 2)
    assert p.checkpoint_bytes == _save_size(q.state_dict())
    # fp16 halves the biases and scales, but each storage here is under 64 bytes: the alignment padding hides it
    assert p.checkpoint_bytes_fp16 == p.checkpoint_bytes
    # quantized::conv2d 3888 + quantized::linear 720
    assert p.macs == MACS
