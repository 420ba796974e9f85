"""The model table: ``ModelSpec``, ``register``, lookup by name or alias, filtered reads, suggestions.

A leaf: it imports nothing from cnnbench but :mod:`cnnbench.errors`, and never loads the catalogues that fill it.
Every read here sees what is registered *so far*; :mod:`cnnbench.catalog.load` registers every catalogue first
(``list_specs``, ``families``), and :mod:`cnnbench.catalog.resolve` turns what a user typed into a spec.

Importing this module does not import torch, torchvision or timm: builders are either callables defined in
torch-free catalogue modules (they import lazily inside) or ``"module:function"`` strings resolved on first build.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnbench.errors import CnnbenchError

Builder = Callable[..., Any]


@dataclass(frozen=True)
class ModelSpec:
    """Everything cnnbench knows about a model before building it.

    Attributes:
        name: canonical registry name (lower case).
        family: architecture family, e.g. ``resnet`` or ``shufflenet``.
        source: ``torchvision`` | ``timm`` | ``cnnbench`` (our ``models/``) | ``file`` | ``module``.
        builder: zero-argument-capable callable returning an ``nn.Module``, or ``"module:function"``.
        paper: paper title; ``year`` its year.
        input_size: default (C, H, W) input — any rank: (C, T, H, W) for a video model.
        more_inputs: default shapes of further positional inputs, after ``input_size`` (RAFT's second image);
            ``input_shapes`` is all of them.
        kind: ``network`` or ``block``; ``block_kind`` is attention|conv|pool|activation for blocks.
        aliases: extra names users type.
        paper_params / paper_macs: published counts (MACs = multiply-accumulates), with
            ``paper_table`` saying where they come from and ``paper_tolerance`` the relative
            tolerance our count must meet; ``note`` explains any known difference.
        paper_fused: The published counts are of the re-parameterized (deployed) model: compare them with
            ``fuse=True`` (``--fuse``). The model itself is still built as its library creates it.
        tv_weights: torchvision weights enum entry (``"ResNet50_Weights.IMAGENET1K_V1"``) whose
            metadata (``num_params``, ``_ops``, ``_file_size``) is an oracle for this model.
        builder_kwargs: keyword arguments passed to the builder.
        registry_name: for a ``timm:``/``torchvision:`` name that reuses a registered spec (one that builds the
            identical model), the registered name; ``name`` is then what the user typed.
    """

    name: str
    family: str
    source: str
    builder: Builder | str
    paper: str = ""
    year: int | None = None
    input_size: tuple[int, ...] = (3, 224, 224)
    more_inputs: tuple[tuple[int, ...], ...] = ()
    kind: str = "network"
    block_kind: str | None = None
    aliases: tuple[str, ...] = ()
    paper_params: int | None = None
    paper_macs: int | None = None
    paper_table: str = ""
    paper_tolerance: float = 0.05
    note: str = ""
    paper_fused: bool = False
    tv_weights: str | None = None
    builder_kwargs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    registry_name: str | None = None

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Every default positional input's shape without the batch dimension: ``input_size``, then ``more_inputs``."""
        return (tuple(self.input_size), *self.more_inputs)

    def shapes_for(self, sizes: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
        """The positional input shapes when the user gives ``sizes``: several are taken as they are; one replaces
        ``input_size``, and each further default input of the same shape follows it (a fusion block's second map,
        RAFT's second image) while the others keep their defaults (MCB's question vector)."""
        if len(sizes) != 1 or not self.more_inputs:
            return tuple(sizes)
        first, default = tuple(sizes[0]), tuple(self.input_size)
        return (first, *(first if tuple(s) == default else tuple(s) for s in self.more_inputs))

    def paper_mismatches(self, params: int, macs: int) -> list[str]:
        """Our counts that miss the published ones by more than ``paper_tolerance`` (relative); empty = agreement."""
        out = []
        for what, ours, paper in (("params", params, self.paper_params), ("MACs", macs, self.paper_macs)):
            if paper is not None and abs(ours - paper) > self.paper_tolerance * paper:
                out.append(f"{self.name}: {what} {ours:,} vs {paper:,} in {self.paper_table or 'the paper'} "
                           f"({100 * (ours / paper - 1):+.1f}%, tolerance {100 * self.paper_tolerance:.0f}%)")
        return out

    def build(self, **overrides: Any):
        """Build the module with random init (never downloads weights)."""
        fn = _load_callable(self.builder) if isinstance(self.builder, str) else self.builder
        kwargs = {**self.builder_kwargs, **{k: v for k, v in overrides.items() if v is not None}}
        model = fn(**kwargs)
        _check_module(model, self.name)
        return model


_REGISTRY: dict[str, ModelSpec] = {}
_ALIASES: dict[str, str] = {}  # exact key → canonical name
_LOOSE: dict[str, set[str]] = {}  # key without separators → canonical names (used when unambiguous)


def _key(name: str) -> str:
    """Exact key: case-insensitive, ``-`` and ``.`` read as ``_``."""
    return re.sub(r"[-.\s]", "_", name.strip().lower())


def _loose(name: str) -> str:
    """Loose key: separators dropped, so ``MobileNetV2`` finds ``mobilenet_v2``.

    Only used when it names one model: ``regnet_x_1_6gf`` and ``regnet_x_16gf`` share a loose key.
    """
    return re.sub(r"[-_.\s]", "", name.lower())


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` to the registry; raises ``ValueError`` on a duplicate name or alias."""
    keys = [spec.name, *spec.aliases]
    for k in keys:
        nk = _key(k)
        if nk in _ALIASES:
            raise ValueError(f"duplicate model name {k!r} (already registered as {_ALIASES[nk]!r})")
    _REGISTRY[spec.name] = spec
    for k in keys:
        _ALIASES[_key(k)] = spec.name
        _LOOSE.setdefault(_loose(k), set()).add(spec.name)
    return spec


def lookup(name: str) -> ModelSpec | None:
    """The registered spec ``name`` (or one of its aliases) names, case- and separator-insensitively; else None.

    The loose reading (separators dropped) is used only when it names exactly one model.
    """
    canon = _ALIASES.get(_key(name))
    if canon is None:
        loose = _LOOSE.get(_loose(name), set())
        if len(loose) == 1:
            canon = next(iter(loose))
    return _REGISTRY.get(canon) if canon is not None else None


def in_order() -> list[ModelSpec]:
    """Every spec registered so far, in registration order."""
    return list(_REGISTRY.values())


def registered(family: str | None = None, source: str | None = None, kind: str | None = "network",
               pattern: str | None = None) -> list[ModelSpec]:
    """Specs registered so far, filtered by family/source/kind (``None`` = any) and an fnmatch pattern, sorted
    naturally (``resnet18`` before ``resnet101``)."""
    out = []
    for spec in _REGISTRY.values():
        if family and spec.family != family.lower():
            continue
        if source and spec.source != source.lower():
            continue
        if kind and spec.kind != kind:
            continue
        if pattern and not fnmatch.fnmatch(spec.name, pattern):
            continue
        out.append(spec)
    return sorted(out, key=lambda s: _natural_key(s.name))


def _natural_key(s: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def suggest(name: str, n: int = 3) -> list[str]:
    """Up to ``n`` registered names close to ``name`` (a ``prefix:`` is ignored)."""
    nk = _key(name.split(":", 1)[-1])
    matches = difflib.get_close_matches(nk, list(_ALIASES), n=n * 3, cutoff=0.6)
    out: list[str] = []
    for m in matches:
        canon = _ALIASES[m]
        if canon not in out:
            out.append(canon)
    return out[:n]


def _load_callable(target: str) -> Builder:
    mod, _, attr = target.partition(":")
    return getattr(importlib.import_module(mod), attr)


def _check_module(model: Any, name: str) -> None:
    import torch

    if not isinstance(model, torch.nn.Module):
        raise CnnbenchError(f"{name} did not return an nn.Module (got {type(model).__name__})")
