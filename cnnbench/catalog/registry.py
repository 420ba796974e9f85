"""Model registry: ``ModelSpec`` + ``@register_model``, and ``resolve(name)``.

Importing this module does not import torch, torchvision or timm: builders are either callables
defined in torch-free catalogue modules (they import lazily inside) or ``"module:function"``
strings resolved on first build. That keeps ``cnnbench --help`` and ``cnnbench list`` fast.

Names a user may type:
  * a registered name or alias, case-insensitive, ``-``/``_``/``.`` ignored (``resnet-50``,
    ``MobileNetV2``);
  * ``timm:<model>`` and ``torchvision:<model>`` for anything those libraries ship;
  * ``block:<name>`` for entries of kind ``block``;
  * ``path/to/file.py:ClassOrFactory`` and ``package.module:factory``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cnnbench.errors import CnnbenchError, UnknownModelError, UserCodeError, exit_text

Builder = Callable[..., Any]

_CATALOGUES = (
    "cnnbench.catalog.torchvision_models",
    "cnnbench.catalog.timm_models",
    "cnnbench_models.catalog_classic",
    "cnnbench_models.catalog_modern",
    "cnnbench_models.catalog_attention",
    "cnnbench_models.blocks.catalog",
)


@dataclass(frozen=True)
class ModelSpec:
    """Everything cnnbench knows about a model before building it.

    Attributes:
        name: canonical registry name (lower case).
        family: architecture family, e.g. ``resnet`` or ``shufflenet``.
        source: ``torchvision`` | ``timm`` | ``cnnbench`` (our ``models/``) | ``file`` | ``module``.
        builder: zero-argument-capable callable returning an ``nn.Module``, or ``"module:function"``.
        paper: paper title; ``year`` its year.
        input_size: default (C, H, W) input.
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
    input_size: tuple[int, int, int] = (3, 224, 224)
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
_loaded = False


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


def _lookup(name: str) -> str | None:
    canon = _ALIASES.get(_key(name))
    if canon is None:
        loose = _LOOSE.get(_loose(name), set())
        if len(loose) == 1:
            canon = next(iter(loose))
    return canon


def register_model(name: str | None = None, **spec_fields: Any) -> Callable[[Builder], Builder]:
    """Decorator registering a builder function (timm/torchvision style).

    Example::

        @register_model(family="lenet", paper="Gradient-based learning...", year=1998,
                        input_size=(1, 32, 32))
        def lenet5(**kwargs):
            return LeNet5(**kwargs)
    """

    def deco(fn: Builder) -> Builder:
        register(ModelSpec(name=name or fn.__name__, builder=fn, **{"source": "cnnbench", **spec_fields}))
        return fn

    return deco


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _CATALOGUES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:  # a catalogue not written yet must not break the others
            if e.name not in (mod, mod.rsplit(".", 1)[0]):
                raise


def list_specs(
    family: str | None = None, source: str | None = None, kind: str | None = "network", pattern: str | None = None
) -> list[ModelSpec]:
    """Registered specs filtered by family/source/kind (``None`` = any) and an fnmatch pattern."""
    import fnmatch

    _ensure_loaded()
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


def families(kind: str | None = "network") -> list[str]:
    return sorted({s.family for s in list_specs(kind=kind)})


