"""Static analysis on a user's own model: never mutates it, falls back when meta cannot run it, counts ties once,
SDPA as one fused op, fused (re-parameterised) models, fvcore with timm's fused attention off, output shapes.

Every expected number has its arithmetic beside it.
"""

import io

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnbench.analysis import TRACE_DEVICES, analyze
from cnnbench.catalog import ModelSpec
from cnnbench.errors import CnnbenchError


class Net(nn.Module):
    """conv(3→4, 1x1) → BN → dropout → tied linear pair → SDPA → nn.MultiheadAttention: every kind of state."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)
        self.b.weight = self.a.weight  # tied
        self.mha = nn.MultiheadAttention(4, 2, batch_first=True)

    def forward(self, x):
        x = self.drop(self.bn(self.conv(x)))  # (N, 4, H, W)
        t = x.flatten(2).transpose(1, 2)  # (N, HW, 4) tokens
        t = self.b(self.a(t))
        q = t.unflatten(-1, (2, 2)).transpose(1, 2)  # (N, 2 heads, HW, 2)
        t = F.scaled_dot_product_attention(q, q, q).transpose(1, 2).reshape(t.shape)
        return self.mha(t, t, t, need_weights=False)[0]


def _snapshot(m: nn.Module):
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    mods = {name: (mod.training, dict(mod._forward_hooks), dict(mod._forward_pre_hooks),
                   dict(getattr(mod, "_forward_hooks_always_called", {})), sorted(vars(mod)))
            for name, mod in m.named_modules()}
    tensors = {n: (t.device, t.dtype, t.requires_grad) for n, t in [*m.named_parameters(), *m.named_buffers()]}
    return sd, mods, tensors


def _assert_unchanged(m: nn.Module, before) -> None:
    sd, mods, tensors = before
    now = m.state_dict()
    assert now.keys() == sd.keys()
    for k, v in sd.items():
        assert torch.equal(now[k], v), k
    assert {n: (t.device, t.dtype, t.requires_grad) for n, t in [*m.named_parameters(), *m.named_buffers()]} == tensors
    assert _snapshot(m)[1] == mods
    assert m.b.weight is m.a.weight


@pytest.fixture()
def user_model():
    torch.manual_seed(0)
    m = Net()
    m.train()
    m.bn.eval()  # a mixed state that must survive: root training, one submodule in eval
    m.register_forward_hook(lambda *_: None)
    m.conv.register_forward_pre_hook(lambda *_: None)
    m.note = "mine"
    return m


@pytest.mark.parametrize("path", [None, *TRACE_DEVICES])
def test_analyze_never_changes_the_model(user_model, path):
    before = _snapshot(user_model)
    p = analyze(user_model, (2, 3, 2, 2), path=path)
    assert p.trace_device == (path or "meta")
    _assert_unchanged(user_model, before)
    assert user_model.note == "mine" and user_model.training and not user_model.bn.training
    # BN ran in eval: its running stats and counter were not updated
    assert int(user_model.bn.num_batches_tracked) == 0


def test_fp16_analysis_leaves_an_fp32_model_fp32(user_model):
    before = _snapshot(user_model)
    p = analyze(user_model, (1, 3, 2, 2), torch.float16)  # the older positional-dtype form
    assert p.dtype == "float16"
    _assert_unchanged(user_model, before)
    assert all(t.dtype == torch.float32 for t in user_model.parameters())


def test_a_failing_forward_leaves_no_hooks_and_restores_flags(user_model):
    before = _snapshot(user_model)
    with pytest.raises(RuntimeError):
        analyze(user_model, (1, 5, 2, 2))  # 5 channels into a 3-channel conv fails on every path
    _assert_unchanged(user_model, before)


def test_every_path_gives_identical_figures(user_model):
    profiles = {path: analyze(user_model, (2, 3, 2, 2), path=path) for path in TRACE_DEVICES}
    ref = profiles["meta"]
    for path, p in profiles.items():
        assert p.trace_device == path
        assert p.to_dict() | {"trace_device": "meta"} == ref.to_dict()
        assert p.records == ref.records  # op by op: same ops, modules, shapes, bytes and FLOPs
        assert p.module_out_shapes == ref.module_out_shapes
    # params: conv 4*3+4 = 16; bn 8; tied a/b weight 16 once + biases 4 + 4; mha in_proj 3*4*4 + 12 = 60,
    # out_proj 16 + 4 = 20 → 128
    assert ref.params == 16 + 8 + 16 + 8 + 60 + 20


def test_meta_built_model_with_real_inputs_on_another_device_is_fine():
    with torch.device("meta"):
        m = Net()
    x = torch.randn(2, 3, 2, 2)
    a, b = analyze(m, x), analyze(m, (x,))
    assert a.macs == b.macs and a.input_shape == (2, 3, 2, 2)


# ---- data-dependent forwards: meta cannot run them ---------------------------------------------------------------

class Branchy(nn.Module):
    """c1 (3→4, 1x1) → if mean > -1e9: c2 (4→4, 1x1). Needs a value: fails on meta and fake."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 1)
        self.c2 = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        x = self.c1(x)
        if x.mean() > -1e9:
            x = self.c2(x)
        return x


