"""Parameter and buffer counts, and checkpoint sizes computed without real weights.

``checkpoint_bytes`` is the exact size ``torch.save(model.state_dict(), f)`` writes for a
file-like ``f`` (archive name ``archive``): we save a state dict of *uninitialised* CPU tensors
of the right shapes and dtypes under ``torch.serialization.skip_data()``, into a sink that only
counts bytes. The pickle, zip headers and 64-byte alignment padding are torch's own, the
storage bytes are skipped (never read or written), and uninitialised pages are never touched,
so even an 800M-parameter model costs no resident memory. A path-based save differs only by
the archive name in each zip entry (a few bytes per tensor).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Sequence

import torch


def storage_key(t: torch.Tensor) -> int:
    """Identity of ``t``'s storage: tensors that share memory (tied weights, views, detached copies) share it."""
    try:
        return t.untyped_storage()._cdata
    except (RuntimeError, NotImplementedError, AttributeError):  # wrapper subclasses without a storage
        return id(t)


def tensor_groups(model: torch.nn.Module, extra: Sequence[tuple[str, torch.Tensor]] = ()
                  ) -> list[list[tuple[str, torch.Tensor, bool]]]:
    """Every parameter and buffer name, grouped by storage: ``[[(name, tensor, is_buffer), ...], ...]``.

    ``named_parameters(remove_duplicate=False)`` lists a tied weight under each of its names; two names that
    share a storage land in one group, whatever the Python objects (``b.weight = a.weight``, or a ``Parameter``
    wrapping another's data). Groups are in registration order. ``extra`` tensors join as parameters (the packed
    weights of quantized modules, :func:`packed_weights`).
    """
    groups: dict[int, list[tuple[str, torch.Tensor, bool]]] = {}
    for name, t in [*model.named_parameters(remove_duplicate=False), *extra]:
        groups.setdefault(storage_key(t), []).append((name, t, False))
    for name, t in model.named_buffers(remove_duplicate=False):
        groups.setdefault(storage_key(t), []).append((name, t, True))
    return list(groups.values())


def _quantized(mod: torch.nn.Module) -> bool:
    parts = type(mod).__module__.split(".")
    return parts[0] == "torch" and "quantized" in parts and "reference" not in parts


def packed_weights(model: torch.nn.Module) -> list[tuple[str, torch.Tensor]]:
    """``(name, tensor)`` of the weights a ``torch.ao`` quantized module keeps packed rather than as parameters.

    ``quantize_dynamic``'s ``Linear`` and eager static quantization's ``Conv2d``/``Linear``/``ConvReLU2d`` (and
    quantized embeddings) hold an int8 weight and a float bias in a packed object, read back here through the
    modules' own ``weight()`` / ``bias()`` methods: the tensors ``state_dict()`` saves. Scales and zero points are
    quantization metadata, not counted.
    """
    out: list[tuple[str, torch.Tensor]] = []
    for name, mod in model.named_modules():
        if not _quantized(mod):
            continue
        for attr in ("weight", "bias"):
            fn = getattr(mod, attr, None)
            t = fn() if callable(fn) and not isinstance(fn, torch.nn.Module) else None
            if isinstance(t, torch.Tensor):
                out.append((f"{name}.{attr}" if name else attr, t))
    return out


def _view(t: torch.Tensor) -> tuple:
    return int(t.storage_offset()), tuple(t.shape), tuple(t.stride()), t.dtype


def group_numel(group: list[tuple[str, torch.Tensor, bool]]) -> int:
    """Elements one storage holds for the model: one view's numel, or the storage's size if several views share it."""
    views = {_view(t) for _, t, _ in group}
    if len(views) == 1:
        return group[0][1].numel()
    t = group[0][1]
    return t.untyped_storage().nbytes() // t.element_size()


def count_params(model: torch.nn.Module) -> tuple[int, int, int]:
    """(total parameters, trainable parameters, buffer elements); each storage counted once.

    A storage shared by a parameter and a buffer counts as a parameter. The packed int8 weights (and biases) of
    ``torch.ao`` quantized modules count as parameters, not trainable ones (:func:`packed_weights`).
    """
    total = trainable = buffers = 0
    packed = packed_weights(model)
    frozen = {id(t) for _, t in packed}
    for group in tensor_groups(model, packed):
        n = group_numel(group)
        params = [t for _, t, is_buffer in group if not is_buffer]
        if params:
            total += n
            trainable += n if any(p.requires_grad and id(p) not in frozen for p in params) else 0
        else:
            buffers += n
    return total, trainable, buffers


