"""Every way a user names models, turned into ``ModelSpec`` s: the one resolver.

Names a user may type:
  * a registered name or alias, case-insensitive, ``-``/``_``/``.`` ignored (``resnet-50``, ``MobileNetV2``);
  * ``timm:<model>`` and ``torchvision:<model>`` for anything those libraries ship;
  * ``block:<name>`` for entries of kind ``block``;
  * ``path/to/file.py:ClassOrFactory`` and ``package.module:factory``;
  * (library) an ``nn.Module`` instance, a list of models, a ``{name: model}`` dict;
  * family names (``compare resnet``, ``--family``), ``--source``, and fnmatch patterns (``sweep 'timm:resnet*'``).

Every name is resolved up front: a typo fails before anything runs (exit 2). Each caller keeps its own wording
for what only it says (``empty=``); the logic is here once.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from cnnbench.catalog.load import ensure_loaded, families, list_specs
from cnnbench.catalog.registry import ModelSpec, in_order, lookup, suggest
from cnnbench.catalog.user_modules import file_spec, is_file_target, module_spec
from cnnbench.errors import CnnbenchError, UnknownModelError

_GLOB = set("*?[")


def resolve(name: str) -> ModelSpec:
    """Turn what a user typed into a ``ModelSpec``; raises ``CnnbenchError`` with suggestions."""
    ensure_loaded()
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
            spec = lookup(rest)
            if spec is None or spec.kind != "block":
                blocks = [s.name for s in list_specs(kind="block")]
                close = difflib.get_close_matches(rest.lower(), blocks, n=3, cutoff=0.5)
                hint = f"; did you mean: {', '.join('block:' + c for c in close)}?" if close else ""
                raise UnknownModelError(f"unknown block {rest!r}{hint} (see `cnnbench blocks`)")
            return spec
        if is_file_target(prefix):
            return file_spec(prefix, rest)
        if re.fullmatch(r"[A-Za-z_][\w.]*", prefix) and re.fullmatch(r"[A-Za-z_]\w*", rest):
            return module_spec(prefix, rest)
    spec = lookup(name)
    if spec is not None:
        return spec
    from cnnbench.catalog.torchvision_models import TASK_ALIASES, TASK_INPUTS

    task = TASK_ALIASES.get(name.lower().replace("-", "_"), name)
    if task in TASK_INPUTS:  # a torchvision task model by its own or its friendly name: torchvision:NAME
        return _torchvision_spec(task)
    close = suggest(name)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise UnknownModelError(f"unknown model {name!r}{hint} (see `cnnbench list`, or use timm:NAME / torchvision:NAME)")


def _timm_spec(model: str) -> ModelSpec:
    import timm

    if not timm.is_model(model):
        close = difflib.get_close_matches(model, timm.list_models(), n=3, cutoff=0.6)
        hint = f"; did you mean: {', '.join('timm:' + c for c in close)}?" if close else ""
        raise UnknownModelError(f"unknown timm model {model!r}{hint}")
    from cnnbench.catalog.timm_models import BUILDER, timm_builder

    cfg = timm.get_pretrained_cfg(model)
    size = tuple(cfg.input_size) if cfg is not None and cfg.input_size else (3, 224, 224)
    # ``timm:NAME`` is exactly ``timm.create_model(NAME)``: a registered spec is reused (for its paper metadata)
    # only when it builds that very model — same name, no other builder option, timm's own input size. Entries
    # such as ``densenet264`` (timm's densenet121 with other blocks) or the 1000-class FocalNets do not qualify.
    for spec in in_order():
        if (spec.source == "timm" and spec.builder_kwargs == {"model_name": model} and spec.input_size == size
                and spec.builder == BUILDER):
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
    for spec in in_order():
        if spec.source == "torchvision" and spec.builder_kwargs == {"model_name": model}:
            return replace(spec, name=f"torchvision:{model}", registry_name=spec.name)
    from cnnbench.catalog.torchvision_models import default_inputs, torchvision_builder

    first, *more = default_inputs(model)
    return ModelSpec(
        name=f"torchvision:{model}", family=_torchvision_family(model), source="torchvision",
        builder=torchvision_builder, input_size=first, more_inputs=tuple(more),
        builder_kwargs={"model_name": model},
    )


def _torchvision_family(model: str) -> str:
    """A torchvision name's first word (``r3d_18`` → ``r3d``, ``deeplabv3_resnet50`` → ``deeplabv3``); a quantizable
    classifier takes its float twin's family (``quantized_resnet18`` → ``resnet``)."""
    if model.startswith("quantized_"):
        return _family_guess(model.removeprefix("quantized_"))
    return model.split("_")[0]


def _family_guess(model: str) -> str:
    m = re.match(r"[a-z]+", model.lower())
    return m.group(0) if m else model


