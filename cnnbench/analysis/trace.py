"""One forward pass under a ``TorchDispatchMode`` → a list of ``OpRecord``.

Every aten op the model runs is recorded once, with the innermost module that ran it, its
tensor inputs/outputs (elements and bytes) and, where ``torch.utils.flop_counter`` has a
formula, its FLOPs. All metrics (MACs, memory access, activations, per-module and per-op
views) are derived from this one list; nothing is traced twice. Run it on the ``meta`` device
and no weight or activation memory is allocated.

The pass runs under ``torch.inference_mode()``: autograd's dispatch keys are skipped, so composite
ops reach the mode undecomposed and the mode decomposes them itself — except
``scaled_dot_product_attention``, recorded as the one fused op that CPU/CUDA eager run (on ``meta``
autograd would otherwise expand it into the math path with its L×S matrix). A no-op
``TorchFunctionMode`` is active too: PyTorch's ``nn.MultiheadAttention``/``TransformerEncoderLayer``
"fast paths" refuse to run under one, so every device takes the same (traceable) code path.

The same pass tracks storage liveness (:mod:`cnnbench.analysis.liveness`): the peak bytes of tensor storages the
forward created alive at once, and the bytes alive at each module's exit. ``trace(..., train=True)`` traces a
training step instead (train mode, autograd on, the backward of ``output.sum()``; backward ops flagged
``backward``), where attention on ``meta`` takes the fused CPU kernel that CPU and CUDA train with.
"""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from cnnbench.analysis.formulas import SDPA, formula_for
from cnnbench.analysis.liveness import Liveness
from cnnbench.analysis.modules import ModuleHooks, working_copy

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
# "Activations" (fvcore's and timm's definition: the outputs of conv/linear/matmul) are the output elements of every
# op that does multiply-accumulates — every op with a FLOP formula that counts more than 0 (convolutions, matmuls,
# fused attention, RNN layers, quantized conv/linear, formulas users register). Fused attention's output (B·H·L·Ev,
# the A·V product) is one; the L×S score matrix is not, as the fused kernels never materialise it (fvcore/timm count
# it only because they trace the unfused math path). An RNN layer's outputs (the sequence and the final states) are.

# Ops whose extra outputs are bookkeeping the real inference kernels leave empty (eval-mode batch
# norm's save_mean/save_invstd): only the first N outputs move data.
_DATA_OUTPUTS = {"_native_batch_norm_legit_no_training": 1, "native_batch_norm": 1, "_native_batch_norm_legit": 1,
                 "scaled_dot_product_attention": 1}


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
        backward: run by the backward of a training step (or its loss), not the forward.
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
    backward: bool = False

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
        return self.out_elems if self.flops > 0 else 0


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


def _fused_layout(out: torch.Tensor) -> torch.Tensor:
    """SDPA's output in the layout the fused kernels give it (CPU flash, CUDA flash/efficient: B×L×H×E memory).

    The math path that ``meta`` runs returns it B×H×L×E-contiguous instead; a later ``transpose(1, 2).reshape``
    is then a copy on meta but a view on CPU/CUDA. Normalising the layout keeps every trace path identical.
    """
    if out.dim() != 4:
        return out
    _, h, n, e = out.shape
    want = (n * h * e, e, h * e, 1)
    if out.stride() == want:
        return out
    return torch.empty_strided(out.shape, want, dtype=out.dtype, device=out.device).copy_(out)


@functools.cache
def _own_cpu_kernel(func: Any) -> bool:
    """Whether CPU eager runs ``func`` whole: it has a CPU kernel besides its C++ composite (math) one. An op with a
    Python decomposition (``native_batch_norm``'s, which the trace needs: its meta kernel returns statistics CPU
    leaves empty) is still decomposed."""
    try:
        cpu = torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), "CPU")
    except (RuntimeError, AttributeError):  # an op the dispatcher does not know by name
        return False
    return cpu and torch._C.DispatchKey.CompositeImplicitAutograd not in getattr(func, "py_kernels", {})


