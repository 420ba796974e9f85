"""FLOP formulas: which function counts an op's FLOPs (2 per multiply-accumulate).

``formula_for(packet)`` is the one lookup the trace uses, in this order: formulas users registered
(``register_formula``), cnnbench's own (``FORMULAS``: the ops below), then ``torch.utils.flop_counter``'s registry
(conv, mm/addmm/bmm/baddbmm, ``_scaled_mm``, fused attention). A formula is called as ``f(*args, **kwargs,
out_val=out)`` with the op's own arguments and returns FLOPs. An op with a formula is recorded as one op; one
without is decomposed by the trace where it can be, else listed in ``uncounted_ops``.

What counts (docs/conventions.md has the table and the peers' rules): every multiply-accumulate of a product of
matrices or tensors (matmuls, convolutions, bilinear forms, distances), one MAC per term; biases, normalisation,
activations, pooling, upsampling and other elementwise maths count 0. Recurrent layers (LSTM, GRU, RNN, their cells
and the fused kernels behind them) count their gate matrices only, like the decomposition the ``meta`` path runs:
per row, ``G·H·(in + H_out)`` per layer and direction, plus ``P·H`` for an LSTM projection; packed sequences count
their real (unpadded) rows, as the kernels run them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import torch
from torch.utils.flop_counter import flop_registry, sdpa_backward_flop_count, sdpa_flop_count

from cnnbench.errors import CnnbenchError

aten = torch.ops.aten
SDPA = aten.scaled_dot_product_attention


def _numel(shape) -> int:
    return math.prod(int(d) for d in shape)


def _rows(x: torch.Tensor) -> int:
    """Vectors a matmul-like op reads along its last dimension: every leading dimension (batch, time) times."""
    return _numel(x.shape[:-1])


def _outputs(out: Any) -> torch.Tensor:
    return out[0] if isinstance(out, (tuple, list)) else out


# --- matmul-like ops torch's registry leaves at 0 (MACs = output elements × the contracted length) ---------------

def _mv(mat, vec, *args, out_val=None, **kwargs) -> int:
    """``mv``: (n×m)·(m) → n·m MACs."""
    return 2 * _numel(mat.shape)


def _addmv(self, mat, vec, *args, out_val=None, **kwargs) -> int:
    """``addmv``: β·self + α·(n×m)·(m) → n·m MACs (the addition of ``self`` is a bias: not counted)."""
    return 2 * _numel(mat.shape)


def _dot(a, b, *args, out_val=None, **kwargs) -> int:
    """``dot``/``vdot``: n MACs."""
    return 2 * _numel(a.shape)


def _outer(a, b, *args, out_val=None, **kwargs) -> int:
    """``outer``/``ger``: n·m products, a matmul with a contracted length of 1 (counted as ``mm`` counts it)."""
    return 2 * _numel(a.shape) * _numel(b.shape)


def _addr(self, a, b, *args, out_val=None, **kwargs) -> int:
    """``addr``: self + u·vᵀ, one multiply-add per output element (n·m)."""
    return 2 * _numel(a.shape) * _numel(b.shape)


def _addbmm(self, b1, b2, *args, out_val=None, **kwargs) -> int:
    """``addbmm``: Σ_b (n×m)·(m×p) → b·n·m·p MACs."""
    b, n, m = b1.shape
    return 2 * b * n * m * int(b2.shape[-1])


def _vecdot(x, y, *args, out_val=None, **kwargs) -> int:
    """``linalg_vecdot``: one MAC per element of the broadcast product."""
    return 2 * _numel(torch.broadcast_shapes(x.shape, y.shape))


def _linear_like(x, *args, out_val=None, **kwargs) -> int:
    """An op that maps the last dimension of ``x`` to that of its output (int8/int4 matmuls, quantized linear):
    output elements × in_features MACs."""
    return 2 * _numel(_outputs(out_val).shape) * int(x.shape[-1])


def _int_mm(a, b, *args, out_val=None, **kwargs) -> int:
    """``_int_mm``: (m×k)·(k×n) int8 → m·k·n MACs."""
    return 2 * _numel(a.shape) * int(b.shape[-1])


def _trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, *args, out_val=None, **kwargs) -> int:
    """``_trilinear`` (``nn.Bilinear``, ``F.bilinear``): one MAC per term of the triple-product sum.

    Each input is unsqueezed at its ``expand`` dimensions; the terms are the elements of their broadcast shape:
    ``nn.Bilinear(in1, in2, out)`` on n rows is n·out·in1·in2 (torchinfo's weight-parameters × rows).
    """
    shapes = []
    for t, expand in ((i1, expand1), (i2, expand2), (i3, expand3)):
        shape = [int(d) for d in t.shape]
        for d in sorted(expand):
            shape.insert(d, 1)
        shapes.append(shape)
    return 2 * _numel(torch.broadcast_shapes(*shapes))


def _distance(x1, *args, out_val=None, **kwargs) -> int:
    """``cdist``/``pdist``: one MAC per (pair, feature) — the (x−y)² accumulation of p=2; every p counted alike."""
    return 2 * _numel(_outputs(out_val).shape) * int(x1.shape[-1])


# --- convolutions outside torch's registry (called directly, or the kernels behind ``convolution``) -------------

def _conv(x, weight, *args, out_val=None, **kwargs) -> int:
    """A convolution kernel with weight (Cout, Cin/g, k…): output elements × Cin/g·k MACs (bias not counted)."""
    return 2 * _numel(_outputs(out_val).shape) * _numel(weight.shape[1:])


def _conv_transposed(x, weight, *args, out_val=None, **kwargs) -> int:
    """A transposed convolution with weight (Cin, Cout/g, k…): every input element meets Cout/g·k weights."""
    return 2 * _numel(x.shape) * _numel(weight.shape[1:])


def _conv_backward(grad_out, x, weight, bias_sizes, stride, padding, dilation, transposed, output_padding, groups,
                   output_mask, *args, out_val=None, **kwargs) -> int:
    """``convolution_backward``: the gradient of the input and the gradient of the weight each cost the forward's
    MACs (every weight meets every output position it touched once more), whatever the groups.

    torch's own formula counts the weight gradient as a dense convolution, ``groups`` times too many (a depthwise
    layer's channel count times: MobileNetV2's backward came out 19× its forward); this one is exact.
    """
    forward = _numel((x if transposed else grad_out).shape) * _numel(weight.shape[1:])
    return 2 * forward * (int(bool(output_mask[0])) + int(bool(output_mask[1])))


def _conv_tbc(x, weight, *args, out_val=None, **kwargs) -> int:
    """``conv_tbc``: input (T, B, Cin), weight (k, Cin, Cout): output elements × k·Cin MACs."""
    return 2 * _numel(_outputs(out_val).shape) * int(weight.shape[0]) * int(weight.shape[1])


_CONV_OPS = ("mkldnn_convolution", "miopen_convolution", "miopen_depthwise_convolution", "cudnn_convolution_relu",
             "cudnn_convolution_add_relu", "_nnpack_spatial_convolution", "thnn_conv2d", "_conv_depthwise2d",
             "conv_depthwise3d", "slow_conv3d", "slow_conv3d_forward", "slow_conv_dilated2d", "slow_conv_dilated3d")
_CONV_TRANSPOSED_OPS = ("cudnn_convolution_transpose", "miopen_convolution_transpose", "slow_conv_transpose2d",
                        "slow_conv_transpose3d")


# --- recurrent layers: gate matrices only (docstring above) --------------------------------------------------------

def _matrices(tensors) -> int:
    """Weight-matrix elements among ``tensors`` (biases, 1-D, are not multiplied)."""
    return sum(_numel(t.shape) for t in tensors if isinstance(t, torch.Tensor) and t.dim() == 2)


def _rnn(x, *args, out_val=None, **kwargs) -> int:
    """``lstm``/``gru``/``rnn_tanh``/``rnn_relu`` (``.input`` and packed ``.data``), ``_cudnn_rnn``, ``miopen_rnn``.

    Every row (time step × batch entry; packed: the real rows, Σ batch_sizes = ``data.shape[0]``) passes through
    every layer and direction once, and there meets each of that layer's weight matrices once (W_ih: G·H × in,
    W_hh: G·H × H_out, an LSTM's W_hr: P × H): MACs = rows × Σ weight-matrix elements.
    """
    # the flat weight list is the list argument followed by a flag (has_biases) or a number (cuDNN's weight_stride0);
    # an LSTM's states (hx, cx) are a list followed by that weight list
    params = next(a for a, after in pairwise(args) if isinstance(a, (list, tuple)) and isinstance(after, int))
    return 2 * _rows(x) * _matrices(params)


def _rnn_cell(x, hx, w_ih, w_hh, *args, out_val=None, **kwargs) -> int:
    """``lstm_cell``/``gru_cell``/``rnn_tanh_cell``/``rnn_relu_cell``: rows × (W_ih + W_hh elements)."""
    return 2 * _rows(x) * _matrices((w_ih, w_hh))


def _mkldnn_rnn_layer(x, w_ih, w_hh, *args, out_val=None, **kwargs) -> int:
    """oneDNN's one layer, one direction of an LSTM (CPU): rows × (W_ih + W_hh elements)."""
    return 2 * _rows(x) * _matrices((w_ih, w_hh))


