"""The full catalogue: registers every catalogue module once, then reads the table.

Every reader that needs all models registered (``list_specs``, ``families``, the resolver) goes through
:func:`ensure_loaded`; the registry itself never imports a catalogue. A catalogue that fails to import is an error.
"""

from __future__ import annotations

import importlib

from cnnbench.catalog.registry import ModelSpec, registered
from cnnbench.errors import CnnbenchError

#: Where registered models come from (``list --source``, ``list_models(source=)``).
SOURCES = ("torchvision", "timm", "cnnbench")

_CATALOGUES = (
    "cnnbench.catalog.torchvision_models",
    "cnnbench.catalog.timm_models",
    "cnnbench_models.catalog_classic",
    "cnnbench_models.catalog_modern",
    "cnnbench_models.catalog_attention",
    "cnnbench_models.catalog_seeds_gaps",
    "cnnbench_models.catalog_seeds_legacy",
    "cnnbench_models.catalog_seeds_efficient",
    "cnnbench_models.catalog_seeds_tasks",
    "cnnbench_models.catalog_seeds_grouped",
    "cnnbench_models.catalog_seeds_connections",
    "cnnbench_models.catalog_seeds_factorized",
    "cnnbench_models.catalog_seeds_variants",
    "cnnbench_models.blocks.catalog",
)
_loaded = False


def ensure_loaded() -> None:
    """Import every catalogue module (they register their specs at import), once."""
    global _loaded
    if _loaded:
        return
    _loaded = True  # before the imports: a catalogue that reads the registry while it loads does not recurse
    try:
        for mod in _CATALOGUES:
            importlib.import_module(mod)
    except BaseException:
        _loaded = False  # a catalogue that fails to import fails every call, never a half-filled registry
        raise


def list_specs(family: str | None = None, source: str | None = None, kind: str | None = "network",
               pattern: str | None = None) -> list[ModelSpec]:
    """Registered specs filtered by family/source/kind (``None`` = any) and an fnmatch pattern, naturally sorted.

    Raises:
        CnnbenchError: ``source`` is not one of :data:`SOURCES` (the CLI's ``list --source`` says the same).
    """
    if source and source.lower() not in SOURCES:
        raise CnnbenchError(f"unknown source {source!r}: choose {', '.join(SOURCES[:-1])} or {SOURCES[-1]}")
    ensure_loaded()
    return registered(family=family, source=source, kind=kind, pattern=pattern)


def families(kind: str | None = "network") -> list[str]:
    """The registered families (of ``kind``; ``None`` = any), sorted."""
    return sorted({s.family for s in list_specs(kind=kind)})
