"""Static analysis: one trace → params, checkpoint sizes, MACs, memory access, activations.

``analyze`` never changes the caller's model: the forward runs on a structural copy of its module tree
(:func:`~cnnbench.analysis.modules.working_copy`: new module objects holding stand-ins for the parameters and
buffers, in eval mode), so neither the stand-ins, the eval flags, the hooks nor the forward's own attribute writes
reach it. A module shared by two paths is one module per path there: each call is credited to the path it was
called through (its parameters to the first path, so per-module parameters add up to the total).
``nn.DataParallel`` / ``DistributedDataParallel`` and ``torch.compile``'s wrapper are looked through
(:func:`~cnnbench.analysis.modules.unwrap`). The trace runs on the cheapest device that works, and the profile
says which (``trace_device``):

* ``meta`` — stand-ins without storage: nothing allocated, the default;
* ``fake`` — ``FakeTensorMode`` tensors that claim to live on the CPU: for forwards that create CPU tensors
  (``torch.arange(n)`` without ``device=``) or mix in plain CPU tensor attributes;
* ``cpu`` — a real run on the CPU, for data-dependent forwards (``if x.sum() > 0``, ``.item()``, ``.tolist()``,
  ``torch.nonzero``): with the model's own weights when it has real ones (buffers cloned, nothing written back),
  else those of ``cpu_model()``, else uninitialised CPU tensors.

Counts are shape arithmetic, so every path gives the same figures for a model that runs on all of them.

A TorchScript module (``torch.jit.script`` / ``trace``) takes neither stand-ins nor hooks: it runs on the ``cpu``
path with (a copy of) its own weights, and its profile has no per-module rows (``by_module`` is one top-level group;
``note`` says why).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from cnnbench.analysis.modules import unwrap
from cnnbench.analysis.params import checkpoint_bytes, count_params, group_numel, storage_key, tensor_groups
from cnnbench.analysis.trace import OpRecord, trace
from cnnbench.errors import CnnbenchError
from cnnbench.inputs import first_shape

TRACE_DEVICES = ("meta", "fake", "cpu")


@dataclass(frozen=True)
class OpGroup:
    """Totals of a group of ops (one module subtree or one op type)."""

    name: str
    count: int
    macs: int
    memory_access_elements: int
    memory_access_bytes: int
    activations: int
    params: int = 0
    out_shape: str = ""  # module groups: the module's output shape(s), e.g. "1x64x56x56" (torchinfo's column)
    alive_bytes: int | None = None  # module groups: bytes alive at the module's exit (None: not a module)


@dataclass(frozen=True)
class StaticProfile:
    """Machine-independent cost of one model at one input shape.

    Units and conventions: ``macs`` multiply-accumulates (papers' "FLOPs"), ``flops`` = 2 × macs;
    memory access = ShuffleNetV2's MAC (all tensor inputs incl. weights + outputs of every op that
    moves data; views count 0) in elements and bytes; ``activations`` = output elements of every op with
    MACs (conv/linear/matmul/attention, RNN layers); ``arithmetic_intensity`` = flops / memory-access bytes
    (FLOP/byte); checkpoint sizes in bytes. ``scaled_dot_product_attention`` is one fused op (q, k, v, mask and output
    moved; torch's FLOP formula; its output is an activation, the L×S scores are not).
    ``trace_device``: which path traced the model (meta | fake | cpu); ``fused``: re-parameterised branches
    were fused (``cnnbench.catalog.build.fuse_model``) before counting. ``peak_activation_bytes``: the most bytes of
    storages the forward created alive at once (eval mode, no autograd; parameters, buffers and inputs excluded;
    :mod:`cnnbench.analysis.liveness`), reached in module ``peak_at``; ``weight_bytes`` / ``input_bytes``: the
    storages of the parameters and buffers / of the inputs, at ``dtype``. ``op_count``: the aten ops the forward ran that
    compute or move data (views and bare allocations excluded) (a fragmentation proxy: ShuffleNetV2's G3).
    """

    input_shape: tuple[int, ...]
    dtype: str
    params: int
    trainable_params: int
    buffers: int
    checkpoint_bytes: int
    checkpoint_bytes_fp16: int
    checkpoint_bytes_int8: int
    macs: int
    memory_access_elements: int
    memory_access_bytes: int
    activations: int
    uncounted_ops: dict[str, dict[str, float]]
    records: tuple[OpRecord, ...] = field(repr=False, compare=False, default=())
    module_params: dict[str, int] = field(repr=False, compare=False, default_factory=dict)
    trace_device: str = "meta"
    fused: bool = False
    module_out_shapes: dict[str, str] = field(repr=False, compare=False, default_factory=dict)
    note: str = field(compare=False, default="")  # what the profile lacks, e.g. per-module rows of a TorchScript module
    peak_activation_bytes: int = 0
    peak_at: str = ""
    weight_bytes: int = field(compare=False, default=0)
    input_bytes: int = field(compare=False, default=0)
    module_exit_bytes: dict[str, int] = field(repr=False, compare=False, default_factory=dict)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def op_count(self) -> int:
        """aten ops the forward ran that compute or move data (views and bare allocations such as ``empty`` excluded):
        the kernels an eager run launches."""
        return sum(1 for r in self.records if not r.is_view and (r.macs or r.memory_access_bytes))

    @property
    def arithmetic_intensity(self) -> float:
        return self.flops / self.memory_access_bytes if self.memory_access_bytes else 0.0

    def by_op(self) -> list[OpGroup]:
        """Totals per aten op type, most memory traffic first."""
        groups: dict[str, list[OpRecord]] = defaultdict(list)
        for r in self.records:
            groups[r.op].append(r)
        return sorted((_group(k, rs) for k, rs in groups.items()), key=lambda g: (-g.macs, -g.memory_access_bytes))

    def by_module(self, depth: int = 1) -> list[OpGroup]:
        """Totals per module subtree, truncated to ``depth`` dotted levels, in execution order.

        A shared module is credited per path it was called through; a TorchScript module gives one top-level group
        whose name carries :attr:`note`. ``alive_bytes``: the bytes alive when the module (its first call) returned.
        """
        groups: dict[str, list[OpRecord]] = {}
        for r in self.records:
            key = ".".join(r.module.split(".")[:depth]) if r.module else ""
            groups.setdefault(key, []).append(r)
        out = []
        for key, rs in groups.items():
            params = self.module_params.get(key, 0) if key else 0
            top = f"(top level: {self.note})" if self.note else "(top level)"
            out.append(_group(key or top, rs, params, self.module_out_shapes.get(key, "") if key else "",
                              self.module_exit_bytes.get(key) if key else None))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_shape": list(self.input_shape),
            "dtype": self.dtype,
            "params": self.params,
            "trainable_params": self.trainable_params,
            "buffers": self.buffers,
            "checkpoint_bytes": self.checkpoint_bytes,
            "checkpoint_bytes_fp16": self.checkpoint_bytes_fp16,
            "checkpoint_bytes_int8": self.checkpoint_bytes_int8,
            "macs": self.macs,
            "flops": self.flops,
            "memory_access_elements": self.memory_access_elements,
            "memory_access_bytes": self.memory_access_bytes,
            "activations": self.activations,
            "arithmetic_intensity": round(self.arithmetic_intensity, 4),
            "uncounted_ops": self.uncounted_ops,
            "trace_device": self.trace_device,
            "fused": self.fused,
            "peak_activation_bytes": self.peak_activation_bytes,
            "peak_at": self.peak_at,
            "op_count": self.op_count,
        }


def _group(name: str, rs: list[OpRecord], params: int = 0, out_shape: str = "", alive: int | None = None) -> OpGroup:
    return OpGroup(
        name=name,
        count=len(rs),
        macs=sum(r.macs for r in rs),
        memory_access_elements=sum(r.memory_access_elements for r in rs),
        memory_access_bytes=sum(r.memory_access_bytes for r in rs),
        activations=sum(r.activations for r in rs),
        params=params,
        out_shape=out_shape,
        alive_bytes=alive,
    )


def _uncounted(records: list[OpRecord], total_bytes: int) -> dict[str, dict[str, float]]:
    """Ops that move data but have no FLOP formula: count and share of memory access."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        if not r.has_formula and not r.is_view:
            acc[r.op][0] += 1
            acc[r.op][1] += r.memory_access_bytes
    out = {}
    for op, (n, b) in sorted(acc.items(), key=lambda kv: -kv[1][1]):
        out[op] = {"count": n, "memory_access_share": round(b / total_bytes, 4) if total_bytes else 0.0}
    return out


def _module_params(model: torch.nn.Module, depth_max: int = 64) -> dict[str, int]:
    """Parameters owned by every module subtree, keyed by dotted path."""
    out: dict[str, int] = defaultdict(int)
    seen: set[int] = set()
    for pname, p in model.named_parameters():
        key = storage_key(p)
        if key in seen:  # a tied weight belongs to the first module that registered it
            continue
        seen.add(key)
        parts = pname.split(".")[:-1]
        for i in range(1, min(len(parts), depth_max) + 1):
            out[".".join(parts[:i])] += p.numel()
    return dict(out)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list, torch.Size)) and len(x) > 0 and all(
        isinstance(d, int) and not isinstance(d, bool) for d in x)