def _quantized_rnn(gates: int) -> Callable[..., int]:
    """``quantized_lstm``/``quantized_gru`` (dynamic quantization): the float layer's MACs, from the shapes (their
    weights are packed objects): per row, Σ over layers and directions G·H·(in_l + H)."""

    def flops(x, *args, out_val=None, **kwargs) -> int:
        packed = isinstance(args[0], torch.Tensor) and args[0].dim() == 1 and not args[0].is_floating_point()
        hx, rest = (args[1], args[3:]) if packed else (args[0], args[2:])
        h = int((hx[-1] if isinstance(hx, (list, tuple)) else hx).shape[-1])
        num_layers, bidirectional = int(rest[1]), bool(rest[4])
        dirs = 2 if bidirectional else 1
        per_row = sum(dirs * gates * h * ((int(x.shape[-1]) if layer == 0 else dirs * h) + h)
                      for layer in range(num_layers))
        return 2 * _rows(x) * per_row

    return flops


# --- torch.ao quantized kernels (CPU): the float op's MACs ----------------------------------------------------------

def _packed(args) -> Any:
    return next(a for a in args if isinstance(a, torch.ScriptObject))


def _quantized_conv(x, *args, out_val=None, **kwargs) -> int:
    """``quantized::conv*`` (the packed weight keeps the float layout): as ``_conv``/``_conv_transposed``."""
    packed = _packed(args)
    weight = packed.unpack()[0]
    if packed.transpose():
        return 2 * _numel(x.shape) * _numel(weight.shape[1:])
    return 2 * _numel(_outputs(out_val).shape) * _numel(weight.shape[1:])