def _natural_key(s: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def suggest(name: str, n: int = 3) -> list[str]:
    """Up to ``n`` registered names close to ``name``."""
    _ensure_loaded()
    nk = _key(name.split(":", 1)[-1])
    matches = difflib.get_close_matches(nk, list(_ALIASES), n=n * 3, cutoff=0.6)
    out: list[str] = []
    for m in matches:
        canon = _ALIASES[m]
        if canon not in out:
            out.append(canon)
    return out[:n]


def resolve(name: str) -> ModelSpec:
    """Turn what a user typed into a ``ModelSpec``; raises ``CnnbenchError`` with suggestions."""
    _ensure_loaded()
    name = name.strip()
    if not name:
        raise CnnbenchError("empty model name")
    prefix, sep, rest = name.partition(":")
    if sep:
        p = prefix.lower()
        if p == "timm":
            return _timm_spec(rest)
        if p == "torchvision":
            return _torchvision_spec(rest)
        if p == "block":
            spec = _REGISTRY.get(_lookup(rest) or "")
            if spec is None or spec.kind != "block":
                blocks = [s.name for s in list_specs(kind="block")]
                close = difflib.get_close_matches(rest.lower(), blocks, n=3, cutoff=0.5)
                hint = f"; did you mean: {', '.join('block:' + c for c in close)}?" if close else ""
                raise UnknownModelError(f"unknown block {rest!r}{hint} (see `cnnbench blocks`)")
            return spec
        if prefix.endswith(".py") or "/" in prefix or "\\" in prefix:
            return _file_spec(prefix, rest)
        if re.fullmatch(r"[A-Za-z_][\w.]*", prefix) and re.fullmatch(r"[A-Za-z_]\w*", rest):
            return _module_spec(prefix, rest)
    canon = _lookup(name)
    if canon is not None:
        return _REGISTRY[canon]
    close = suggest(name)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise UnknownModelError(f"unknown model {name!r}{hint} (see `cnnbench list`, or use timm:NAME / torchvision:NAME)")


def _timm_spec(model: str) -> ModelSpec:
    import timm

    if not timm.is_model(model):
        close = difflib.get_close_matches(model, timm.list_models(), n=3, cutoff=0.6)
        hint = f"; did you mean: {', '.join('timm:' + c for c in close)}?" if close else ""
        raise UnknownModelError(f"unknown timm model {model!r}{hint}")
    from cnnbench.catalog.timm_models import timm_builder

    cfg = timm.get_pretrained_cfg(model)
    size = tuple(cfg.input_size) if cfg is not None and cfg.input_size else (3, 224, 224)
    # ``timm:NAME`` is exactly ``timm.create_model(NAME)``: a registered spec is reused (for its paper metadata)
    # only when it builds that very model — same name, no other builder option, timm's own input size. Entries
    # such as ``densenet264`` (timm's densenet121 with other blocks) or the 1000-class FocalNets do not qualify.
    for spec in _REGISTRY.values():
        if (spec.source == "timm" and spec.builder_kwargs == {"model_name": model} and spec.input_size == size
                and spec.builder == "cnnbench.catalog.timm_models:timm_builder"):
            return replace(spec, name=f"timm:{model}", registry_name=spec.name)
    return ModelSpec(
        name=f"timm:{model}", family=_family_guess(model), source="timm", builder=timm_builder,
        input_size=size, builder_kwargs={"model_name": model},
    )


def _torchvision_spec(model: str) -> ModelSpec:
    import torchvision

    available = torchvision.models.list_models()
    if model not in available:
        close = difflib.get_close_matches(model, available, n=3, cutoff=0.6)
        hint = f"; did you mean: {', '.join('torchvision:' + c for c in close)}?" if close else ""
        raise UnknownModelError(f"unknown torchvision model {model!r}{hint}")
    # ``torchvision:NAME`` is exactly ``get_model(NAME, weights=None)``, like ``timm:NAME``: a registered spec (with the
    # weights' metadata) is reused only when it builds that model — not googlenet/inception_v3 built with the aux heads
    # their weight files keep; the row keeps the typed name
    for spec in _REGISTRY.values():
        if spec.source == "torchvision" and spec.builder_kwargs == {"model_name": model}:
            return replace(spec, name=f"torchvision:{model}", registry_name=spec.name)
    from cnnbench.catalog.torchvision_models import default_input_size, torchvision_builder

    return ModelSpec(
        name=f"torchvision:{model}", family=_family_guess(model), source="torchvision",
        builder=torchvision_builder, input_size=default_input_size(model),
        builder_kwargs={"model_name": model},
    )


def _family_guess(model: str) -> str:
    m = re.match(r"[a-z]+", model.lower())
    return m.group(0) if m else model


def _file_spec(path: str, attr: str) -> ModelSpec:
    module = _import_file(path)
    if not hasattr(module, attr):
        raise CnnbenchError(f"{path} has no attribute {attr!r}")
    return ModelSpec(name=f"{path}:{attr}", family="custom", source="file", builder=getattr(module, attr))


def _import_file(path: str):
    """Import the user's ``path`` (a ``.py`` file); every failure is one ``CnnbenchError``.

    User code cannot choose cnnbench's exit code: a ``SystemExit`` (or any other ``BaseException`` but Ctrl-C)
    raised at import becomes "cannot import x.py: it called sys.exit(3)".
    """
    p = Path(path)
    if not p.is_file():
        raise CnnbenchError(f"model file not found: {path}")
    mod_name = f"_cnnbench_user_{abs(hash(str(p.resolve())))}"  # executed afresh each time: edits are seen
    try:
        spec = importlib.util.spec_from_file_location(mod_name, p)
        if spec is None or spec.loader is None:
            raise CnnbenchError(f"cannot import {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    except CnnbenchError:
        raise
    except BaseException as e:  # user code: nothing it raises may escape as itself
        sys.modules.pop(mod_name, None)
        raise _import_error(path, e) from e
    return module


def _import_error(what: str, e: BaseException) -> BaseException:
    if isinstance(e, KeyboardInterrupt):
        return e
    if isinstance(e, SyntaxError):
        return UserCodeError(f"cannot import {what}: syntax error at line {e.lineno}: {e.msg}")
    if isinstance(e, SystemExit):
        return UserCodeError(f"cannot import {what}: it {exit_text(e)}")
    return UserCodeError(f"cannot import {what}: {type(e).__name__}: {e}")


def _module_spec(module_name: str, attr: str) -> ModelSpec:
    module = _import_module(module_name, attr)
    if not hasattr(module, attr):
        raise CnnbenchError(f"module {module_name} has no attribute {attr!r}")
    return ModelSpec(name=f"{module_name}:{attr}", family="custom", source="module", builder=getattr(module, attr))


def _import_module(module_name: str, attr: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        close = suggest(f"{module_name}:{attr}")
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise UnknownModelError(f"unknown model {module_name}:{attr!r} (no module {e.name!r}){hint}") from e
    except BaseException as e:  # user code (see _import_file)
        raise _import_error(module_name, e) from e


def load_user_callable(target: str, what: str = "inputs"):
    """The function ``file.py:fn`` or ``package.module:fn`` names (``--inputs file.py:make_inputs``).

    Loaded as ``file.py:Class`` models are (same import, same one-line errors, ``sys.exit`` caught).
    """
    prefix, sep, attr = str(target).strip().rpartition(":")
    if not sep or not prefix or not re.fullmatch(r"[A-Za-z_]\w*", attr):
        raise CnnbenchError(f"malformed {what} {target!r}: use file.py:function or package.module:function")
    if prefix.endswith(".py") or "/" in prefix or "\\" in prefix:
        if not Path(prefix).is_file():
            raise CnnbenchError(f"{what} file not found: {prefix}")
        module = _import_file(prefix)
    elif re.fullmatch(r"[A-Za-z_][\w.]*", prefix):
        module = _import_module(prefix, attr)
    else:
        raise CnnbenchError(f"malformed {what} {target!r}: use file.py:function or package.module:function")
    fn = getattr(module, attr, None)
    if fn is None:
        raise CnnbenchError(f"{prefix} has no attribute {attr!r}")
    if not callable(fn):
        raise CnnbenchError(f"{what} {target!r} is not callable")
    return fn


class _Instance:
    """The builder of an ``instance`` spec: returns the caller's module itself (analysed without changing it)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, **_overrides: Any) -> Any:
        return self.model

    def __repr__(self) -> str:
        return f"<instance of {type(self.model).__name__}>"


def instance_spec(model: Any, name: str | None = None) -> ModelSpec:
    """A spec for a module the caller already has (``cnnbench.profile(my_model)``).

    ``name`` (default: the class name) is the row's ``model``; ``source`` is ``"instance"``. Every consumer treats
    the module as borrowed: static analysis swaps in meta stand-ins for the call only, runtimes time a deep copy.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise CnnbenchError(f"model must be a name (str) or a torch.nn.Module, not {type(model).__name__}")
    label = str(name) if name is not None else type(model).__name__
    return ModelSpec(name=label, family="custom", source="instance", builder=_Instance(model))


def _load_callable(target: str) -> Builder:
    mod, _, attr = target.partition(":")
    return getattr(importlib.import_module(mod), attr)


def _check_module(model: Any, name: str) -> None:
    import torch

    if not isinstance(model, torch.nn.Module):
        raise CnnbenchError(f"{name} did not return an nn.Module (got {type(model).__name__})")


def with_input_size(spec: ModelSpec, input_size: tuple[int, int, int]) -> ModelSpec:
    return replace(spec, input_size=input_size)
