"""FLOP formulas: which function counts an op's FLOPs (2 per multiply-accumulate).

``formula_for(packet)`` is the one lookup the trace uses: cnnbench's own formulas first (fused attention, ops
outside ATen), then ``torch.utils.flop_counter``'s registry. A formula is called as
``f(*args, **kwargs, out_val=out)`` with the op's own arguments and returns FLOPs.
"""

from __future__ import annotations

import math

import torch
from torch.utils.flop_counter import flop_registry, sdpa_flop_count

aten = torch.ops.aten
SDPA = aten.scaled_dot_product_attention


def _deform_conv2d_flops(input, weight, *args, out_val=None, **kwargs) -> int:
    """torchvision's deformable conv: a conv's MACs at every output position, (N·Cout·Ho·Wo)·(Cin/g·kh·kw).

    Like the DCN papers, the bilinear sampling of the offsets (≈4 MACs per sampled point) is not counted.
    """
    n, cout, ho, wo = out_val.shape
    _, cin_g, kh, kw = weight.shape
    return 2 * n * cout * ho * wo * cin_g * kh * kw


# Formulas for ops outside ATen that torch.utils.flop_counter does not know (keyed by "namespace::name").
EXTRA_FORMULAS = {"torchvision::deform_conv2d": _deform_conv2d_flops}


def _sdpa_flops(query, key, value, *args, out_val=None, **kwargs) -> int:
    """torch's fused-attention formula (Q·Kᵀ and A·V as two batched matmuls); leading dims of any rank are batch."""
    q, k, v = (tuple(int(d) for d in t.shape) for t in (query, key, value))
    if len(q) == len(k) == len(v) == 4:
        return int(sdpa_flop_count(q, k, v))
    b = math.prod(q[:-2])
    return 2 * b * q[-2] * q[-1] * k[-2] + 2 * b * q[-2] * k[-2] * v[-1]


def formula_for(packet):
    if packet is SDPA:
        return _sdpa_flops
    f = flop_registry.get(packet)
    if f is None:
        f = EXTRA_FORMULAS.get(packet._qualified_op_name if hasattr(packet, "_qualified_op_name") else "")
    return f