_QUANTIZED_CONV_OPS = ("conv1d", "conv2d", "conv3d", "conv1d_relu", "conv2d_relu", "conv3d_relu", "conv2d_add",
                       "conv2d_add_relu", "conv1d_dynamic", "conv2d_dynamic", "conv3d_dynamic", "conv_transpose1d",
                       "conv_transpose2d", "conv_transpose3d", "conv_transpose1d_dynamic", "conv_transpose2d_dynamic",
                       "conv_transpose3d_dynamic")
_QUANTIZED_LINEAR_OPS = ("linear", "linear_relu", "linear_dynamic", "linear_relu_dynamic", "linear_dynamic_fp16",
                         "linear_relu_dynamic_fp16", "linear_leaky_relu", "linear_tanh", "matmul",
                         "linear_with_input_q_dq_qweight_dq_output_fp32",
                         "linear_with_input_q_dq_qweight_dq_relu_output_fp32")


def _deform_conv2d_flops(input, weight, *args, out_val=None, **kwargs) -> int:
    """torchvision's deformable conv: a conv's MACs at every output position, (N·Cout·Ho·Wo)·(Cin/g·kh·kw).

    Like the DCN papers, the bilinear sampling of the offsets (≈4 MACs per sampled point) is not counted.
    """
    n, cout, ho, wo = out_val.shape
    _, cin_g, kh, kw = weight.shape
    return 2 * n * cout * ho * wo * cin_g * kh * kw


