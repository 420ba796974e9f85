"""Published tables and figures reproduced: the paper's numbers beside ours, the deviation and a verdict.

This face holds the list of reproductions and runs one by name. Each entry names a module of this package and its
``run(opts)`` function (imported at the run, so ``cnnbench reproduce --list`` imports no torch); :mod:`.base` holds
what they share (:class:`RunOptions`, :class:`ReproResult`, timing, the output files), :mod:`.view` prints them.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnnbench import lazy_face
from cnnbench.errors import CnnbenchError

if TYPE_CHECKING:
    from cnnbench.reproduce.base import ReproResult, RunOptions

__all__ = [
    "DEFAULT_OUT_DIR",
    "REPRODUCTIONS",
    "ReproResult",
    "Reproduction",
    "RunOptions",
    "check_device",
    "get",
    "history_records",
    "list_table",
    "names",
    "print_result",
    "run",
    "write_outputs",
]
_WHERE = {"DEFAULT_OUT_DIR": "base", "ReproResult": "base", "RunOptions": "base", "check_device": "base",
          "write_outputs": "base", "history_records": "view", "list_table": "view", "print_result": "view"}


@dataclass(frozen=True)
class Reproduction:
    name: str
    target: str  # "module:function" under cnnbench.reproduce
    summary: str
    timed: bool  # whether it measures latency (else --budget etc. do not apply)
    reads: str = ""  # a committed table it reads instead of measuring (--table overrides); `all` skips it if absent


REPRODUCTIONS: tuple[Reproduction, ...] = (
    Reproduction("resnet-checkpoints", "resnet_checkpoints:run",
                 "Seed table: ResNet18-152/MobileNetV2 params and torchvision checkpoint MB; size/4 rule; "
                 "BasicBlock vs Bottleneck", timed=False),
    Reproduction("vgg-3x3-stack", "vgg_stack:run",
                 "VGG (2015): three stacked 3x3 convs (27C²) vs one 7x7 (49C², '81% more'), 56x56 map", timed=True),
    Reproduction("shufflenetv2-g1", "shufflenetv2_guidelines:run_g1",
                 "ShuffleNetV2 Table 1 (G1): equal channel width minimises memory access", timed=True),
    Reproduction("shufflenetv2-g2", "shufflenetv2_guidelines:run_g2",
                 "ShuffleNetV2 Table 2 (G2): excessive group convolution increases memory access", timed=True),
    Reproduction("shufflenetv2-g3", "shufflenetv2_guidelines:run_g3",
                 "ShuffleNetV2 Table 3 (G3): network fragmentation reduces parallelism", timed=True),
    Reproduction("shufflenetv2-g4", "shufflenetv2_guidelines:run_g4",
                 "ShuffleNetV2 Table 4 (G4): element-wise operations are non-negligible", timed=True),
    Reproduction("shufflenetv2-fig1", "shufflenetv2_fig1:run",
                 "ShuffleNetV2 Fig. 1 / Table 8: MFLOPs vs speed of 5 families at 40/140/300/500 MFLOPs",
                 timed=True),
    Reproduction("mobilenetv1-pointwise", "mobilenetv1_pointwise:run",
                 "MobileNetV1 (2017) Table 2: 1x1 convs hold ~75% of params and ~95% of mult-adds", timed=False),
    Reproduction("regnet-activations", "regnet_activations:run",
                 "RegNet (2020): activations track runtime better than FLOPs (RegNetX/Y 400MF-32GF)", timed=True),
    Reproduction("convnext-roadmap", "convnext_roadmap:run",
                 "ConvNeXt (2022) Fig. 2: GFLOPs of each step from ResNet-50 to ConvNeXt-T "
                 "(4.1/4.5/4.4/2.4/5.3/4.6/4.1/4.2/4.2/4.5)", timed=False),
    Reproduction("stdn-stem", "small_entries:run_stdn_stem",
                 "STDN/DSOD stem (3 × 3×3 convs + 2×2 mean pool) vs DenseNet's 7×7/2 + max pool on 224×224: "
                 "~8× the MACs", timed=False),
    Reproduction("shift-zero-flop", "small_entries:run_shift_zero_flop",
                 "Shift (2018): 0 MACs, 0 params, yet ~2× the bytes of a depthwise 3×3 on 256×56×56", timed=False),
    Reproduction("internimage-sizes", "internimage_sizes:run",
                 "InternImage (2023) Table 1: T/S/B/L/XL/H params (30M-1.08B) and GFLOPs vs ours; DCNv3 sampling MACs "
                 "estimated", timed=False),
    Reproduction("abstract-costs", "abstract_costs:run",
                 "Seed 003 abstracts' cost claims (DPN-98/ResNeXt-101, ResNet-152/VGG-19, Inception-v3, "
                 "EfficientNet-B7, MixNet-L, AlexNet, SqueezeNet, SqueezeNext; CSPNet): published vs ours", timed=False),
    Reproduction("compression-sizes", "compression_sizes:run",
                 "Deep Compression (AlexNet 240->6.9 MB, VGG-16 552->11.3 MB), SqueezeNet 0.47 MB, XNOR-Net 32x, "
                 "TWN 16x vs cnnbench's compressed-size estimator", timed=False),
    Reproduction("low-rank", "low_rank:run",
                 "Low-rank convs: Jaderberg k×1+1×k, Lebedev CP (AlexNet conv2 4x), Kim Tucker-2 (VGG-16 FLOPs x4.93)",
                 timed=False),
    Reproduction("zoo-proxies", "zoo_proxies:run",
                 "The latency zoo (320 timm models, eager + ONNX Runtime): MACs, params, memory access, activations, "
                 "op count, roofline bound vs latency — Spearman, log-log Pearson, one-parameter fit error",
                 timed=False, reads="results/zoo/timm-latency.csv"),
)


def names() -> list[str]:
    return [r.name for r in REPRODUCTIONS]


def get(name: str) -> Reproduction:
    """The reproduction called ``name`` (case-insensitive, ``_`` = ``-``).

    Raises:
        CnnbenchError: Unknown name, with the closest names as a suggestion.
    """
    key = name.strip().lower().replace("_", "-")
    for r in REPRODUCTIONS:
        if r.name == key:
            return r
    close = difflib.get_close_matches(key, names(), n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise CnnbenchError(f"unknown reproduction {name!r}{hint} (see `cnnbench reproduce --list`)")


def run(name: str, opts: RunOptions) -> ReproResult:
    """Runs the reproduction ``name`` with ``opts``."""
    repro = get(name)
    module, _, fn = repro.target.partition(":")
    return getattr(importlib.import_module(f"cnnbench.reproduce.{module}"), fn)(opts)


# what the reproductions share (.base) and how they print (.view), imported at first use
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
