"""Every multiply-accumulate counts, and counts the same on every trace path (analysis/formulas.py).

Each expectation is hand arithmetic in MACs (FLOPs = 2 × MACs). RNNs count their gate matrices only, per row
(time step × batch entry) per layer per direction: G·H·(in + H_out), plus P·H for an LSTM projection (G = 4 LSTM,
3 GRU, 1 RNN); biases and the elementwise gate maths count 0, as in the decomposition the meta path runs.
"""

from __future__ import annotations

import textwrap
import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import cnnbench
from cnnbench.analysis import analyze, formulas, register_formula
from cnnbench.analysis.trace import trace
from cnnbench.errors import CnnbenchError

aten = torch.ops.aten
PATHS = ("meta", "fake", "cpu")


class Fn(nn.Module):
    """``f(*inputs, *params)`` as a module (``params`` become parameters, so every path swaps them)."""

    def __init__(self, f, *params: torch.Tensor) -> None:
        super().__init__()
        self.f = f
        self.ps = nn.ParameterList([nn.Parameter(p, requires_grad=p.is_floating_point()) for p in params])

    def forward(self, *x):
        return self.f(*x, *self.ps)


def macs_by_path(model: nn.Module, args: tuple, paths=PATHS) -> dict[str, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RNN weights "not part of single contiguous chunk" on the cpu path
        return {p: analyze(model, args, path=p).macs for p in paths}


def r(*shape: int) -> torch.Tensor:
    return torch.randn(*shape)


# --- item 1: recurrent layers ----------------------------------------------------------------------------------

RNNS = [
    # the case: 100 steps × 1 × 4·512·(300 + 512) = 100 × 1,662,976
    ("lstm_issue", lambda: nn.LSTM(300, 512), (100, 1, 300), "lstm", 166_297_600),
    # 10 rows × [layer 0: 2 dirs × 4·20·(30+20) = 8000; layer 1 (in = 2·20): 2 × 4·20·(40+20) = 9600] = 176,000
    ("lstm_2layer_bidir_batch_first", lambda: nn.LSTM(30, 20, num_layers=2, bidirectional=True, batch_first=True),
     (2, 5, 30), "lstm", 176_000),
    # 10 rows × [4·20·(30 + 10) + 10·20 (W_hr)] = 10 × 3400
    ("lstm_proj", lambda: nn.LSTM(30, 20, proj_size=10), (5, 2, 30), "lstm", 34_000),
    # unbatched (T, in): 5 rows × 4·20·50 = 5 × 4000
    ("lstm_unbatched", lambda: nn.LSTM(30, 20), (5, 30), "lstm", 20_000),
    # no biases (the weight list is [W_ih, W_hh] only): 10 rows × 4·20·50; GRU 10 × 3·20·50
    ("lstm_no_bias", lambda: nn.LSTM(30, 20, bias=False), (5, 2, 30), "lstm", 40_000),
    ("gru_no_bias", lambda: nn.GRU(30, 20, bias=False), (5, 2, 30), "gru", 30_000),
    ("lstm_cell_no_bias_unbatched", lambda: nn.LSTMCell(30, 20, bias=False), (30,), "lstm_cell", 4_000),
    # 10 rows × [layer 0: 2 × 3·20·50 = 6000; layer 1: 2 × 3·20·60 = 7200] = 132,000
    ("gru_2layer_bidir", lambda: nn.GRU(30, 20, num_layers=2, bidirectional=True), (5, 2, 30), "gru", 132_000),
    # 10 rows × 20·(30 + 20) = 10 × 1000
    ("rnn_tanh", lambda: nn.RNN(30, 20), (5, 2, 30), "rnn_tanh", 10_000),
    ("rnn_relu_bidir", lambda: nn.RNN(30, 20, nonlinearity="relu", bidirectional=True), (5, 2, 30), "rnn_relu",
     20_000),
    # cells: 3 rows × G·20·(30 + 20)
    ("lstm_cell", lambda: nn.LSTMCell(30, 20), (3, 30), "lstm_cell", 12_000),
    ("gru_cell", lambda: nn.GRUCell(30, 20), (3, 30), "gru_cell", 9_000),
    ("rnn_cell", lambda: nn.RNNCell(30, 20), (3, 30), "rnn_tanh_cell", 3_000),
]


@pytest.mark.parametrize(("name", "build", "shape", "op", "expected"), RNNS, ids=[c[0] for c in RNNS])
def test_rnn_macs_are_the_same_on_every_path(name, build, shape, op, expected):
    # before: on fake/cpu aten::lstm went to oneDNN's mkldnn_rnn_layer (no formula): 0 MACs there
    model = build()
    assert macs_by_path(model, (r(*shape),)) == dict.fromkeys(PATHS, expected)
    prof = analyze(model, (r(*shape),), path="cpu")
    assert [g.name for g in prof.by_op() if g.macs] == [op]  # one op, as the fused kernels run it
    assert "mkldnn_rnn_layer" not in prof.uncounted_ops


def test_an_rnn_is_one_op_with_the_same_memory_access_on_every_path():
    # before: meta decomposed the LSTM step by step, cpu ran one mkldnn_rnn_layer per layer and direction — neither
    # MACs nor memory access agreed. Now one lstm op everywhere, moving (elements): x 5·2·30 = 300, h0 + c0
    # 2 · 4·2·20 = 320, weights 2·(80·30 + 80·20 + 2·80) + 2·(80·40 + 80·20 + 2·80) = 18,240, out 5·2·40 + hn + cn
    # 400 + 2·160 = 720; plus the two zeros() that make h0 and c0 (320) = 19,900 elements × 4 bytes
    model, x = nn.LSTM(30, 20, num_layers=2, bidirectional=True), r(5, 2, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiles = [analyze(model, (x,), path=p) for p in PATHS]
    assert {(p.macs, p.memory_access_bytes) for p in profiles} == {(176_000, 79_600)}
    assert [rec.op for rec in profiles[2].records if not rec.is_view] == ["zeros", "zeros", "lstm"]


@pytest.mark.parametrize("build", [lambda: nn.LSTM(30, 20, num_layers=2, bidirectional=True),
                                   lambda: nn.GRU(30, 20), lambda: nn.LSTM(30, 20, proj_size=10)])
def test_rnn_formula_matches_the_decomposition_the_meta_path_ran(build, monkeypatch):
    # the convention is the decomposition's: without the RNN formulas, meta decomposes each layer into per-step
    # addmm/mm (gate matrices) + elementwise ops (0) — the same total
    model, x = build(), r(5, 2, 30)
    with_formula = analyze(model, (x,), path="meta").macs
    for name in ("aten::lstm", "aten::gru"):
        monkeypatch.delitem(formulas.FORMULAS, name)
    decomposed = analyze(model, (x,), path="meta")
    assert decomposed.macs == with_formula > 0
    assert {g.name for g in decomposed.by_op() if g.macs} <= {"addmm", "mm"}


class PackedRNN(nn.Module):
    """Packs a padded batch of lengths 5, 3, 2 (10 real rows of 15) and runs the RNN on it."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, _ = self.rnn(pack_padded_sequence(x, [5, 3, 2]))
        return pad_packed_sequence(out)[0]


@pytest.mark.parametrize(("build", "expected"), [
    (lambda: nn.LSTM(30, 20, num_layers=2, bidirectional=True), 176_000),  # 10 real rows × 17,600 (above)
    (lambda: nn.GRU(30, 20), 30_000),  # 10 × 3·20·50
    (lambda: nn.LSTM(30, 20, proj_size=10), 34_000),  # 10 × 3400
])
def test_packed_sequences_count_the_real_rows(build, expected):
    # 10 rows, not the padded 5 × 3 = 15: the kernels skip the padding. Fake cannot pack (the packed size depends
    # on the lengths' values), so meta and cpu.
    assert macs_by_path(PackedRNN(build()), (r(5, 3, 30),), ("meta", "cpu")) == {"meta": expected, "cpu": expected}


def test_a_packed_sequence_given_as_input_counts_its_real_rows():
    packed = pack_padded_sequence(r(5, 3, 30), [5, 3, 2])
    assert analyze(nn.LSTM(30, 20), (packed,), path="cpu").macs == 10 * 4 * 20 * 50  # 40,000


def test_onednn_rnn_layer_called_directly():
    # one layer, one direction: 10 rows × (W_ih 80·30 + W_hh 80·20) = 40,000
    def layer(x, w_ih, w_hh, b_ih, b_hh, h, c):
        return aten.mkldnn_rnn_layer(x, w_ih, w_hh, b_ih, b_hh, h, c, False, [], 2, 20, 1, True, False, False,
                                     False)[0]

    args = (r(5, 2, 30), r(80, 30), r(80, 20), r(80), r(80), r(2, 20), r(2, 20))
    assert macs_by_path(Fn(layer), args) == dict.fromkeys(PATHS, 40_000)


def test_cudnn_and_miopen_rnn_signatures():
    # CUDA/ROCm kernels, so their formula is called directly with their argument lists (cuDNN: input, weight list,
    # weight_stride0, weight_buf, hx, cx, mode, hidden, proj, layers, batch_first, dropout, train, bidirectional,
    # batch_sizes, dropout_state): 10 rows × (W_ih 80·30 + W_hh 80·20) = 40,000 MACs = 80,000 FLOPs
    x, weights, h = r(5, 2, 30), [r(80, 30), r(80, 20), r(80), r(80)], r(1, 2, 20)
    cudnn = formulas.formula_for(aten._cudnn_rnn)
    assert cudnn(x, weights, 4, None, h, h, 2, 20, 0, 1, False, 0.0, False, False, [], None, out_val=None) == 80_000
    miopen = formulas.formula_for(aten.miopen_rnn)
    assert miopen(x, weights, 4, h, h, 2, 20, 1, False, 0.0, False, False, [], None, out_val=None) == 80_000


# --- item 2: every op that multiply-accumulates ------------------------------------------------------------------

OPS = [
    ("mv", lambda a, v: a @ v, (r(3, 4), r(4)), (), 12, PATHS),  # 3·4
    ("linalg_matmul_mv", torch.linalg.matmul, (r(3, 4), r(4)), (), 12, PATHS),
    ("dot", lambda a, b: a @ b, (r(4), r(4)), (), 4, PATHS),  # 4
    ("vdot", torch.vdot, (r(4), r(4)), (), 4, PATHS),
    ("addmv", torch.addmv, (r(3), r(3, 4), r(4)), (), 12, PATHS),  # 3·4 (the added vector is a bias: 0)
    ("addr", torch.addr, (r(3, 4), r(3), r(4)), (), 12, PATHS),  # one multiply-add per output, 3·4
    ("outer", torch.outer, (r(3), r(4)), (), 12, PATHS),  # 3·4, mm with k = 1
    ("addbmm", torch.addbmm, (r(3, 5), r(2, 3, 4), r(2, 4, 5)), (), 120, PATHS),  # 2·3·4·5
    ("baddbmm", torch.baddbmm, (r(2, 3, 5), r(2, 3, 4), r(2, 4, 5)), (), 120, PATHS),
    ("einsum_bmm", lambda a, b: torch.einsum("bij,bjk->bik", a, b), (r(2, 3, 4), r(2, 4, 5)), (), 120, PATHS),
    ("tensordot", lambda a, b: torch.tensordot(a, b, dims=([1, 2], [0, 1])), (r(2, 3, 4), r(3, 4, 5)), (), 120,
     PATHS),  # 2 × (3·4) × 5
    ("linalg_vecdot", torch.linalg.vecdot, (r(3, 4), r(3, 4)), (), 12, PATHS),  # 3 dots of 4
    ("bilinear", nn.Bilinear(3, 4, 5), (r(2, 3), r(2, 4)), (), 120, PATHS),  # 2 rows × 5·3·4 (bias: 0)
    ("cdist", torch.cdist, (r(2, 3, 4), r(2, 5, 4)), (), 120, PATHS),  # 2·3·5 pairs × 4 features
    ("cdist_mm_path", torch.cdist, (r(30, 4), r(26, 4)), (), 3120, PATHS),  # 30·26·4 (> 25 rows: via mm)
    ("pdist", torch.nn.functional.pdist, (r(4, 3),), (), 18, PATHS),  # 4·3/2 = 6 pairs × 3
    ("conv_tbc", lambda x, w, b: torch.conv_tbc(x, w, b, 1), (r(5, 2, 3),), (r(3, 3, 4), r(4)), 360, PATHS),
    # ^ out (5, 2, 4) = 40 elements × k 3 · Cin 3
    ("conv_same", lambda x, w: torch.nn.functional.conv2d(x, w, padding="same"), (r(1, 3, 5, 5),),
     (r(4, 3, 3, 3),), 2700, PATHS),  # 4·5·5 outputs × 3·3·3
    ("conv_transpose2d", nn.ConvTranspose2d(3, 4, 3, stride=2), (r(1, 3, 5, 5),), (), 2700, PATHS),
    # ^ every input element (3·5·5 = 75) meets 4·3·3 weights
    ("slow_conv_transpose2d", lambda x, w: aten.slow_conv_transpose2d(x, w, [2, 2], None, [2, 2]),
     (r(1, 4, 3, 3),), (r(4, 2, 2, 2),), 288, PATHS),  # 36 inputs × 2·2·2
    ("slow_conv3d", lambda x, w: aten.slow_conv3d(x, w, [2, 2, 2]), (r(1, 2, 3, 3, 3),), (r(3, 2, 2, 2, 2),), 384,
     ("fake", "cpu")),  # 3·2·2·2 outputs × 2·2·2·2 (no meta kernel)
    ("slow_conv_dilated2d", lambda x, w: aten.slow_conv_dilated2d(x, w, [3, 3], None, [1, 1], [0, 0], [2, 2]),
     (r(1, 3, 7, 7),), (r(4, 3, 3, 3),), 972, ("fake", "cpu")),  # 4·3·3 outputs × 27
    ("mkldnn_convolution", lambda x, w, b: aten.mkldnn_convolution(x, w, b, [1, 1], [1, 1], [1, 1], 1),
     (r(1, 3, 5, 5),), (r(4, 3, 3, 3), r(4)), 2700, ("cpu",)),  # oneDNN runs on real CPU tensors only
    ("_int_mm", torch._int_mm, (torch.randint(-3, 3, (32, 16), dtype=torch.int8),
                                torch.randint(-3, 3, (16, 8), dtype=torch.int8)), (), 4096, PATHS),  # 32·16·8
    ("_weight_int8pack_mm", aten._weight_int8pack_mm,
     (r(3, 32), torch.randint(-3, 3, (8, 32), dtype=torch.int8), r(8)), (), 768, PATHS),  # 3·32·8
    ("_addmm_activation", aten._addmm_activation, (r(5), r(3, 4), r(4, 5)), (), 60, PATHS),  # 3·4·5
]


@pytest.mark.parametrize(("name", "f", "inputs", "params", "expected", "paths"), OPS, ids=[c[0] for c in OPS])
def test_multiply_accumulate_ops_count_on_every_path(name, f, inputs, params, expected, paths):
    model = f if isinstance(f, nn.Module) else Fn(f, *params)
    assert macs_by_path(model, inputs, paths) == dict.fromkeys(paths, expected)


def test_embedding_bag_and_upsampling_count_zero_by_convention():
    # a gather and a reduction (like pooling); interpolation weights, not a product of tensors (docs/conventions.md
    # gives fvcore's, thop's and ptflops' rules beside this one): 0 MACs, listed in uncounted_ops
    class Up(nn.Module):
        def forward(self, x):
            return torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear")

    for model, x, op in [(nn.EmbeddingBag(10, 4), torch.tensor([[1, 2], [3, 4]]), "_embedding_bag_forward_only"),
                         (Up(), r(1, 3, 4, 4), "_unsafe_index")]:
        for p in PATHS:
            prof = analyze(model, (x,), path=p)
            assert prof.macs == 0 and op in prof.uncounted_ops


def test_low_precision_matmuls_count_on_the_cpu_path():
    # fp8 _scaled_mm (torch's formula): 16·32·8 = 4096; int4-packed weight: 3 rows · 64 in · 16 out = 3072. Traced
    # directly: analyze casts floating inputs to its dtype, which fp8 inputs do not survive.
    a, b = torch.randn(16, 32).to(torch.float8_e4m3fn), torch.randn(8, 32).to(torch.float8_e4m3fn).t()
    one = torch.tensor(1.0)
    fp8 = Fn(lambda a, b: torch._scaled_mm(a, b, one, one, out_dtype=torch.float32))
    assert [(rec.op, rec.macs) for rec in trace(fp8, (a, b)).records] == [("_scaled_mm", 4096)]
    packed = aten._convert_weight_to_int4pack_for_cpu(torch.randint(0, 15, (16, 64), dtype=torch.int32), 2)
    scales = torch.randn(2, 16, 2, dtype=torch.bfloat16)
    int4 = Fn(lambda x: aten._weight_int4pack_mm_for_cpu(x, packed, 32, scales))
    x = torch.randn(3, 64, dtype=torch.bfloat16)
    assert [(rec.op, rec.macs) for rec in trace(int4, (x,)).records] == [("_weight_int4pack_mm_for_cpu", 3072)]


def _static_quantized_net() -> tuple[nn.Module, nn.Module, torch.Tensor]:
    """A float conv net and its eager static-quantized copy (conv+relu and linear+relu fused, grouped 1×1,
    transposed)."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.dq = torch.ao.quantization.QuantStub(), torch.ao.quantization.DeQuantStub()
            self.c, self.r = nn.Conv2d(3, 4, 3), nn.ReLU()
            self.c2 = nn.Conv2d(4, 4, 1, groups=2)
            self.t = nn.ConvTranspose2d(4, 2, 2, stride=2)
            self.fc, self.r2 = nn.Linear(2 * 6 * 6, 5), nn.ReLU()

        def forward(self, x):
            x = self.c2(self.r(self.c(self.q(x))))
            return self.dq(self.r2(self.fc(self.t(x).flatten(1))))

    torch.manual_seed(0)
    net, x = Net().eval(), r(1, 3, 5, 5)
    q = Net().eval()
    q.load_state_dict(net.state_dict())
    q.qconfig = torch.ao.quantization.get_default_qconfig("x86")
    q.t.qconfig = torch.ao.quantization.default_qconfig  # x86's per-channel observer does not take a transposed conv
    torch.ao.quantization.fuse_modules(q, [["c", "r"], ["fc", "r2"]], inplace=True)
    q = torch.ao.quantization.prepare(q)
    q(x)
    return net, torch.ao.quantization.convert(q), x


def _macs(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out: dict[str, int] = {}
        for rec in trace(model, (x,)).records:
            if rec.macs:
                out[rec.op] = out.get(rec.op, 0) + rec.macs
        return out


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_static_quantized_conv_net_counts_the_float_macs():
    # float: conv 4·3·3 outputs × 3·3·3 = 972; grouped 1×1: 36 outputs × 2 = 72; transposed: 36 inputs × 2·2·2 = 288;
    # linear 72·5 = 360 — 1692 in all, the same through quantized::conv2d_relu / conv2d / conv_transpose2d /
    # linear_relu
    net, q, x = _static_quantized_net()
    assert _macs(net, x) == {"convolution": 972 + 72 + 288, "addmm": 360}
    assert _macs(q, x) == {"conv2d_relu": 972, "conv2d": 72, "conv_transpose2d": 288, "linear_relu": 360}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("dtype", [torch.qint8, torch.float16])
def test_dynamic_quantized_linear_counts_the_float_macs(dtype):
    fm = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).eval()
    dq = torch.ao.quantization.quantize_dynamic(fm, {nn.Linear}, dtype=dtype)
    op = "linear_dynamic" if dtype == torch.qint8 else "linear_dynamic_fp16"
    assert _macs(fm, r(2, 8)) == {"addmm": 2 * 8 * 16 + 2 * 16 * 4}  # 256 + 128
    assert _macs(dq, r(2, 8)) == {op: 384}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(("cls", "op", "expected"), [
    # 6 rows × [layer 0: 2 dirs × 4·6·(8+6) = 672; layer 1: 2 × 4·6·(12+6) = 864] = 9216
    (nn.LSTM, "lstm", 9216),
    # 6 rows × [2 × 3·6·14 = 504; 2 × 3·6·18 = 648] = 6912
    (nn.GRU, "gru", 6912),
])
def test_dynamic_quantized_rnn_counts_the_float_macs(cls, op, expected):
    rnn = cls(8, 6, num_layers=2, bidirectional=True).eval()
    dq = torch.ao.quantization.quantize_dynamic(nn.Sequential(rnn), {cls}, dtype=torch.qint8)
    assert _macs(rnn, r(3, 2, 8)) == {op: expected}
    assert _macs(dq, r(3, 2, 8)) == {f"quantized_{op}": expected}


# --- item 3: register_formula --------------------------------------------------------------------------------------

@torch.library.custom_op("cnnbench_test::scaled_mm", mutates_args=())
def scaled_mm(a: torch.Tensor, b: torch.Tensor, scale: float) -> torch.Tensor:
    return (a @ b) * scale


@scaled_mm.register_fake
def _scaled_mm_fake(a, b, scale):
    return a.new_empty(a.shape[0], b.shape[1])


class CustomNet(nn.Module):
    """A custom op (3×4 @ 4×5) followed by a cumsum (an aten op without a formula)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 5))

    def forward(self, x):
        return torch.ops.cnnbench_test.scaled_mm(x, self.w, 0.5).cumsum(1)


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(formulas, "_USER", {})


def test_register_formula_counts_a_custom_op_on_every_path(clean_registry):
    x = r(3, 4)
    for p in PATHS:
        before = analyze(CustomNet(), (x,), path=p)
        assert before.macs == 0 and set(before.uncounted_ops) == {"scaled_mm", "cumsum"}
    seen = []

    def mm_macs(a, b, scale, *, out_shape):
        seen.append((a, b, scale, out_shape))
        return a[0] * a[1] * b[1]  # 3·4·5 = 60

    cnnbench.register_formula("cnnbench_test::scaled_mm", mm_macs)
    # an aten op lacking a formula, named by its OpOverload: one add per element after the first of each row, 3·4
    cnnbench.register_formula(aten.cumsum.default, lambda x, dim, *a, out_shape, **k: x[0] * (x[1] - 1))
    for p in PATHS:
        after = analyze(CustomNet(), (x,), path=p)
        assert after.macs == 60 + 12 and after.uncounted_ops == {}
        assert after.flops == 144
    assert seen[0] == ((3, 4), (4, 5), 0.5, (3, 5))  # shapes in, the output's shape as out_shape


def test_register_formula_stops_the_decomposition_of_a_composite_op(clean_registry):
    # aten::kron decomposes into an elementwise mul (0 MACs); registered, it is one op with its formula
    model, args = Fn(torch.kron), (r(2, 3), r(4, 5))
    assert macs_by_path(model, args) == dict.fromkeys(PATHS, 0)
    register_formula(aten.kron, lambda a, b, *, out_shape: out_shape[0] * out_shape[1])  # 8·15 products
    assert macs_by_path(model, args) == dict.fromkeys(PATHS, 120)
    assert [rec.op for rec in analyze(model, args).records if not rec.is_view] == ["kron"]


def test_register_formula_refuses_bad_input_in_one_line(clean_registry):
    cases = [
        (("aten::no_such_op", len), "no operator aten::no_such_op"),
        (("no_namespace", len), "not a 'namespace::name'"),
        ((3, len), "not int"),
        (("cnnbench_test::scaled_mm", 3), "fn must be a function"),
        ((aten.mm, len), "aten::mm already has a formula (built in); pass override=True"),
        ((aten.mv.default, len), "aten::mv already has a formula"),
        ((aten.lstm, len), "aten::lstm already has a formula"),
    ]
    for args, text in cases:
        with pytest.raises(CnnbenchError) as e:
            register_formula(*args)
        assert text in str(e.value) and "\n" not in str(e.value)


def test_registering_again_replaces_and_a_built_in_needs_override(clean_registry):
    # a model file is executed afresh each time it is named: its registration must be repeatable
    register_formula("cnnbench_test::scaled_mm", lambda a, b, s, *, out_shape: 1)
    register_formula(torch.ops.cnnbench_test.scaled_mm, lambda a, b, s, *, out_shape: 2)
    assert analyze(CustomNet(), (r(3, 4),)).macs == 2
    # torch's mm formula (3·4·5 = 60 MACs for x @ w) is replaced only when asked
    model = Fn(torch.mm, r(4, 5))
    assert analyze(model, (r(3, 4),)).macs == 60
    with pytest.raises(CnnbenchError, match="built in"):
        register_formula(aten.mm, lambda a, b, *, out_shape: 1)
    register_formula(aten.mm, lambda a, b, *, out_shape: 1, override=True)
    assert analyze(model, (r(3, 4),)).macs == 1


def test_a_model_file_that_registers_can_be_named_twice(tmp_path, clean_registry):
    f = tmp_path / "net.py"
    f.write_text(textwrap.dedent("""
        import torch
        import cnnbench

        @torch.library.custom_op("cnnbench_test::file_mm", mutates_args=())
        def file_mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a @ b

        @file_mm.register_fake
        def _(a, b):
            return a.new_empty(a.shape[0], b.shape[1])

        cnnbench.register_formula("cnnbench_test::file_mm", lambda a, b, *, out_shape: a[0] * a[1] * b[1])

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = torch.nn.Parameter(torch.randn(4, 5))

            def forward(self, x):
                return torch.ops.cnnbench_test.file_mm(x, self.w)
    """))
    rows = cnnbench.profile([f"{f}:Net", f"{f}:Net"], input_size=(4,), batch_size=3)  # the file runs twice
    assert [row.macs for row in rows] == [60, 60]  # 3·4·5


@pytest.mark.parametrize(("fn", "text"), [
    (lambda a, b, s, *, out_shape: a[7], "failed: IndexError"),
    (lambda a, b, s, *, out_shape: "many", "returned 'many', not a number of MACs"),
    (lambda a, b, s, *, out_shape: -1, "returned -1"),
])
def test_a_failing_registered_formula_is_one_clear_error(clean_registry, fn, text):
    register_formula("cnnbench_test::scaled_mm", fn)
    with pytest.raises(CnnbenchError, match=text):
        analyze(CustomNet(), (r(3, 4),))


def test_register_formula_is_on_the_root_face():
    assert cnnbench.register_formula is register_formula