class StrayCpu(nn.Module):
    """``torch.arange`` without ``device=``: a CPU tensor meeting meta ones (meta fails; fake runs it)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.c1(x) + torch.arange(x.shape[-1])


class Items(nn.Module):
    """``.item()``, ``.tolist()`` and ``torch.nonzero`` choosing how much work to do."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8, bias=False)

    def forward(self, x):
        n = int(x.new_ones(1).item()) + len(torch.nonzero(x.new_ones(2)).tolist())  # 1 + 2 = 3
        for _ in range(n):
            x = self.fc(x)
        return x


# Branchy at 1x3x4x4: c1 16 positions × 4 × 3 = 192 MACs, c2 16 × 4 × 4 = 256 → 448
def test_data_dependent_model_runs_on_cpu_with_its_own_weights():
    m = Branchy()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    p = analyze(m, (1, 3, 4, 4))
    assert p.trace_device == "cpu"
    assert p.macs == 192 + 256
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in before.items())


def test_data_dependent_meta_model_uses_cpu_model_builder():
    with torch.device("meta"):
        m = Branchy()
    built = []

    def cpu_model():
        built.append(1)
        return Branchy()

    p = analyze(m, (1, 3, 4, 4), cpu_model=cpu_model)
    assert p.trace_device == "cpu" and built == [1]
    assert p.macs == 448


def test_stray_cpu_tensor_runs_on_fake():
    with torch.device("meta"):
        m = StrayCpu()
    p = analyze(m, (1, 3, 4, 4))
    assert p.trace_device == "fake"
    # conv 16 × 4 × 3 = 192 MACs; memory access: conv in 48 + w 12 + b 4 + out 64 = 128;
    # arange 4 (its output); add 64 + 4 in, 64 out = 132 → 264
    assert p.macs == 192
    assert p.memory_access_elements == 128 + 4 + 132


def test_item_tolist_nonzero_need_cpu():
    p = analyze(Items(), (2, 8))
    assert p.trace_device == "cpu"
    assert p.macs == 3 * 2 * 8 * 8  # three 2x8 @ 8x8 matmuls


def test_a_shape_error_is_raised_at_once_without_a_cpu_run():
    with torch.device("meta"):
        m = Branchy()
    built = []
    with pytest.raises(RuntimeError, match="channel"):
        analyze(m, (1, 5, 4, 4), cpu_model=lambda: built.append(1) or Branchy())  # 5 channels into c1 (3 in)
    assert built == []  # meta's error is the model's own: fake and cpu would only repeat it


def test_forced_path_fails_with_the_forward_error():
    with pytest.raises(RuntimeError, match="meta"):
        analyze(Branchy(), (1, 3, 4, 4), path="meta")
    with pytest.raises(CnnbenchError, match="trace path"):
        analyze(Branchy(), (1, 3, 4, 4), path="gpu")


# ---- tied weights --------------------------------------------------------------------------------------------------

class TiedPair(nn.Module):
    """Two Linear(64, 64) sharing one weight: 64*64 + 64 + 64 = 4,224 params (8,320 untied)."""

    def __init__(self, tie: bool = True) -> None:
        super().__init__()
        self.a = nn.Linear(64, 64)
        self.b = nn.Linear(64, 64)
        if tie:
            self.b.weight = self.a.weight
        self.register_buffer("scratch", torch.zeros(64), persistent=False)  # not in the checkpoint

    def forward(self, x):
        return self.b(self.a(x))


def _saved_bytes(m: nn.Module) -> int:
    buf = io.BytesIO()
    torch.save(m.state_dict(), buf)
    return len(buf.getvalue())


