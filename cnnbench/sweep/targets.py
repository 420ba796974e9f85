"""What ``cnnbench sweep TARGET...`` sweeps: names, fnmatch patterns, ``--family`` and ``--source``, in order.

* ``timm:PATTERN`` matches ``timm.list_models()`` (``timm:*`` is the whole zoo, ``timm:resnet*`` a family);
* ``torchvision:PATTERN`` matches ``torchvision.models.list_models()``;
* a bare pattern (``resnet*``) matches registered names;
* anything else is one name as ``cnnbench profile`` takes it (``resnet50``, ``timm:x``, ``file.py:Class``).

Every name is resolved up front (a typo fails before anything runs, exit 2); duplicates are kept once.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from cnnbench.errors import CnnbenchError

_GLOB = set("*?[")


def is_pattern(text: str) -> bool:
    return any(c in _GLOB for c in text)


def expand_targets(targets: list[str] | None, *, family: str | None = None, source: str | None = None) -> list[str]:
    """The model names ``targets`` (+ ``family``/``source``) stand for, in order, each once."""
    from cnnbench.catalog.registry import list_specs

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
    if sep and (prefix.endswith(".py") or "/" in prefix or "\\" in prefix) and Path(prefix).is_file():
        return f"{Path(prefix).resolve()}:{attr}"
    return name
