"""``explain --runtime compile``: regional compilation, so a compiled model still has modules to give times to.

``torch.compile`` of a whole model lets Inductor fuse ops across module boundaries: its kernels belong to no single
module, so per-module times of that program do not exist. Instead every module of a row (a module at the row
depth, or a shallower one without children) gets its own compiled ``forward`` — *regional compilation*, the
technique PyTorch's tutorials recommend for repeated blocks — and the module calls between them (the model's and
its containers' Python) stay eager, where forward hooks time them as in eager mode. Fusion then happens inside each
row's module but not across rows, so the regionally compiled program can be slower than the whole-model compile:
``explain`` times that one too, in the same rounds as the regional one (the latency protocol), and reports both.

Dynamo compiles one code object per class: the blocks of a network share their class's ``forward``, so each block
instance (other weights, other shapes) is a new cache entry on the same code object; the recompile limit is raised
for the run so none of them falls back to eager, and restored afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


def region_names(model: Any, depth: int) -> list[str]:
    """The modules that get their own compiled ``forward``: those at ``depth`` dotted levels, and shallower ones
    without children (their row is theirs alone). The model itself is never one (its own code stays eager)."""
    out = []
    for name, mod in model.named_modules():
        if not name:
            continue
        level = name.count(".") + 1
        if level == depth or (level < depth and next(iter(mod.children()), None) is None):
            out.append(name)
    return out


@contextlib.contextmanager
def compiled_regions(model: Any, depth: int, *, mode: str | None = None) -> Iterator[list[str]]:
    """Replaces each region's ``forward`` (an instance attribute on the engine's own copy of the model) by its
    ``torch.compile`` for the duration (recompile limit raised; dynamo's caches are reset on the way out, not on the
    way in, so a whole-model compile prepared before stays compiled beside it); yields the region names.
    """
    import torch
    import torch._dynamo

    names = region_names(model, depth)
    mods = dict(model.named_modules())
    limit = max(int(torch._dynamo.config.recompile_limit), 8 + len(names))
    with torch._dynamo.config.patch(recompile_limit=limit,
                                    accumulated_recompile_limit=max(
                                        int(torch._dynamo.config.accumulated_recompile_limit), 8 + 2 * len(names))):
        saved = {name: mods[name].__dict__.get("forward") for name in names}
        try:
            for name in names:
                mods[name].forward = torch.compile(mods[name].forward, dynamic=False, mode=mode)
            yield names
        finally:
            for name, prev in saved.items():
                if prev is None:
                    mods[name].__dict__.pop("forward", None)
                else:
                    mods[name].forward = prev
            torch._dynamo.reset()