@pytest.mark.parametrize("tie,params", [(True, 4224), (False, 8320)])
def test_checkpoint_bytes_equal_torch_save_tied_and_untied(tie, params):
    m = TiedPair(tie)
    p = analyze(m, (1, 64))
    assert p.params == params and p.buffers == 64
    assert p.checkpoint_bytes == _saved_bytes(m)
    # the fp16 figure is what model.half() then torch.save writes (ties kept by .half())
    assert p.checkpoint_bytes_fp16 == _saved_bytes(TiedPair(tie).half())
    with torch.device("meta"):
        meta = TiedPair(tie)
    assert analyze(meta, (1, 64)).checkpoint_bytes == p.checkpoint_bytes


def test_tie_through_a_new_parameter_object_is_found_by_storage():
    m = TiedPair(tie=False)
    m.b.weight = nn.Parameter(m.a.weight.data)  # another Parameter object, the same storage
    assert analyze(m, (1, 64)).params == 4224
    assert analyze(m, (1, 64)).checkpoint_bytes == _saved_bytes(m)


def _needs_values_tied():
    """A builder that computes with a tensor while building: fails under torch.device("meta")."""
    width = int(torch.ones(1).sum().item()) * 64  # .item() on meta raises
    m = TiedPair()
    assert m.a.in_features == width
    return m


def test_model_built_on_cpu_fallback_keeps_its_ties():
    from cnnbench.catalog.build import analyze_spec, build_meta

    spec = ModelSpec(name="tied-cpu-built", family="test", source="module", builder=_needs_values_tied,
                     input_size=(64,))
    model = build_meta(spec)
    assert all(t.device.type == "meta" for t in model.parameters())
    assert model.b.weight is model.a.weight
    p = analyze_spec(spec)  # InputSpec.from_shapes((64,)) at batch 1
    assert p.params == 4224  # not 8,320: model.to("meta") would untie the pair
    assert p.checkpoint_bytes == _saved_bytes(_needs_values_tied())
    assert p.macs == 2 * 64 * 64


# ---- fused attention --------------------------------------------------------------------------------------------------

class Attn(nn.Module):
    def forward(self, q, k, v, mask=None):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


@pytest.mark.parametrize("path", TRACE_DEVICES)
def test_sdpa_is_one_fused_op(path):
    q, k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 6)  # B=2 H=3 L=5 S=7 E=4 Ev=6
    p = analyze(Attn(), (q, k, v), path=path)
    assert [r.op for r in p.records] == ["scaled_dot_product_attention"]  # no bmm, no softmax, no L×S matrix
    # torch's formula: Q·Kᵀ 2·B·H·L·S·E = 1680 FLOPs + A·V 2·B·H·L·S·Ev = 2520 → 4200 FLOPs = 2100 MACs
    assert p.flops == 2 * 2 * 3 * 5 * 7 * 4 + 2 * 2 * 3 * 5 * 7 * 6
    # q 120 + k 168 + v 252 + out 2·3·5·6 = 180 → 720 elements (the 2·3·5·7 = 210-element score matrix is absent)
    assert p.memory_access_elements == 120 + 168 + 252 + 180
    assert p.activations == 180  # the output, as for a matmul
    masked = analyze(Attn(), (q, k, v), {"mask": torch.zeros(5, 7)}, path=path)
    assert masked.memory_access_elements == 720 + 35 and masked.macs == p.macs


def test_sdpa_inside_multihead_attention_is_fused_too():
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    p = analyze(m, (torch.randn(1, 6, 8),) * 3, {"need_weights": False})
    ops = [r.op for r in p.records]
    assert ops.count("scaled_dot_product_attention") == 1 and "bmm" not in ops
    # in_proj 6 tokens × 8 × 24 = 1152; attention 2 heads × 6 × 6 × 4 × 2 = 576; out_proj 6 × 8 × 8 = 384
    assert p.macs == 1152 + 576 + 384


# ---- re-parameterisation -------------------------------------------------------------------------------------------------

def _timm_spec(name: str, **kw) -> ModelSpec:
    from cnnbench.catalog.timm_models import timm_builder

    return ModelSpec(name=f"timm:{name}", family="test", source="timm", builder=timm_builder,
                     builder_kwargs={"model_name": name, **kw})