def _cast(t: torch.Tensor, dtype: torch.dtype) -> torch.dtype:
    return dtype if t.is_floating_point() else t.dtype


def _views_differ(group: list[tuple[str, torch.Tensor, bool]]) -> bool:
    first = group[0][1]
    return any(t.storage_offset() != first.storage_offset() or t.shape != first.shape or t.stride() != first.stride()
               for _, t, _ in group[1:])


def _empty_standins(groups, dtype: torch.dtype, device: str) -> dict[str, torch.Tensor]:
    """Storage-less (meta) or fake stand-ins: ONE per storage, so tied weights stay tied in the trace."""
    out: dict[str, torch.Tensor] = {}
    for group in groups:
        t0 = group[0][1]
        dt = _cast(t0, dtype)
        if not _views_differ(group):
            one = torch.empty_strided(t0.shape, t0.stride(), dtype=dt, device=device)
            out.update((name, one) for name, _, _ in group)
            continue
        base = torch.empty(group_numel(group), dtype=dt, device=device)  # several views of one storage
        for name, t, _ in group:
            out[name] = base.as_strided(t.shape, t.stride(), t.storage_offset())
    return out


def _cpu_standins(groups, dtype: torch.dtype, cpu_model: Callable[[], torch.nn.Module] | None):
    """Real CPU tensors: the model's own (buffers cloned: a forward may write to them), else ``cpu_model()``'s."""
    ref: dict[str, torch.Tensor] = {}
    if cpu_model is not None and any(t.device.type == "meta" for g in groups for _, t, _ in g):
        built = cpu_model()
        ref = {**dict(built.named_parameters(remove_duplicate=False)),
               **dict(built.named_buffers(remove_duplicate=False))}
    out: dict[str, torch.Tensor] = {}
    for group in groups:
        made: dict[tuple, torch.Tensor] = {}
        for name, t, is_buffer in group:
            view = (t.storage_offset(), tuple(t.shape), t.stride())
            if view in made:  # tied: the same stand-in
                out[name] = made[view]
                continue
            dt = _cast(t, dtype)
            src = t if t.device.type != "meta" else ref.get(name)
            if src is None or src.device.type == "meta" or src.shape != t.shape:
                value = torch.empty_strided(t.shape, t.stride(), dtype=dt, device="cpu")
            else:
                value = src.detach().to("cpu", dt)
                if is_buffer and storage_key(value) == storage_key(src):
                    value = value.clone()
            out[name] = made[view] = value
    return out


