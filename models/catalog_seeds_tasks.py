"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: tasks).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds").
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register

SPECS: tuple[ModelSpec, ...] = ()

for _s in SPECS:
    register(_s)
