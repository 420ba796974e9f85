"""The one way our catalogues write a spec (torch-free: ``cnnbench list`` imports them)."""

from __future__ import annotations

from typing import Any

from cnnbench.catalog.registry import ModelSpec


def own_spec(name: str, family: str, builder: str, paper: str, year: int, **kw: Any) -> ModelSpec:
    """A spec for one of our architectures: ``builder`` is ``"module:function"`` in this package
    (``cnnbench_models``), built lazily; ``kw`` are the other :class:`ModelSpec` fields (``paper_params``...)."""
    return ModelSpec(name=name, family=family, source="cnnbench", builder=f"cnnbench_models.{builder}", paper=paper,
                     year=year, **kw)