def test_fuse_repvgg_a0():
    pytest.importorskip("timm")
    from cnnbench.catalog.build import analyze_spec, fuse_model
    from cnnbench.inputs import InputSpec

    spec, small = _timm_spec("repvgg_a0"), InputSpec.from_shapes((3, 32, 32))
    plain = analyze_spec(spec, small)
    fused = analyze_spec(spec, small, fuse=True)
    # timm.create_model("repvgg_a0") as built: 9,108,968 params (train-time 3x3 + 1x1 + identity branches);
    # fused to one 3x3 conv per block: 8,309,384 (RepVGG paper Table: 8.30M)
    assert (plain.params, plain.fused, plain.to_dict()["fused"]) == (9_108_968, False, False)
    assert (fused.params, fused.fused, fused.to_dict()["fused"]) == (8_309_384, True, True)
    assert fused.macs < plain.macs
    model = nn.Sequential(nn.Conv2d(1, 1, 1))
    assert fuse_model(model) == (model, False)  # nothing to fuse: the model as given, fused False


def test_registered_repvgg_entry_is_unfused_until_asked():
    pytest.importorskip("timm")
    from cnnbench.catalog import resolve
    from cnnbench.catalog.build import analyze_spec
    from cnnbench.inputs import InputSpec

    spec = resolve("repvgg_a0")  # built as timm creates it; the paper's 8.30M counts the re-parameterized form
    assert spec.paper_fused and "reparameterize" not in spec.builder_kwargs
    plain = analyze_spec(spec, InputSpec.from_shapes((3, 32, 32)))
    fused = analyze_spec(spec, InputSpec.from_shapes((3, 32, 32)), fuse=True)
    assert (plain.fused, plain.params) == (False, 9_108_968)
    assert (fused.fused, fused.params) == (True, 8_309_384)


# ---- fvcore with timm's fused attention off -----------------------------------------------------------------------------

def test_fvcore_sees_timm_attention():
    pytest.importorskip("fvcore")
    timm = pytest.importorskip("timm")
    import timm.layers.config as cfg

    from cnnbench.analysis.crosscheck import crosscheck
    from cnnbench.catalog.build import analyze_spec
    from cnnbench.inputs import InputSpec

    spec = _timm_spec("vit_tiny_patch16_224", img_size=96)  # 36 patches + cls = 37 tokens: attention ≈ 3% of MACs
    before = cfg._USE_FUSED_ATTN
    cc = crosscheck(spec, (1, 3, 96, 96), "fvcore")
    assert cfg._USE_FUSED_ATTN == before  # restored
    ours = analyze_spec(spec, InputSpec.from_shapes((3, 96, 96))).macs
    assert abs(cc["fvcore"]["macs"] / ours - 1) < 0.01, (cc, ours)
    assert timm.create_model("vit_tiny_patch16_224", img_size=96).blocks[0].attn.fused_attn == bool(before)


# ---- module output shapes ------------------------------------------------------------------------------------------------

class TwoOut(nn.Module):
    def forward(self, x):
        return x[:, :1], x.sum(1)


class WithTuple(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.split = TwoOut()
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        a, b = self.split(self.conv(x))
        return self.pool(a) + b.mean()


def test_module_output_shapes_and_table():
    from rich.console import Console

    from cnnbench.report import groups_table

    p = analyze(WithTuple(), (1, 3, 6, 6))
    shapes = {g.name: g.out_shape for g in p.by_module(1)}
    assert shapes["conv"] == "1x8x6x6"
    assert shapes["split"] == "1x1x6x6, 1x6x6"  # a tuple output: its tensors joined with ", "
    assert shapes["pool"] == "1x1x1x1"
    assert shapes["(top level)"] == ""
    console = Console(width=200, record=True)
    console.print(groups_table("by module", p.by_module(1), p.macs, p.memory_access_bytes, "module"))
    text = console.export_text()
    assert "output" in text and "1x1x6x6, 1x6x6" in text


def test_keyword_and_several_inputs():
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3, bias=False)

        def forward(self, x, y=None):
            return self.fc(x) + self.fc(y)

    m = Two()
    # two 5x4 @ 4x3 matmuls: 2 × 5·4·3 = 120 MACs, whichever way the inputs are given
    assert analyze(m, (torch.randn(5, 4), torch.randn(5, 4))).macs == 120
    assert analyze(m, (torch.randn(5, 4),), {"y": torch.randn(5, 4)}).macs == 120
    p = analyze(m, (), {"x": torch.randn(5, 4), "y": torch.randn(5, 4)})
    assert p.macs == 120 and p.input_shape == (5, 4)