# --- instances and the library's forms -------------------------------------------------------------------------------

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

    ``name`` (default: the class name of what was passed, a wrapper's too) is the row's ``model``; ``source`` is
    ``"instance"``. Every consumer treats the module as borrowed: static analysis traces a structural copy holding
    meta stand-ins (looking through ``DataParallel`` / ``torch.compile`` wrappers), runtimes time a deep copy.
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise CnnbenchError(f"model must be a name (str) or a torch.nn.Module, not {type(model).__name__}")
    label = str(name) if name is not None else type(model).__name__
    return ModelSpec(name=label, family="custom", source="instance", builder=_Instance(model))


def resolve_model(model: Any, name: str | None = None) -> ModelSpec:
    """One model: a name (:func:`resolve`) or an ``nn.Module`` instance; ``name`` is the row's ``model``.

    A renamed registry model keeps its registered name as ``registry_name`` (rows join back to the registry).
    """
    if not isinstance(model, str):
        return instance_spec(model, name)
    spec = resolve(model)
    return spec if name is None else replace(spec, name=name, registry_name=spec.registry_name or spec.name)


def resolve_models(model: Any, name: str | None = None) -> tuple[ModelSpec, ...]:
    """What a library caller passed: one model, a list of them, or a ``{name: model}`` dict (names unique)."""
    if isinstance(model, Mapping):
        if name is not None:
            raise CnnbenchError("name= names one model; a dict already names its models")
        return unique_names(tuple(resolve_model(m, str(k)) for k, m in model.items()))
    if isinstance(model, (list, tuple)):
        if name is not None:
            raise CnnbenchError("name= names one model; pass a {name: model} dict for several")
        if not model:
            raise CnnbenchError("no model given")
        return unique_names(tuple(s for m in model for s in resolve_models(m, None)))
    return (resolve_model(model, name),)


def unique_names(specs: tuple[ModelSpec, ...]) -> tuple[ModelSpec, ...]:
    """Two instances of one class become ``Net`` and ``Net#2`` (rows must tell them apart)."""
    seen: dict[str, int] = {}
    out = []
    for s in specs:
        n = seen.get(s.name, 0) + 1
        seen[s.name] = n
        out.append(s if n == 1 else replace(s, name=f"{s.name}#{n}"))
    return tuple(out)


# --- families, sources, patterns -------------------------------------------------------------------------------------

def family_specs(fam: str) -> list[ModelSpec]:
    """Every registered model of family ``fam``; an unknown family is an error with the closest families."""
    specs = list_specs(family=fam.strip().lower())
    if not specs:
        close = difflib.get_close_matches(fam.strip().lower(), families(), n=3, cutoff=0.5)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise CnnbenchError(f"unknown family {fam!r}{hint} (see `cnnbench list`)")
    return specs


def resolve_targets(models: list[Any] | None, family: list[str] | None, *, empty: str) -> tuple[ModelSpec, ...]:
    """Model specs for ``family`` values then ``models``, in the order given, without duplicates.

    A name that is not a model but is a family name expands to that family (``compare resnet mobilenet_v2``). An
    ``nn.Module`` instance among ``models`` becomes an ``instance`` spec; a ``ModelSpec`` is kept. Nothing at all
    raises ``CnnbenchError(empty)``.
    """
    specs: list[ModelSpec] = []
    for fam in family or []:
        specs += family_specs(fam)
    known = set(families())
    for name in models or []:
        if isinstance(name, ModelSpec):
            specs.append(name)
            continue
        if not isinstance(name, str):
            specs.append(instance_spec(name))
            continue
        try:
            specs.append(resolve(name))
        except CnnbenchError:
            if name.strip().lower() not in known:
                raise
            specs += family_specs(name)
    out: dict[Any, ModelSpec] = {}
    for s in specs:  # the same name twice is one model; two instances are two models (even of one class)
        out.setdefault(id(getattr(s.builder, "model", s.builder)) if s.source == "instance" else s.name, s)
    if not out:
        raise CnnbenchError(empty)
    return tuple(out.values())


def is_pattern(text: str) -> bool:
    return any(c in _GLOB for c in text)


def expand_targets(targets: list[str] | None, *, family: str | None = None, source: str | None = None) -> list[str]:
    """The model names ``targets`` (+ ``family``/``source``) stand for, in order, each once (``cnnbench sweep``).

    * ``timm:PATTERN`` matches ``timm.list_models()`` (``timm:*`` is the whole zoo, ``timm:resnet*`` a family);
    * ``torchvision:PATTERN`` matches ``torchvision.models.list_models()``;
    * a bare pattern (``resnet*``) matches registered names;
    * anything else is one name as :func:`resolve` takes it (``resnet50``, ``timm:x``, ``file.py:Class``).
    """
    names: list[str] = []
    for t in targets or []:
        t = t.strip()
        prefix, sep, rest = t.partition(":")
        if not is_pattern(t):
            names.append(t)
            continue
        p = prefix.lower() if sep else ""
        if p == "timm":
            import timm

            found = ["timm:" + m for m in timm.list_models(rest)]
        elif p == "torchvision":
            import torchvision

            found = ["torchvision:" + m for m in sorted(torchvision.models.list_models()) if fnmatch.fnmatch(m, rest)]
        elif not sep:
            found = [s.name for s in list_specs(pattern=t.lower())]
        else:
            raise CnnbenchError(f"cannot expand pattern {t!r}: patterns work for timm:PATTERN, "
                                "torchvision:PATTERN and registered names")
        if not found:
            raise CnnbenchError(f"pattern {t!r} matches no model")
        names += found
    for what, value in (("family", family), ("source", source)):
        if value:
            found = [s.name for s in list_specs(**{what: value})]
            if not found:
                raise CnnbenchError(f"no registered model of {what} {value!r} (see `cnnbench list`)")
            names += found
    if not names:
        raise CnnbenchError("no model given: name targets (timm:*, resnet50, file.py:Class), --family or --source")
    return list(dict.fromkeys(names))


def worker_target(name: str) -> str:
    """What a worker resolves for ``name``: a ``file.py:Class`` by its absolute path (workers may run elsewhere)."""
    prefix, sep, attr = name.rpartition(":")
    if sep and is_file_target(prefix) and Path(prefix).is_file():
        return f"{Path(prefix).resolve()}:{attr}"
    return name
