"""The one module-path tracker: forward hooks that know which module is running, by its ``named_modules()`` path.

The static trace (:mod:`cnnbench.analysis.trace`) names each op's module with them and ``explain``
(:mod:`cnnbench.explainer.attribution`) times modules and opens profiler ranges with them, so a module's path is
the same everywhere. A module instance shared under two names is hooked once, under its first name
(``named_modules()`` drops duplicates) — unless the hooks go on a :func:`working_copy`, where every path is its own
object (the static trace does); a module called twice (or re-entrantly) runs its hooks once per call. TorchScript
modules take no hooks: their ops are their parent's.

Also here: :func:`working_copy` (the module tree the trace runs on, so the caller's never changes) and
:func:`unwrap` (the model inside ``DataParallel`` / ``torch.compile``). Torch is imported at first use.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class ModuleHooks:
    """Forward pre/post hooks on the ``named_modules()`` entries down to ``max_depth`` dotted levels (``None``: all;
    ``0``: none); the model itself (path ``""``) too when ``root``. TorchScript submodules are skipped; a TorchScript
    model is refused (``CnnbenchError``) unless ``max_depth`` is 0.

    Subclasses give :meth:`pre_hook` (the hook a module's call enters through, made once per path) and
    :meth:`post_hook` (its exit, registered with ``always_call``: it runs when the forward raises too), and set
    the state their hooks use before calling ``__init__``. ``remove()`` takes the hooks off again (also when
    registering fails half-way).
    """

    def __init__(self, model: Any, max_depth: int | None = None, *, root: bool = False) -> None:
        from torch.jit import ScriptModule

        if isinstance(model, ScriptModule) and max_depth != 0:
            from cnnbench.errors import CnnbenchError

            raise CnnbenchError("a TorchScript module takes no forward hooks, so it has no per-module times: "
                                "pass the nn.Module it was scripted or traced from")
        self.handles: list[Any] = []
        try:
            for name, mod in model.named_modules():
                if (not name and not root) or (name and max_depth is not None and name.count(".") + 1 > max_depth):
                    continue
                if isinstance(mod, ScriptModule):  # takes no hooks: its ops are its parent's
                    continue
                self.handles.append(mod.register_forward_pre_hook(self.pre_hook(name, mod)))
                self.handles.append(mod.register_forward_hook(self.post_hook(name), always_call=True))
        except BaseException:
            self.remove()
            raise

    def pre_hook(self, name: str, mod: Any) -> Callable[[Any, Any], None]:
        """The forward pre-hook ``(module, inputs)`` of the module at ``name``."""
        raise NotImplementedError

    def post_hook(self, name: str) -> Callable[[Any, Any, Any], None]:
        """The forward hook ``(module, inputs, output)`` of the module at ``name``."""
        raise NotImplementedError

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


# --- the copy the trace runs on, and wrappers ------------------------------------------------------------------------

def unwrap(model: Any) -> Any:
    """The model inside ``nn.DataParallel`` / ``DistributedDataParallel`` (``.module``) and ``torch.compile``'s
    ``OptimizedModule`` (``._orig_mod``), however deeply nested; any other module as it is.

    Counting looks through these wrappers: they add no parameters or compute of their own, and they refuse what the
    trace needs (DataParallel the stateless API, an ``OptimizedModule`` names every submodule ``_orig_mod.*``).
    """
    import torch

    parallel = (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)
    while True:
        if isinstance(model, parallel):
            model = model.module
        elif type(model).__name__ == "OptimizedModule" and isinstance(getattr(model, "_orig_mod", None),
                                                                         torch.nn.Module):
            model = model._orig_mod
        else:
            return model


def working_copy(model: Any, tensors: dict[int, Any]) -> Any:
    """A structural copy of ``model`` to run a forward on without touching the caller's objects.

    Every module is a new object (so a forward's attribute writes — ``self.calls += 1``, a list that grows — and the
    trace's own changes stay in the copy), and every module *path* is its own object: a submodule registered under
    two names (``self.a = self.b = conv``, or one block under two parents) becomes one copy per path, so hooks tell
    the paths apart. Tensors are never copied: each parameter, buffer or tensor attribute whose ``id`` is in
    ``tensors`` becomes that tensor (a stand-in, or the caller's own); two names of one tensor stay one tensor, so
    ties hold, and ``tensors`` should name every registered parameter and buffer. Other attributes are deep-copied
    one by one (one that refuses, a lock or a file, is shared with the caller); a module with its own
    ``__deepcopy__`` (``fx.GraphModule``, parametrized modules) is deep-copied whole. A TorchScript module is
    deep-copied, weights included (it takes no stand-ins). About 5 ms for a ViT-B's 276 modules.
    """
    import torch

    if isinstance(model, torch.jit.ScriptModule):
        return copy.deepcopy(model)
    root = _clone(model, dict(tensors))
    _split_paths(root, {id(t): t for t in tensors.values()})
    return root


_TENSOR_DICTS = ("_parameters", "_buffers")
_ATOMS = (int, float, complex, str, bytes, bool, type(None))


def _clone(mod: Any, memo: dict[int, Any]) -> Any:
    """``mod``'s tree as new module objects: tensors from ``memo``, submodules cloned, other attributes deep-copied
    one by one (shared where that fails)."""
    if id(mod) in memo:
        return memo[id(mod)]
    cls = type(mod)
    if getattr(cls, "__deepcopy__", None) is not None or any(getattr(c, "__slots__", ()) for c in cls.__mro__[:-1]):
        try:
            return copy.deepcopy(mod, memo)
        except Exception:  # noqa: BLE001, S110 — copied attribute by attribute below
            pass
    new = object.__new__(cls)
    memo[id(mod)] = new
    state = {}
    for key, value in vars(mod).items():
        if key in _TENSOR_DICTS:
            state[key] = type(value)((k, memo.get(id(t), t)) for k, t in value.items())
        elif key == "_modules":
            state[key] = type(value)((k, None if c is None else _clone(c, memo)) for k, c in value.items())
        elif isinstance(value, _ATOMS):
            state[key] = value
        elif type(value) in (dict, OrderedDict) and not value:  # the many empty hook dicts: no deepcopy round trip
            state[key] = type(value)()
        else:
            try:
                state[key] = copy.deepcopy(value, memo)
            except Exception:  # noqa: BLE001 — a lock, a file: shared
                state[key] = value
    new.__dict__.update(state)
    return new


def split_paths(model: Any) -> None:
    """In place, on a model the caller owns (``explain``'s timed copy): every module path its own object, the
    tensors shared, as in :func:`working_copy` — so module hooks time a shared module per path, as the trace counts
    it."""
    _split_paths(model, {id(t): t for t in [*model.parameters(), *model.buffers()]})


def _split_paths(root: Any, tensors: dict[int, Any]) -> None:
    """Gives every module path of ``root`` its own object, in ``named_modules()`` order (the first path keeps the
    object): a module met again under another path is replaced there by a copy of its subtree whose tensors are
    the same objects (``tensors``: id → tensor) and whose references to modules outside the subtree stay shared."""
    import torch

    seen: set[int] = set()

    def visit(mod: Any) -> None:
        seen.add(id(mod))
        if isinstance(mod, torch.jit.ScriptModule):  # its submodules are TorchScript's: left as they are
            return
        children = mod._modules
        for name, child in list(children.items()):
            if child is None:
                continue
            if id(child) in seen:
                inside = {id(m) for m in child.modules()}
                keep = {id(m): m for m in root.modules() if id(m) not in inside}
                keep.update(tensors)
                keep.update((id(t), t) for t in [*child.parameters(), *child.buffers()])
                child = children[name] = _clone(child, keep)
            visit(child)

    visit(root)
