"""The one module-path tracker: forward hooks that know which module is running, by its ``named_modules()`` path.

The static trace (:mod:`cnnbench.analysis.trace`) names each op's module with them and ``explain``
(:mod:`cnnbench.explainer.attribution`) times modules and opens profiler ranges with them, so a module's path is
the same everywhere. A module instance shared under two names is hooked once, under its first name
(``named_modules()`` drops duplicates); a module called twice (or re-entrantly) runs its hooks once per call.
This module imports no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ModuleHooks:
    """Forward pre/post hooks on the ``named_modules()`` entries down to ``max_depth`` dotted levels (``None``: all);
    the model itself (path ``""``) too when ``root``.

    Subclasses give :meth:`pre_hook` (the hook a module's call enters through, made once per path) and
    :meth:`post_hook` (its exit, registered with ``always_call``: it runs when the forward raises too), and set
    the state their hooks use before calling ``__init__``. ``remove()`` takes the hooks off again (also when
    registering fails half-way).
    """

    def __init__(self, model: Any, max_depth: int | None = None, *, root: bool = False) -> None:
        self.handles: list[Any] = []
        try:
            for name, mod in model.named_modules():
                if (not name and not root) or (name and max_depth is not None and name.count(".") + 1 > max_depth):
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