def _inputs(tree: Any, dtype: torch.dtype, make: Callable[[torch.Tensor, torch.dtype], torch.Tensor]) -> Any:
    from torch.utils._pytree import tree_map

    return tree_map(lambda t: make(t, _cast(t, dtype)) if isinstance(t, torch.Tensor) else t, tree)


def _cpu_input(t: torch.Tensor, dt: torch.dtype) -> torch.Tensor:
    """The caller's values (copied: a forward may write in place), or zeros for a meta input (valid indices too)."""
    if t.device.type == "meta":
        return torch.zeros(t.shape, dtype=dt, device="cpu")
    return t.detach().to("cpu", dt, copy=True)


# What meta/fake failures say when the *path* is the problem (values needed, devices mixed, no meta kernel), as
# opposed to the model's own error (a shape mismatch), which every path would raise again: that one is raised at
# once, so a mis-sized input to a large model never triggers a real CPU run.
_PATH_HINTS = ("meta", "fake", "device", "data-dependent", "data dependent", "dynamic", "item()", "tolist", "numpy",
               "nonzero", "unsupported", "not implemented", "could not run", "symbolic", "guard")


def _path_problem(e: Exception) -> bool:
    if isinstance(e, NotImplementedError) or type(e).__module__.startswith("torch._subclasses"):
        return True
    text = f"{type(e).__name__}: {e}".lower()
    return any(h in text for h in _PATH_HINTS)


