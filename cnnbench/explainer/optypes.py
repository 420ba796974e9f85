"""Op types that times and costs are totalled by: the same names for the static trace's aten ops (after
dispatch: ``convolution``, ``addmm``, ``_native_batch_norm_legit_no_training``), the profiler's top-level aten
calls (``aten::conv2d``, ``aten::linear``, ``aten::batch_norm``) and ONNX node types (``Conv``, ``Gemm``).

A convolution is ``depthwise conv`` when each group sees one input channel (weight ``out × 1 × kh × kw`` with more
than one group); the profiler does not record shapes, so its convolutions take the type of the static trace's
convolution at the same position in the same module (see :mod:`cnnbench.explainer.attribution`).
"""

from __future__ import annotations

CONV, DW_CONV, MATMUL, NORM, ACT, POOL, ELTWISE, MOVE, OTHER = (
    "conv", "depthwise conv", "matmul/linear", "norm", "activation", "pooling", "add/mul (element-wise)",
    "cat/copy/shuffle", "other")
#: Time not inside any aten op of a module: Python forward code, hooks, the framework (eager), unmapped nodes (ONNX).
FRAMEWORK = "framework (python)"
#: Inside a ``torch.compile``'d region, the time not in an aten op it calls (convolutions, GEMMs: Inductor's extern
#: kernels): Inductor's generated kernels, which fuse the element-wise ops, norms and activations between them.
FUSED = "fused kernels (inductor)"
TYPES = (CONV, DW_CONV, MATMUL, NORM, ACT, POOL, ELTWISE, MOVE, FUSED, OTHER, FRAMEWORK)

_BY_NAME = {
    CONV: ("convolution", "_convolution", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "mkldnn_convolution", "cudnn_convolution", "_slow_conv2d_forward", "thnn_conv2d",
           "deform_conv2d", "conv", "convtranspose", "fusedconv", "qlinearconv", "conv1d_relu", "conv2d_relu",
           "conv3d_relu", "conv2d_add", "conv2d_add_relu", "conv_tbc", "slow_conv_transpose2d",
           "slow_conv_transpose3d", "slow_conv3d_forward", "_conv_depthwise2d", "miopen_convolution",
           "cudnn_convolution_transpose"),
    MATMUL: ("mm", "addmm", "bmm", "baddbmm", "matmul", "linear", "_scaled_mm", "scaled_dot_product_attention",
             "einsum", "gemm", "fusedgemm", "fusedmatmul", "attention", "multiheadattention", "mv", "addmv", "dot",
             "vdot", "outer", "addr", "addbmm", "linalg_vecdot", "_trilinear", "bilinear", "_int_mm",
             "_weight_int8pack_mm", "_weight_int4pack_mm", "_weight_int4pack_mm_for_cpu", "_addmm_activation",
             "mkldnn_linear", "linear_relu", "linear_dynamic", "linear_relu_dynamic", "linear_dynamic_fp16",
             "lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
             "mkldnn_rnn_layer", "_cudnn_rnn", "quantized_lstm", "quantized_gru", "matmulinteger", "qlinearmatmul"),
    NORM: ("batch_norm", "native_batch_norm", "_native_batch_norm_legit_no_training", "_native_batch_norm_legit",
           "layer_norm", "native_layer_norm", "group_norm", "native_group_norm", "instance_norm", "rms_norm",
           "_fused_rms_norm", "batchnormalization", "layernormalization", "groupnormalization",
           "instancenormalization", "simplifiedlayernormalization"),
    ACT: ("relu", "relu_", "relu6", "hardtanh", "hardtanh_", "gelu", "gelu_", "silu", "silu_", "sigmoid", "sigmoid_",
          "hardswish", "hardswish_", "hardsigmoid", "hardsigmoid_", "tanh", "tanh_", "leaky_relu", "leaky_relu_",
          "elu", "elu_", "mish", "mish_", "softmax", "_softmax", "log_softmax", "_log_softmax", "clamp", "clamp_",
          "clamp_min", "clamp_min_", "clip", "prelu", "selu", "softplus", "erf", "quickgelu", "fastgelu"),
    POOL: ("max_pool2d", "max_pool2d_with_indices", "max_pool1d", "max_pool3d", "avg_pool2d", "avg_pool1d",
           "avg_pool3d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d", "adaptive_avg_pool1d", "adaptive_max_pool2d",
           "mean", "maxpool", "averagepool", "globalaveragepool", "globalmaxpool", "reducemean", "sum"),
    ELTWISE: ("add", "add_", "mul", "mul_", "sub", "sub_", "div", "div_", "rsub", "addcmul", "where", "pow",
              "sqrt", "rsqrt", "neg", "exp", "log", "abs"),
    MOVE: ("cat", "concat", "stack", "copy_", "clone", "contiguous", "channel_shuffle", "native_channel_shuffle",
           "pixel_shuffle", "constant_pad_nd", "pad", "index", "index_select", "gather", "roll", "repeat", "tile",
           "to", "_to_copy", "transpose", "permute", "flatten", "view", "reshape", "_unsafe_view", "squeeze",
           "unsqueeze", "split", "slice", "expand", "dropout", "identity", "reorderinput", "reorderoutput",
           "upsample_nearest2d", "upsample_bilinear2d", "resize", "interpolate", "shape", "gather", "cast",
           "chunk", "narrow", "select", "t", "numpy_t", "alias", "detach", "expand_as", "view_as", "unflatten",
           "_reshape_alias"),
}
_LOOKUP = {name: kind for kind, names in _BY_NAME.items() for name in names}


def base_name(op: str) -> str:
    """``aten::conv2d`` → ``conv2d``; ``relu_`` stays; ONNX ``Conv`` → ``conv``; a ``.default`` overload is dropped."""
    name = op.split("::")[-1].split(".")[0]
    return name.lower() if name[:1].isupper() else name


def op_type(op: str, in_shapes: tuple[tuple[int, ...], ...] | None = None) -> str:
    """The op type of an aten op name (static, profiler) or ONNX node type; ``in_shapes`` tells depthwise convs."""
    name = base_name(op)
    kind = _LOOKUP.get(name) or _LOOKUP.get(name.rstrip("_")) or OTHER
    if kind == CONV and in_shapes and is_depthwise(in_shapes):
        return DW_CONV
    return kind


def is_depthwise(in_shapes: tuple[tuple[int, ...], ...]) -> bool:
    """A convolution's (input, weight, ...) shapes: one input channel per group, more than one group."""
    if len(in_shapes) < 2 or len(in_shapes[0]) < 3 or len(in_shapes[1]) < 3:
        return False
    cin, cin_per_group = in_shapes[0][1], in_shapes[1][1]
    return cin_per_group == 1 and cin > 1
