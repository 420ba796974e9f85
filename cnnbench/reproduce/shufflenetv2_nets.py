"""The benchmark networks of ShuffleNet V2's guideline experiments (Ma et al., ECCV 2018, Tables 1–4).

Every network is 10 stacked blocks on a 56×56 input (Sec. 2, Tables 1–3; Table 4's input size is not stated and
we use 56×56 too). Convolutions have no bias and there is no BatchNorm: the paper's memory-access formulas count
only the convolutions, and at inference BN folds into the preceding convolution ("tensor fusion" is on in the
paper's setup).

Choices the paper leaves open (the appendix figure of the G3 blocks is an image; Table 4 omits details), made as in
``shared/reference/shufflenetv2.md``:

* **G1** — block = 1×1 conv c1→c2, then 1×1 conv c2→c1, nothing else. Scales ×2/×4 multiply both c1 and c2 by
  2/4 (the paper lists the ×1 channels only).
* **G2** — 10 pointwise group convolutions c→c with g groups. The CPU set's c=180 does not divide into g=8
  groups; we round up to c=184 (FLOPs +3.3% vs the g=1 row; 176 would be −5.5%; the paper's own rows differ by ≤ 1.2%).
* **G3** — 1-fragment: one 1×1 conv c→c per block. n-fragment-series: n 1×1 convs of width c' = round(c/√n)
  (n·c'² ≈ c², so FLOPs match; the whole network then runs at width c'). n-fragment-parallel: n 1×1 convs that
  each read all c input channels and write c/n, concatenated (FLOPs n·c·c/n = c²).
* **G4** — ResNet bottleneck unit with c input/output channels and inner width c/4 (ResNet's expansion 4):
  1×1 c→c/4, ReLU, 3×3 c/4→c/4, ReLU, 1×1 c/4→c, (+ identity), ReLU. "ReLU no" removes all three ReLUs,
  "short-cut no" the addition. Inner width c/4 rather than c: with inner width c the c=32 CPU network would need
  ~350M MACs at the paper's 56.7 images/s on one Snapdragon 810 core (~20 GMAC/s, implausible for one 2015 phone core);
  with c/4 it needs 34M (~2 GMAC/s, in line with Tables 1–3's ~2–5 GMAC/s on the same core).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

SIDE = 56
BLOCKS = 10


@dataclass(frozen=True)
class BenchConfig:
    """One row × column of a guideline table.

    Attributes:
        scale: Column group (``×1``, ``c=64``...).
        label: Row label (``1:2``, ``g=4``, ``2-fragment-series``, ``ReLU yes / short-cut no``...).
        channels: Human-readable channel description.
        build: Returns the network (any device: call under ``torch.device("meta")`` for counting).
        in_channels: Input channels (input shape is ``(N, in_channels, 56, 56)``).
        conv_mac: Memory access of every convolution, in execution order, from the paper's formula
            ``h·w·(c1 + c2) + k²·c1·c2 / g`` (elements, batch 1).
        conv_macs: MACs of every convolution, ``h·w·k²·c1·c2 / g``.
        paper_gpu / paper_arm: The paper's GPU (batches/s) and ARM/CPU (images/s) numbers for this cell.
    """

    scale: str
    label: str
    channels: str
    build: Callable[[], nn.Module]
    in_channels: int
    conv_mac: tuple[int, ...] = field(repr=False)
    conv_macs: tuple[int, ...] = field(repr=False)
    paper_gpu: float | None = None
    paper_arm: float | None = None


def conv_mac(c1: int, c2: int, k: int = 1, g: int = 1, h: int = SIDE, w: int = SIDE) -> int:
    """ShuffleNet V2's memory access cost of a stride-1 "same" conv: h·w·(c1 + c2) + k²·c1·c2/g (Eq. 1, 2)."""
    return h * w * (c1 + c2) + k * k * c1 * c2 // g


def conv_flops(c1: int, c2: int, k: int = 1, g: int = 1, h: int = SIDE, w: int = SIDE) -> int:
    """The paper's FLOPs (multiply-adds) of the same conv: h·w·k²·c1·c2/g."""
    return h * w * k * k * c1 * c2 // g


