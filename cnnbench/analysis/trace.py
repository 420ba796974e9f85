"""One forward pass under a ``TorchDispatchMode`` → a list of ``OpRecord``.

Every aten op the model runs is recorded once, with the innermost module that ran it, its
tensor inputs/outputs (elements and bytes) and, where ``torch.utils.flop_counter`` has a
formula, its FLOPs. All metrics (MACs, memory access, activations, per-module and per-op
views) are derived from this one list; nothing is traced twice. Run it on the ``meta`` device
and no weight or activation memory is allocated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import flop_registry

aten = torch.ops.aten

# Ops that only re-describe existing memory (or ask for metadata): they move no data and count
# zero memory access, as ShuffleNetV2's MAC intends.
VIEW_OPS = frozenset(
    {
        "view", "_unsafe_view", "reshape", "_reshape_alias", "t", "transpose", "permute", "expand",
        "expand_as", "unsqueeze", "squeeze", "slice", "select", "as_strided", "alias", "detach",
        "flatten", "unflatten", "split", "split_with_sizes", "chunk", "unbind", "narrow", "diagonal",
        "view_as", "view_as_real", "view_as_complex", "lift_fresh", "numpy_T", "mT", "movedim",
        "unfold", "_nested_view_from_buffer", "real", "imag", "conj", "_conj", "_neg_view",
        "resolve_conj", "resolve_neg",
    }
)
# Ops that do not compute: shape/metadata queries skipped entirely (like FlopCounterMode does).
_SKIP = frozenset(
    {
        aten.is_contiguous.default, aten.is_contiguous.memory_format, aten.size.default,
        aten.sym_size.default, aten.stride.default, aten.sym_stride.default, aten.storage_offset.default,
        aten.sym_storage_offset.default, aten.numel.default, aten.sym_numel.default, aten.dim.default,
        aten.is_strides_like_format.default, aten.is_non_overlapping_and_dense.default,
        torch.ops.prim.layout.default, torch.ops.prim.device.default,
    }
)
# Output elements of these are "activations" (fvcore's and timm's definition).
ACTIVATION_OPS = frozenset(
    {
        "convolution", "_convolution", "cudnn_convolution", "convolution_overrideable", "_slow_conv2d_forward",
        "mkldnn_convolution", "mm", "addmm", "bmm", "baddbmm", "_scaled_mm", "deform_conv2d",
    }
)

# Ops whose extra outputs are bookkeeping the real inference kernels leave empty (eval-mode batch
# norm's save_mean/save_invstd): only the first N outputs move data.
_DATA_OUTPUTS = {"_native_batch_norm_legit_no_training": 1, "native_batch_norm": 1, "_native_batch_norm_legit": 1}


@dataclass(frozen=True)
class OpRecord:
    """One executed aten op.

    Attributes:
        op: overload packet name without namespace, e.g. ``convolution``.
        module: dotted path of the innermost module that ran it (``""`` = the model itself).
        module_type: that module's class name.
        in_shapes / out_shapes: tensor shapes (weights included in ``in_shapes``).
        in_elems / out_elems / in_bytes / out_bytes: totals over the tensors above.
        flops: FLOPs from ``torch.utils.flop_counter`` (2 per multiply-accumulate); 0 if no formula.
        has_formula: whether a FLOP formula exists for the op.
        is_view: op moves no data (memory access 0).
    """

    op: str
    module: str
    module_type: str
    in_shapes: tuple[tuple[int, ...], ...]
    out_shapes: tuple[tuple[int, ...], ...]
    in_elems: int
    out_elems: int
    in_bytes: int
    out_bytes: int
    flops: int
    has_formula: bool
    is_view: bool

    @property
    def macs(self) -> int:
        return self.flops // 2

    @property
    def memory_access_elements(self) -> int:
        return 0 if self.is_view else self.in_elems + self.out_elems

    @property
    def memory_access_bytes(self) -> int:
        return 0 if self.is_view else self.in_bytes + self.out_bytes

    @property
    def activations(self) -> int:
        return self.out_elems if self.op in ACTIVATION_OPS else 0


def _tensors(tree: Any) -> list[torch.Tensor]:
    leaves, _ = tree_flatten(tree)
    return [t for t in leaves if isinstance(t, torch.Tensor)]


def _sizes(ts: list[torch.Tensor]) -> tuple[tuple[tuple[int, ...], ...], int, int]:
    shapes, elems, nbytes = [], 0, 0
    for t in ts:
        shape = tuple(int(s) for s in t.shape)
        n = math.prod(shape)
        shapes.append(shape)
        elems += n
        nbytes += n * t.element_size()
    return tuple(shapes), elems, nbytes


def _deform_conv2d_flops(input, weight, *args, out_val=None, **kwargs) -> int:
    """torchvision's deformable conv: a conv's MACs at every output position, (N·Cout·Ho·Wo)·(Cin/g·kh·kw).

    Like the DCN papers, the bilinear sampling of the offsets (≈4 MACs per sampled point) is not counted.
    """
    n, cout, ho, wo = out_val.shape
    _, cin_g, kh, kw = weight.shape
    return 2 * n * cout * ho * wo * cin_g * kh * kw


# Formulas for ops outside ATen that torch.utils.flop_counter does not know (keyed by "namespace::name").
EXTRA_FORMULAS = {"torchvision::deform_conv2d": _deform_conv2d_flops}


def _formula(packet):
    f = flop_registry.get(packet)
    if f is None:
        f = EXTRA_FORMULAS.get(packet._qualified_op_name if hasattr(packet, "_qualified_op_name") else "")
    return f


class _RecordingMode(TorchDispatchMode):
    def __init__(self, tracer: _ModuleStack) -> None:
        super().__init__()
        self.records: list[OpRecord] = []
        self.tracer = tracer

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _SKIP:
            return func(*args, **kwargs)
        packet = func._overloadpacket
        formula = _formula(packet)
        if formula is None:
            # like FlopCounterMode: let composite ops decompose so their parts are seen (and counted)
            with self:
                r = func.decompose(*args, **kwargs)
            if r is not NotImplemented:
                return r
        out = func(*args, **kwargs)
        name = packet.__name__
        ins = _tensors((args, kwargs))
        outs = _tensors(out)
        if name in _DATA_OUTPUTS:
            outs = outs[: _DATA_OUTPUTS[name]]
        in_shapes, in_elems, in_bytes = _sizes(ins)
        out_shapes, out_elems, out_bytes = _sizes(outs)
        flops = int(formula(*args, **kwargs, out_val=out)) if formula is not None else 0
        path, mtype = self.tracer.current()
        self.records.append(
            OpRecord(
                op=name, module=path, module_type=mtype, in_shapes=in_shapes, out_shapes=out_shapes,
                in_elems=in_elems, out_elems=out_elems, in_bytes=in_bytes, out_bytes=out_bytes,
                flops=flops, has_formula=formula is not None, is_view=name in VIEW_OPS,
            )
        )
        return out


class _ModuleStack:
    """Knows which module is running, via forward pre/post hooks on every submodule."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.stack: list[tuple[str, str]] = [("", type(model).__name__)]
        self.handles = []
        for name, mod in model.named_modules():
            if not name:
                continue
            self.handles.append(mod.register_forward_pre_hook(self._enter(name, type(mod).__name__)))
            self.handles.append(mod.register_forward_hook(self._exit, always_call=True))

    def _enter(self, name: str, mtype: str):
        def hook(_mod, _inp):
            self.stack.append((name, mtype))

        return hook

    def _exit(self, _mod, _inp, _out):
        if len(self.stack) > 1:
            self.stack.pop()

    def current(self) -> tuple[str, str]:
        return self.stack[-1]

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def trace(model: torch.nn.Module, *inputs: torch.Tensor) -> list[OpRecord]:
    """Run ``model(*inputs)`` once (eval mode, no grad) and return every aten op it executed."""
    stack = _ModuleStack(model)
    mode = _RecordingMode(stack)
    try:
        with torch.no_grad(), mode:
            model(*inputs)
    finally:
        stack.remove()
    return mode.records
