"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: factorized — Flattened, Factorized and Structured Transform networks, ShiftNet-A/B/C, SqueezeNext-44).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_factorized.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

# ---- shift + sqnxt: ImageNet ShiftNet-A/B (models/shiftnet.py) ----
_SHIFT = "Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions"
_SHIFT_TABLE = ("ImageNet ShiftNet table (paper), quoted with top-1/top-5 in the lightweight-DL survey of Liu et al. "
                "2024, Table 1 (Params M, MACs G)")
_SHIFT_IN_NOTE = ("Layout from a public PyTorch port of ShiftNet-A (class ShiftNetA, pre-activation CSC blocks, "
                  "shift kernels 5-5-3-3, concat + 3x3/2 avg-pool shortcut at each stride; code-index file id "
                  "37336725033). Shift is slice copies: 0 params, 0 MACs.")

SPECS: tuple[ModelSpec, ...] = (
    # ---- shift + sqnxt (begin) ----
    _spec("shiftnet_a", "shiftnet", "shiftnet:shiftnet_a", _SHIFT, 2018, aliases=("ShiftNet-A",),
          paper_params=4_100_000, paper_macs=1_400_000_000,
          paper_table=_SHIFT_TABLE + ": ShiftNet-A 4.1M, 1.4G",
          note=_SHIFT_IN_NOTE + " Ours 4,188,680 params (+2.2%), 1.424G MACs (+1.7%)."),
    _spec("shiftnet_b", "shiftnet", "shiftnet:shiftnet_b", _SHIFT, 2018, aliases=("ShiftNet-B",),
          paper_params=1_100_000, paper_macs=371_000_000, paper_tolerance=0.08,
          paper_table=_SHIFT_TABLE + ": ShiftNet-B 1.1M, 0.371G",
          note=_SHIFT_IN_NOTE + " B's own layout was not found: ShiftNet-A at half width (stem 16) is an inference "
          "that gives 371.0M MACs, the published 371M. Its 1,183,480 params are 7.6% over '1.1M', hence the 8% "
          "tolerance: the paper seems to truncate to one decimal, as A's 4,188,680 is printed '4.1M'."),
    # ---- shift + sqnxt (end) ----
)

for _s in SPECS:
    register(_s)