def _run(model, groups, args, kwargs, dtype, device: str, cpu_model, train: bool = False):
    if isinstance(model, torch.jit.ScriptModule):  # its own weights (copied by the trace), no hooks
        a, k = _inputs((args, kwargs), dtype, _cpu_input)
        return trace(model, a, k, hooks=False, train=train)
    if device == "meta":
        tensors = _empty_standins(groups, dtype, "meta")
        a, k = _inputs((args, kwargs), dtype,
                       lambda t, dt: torch.empty_strided(t.shape, t.stride(), dtype=dt, device="meta"))
        return trace(model, a, k, tensors=tensors, train=train)
    if device == "fake":
        from torch._subclasses.fake_tensor import FakeTensorMode

        # every fake tensor claims the CPU, so CPU tensors the forward creates (torch.arange(n)) or holds as plain
        # attributes (allow_non_fake_inputs) mix with the stand-ins
        fake = FakeTensorMode(allow_non_fake_inputs=True)
        with fake:
            tensors = _empty_standins(groups, dtype, "cpu")
            a, k = _inputs((args, kwargs), dtype,
                           lambda t, dt: torch.empty_strided(t.shape, t.stride(), dtype=dt, device="cpu"))
        return trace(model, a, k, tensors=tensors, modes=(fake,), train=train)
    tensors = _cpu_standins(groups, dtype, cpu_model)
    a, k = _inputs((args, kwargs), dtype, _cpu_input)
    return trace(model, a, k, tensors=tensors, train=train)


def analyze(model: torch.nn.Module, args: Any = (), kwargs: Any = None, *, dtype: torch.dtype = torch.float32,
            path: str | None = None, cpu_model: Callable[[], torch.nn.Module] | None = None,
            fused: bool = False) -> StaticProfile:
    """Static profile of ``model`` called as ``model(*args, **kwargs)``; the model is left exactly as it was.

    Args:
        model: any ``nn.Module``, its weights on any device (``meta`` included: ``cnnbench.catalog.build.build_meta``).
        args: example positional inputs (a tensor or a tuple; tensors on any device, any rank — only their shapes
            and dtypes matter, values only on the ``cpu`` path). A tuple of ints is one input shape *with* the batch
            dimension (the older ``analyze(model, (1, 3, 224, 224))`` form).
        kwargs: example keyword inputs; a ``torch.dtype`` here is read as ``dtype`` (older form
            ``analyze(model, shape, torch.float16)``).
        dtype: floating parameters, buffers and inputs are counted (and the checkpoint sized) at this dtype.
        path: force one trace path (``"meta"``, ``"fake"`` or ``"cpu"``); default: try them in that order.
        cpu_model: zero-argument builder of a real CPU copy of the model, used for its weights when the ``cpu``
            path is needed and ``model`` lives on ``meta`` (values matter only to data-dependent code).
        fused: recorded as ``StaticProfile.fused`` (set by callers that fused re-parameterised branches).

    Raises:
        CnnbenchError: ``path`` is not one of the paths.
        Exception: the forward's own error: at once when it is not about the path (a shape mismatch fails the
            same way everywhere), else the last path's.
    """
    if isinstance(kwargs, torch.dtype):
        dtype, kwargs = kwargs, None
    run = traced(model, args, kwargs, dtype=dtype, path=path, cpu_model=cpu_model)
    model, tr, device, note = run.model, run.trace, run.device, run.note
    records = tr.records
    total, trainable, buffers = count_params(model)
    mem_el = sum(r.memory_access_elements for r in records)
    mem_b = sum(r.memory_access_bytes for r in records)
    return StaticProfile(
        input_shape=first_shape(run.args, run.kwargs),
        dtype=str(dtype).replace("torch.", ""),
        params=total,
        trainable_params=trainable,
        buffers=buffers,
        checkpoint_bytes=checkpoint_bytes(model, dtype),
        checkpoint_bytes_fp16=checkpoint_bytes(model, torch.float16),
        checkpoint_bytes_int8=checkpoint_bytes(model, torch.int8),
        macs=sum(r.macs for r in records),
        memory_access_elements=mem_el,
        memory_access_bytes=mem_b,
        activations=sum(r.activations for r in records),
        uncounted_ops=_uncounted(records, mem_b),
        records=tuple(records),
        module_params=_module_params(model),
        trace_device=device,
        fused=fused,
        module_out_shapes=tr.out_shapes,
        note=note,
        peak_activation_bytes=tr.peak_bytes,
        peak_at=tr.peak_at,
        weight_bytes=weight_bytes(run.groups, dtype),
        input_bytes=input_bytes((run.args, run.kwargs), dtype),
        module_exit_bytes=tr.exit_bytes or {},
    )