class _CountingSink(io.RawIOBase):
    """A seekable binary file that remembers its size and stores nothing."""

    def __init__(self) -> None:
        self.size = 0
        self.pos = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        n = len(b)
        self.pos += n
        self.size = max(self.size, self.pos)
        return n

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = base + offset
        return self.pos

    def tell(self) -> int:
        return self.pos


def _has_quantized(sd: dict) -> bool:
    from torch.utils._pytree import tree_leaves

    return any(isinstance(t, torch.Tensor) and t.is_quantized for t in tree_leaves(list(sd.values())))


def _real_size(sd: dict, float_dtype: torch.dtype | None) -> int:
    from torch.utils._pytree import tree_map

    def cast(t):  # what ``model.to(float_dtype)`` then saving writes: a parameter stays a parameter
        if not isinstance(t, torch.Tensor) or float_dtype is None or not t.is_floating_point() or t.dtype == float_dtype:
            return t
        new = t.detach().to(float_dtype)
        grad = t.requires_grad and new.is_floating_point()
        return torch.nn.Parameter(new, grad) if isinstance(t, torch.nn.Parameter) else new

    out = OrderedDict((k, tree_map(cast, v)) for k, v in sd.items())
    out._metadata = getattr(sd, "_metadata", None)  # type: ignore[attr-defined]
    sink = _CountingSink()
    torch.save(out, sink)
    return sink.size


def checkpoint_bytes(model: torch.nn.Module, float_dtype: torch.dtype | None = None) -> int:
    """Exact ``torch.save(state_dict)`` size, optionally with floating tensors stored as ``float_dtype``.

    ``float_dtype=torch.float16`` gives the fp16 checkpoint (what ``model.half()`` then saving writes);
    ``torch.int8`` the size of a checkpoint storing one byte per floating-point weight (a lower bound for int8
    quantisation: per-tensor scales/zero-points are not included). Tensors that share a storage are written once,
    as ``torch.save`` does: ``state_dict()`` returns new (detached) tensor objects, so sharing is found by storage,
    not by ``id()``. Non-persistent buffers are not in the state dict and not counted. A state dict holding
    quantized tensors (``torch.ao`` quantized modules: real CPU weights, which ``skip_data`` cannot write) is saved
    for real into the byte counter, its floating tensors cast to ``float_dtype``.
    """
    sd = model.state_dict()
    if _has_quantized(sd):
        return _real_size(sd, float_dtype)
    bases: dict[int, torch.Tensor] = {}  # storage → one CPU proxy storage of the same size (kept dtype)
    converted: dict[tuple, torch.Tensor] = {}  # (storage, view) → proxy (a cast makes one new tensor per view)
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, t in sd.items():
        if not isinstance(t, torch.Tensor):
            out[key] = t
            continue
        skey = storage_key(t)
        if float_dtype is not None and t.is_floating_point() and t.dtype != float_dtype:
            vkey = (skey, *_view(t))
            proxy = converted.get(vkey)
            if proxy is None:  # ``Tensor.to(dtype)`` keeps a dense tensor's strides (preserve_format)
                proxy = converted[vkey] = torch.empty_like(t, dtype=float_dtype, device="cpu")
            proxy = proxy.detach()  # state_dict() gives each key its own tensor object: pickle must not memoize one
        else:
            base = bases.get(skey)
            if base is None:
                base = bases[skey] = torch.empty(t.untyped_storage().nbytes() // t.element_size(), dtype=t.dtype,
                                                 device="cpu")
            proxy = base.as_strided(t.shape, t.stride(), t.storage_offset())
        out[key] = proxy
    out._metadata = getattr(sd, "_metadata", None)  # type: ignore[attr-defined]
    if out._metadata is None:  # type: ignore[attr-defined]
        del out._metadata  # type: ignore[attr-defined]
    sink = _CountingSink()
    with torch.serialization.skip_data():
        torch.save(out, sink)
    return sink.size