class _RecordingMode(TorchDispatchMode):
    def __init__(self, tracer: _ModuleStack, liveness: Liveness) -> None:
        super().__init__()
        self.records: list[OpRecord] = []
        self.tracer = tracer
        self.liveness = liveness
        self.backward = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _SKIP:
            return func(*args, **kwargs)
        packet = func._overloadpacket
        formula = formula_for(packet)
        if formula is None and not _own_cpu_kernel(func):
            # like FlopCounterMode: let composite ops decompose so their parts are seen (and counted) — unless the op
            # has a CPU kernel of its own, which CPU eager runs whole (``silu_backward``: its math decomposition
            # would add temporaries a real training step never allocates)
            with self:
                r = func.decompose(*args, **kwargs)
            if r is not NotImplemented:
                return r
        out = func(*args, **kwargs)
        if packet is SDPA:
            out = _fused_layout(out)
        name = packet.__name__
        ins = _tensors((args, kwargs))
        outs = _tensors(out)
        if name in _DATA_OUTPUTS:
            outs = outs[: _DATA_OUTPUTS[name]]
        in_shapes, in_elems, in_bytes = _sizes(ins)
        out_shapes, out_elems, out_bytes = _sizes(outs)
        # eval batch norm's save_mean/save_invstd: empty on CPU/CUDA, C-sized on meta — never real memory
        self.liveness.track(outs if name == "_native_batch_norm_legit_no_training" else out)
        flops = int(formula(*args, **kwargs, out_val=out)) if formula is not None else 0
        path, mtype = self.tracer.current()
        self.records.append(
            OpRecord(
                op=name, module=path, module_type=mtype, in_shapes=in_shapes, out_shapes=out_shapes,
                in_elems=in_elems, out_elems=out_elems, in_bytes=in_bytes, out_bytes=out_bytes,
                flops=flops, has_formula=formula is not None, is_view=name in VIEW_OPS, backward=self.backward,
            )
        )
        return out


class NoFastPath(TorchFunctionMode):
    """Passes every call through; its presence alone turns off ``nn.MultiheadAttention``'s fused fast path."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def fused_attention_on_meta() -> Any:
    """While a training step is traced: ``F.scaled_dot_product_attention`` on ``meta`` runs the CPU flash kernel's
    ``meta`` implementation, as CPU and CUDA run a fused kernel (saving only the output and its log-sum-exp), where
    ``meta`` alone would take the math path (the L×S scores materialised and saved for the backward) — so every trace
    path sees the same ops. Only when the CPU would take it (4-D inputs, no dropout, no grouped-query broadcast);
    other devices and calls pass through. The function is put back on exit (code that imported the function itself
    before the trace keeps the math path on ``meta``).
    """
    import torch.nn.functional as F

    original = F.scaled_dot_product_attention

    def sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
        if (query.device.type == "meta" and query.dim() == key.dim() == value.dim() == 4 and dropout_p == 0.0
                and not enable_gqa and query.is_floating_point() and torch.is_grad_enabled()):
            return aten._scaled_dot_product_flash_attention_for_cpu(query, key, value, 0.0, is_causal,
                                                                    attn_mask=attn_mask, scale=scale)[0]
        return original(query, key, value, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal,
                        scale=scale, enable_gqa=enable_gqa)

    F.scaled_dot_product_attention = sdpa
    try:
        yield
    finally:
        F.scaled_dot_product_attention = original


def shape_text(out: Any) -> str:
    """``"1x64x56x56"`` for a tensor; tensors of a tuple/dict output joined with ``", "``; ``""`` if none."""
    return ", ".join("x".join(str(int(d)) for d in t.shape) for t in _tensors(out))


class _ModuleStack(ModuleHooks):
    """Knows which module is running (hooks on every submodule, :mod:`cnnbench.analysis.modules`); records output
    shapes and the bytes alive at each module's exit."""

    def __init__(self, model: torch.nn.Module, max_depth: int | None = None) -> None:
        self.stack: list[tuple[str, str]] = [("", type(model).__name__)]
        self.out_shapes: dict[str, str] = {}
        self.exit_bytes: dict[str, int] = {}
        self.liveness: Liveness | None = None
        super().__init__(model, max_depth)

    def pre_hook(self, name: str, mod: torch.nn.Module):
        mtype = type(mod).__name__

        def hook(_mod, _inp):
            self.stack.append((name, mtype))

        return hook

    def post_hook(self, name: str):
        def hook(_mod, _inp, out):
            if len(self.stack) > 1:
                self.stack.pop()
            if name not in self.out_shapes and out is not None:  # a module called twice keeps its first output
                self.out_shapes[name] = shape_text(out)
            if name not in self.exit_bytes and self.liveness is not None:
                self.exit_bytes[name] = self.liveness.live

        return hook

    def current(self) -> tuple[str, str]:
        return self.stack[-1]


