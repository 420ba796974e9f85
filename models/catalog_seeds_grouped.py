"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: grouped — IGCV1, IGCV2, Deep Roots, Deep Columnar CNN).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_grouped.py``; a tolerance above the default 5% is explained in ``note``.
IGCV2 is not registered: no source for its ImageNet or CIFAR layout could be read offline (see
docs/seeds-grouped.md).
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_IGC = "Interleaved Group Convolutions for Deep Neural Networks"
_IGC_TABLE = ("ImageNet table of the authors' README (hellozting/InterleavedGroupConvolutions), the paper's "
              "ResNet-18 comparison: {p}M params, {f}×10^9 FLOPs")
_IGC_NOTE = ("ResNet-18 with every 3x3 conv an interleaved group conv (3x3 with L groups, interleave, 1x1 with M "
             "groups, interleave back, BN), identity shortcuts and 1x1 L-group projections; ")
_IGC_FC_NOTE = ("The published params match ours without the 1000-way classifier ({fc:,} weights: {wo:,} vs "
                "{p}M, {d}), so the README seems to leave the FC out for this row but not for L100M2, whose 8.61M "
                "includes it; hence the wide tolerance. MACs agree within 3%.")

_ROOTS = "Deep Roots: Improving CNN Efficiency with Hierarchical Filter Groups"
_ROOTS_TABLE = ("ResNet-50 ILSVRC results table (root variants); exact figures {m:,} multiply-accumulates, "
                "{p:,} params, from the first author's thesis data yanii/phd-thesis rootdata/{csv}")
_ROOTS_NOTE = ("Original MSRA ResNet-50 (stride on the first 1x1 of each down-sampling bottleneck); {g}. The "
               "authors' params leave out BN (ours +53,056 = 53,120 BN weights and biases less 64, presumably a "
               "conv1 bias); MACs agree within 1,064.")

_DCCNN = "Deep Columnar Convolutional Neural Network"
_DCCNN_NOTE = ("Layer for layer from the first author's Keras code (titu1994/Deep-Columnar-Convolutional-Neural-"
               "Network, {f}). No published parameter or FLOP count was found: the repository README and the IJCA "
               "2016 abstract/first page (ijcaonline.org, moam.info) give error rates only; the paper's full tables "
               "could not be read offline.")


def _root(k: int, groups: str, csv: str, macs: int, params: int) -> ModelSpec:
    name = "deep_roots_resnet50" + (f"_root{k}" if k > 1 else "")
    fn = "deep_roots_resnet50_" + (f"root{k}" if k > 1 else "orig")
    return _spec(name, "deep_roots", f"deep_roots:{fn}", _ROOTS, 2017, paper_params=params, paper_macs=macs,
                 paper_table=_ROOTS_TABLE.format(m=macs, p=params, csv=csv), note=_ROOTS_NOTE.format(g=groups))


SPECS: tuple[ModelSpec, ...] = (
    # IGCV1 (IGCNet) ImageNet networks
    _spec("igcv1_l100m2", "igcv1", "igcv12:igcv1_l100m2", _IGC, 2017, paper_params=8_610_000,
          paper_macs=1_300_000_000, paper_table=_IGC_TABLE.format(p="8.61", f="1.3"),
          note=_IGC_NOTE + "from network/resnet_igc_imgnet_d18.py: stem 100, stages 200/400/800/1600 with L = "
          "100/200/400/800, M = 2."),
    _spec("igcv1_l16m16", "igcv1", "igcv12:igcv1_l16m16", _IGC, 2017, paper_params=11_329_000,
          paper_macs=2_200_000_000, paper_table=_IGC_TABLE.format(p="11.329", f="2.2"), paper_tolerance=0.20,
          note=_IGC_NOTE + "from the released symbol (models/IGC-L16M16_ImageNet): stem 256, stages "
          "256/512/1024/2048 with L = 16, M = 16/32/64/128. "
          + _IGC_FC_NOTE.format(fc=2_049_000, wo=11_479_296, p="11.329", d="+1.3%")),
    _spec("igcv1_l4m32", "igcv1", "igcv12:igcv1_l4m32", _IGC, 2017, paper_params=11_205_000,
          paper_macs=1_900_000_000, paper_table=_IGC_TABLE.format(p="11.205", f="1.9"), paper_tolerance=0.10,
          note=_IGC_NOTE + "from the released symbol (models/IGC-L4M32_ImageNet; stem L·M = 128 as in the "
          "L16M16 symbol): stages 128/256/512/1024 with L = 4, M = 32/64/128/256. "
          + _IGC_FC_NOTE.format(fc=1_025_000, wo=11_226_240, p="11.205", d="+0.2%")),
    # Deep Roots: ResNet-50 and its root-k variants (3x3 filter groups k, k/2, k/4, k/8 along res2..res5)
    _root(1, "no filter groups (the baseline of the table)", "resnet50ma.csv", 3_857_974_312, 25_503_976),
    _root(2, "3x3 filter groups 2/1/1/1 in res2..res5", "resnet50maconvonly.csv", 3_684_566_056, 25_448_680),
    _root(4, "3x3 filter groups 4/2/1/1 in res2..res5", "resnet50maconvonly.csv", 3_366_650_920, 25_126_120),
    _root(8, "3x3 filter groups 8/4/2/1 in res2..res5", "resnet50maconvonly.csv", 2_860_876_840, 23_195_368),
    _root(16, "3x3 filter groups 16/8/4/2 in res2..res5", "resnet50maconvonly.csv", 2_434_581_544, 18_691_048),
    _root(32, "3x3 filter groups 32/16/8/4 in res2..res5", "resnet50maconvonly.csv", 2_221_433_896, 16_438_888),
    _root(64, "3x3 filter groups 64/32/16/8 in res2..res5", "resnet50maconvonly.csv", 2_114_860_072, 15_312_808),
    # Deep Columnar CNN (DCCNN)
    _spec("columnar_dccnn_mnist", "columnar", "columnar:dccnn_mnist", _DCCNN, 2016, input_size=(1, 28, 28),
          paper_table="none published (MNIST network)", note=_DCCNN_NOTE.format(f="DCCNN_MNIST_Model.py")),
    _spec("columnar_dccnn_cifar10", "columnar", "columnar:dccnn_cifar10", _DCCNN, 2016, input_size=(3, 32, 32),
          paper_table="none published (CIFAR-10 network)", note=_DCCNN_NOTE.format(f="DCCNN_CIFAR10_Model.py")),
)

for _s in SPECS:
    register(_s)