def _sdpa_flops(query, key, value, *args, out_val=None, **kwargs) -> int:
    """torch's fused-attention formula (Q·Kᵀ and A·V as two batched matmuls); leading dims of any rank are batch."""
    q, k, v = (tuple(int(d) for d in t.shape) for t in (query, key, value))
    if len(q) == len(k) == len(v) == 4:
        return int(sdpa_flop_count(q, k, v))
    b = math.prod(q[:-2])
    return 2 * b * q[-2] * q[-1] * k[-2] + 2 * b * q[-2] * k[-2] * v[-1]


def _sdpa_backward_flops(grad_out, query, key, value, *args, out_val=None, **kwargs) -> int:
    """A fused attention's backward, torch's formula: Q·Kᵀ recomputed (the scores were never saved), then the gradients
    of Q, K and V as four batched matmuls — 2.5× the forward."""
    shapes = [tuple(int(d) for d in t.shape) for t in (grad_out, query, key, value)]
    return int(sdpa_backward_flop_count(*shapes))


# cnnbench's own formulas, keyed by "namespace::name" (every overload of the op)
FORMULAS: dict[str, Callable[..., int]] = {
    "aten::scaled_dot_product_attention": _sdpa_flops,
    # the CPU flash kernel a training step runs (torch's registry has the CUDA kernels only)
    "aten::_scaled_dot_product_flash_attention_for_cpu": _sdpa_flops,
    "aten::_scaled_dot_product_flash_attention_for_cpu_backward": _sdpa_backward_flops,
    "aten::mv": _mv, "aten::addmv": _addmv, "aten::dot": _dot, "aten::vdot": _dot, "aten::outer": _outer,
    "aten::ger": _outer, "aten::addr": _addr, "aten::addbmm": _addbmm, "aten::linalg_vecdot": _vecdot,
    "aten::_trilinear": _trilinear, "aten::_addmm_activation": flop_registry[aten.addmm],
    "aten::_int_mm": _int_mm, "aten::_weight_int8pack_mm": _linear_like, "aten::_weight_int4pack_mm": _linear_like,
    "aten::_weight_int4pack_mm_for_cpu": _linear_like, "aten::mkldnn_linear": _linear_like,
    "aten::cdist": _distance, "aten::_cdist_forward": _distance, "aten::_euclidean_dist": _distance,
    "aten::pdist": _distance, "aten::_pdist_forward": _distance,
    "aten::conv_tbc": _conv_tbc, "aten::convolution_backward": _conv_backward,
    **{f"aten::{name}": _conv for name in _CONV_OPS},
    **{f"aten::{name}": _conv_transposed for name in _CONV_TRANSPOSED_OPS},
    **{f"aten::{name}": _rnn for name in ("lstm", "gru", "rnn_tanh", "rnn_relu", "_cudnn_rnn", "miopen_rnn")},
    **{f"aten::{name}": _rnn_cell for name in ("lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell")},
    "aten::mkldnn_rnn_layer": _mkldnn_rnn_layer,
    "aten::quantized_lstm": _quantized_rnn(4), "aten::quantized_gru": _quantized_rnn(3),
    **{f"quantized::{name}": _quantized_conv for name in _QUANTIZED_CONV_OPS},
    **{f"quantized::{name}": _linear_like for name in _QUANTIZED_LINEAR_OPS},
    "torchvision::deform_conv2d": _deform_conv2d_flops,
}

# formulas registered by users (register_formula): "namespace::name" → FLOPs wrapper of their MACs function
_USER: dict[str, Callable[..., int]] = {}


def _name(packet: Any) -> str:
    return getattr(packet, "_qualified_op_name", "")


def formula_for(packet):
    """The FLOP formula of an op (its ``OpOverloadPacket``), or None."""
    name = _name(packet)
    f = _USER.get(name) or FORMULAS.get(name)
    return f if f is not None else flop_registry.get(packet)