def _conv(c1: int, c2: int, k: int = 1, g: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c1, c2, k, padding=k // 2, groups=g, bias=False)


# ---------------------------------------------------------------- G1
def g1_net(c1: int, c2: int) -> nn.Sequential:
    """10 blocks of two 1×1 convs, c1→c2→c1 (Table 1)."""
    return nn.Sequential(*[nn.Sequential(_conv(c1, c2), _conv(c2, c1)) for _ in range(BLOCKS)])


G1_GPU = {"1:1": (128, 128), "1:2": (90, 180), "1:6": (52, 312), "1:12": (36, 432)}
G1_ARM = {"1:1": (32, 32), "1:2": (22, 44), "1:6": (13, 78), "1:12": (9, 108)}
# c1:c2 → (GPU ×1, ×2, ×4 in batches/s, ARM ×1, ×2, ×4 in images/s) — Table 1
G1_PAPER = {"1:1": (1480, 723, 232, 76.2, 21.7, 5.3), "1:2": (1296, 586, 206, 72.9, 20.5, 5.1),
            "1:6": (876, 489, 189, 69.1, 17.9, 4.6), "1:12": (748, 392, 163, 57.6, 15.1, 4.4)}
SCALES = (1, 2, 4)


def g1_configs(platform: str = "cpu") -> list[BenchConfig]:
    base = G1_ARM if platform == "cpu" else G1_GPU
    out = []
    for si, s in enumerate(SCALES):
        for ratio, (a, b) in base.items():
            c1, c2 = a * s, b * s
            out.append(BenchConfig(
                f"×{s}", ratio, f"({c1},{c2})", lambda c1=c1, c2=c2: g1_net(c1, c2), c1,
                conv_mac=(conv_mac(c1, c2), conv_mac(c2, c1)) * BLOCKS,
                conv_macs=(conv_flops(c1, c2), conv_flops(c2, c1)) * BLOCKS,
                paper_gpu=G1_PAPER[ratio][si], paper_arm=G1_PAPER[ratio][3 + si]))
    return out


# ---------------------------------------------------------------- G2
def g2_net(c: int, g: int) -> nn.Sequential:
    """10 pointwise group convs c→c with ``g`` groups (Table 2)."""
    return nn.Sequential(*[_conv(c, c, 1, g) for _ in range(BLOCKS)])


G2_GPU = {1: 128, 2: 180, 4: 256, 8: 360}
G2_CPU = {1: 64, 2: 90, 4: 128, 8: 180}
G2_PAPER = {1: (2451, 1289, 437, 40.0, 10.2, 2.3), 2: (1725, 873, 341, 35.0, 9.5, 2.2),
            4: (1026, 644, 338, 32.9, 8.7, 2.1), 8: (634, 445, 230, 27.8, 7.5, 1.8)}


def g2_channels(c: int, g: int) -> int:
    """``c`` rounded up to a multiple of ``g`` (only the CPU set's c=180, g=8 → 184 needs it)."""
    return g * math.ceil(c / g)


def g2_configs(platform: str = "cpu") -> list[BenchConfig]:
    base = G2_CPU if platform == "cpu" else G2_GPU
    out = []
    for si, s in enumerate(SCALES):
        for g, c0 in base.items():
            c = g2_channels(c0 * s, g)
            label = f"c={c}" + (f" (paper {c0 * s})" if c != c0 * s else "")
            out.append(BenchConfig(
                f"×{s}", f"g={g}", label, lambda c=c, g=g: g2_net(c, g), c,
                conv_mac=(conv_mac(c, c, 1, g),) * BLOCKS, conv_macs=(conv_flops(c, c, 1, g),) * BLOCKS,
                paper_gpu=G2_PAPER[g][si], paper_arm=G2_PAPER[g][3 + si]))
    return out


# ---------------------------------------------------------------- G3
class ParallelBlock(nn.Module):
    """``n`` 1×1 convs c→c/n side by side, outputs concatenated (the n-fragment-parallel block)."""

    def __init__(self, c: int, n: int) -> None:
        super().__init__()
        self.branches = nn.ModuleList(_conv(c, c // n) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


def series_width(c: int, n: int) -> int:
    """Width c' of an n-fragment-series block with the FLOPs of one c→c conv: n·c'² ≈ c²."""
    return c if n == 1 else round(c / math.sqrt(n))


def g3_net(c: int, n: int, parallel: bool) -> nn.Sequential:
    if parallel:
        return nn.Sequential(*[ParallelBlock(c, n) for _ in range(BLOCKS)])
    cs = series_width(c, n)
    return nn.Sequential(*[nn.Sequential(*[_conv(cs, cs) for _ in range(n)]) for _ in range(BLOCKS)])


G3_STRUCTURES = {"1-fragment": (1, False), "2-fragment-series": (2, False), "4-fragment-series": (4, False),
                 "2-fragment-parallel": (2, True), "4-fragment-parallel": (4, True)}
G3_GPU_C = (128, 256, 512)
G3_CPU_C = (64, 128, 256)
G3_PAPER = {"1-fragment": (2446, 1274, 434, 40.2, 10.1, 2.3), "2-fragment-series": (1790, 909, 336, 38.6, 10.1, 2.2),
            "4-fragment-series": (752, 745, 349, 38.4, 10.1, 2.3),
            "2-fragment-parallel": (1537, 803, 320, 33.4, 9.1, 2.2),
            "4-fragment-parallel": (691, 572, 292, 35.0, 8.4, 2.1)}


def g3_configs(platform: str = "cpu") -> list[BenchConfig]:
    cs = G3_CPU_C if platform == "cpu" else G3_GPU_C
    out = []
    for si, c in enumerate(cs):
        for label, (n, par) in G3_STRUCTURES.items():
            if par:
                convs = [(c, c // n)] * n
                desc, cin = f"{n} × ({c}→{c // n}), concat", c
            else:
                w = series_width(c, n)
                convs = [(w, w)] * n
                desc, cin = (f"{n} × ({w}→{w})" if n > 1 else f"{c}→{c}"), w
            out.append(BenchConfig(
                f"c={c}", label, desc, lambda c=c, n=n, par=par: g3_net(c, n, par), cin,
                conv_mac=tuple(conv_mac(a, b) for a, b in convs) * BLOCKS,
                conv_macs=tuple(conv_flops(a, b) for a, b in convs) * BLOCKS,
                paper_gpu=G3_PAPER[label][si], paper_arm=G3_PAPER[label][3 + si]))
    return out


# ---------------------------------------------------------------- G4
class Bottleneck(nn.Module):
    """ResNet bottleneck c→c/4→c/4→c, optionally without ReLUs and/or without the identity shortcut."""

    def __init__(self, c: int, relu: bool = True, shortcut: bool = True) -> None:
        super().__init__()
        m = c // 4
        self.conv1, self.conv2, self.conv3 = _conv(c, m), _conv(m, m, 3), _conv(m, c)
        self.act = nn.ReLU(inplace=True) if relu else nn.Identity()
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(self.act(self.conv2(self.act(self.conv1(x)))))
        if self.shortcut:
            out = out + x
        return self.act(out)


def g4_net(c: int, relu: bool, shortcut: bool) -> nn.Sequential:
    return nn.Sequential(*[Bottleneck(c, relu, shortcut) for _ in range(BLOCKS)])


G4_VARIANTS = {"ReLU yes, short-cut yes": (True, True), "ReLU yes, short-cut no": (True, False),
               "ReLU no, short-cut yes": (False, True), "ReLU no, short-cut no": (False, False)}
G4_C = (32, 64, 128)
G4_PAPER = {"ReLU yes, short-cut yes": (2427, 2066, 1436, 56.7, 16.9, 5.0),
            "ReLU yes, short-cut no": (2647, 2256, 1735, 61.9, 18.8, 5.2),
            "ReLU no, short-cut yes": (2672, 2121, 1458, 57.3, 18.2, 5.1),
            "ReLU no, short-cut no": (2842, 2376, 1782, 66.3, 20.2, 5.4)}


def g4_configs(platform: str = "cpu") -> list[BenchConfig]:
    del platform  # Table 4 uses the same c on GPU and CPU
    out = []
    for si, c in enumerate(G4_C):
        m = c // 4
        convs = [(c, m, 1), (m, m, 3), (m, c, 1)]
        for label, (relu, sc) in G4_VARIANTS.items():
            out.append(BenchConfig(
                f"c={c}", label, f"{c}→{m}→{m}→{c}", lambda c=c, relu=relu, sc=sc: g4_net(c, relu, sc), c,
                conv_mac=tuple(conv_mac(a, b, k) for a, b, k in convs) * BLOCKS,
                conv_macs=tuple(conv_flops(a, b, k) for a, b, k in convs) * BLOCKS,
                paper_gpu=G4_PAPER[label][si], paper_arm=G4_PAPER[label][3 + si]))
    return out


CONFIGS = {"g1": g1_configs, "g2": g2_configs, "g3": g3_configs, "g4": g4_configs}