@dataclass(frozen=True)
class Traced:
    """One successful pass of :func:`traced`: the (unwrapped) model, the normalised inputs, the trace, its path."""

    model: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    trace: Any
    device: str
    note: str
    groups: list


def traced(model: torch.nn.Module, args: Any = (), kwargs: Any = None, *, dtype: torch.dtype = torch.float32,
           path: str | None = None, cpu_model: Callable[[], torch.nn.Module] | None = None,
           train: bool = False) -> Traced:
    """The trace of ``model`` on the first path that works (meta → fake → cpu, or ``path``); :func:`analyze`'s
    arguments. ``train``: a training step (:func:`cnnbench.analysis.trace.trace`)."""
    if isinstance(kwargs, torch.dtype):
        dtype, kwargs = kwargs, None
    if _is_shape(args):
        args = (torch.empty(tuple(args), device="meta", dtype=dtype),)
    elif isinstance(args, torch.Tensor):
        args = (args,)
    args, kwargs = tuple(args), dict(kwargs or {})
    if path is not None and path not in TRACE_DEVICES:
        raise CnnbenchError(f"trace path must be one of {', '.join(TRACE_DEVICES)} (got {path!r})")
    model = unwrap(model)
    note = ""
    paths = (path,) if path else TRACE_DEVICES
    scripted = _scripted(model)
    if scripted and cpu_model is not None and any(t.device.type == "meta" for t in _script_tensors(model)):
        model = unwrap(cpu_model())  # TorchScript built on meta (a registry or file builder): count a real build
        scripted = _scripted(model)
    if scripted:
        note = _script_note(model, path, scripted)
        paths = ("cpu",)
    groups = tensor_groups(model)
    for i, device in enumerate(paths):
        try:
            tr = _run(model, groups, args, kwargs, dtype, device, cpu_model, train)
            break
        except CnnbenchError:
            raise
        except Exception as e:
            if i == len(paths) - 1 or not _path_problem(e):
                raise
    return Traced(model, args, kwargs, tr, device, note, groups)


def input_bytes(tree: Any, dtype: torch.dtype) -> int:
    """Bytes of the tensors in ``tree`` (the example inputs) with floating ones at ``dtype``."""
    from torch.utils._pytree import tree_leaves

    return sum(t.numel() * _cast(t, dtype).itemsize for t in tree_leaves(tree) if isinstance(t, torch.Tensor))


def weight_bytes(groups, dtype: torch.dtype) -> int:
    """Bytes of the parameter and buffer storages (each once) with floating tensors at ``dtype``."""
    return sum(group_numel(g) * _cast(g[0][1], dtype).itemsize for g in groups)


def _scripted(model: torch.nn.Module) -> list[str]:
    return [name or "the model" for name, m in model.named_modules() if isinstance(m, torch.jit.ScriptModule)]


def _script_tensors(model: torch.nn.Module) -> list[torch.Tensor]:
    return [t for m in model.modules() if isinstance(m, torch.jit.ScriptModule) for t in [*m.parameters(), *m.buffers()]]


def _script_note(model: torch.nn.Module, path: str | None, scripted: list[str]) -> str:
    """The profile's note for a model that is or holds TorchScript modules, once it is known to run on the CPU."""
    if path not in (None, "cpu"):
        raise CnnbenchError(f"a TorchScript module is traced on the cpu path only, with its own weights (got {path!r})")
    devices = sorted({t.device.type for t in _script_tensors(model)} - {"cpu"})
    if devices:
        raise CnnbenchError(f"a TorchScript module is counted by running it on the CPU with its own weights; this one "
                            f"has weights on {', '.join(devices)}: pass model.cpu()")
    if scripted[0] == "the model":
        return "TorchScript module, no per-module rows"
    shown = [n for n in scripted if not any(n.startswith(o + ".") for o in scripted)]
    return f"TorchScript {', '.join(shown)}: counted in its parent, no rows of its own"