@dataclass(frozen=True)
class Trace:
    """What one pass left: every op, each module's output shape(s) (``shape_text``), and the storage liveness
    (:mod:`cnnbench.analysis.liveness`): the peak bytes alive at once of the storages the pass created, the module
    running at that peak (``"(backward)"`` in a training step's backward; ``"(backward) blocks.1"`` while the backward
    re-runs a ``torch.utils.checkpoint`` block), the bytes alive at each module's exit (its first call)."""

    records: list[OpRecord]
    out_shapes: dict[str, str]
    peak_bytes: int = 0
    peak_at: str = ""
    exit_bytes: dict[str, int] | None = None


BACKWARD = "(backward)"


def loss_of(out: Any) -> torch.Tensor:
    """The training step's scalar loss: the sum of every floating output tensor that needs a gradient (the
    ``output.sum()`` convention: a real loss adds a few elementwise ops on the output, nothing that scales with
    the network)."""
    parts = [t.sum() for t in _tensors(out) if t.is_floating_point() and t.requires_grad]
    if not parts:
        from cnnbench.errors import CnnbenchError

        raise CnnbenchError("nothing to train: no output of the model depends on a trainable parameter")
    loss = parts[0]
    for p in parts[1:]:
        loss = loss + p
    return loss


def trainable_standins(model: torch.nn.Module, tensors: dict[int, Any]) -> dict[int, Any]:
    """``tensors`` (id of the model's tensor → stand-in) with every trainable floating parameter's stand-in a leaf
    that requires grad: a detached alias of the stand-in (same storage; the caller's tensor is never changed)."""
    out = dict(tensors)
    made: dict[int, Any] = {}
    for p in model.parameters():
        s = out.get(id(p), p)
        if not (p.requires_grad and s.is_floating_point()):
            continue
        if id(s) not in made:
            made[id(s)] = s.detach().requires_grad_(True)
        out[id(p)] = made[id(s)]
    return out


def trace(model: torch.nn.Module, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, *,
          tensors: dict[str, torch.Tensor] | None = None, modes: tuple[Any, ...] = (), hooks: bool = True,
          train: bool = False) -> Trace:
    """Run ``model(*args, **kwargs)`` once in eval mode and inference mode; return every aten op it executed.

    With ``train``, a training step instead: the forward in train mode with autograd on, then the backward of
    :func:`loss_of` its output (the output itself is dropped first, as a training loop drops it once the loss
    exists); the backward's ops are recorded with ``backward=True`` and the parameters' gradients are among the
    storages the pass created.

    The caller's module is never touched: the pass runs on :func:`~cnnbench.analysis.modules.working_copy` (new
    module objects, one per module path, in eval mode, with the stand-in tensors in place), so what the forward
    writes to its attributes, the tracing hooks and the eval flags stay in that copy.

    Args:
        model: the module.
        args, kwargs: example inputs.
        tensors: stand-ins by name (``named_parameters(remove_duplicate=False)`` / ``named_buffers`` names) for the
            module's parameters and buffers; names not given keep the module's own tensor (so ``None`` runs with
            the module's own tensors).
        modes: extra context managers entered around the pass (outside the recording mode), e.g. a
            ``FakeTensorMode``.
        hooks: name each op's module (``False``: every op is the top level's, for modules that take no hooks).
    """
    tensors = tensors or {}
    own = [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]
    standins = {id(t): tensors.get(name, t) for name, t in own}
    if train:
        standins = trainable_standins(model, standins)
    work = working_copy(model, standins)
    for m in work.modules():
        m.training = train
    stack = _ModuleStack(work, None if hooks else 0)
    def where() -> str:  # a checkpointed block re-run by the backward: "(backward) blocks.1"
        path = stack.current()[0]
        return f"{BACKWARD} {path}" if mode.backward and path != BACKWARD else path

    live = Liveness([*standins.values(), *_tensors((args, kwargs)), *work.parameters(), *work.buffers()], where)
    stack.liveness = live
    mode = _RecordingMode(stack, live)
    try:
        with contextlib.ExitStack() as ctx:
            ctx.enter_context(torch.enable_grad() if train else torch.inference_mode())
            if train:
                ctx.enter_context(fused_attention_on_meta())
            for extra in modes:
                ctx.enter_context(extra)
            ctx.enter_context(NoFastPath())
            ctx.enter_context(mode)
            out = work(*args, **(kwargs or {}))
            if train:
                mode.backward = True
                stack.stack = [(BACKWARD, "")]
                loss = loss_of(out)
                del out
                loss.backward()
                del loss
            else:
                del out
    finally:
        stack.remove()
        live.close()
    return Trace(mode.records, stack.out_shapes, live.peak, live.peak_at, stack.exit_bytes)