def _op_name(op: Any) -> str:
    """``"namespace::name"`` of an ``OpOverloadPacket``, an ``OpOverload`` or such a string (checked to exist)."""
    if isinstance(op, torch._ops.OpOverload):
        op = op._overloadpacket
    if isinstance(op, torch._ops.OpOverloadPacket):
        return op._qualified_op_name
    if not isinstance(op, str):
        raise CnnbenchError(f"register_formula: op must be an operator (torch.ops.NS.NAME) or a 'namespace::name' "
                            f"string, not {type(op).__name__}")
    ns, sep, rest = op.partition("::")
    name = rest.split(".")[0]
    if not (sep and ns and name):
        raise CnnbenchError(f"register_formula: {op!r} is not a 'namespace::name' operator name (e.g. 'aten::cumsum')")
    try:
        packet = getattr(getattr(torch.ops, ns), name)
    except (AttributeError, RuntimeError):
        packet = None
    if not isinstance(packet, torch._ops.OpOverloadPacket):
        raise CnnbenchError(f"register_formula: no operator {ns}::{name} is defined (define or import it first)")
    return packet._qualified_op_name


def _shape(x: Any) -> Any:
    return tuple(int(d) for d in x.shape) if isinstance(x, torch.Tensor) else x


def register_formula(op: Any, fn: Callable[..., int], *, override: bool = False) -> None:
    """Count an op's multiply-accumulates with ``fn``, on every trace path (meta, fake, cpu).

    ``fn`` is called like the op, with every tensor argument replaced by its shape (a tuple of ints; lists of
    tensors become lists of shapes, other arguments stay as they are) and ``out_shape=`` the output's shape (a tuple
    of shapes for several outputs), and returns **MACs** — unlike ``torch.utils.flop_counter.register_flop_formula``,
    whose functions take the same shapes but return FLOPs (2 × MACs). The op is then recorded as one op with those
    MACs (no longer decomposed) and leaves ``uncounted_ops``. The formula covers every overload of the op.

    Registering the same op again replaces your earlier formula: a model file is executed afresh each time it is
    named (and a notebook cell re-run), so a registration at its top must be repeatable. Replacing a formula
    cnnbench or torch already has needs ``override=True`` (torch refuses a duplicate registration outright).

    A registration lives in this process: sweep workers are new processes, so register in the module that defines
    the model (the file ``file.py:Class`` names, which every worker imports) to have it counted there too.

    Args:
        op: ``torch.ops.NS.NAME`` (a packet), ``torch.ops.NS.NAME.overload``, or the string ``"NS::NAME"``.
        fn: ``fn(*shapes, out_shape=..., **kwargs) -> int`` (MACs).
        override: replace cnnbench's or torch's own formula for the op.

    Raises:
        CnnbenchError: ``fn`` is not callable, ``op`` names no operator, or it has a built-in formula and not
            ``override``.
    """
    if not callable(fn):
        raise CnnbenchError(f"register_formula: fn must be a function of the op's input shapes returning MACs, "
                            f"not {type(fn).__name__}")
    name = _op_name(op)
    packet = getattr(getattr(torch.ops, name.split("::")[0]), name.split("::")[1])
    if not override and (name in FORMULAS or packet in flop_registry):
        raise CnnbenchError(f"register_formula: {name} already has a formula (built in); pass override=True to "
                            f"replace it")

    def flops(*args, out_val=None, **kwargs) -> int:
        from torch.utils._pytree import tree_map

        try:
            macs = fn(*tree_map(_shape, args), **tree_map(_shape, kwargs), out_shape=tree_map(_shape, out_val))
        except Exception as e:
            raise CnnbenchError(f"the MAC formula registered for {name} failed: {type(e).__name__}: {e}") from e
        if isinstance(macs, bool) or not isinstance(macs, (int, float)) or macs < 0:
            raise CnnbenchError(f"the MAC formula registered for {name} returned {macs!r}, not a number of MACs")
        return 2 * int(macs)

    _USER[name] = flops
