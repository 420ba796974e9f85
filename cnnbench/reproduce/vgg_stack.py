"""``vgg-3x3-stack``: three stacked 3×3 convolutions vs one 7×7 (Simonyan & Zisserman, ICLR 2015, Sec. 2.3).

The claim: "assuming that both the input and the output of a three-layer 3×3 convolution stack has C channels,
the stack is parametrised by 3(3²C²) = 27C² weights; at the same time, a single 7×7 conv. layer would require
7²C² = 49C² parameters, i.e. 81% more", with the same 7×7 effective receptive field and three ReLUs instead of one.

Setup here: a C→C stack ``conv3×3 → ReLU → conv3×3 → ReLU → conv3×3 → ReLU`` and a single ``conv7×7 → ReLU``, both
stride 1 with "same" padding on a C×56×56 map (a VGG stage-2/3 resolution), for C = 64, 128, 256. Convolutions
have **no bias** so the weight counts are exactly 27C² and 49C² (VGG's layers do have biases: 27C² + 3C vs
49C² + C, which changes the ratio by < 0.1% at these widths). The receptive field is measured, not assumed: the
support of the output's dependence on one input pixel (all-ones weights, C = 1). Latency: batch 1 (override with
``--batch-size``), both variants of all widths timed interleaved.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from cnnbench.reproduce.base import (
    Figure,
    ReproResult,
    RunOptions,
    Section,
    env_line,
    judge,
    measure_throughput,
    pct,
    summarise,
    timing_noise,
)

CHANNELS = (64, 128, 256)
SIDE = 56
PAPER_RATIO = 49 / 27  # "81% more"


def stack3x3(c: int) -> nn.Sequential:
    """Three C→C 3×3 convs with a ReLU after each (VGG's conv blocks), no bias."""
    layers: list[nn.Module] = []
    for _ in range(3):
        layers += [nn.Conv2d(c, c, 3, padding=1, bias=False), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def single7x7(c: int) -> nn.Sequential:
    """One C→C 7×7 conv and its ReLU, no bias."""
    return nn.Sequential(nn.Conv2d(c, c, 7, padding=3, bias=False), nn.ReLU(inplace=True))


VARIANTS = {"3 × 3×3": stack3x3, "1 × 7×7": single7x7}


def receptive_field(build) -> int:
    """Side of the input region one output pixel depends on (all-ones weights, one channel, real CPU pass)."""
    model = build(1)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    x = torch.zeros(1, 1, 21, 21, requires_grad=True)
    model(x + 1.0)[0, 0, 10, 10].backward()  # +1 keeps every ReLU open
    rows = (x.grad[0, 0].abs().sum(1) > 0).sum().item()
    return int(rows)


def static_rows() -> list[dict]:
    from cnnbench.analysis import analyze

    rows = []
    for c in CHANNELS:
        for label, build in VARIANTS.items():
            with torch.device("meta"):
                model = build(c)
            p = analyze(model, (1, c, SIDE, SIDE))
            k = 3 if label.startswith("3") else 7
            n = 3 if k == 3 else 1
            rows.append({
                "C": c, "variant": label,
                "paper weights": n * k * k * c * c,
                "paper formula": "27C²" if k == 3 else "49C²",
                "our params": p.params,
                "params Δ %": pct(p.params, n * k * k * c * c),
                "MMACs": p.macs / 1e6,
                "mem access (M elem)": p.memory_access_elements / 1e6,
                "mem access (MiB)": p.memory_access_bytes / 2**20,
            })
    return rows


def run(opts: RunOptions) -> ReproResult:
    rows = static_rows()
    rf = {label: receptive_field(build) for label, build in VARIANTS.items()}
    for r in rows:
        r["receptive field"] = f"{rf[r['variant']]}×{rf[r['variant']]}"
    env, noise = "", None
    batch = opts.batch_size or 1
    if opts.latency:
        key = lambda c, v: f"C={c} {v}"
        builders = {key(c, v): (lambda c=c, b=b: b(c)) for c in CHANNELS for v, b in VARIANTS.items()}
        shapes = {key(c, v): (batch, c, SIDE, SIDE) for c in CHANNELS for v in VARIANTS}
        stats = measure_throughput(builders, shapes, opts)
        for r in rows:
            s = stats[key(r["C"], r["variant"])]
            r["latency median (ms)"] = s.median
            r["latency min (ms)"] = s.min
            r["images/s"] = batch / opts.time_ms(s) * 1e3
        env, noise = env_line(opts), timing_noise(stats)
    per_variant = pd.DataFrame(rows)

    ratio_rows = []
    for c in CHANNELS:
        s3 = next(r for r in rows if r["C"] == c and r["variant"].startswith("3"))
        s7 = next(r for r in rows if r["C"] == c and r["variant"].startswith("1"))
        row = {
            "C": c,
            "paper params ratio 49/27": PAPER_RATIO,
            "our params ratio": s7["our params"] / s3["our params"],
            "params ratio Δ %": pct(s7["our params"] / s3["our params"], PAPER_RATIO),
            "MACs ratio": s7["MMACs"] / s3["MMACs"],
            "mem access ratio": s7["mem access (M elem)"] / s3["mem access (M elem)"],
        }
        if opts.latency:
            row["latency ratio (7×7 / stack)"] = s3["images/s"] / s7["images/s"]
        ratio_rows.append(row)
    ratios = pd.DataFrame(ratio_rows)

    verdicts = [
        (f"Parameters: holds exactly — 49C²/27C² = {PAPER_RATIO:.4f}, i.e. {100 * (PAPER_RATIO - 1):.1f}% more "
         f"(the paper rounds to 81%); our counts equal 27C² and 49C² for every C."),
        (f"Receptive field: holds — both variants see {rf['3 × 3×3']}×{rf['3 × 3×3']} vs "
         f"{rf['1 × 7×7']}×{rf['1 × 7×7']} input pixels."),
        ("MACs scale the same way (81% more for the 7×7) on a same-size map, but memory access does not: the stack "
         f"writes and re-reads two extra C×{SIDE}×{SIDE} maps and three ReLUs, so the 7×7 moves only "
         f"{ratios['mem access ratio'].min():.2f}–{ratios['mem access ratio'].max():.2f}× the stack's elements."),
    ]
    if opts.latency:
        lr = ratios["latency ratio (7×7 / stack)"]
        tol = noise.tolerance
        eff = judge(lr.mean() / PAPER_RATIO, False, tol)  # < 1: the 7×7 does more MACs per second
        eff_text = {"supports": "higher", "contradicts": "lower", "within noise": "about the same"}[eff]
        verdicts.append(
            f"Latency (CPU, batch {batch}): the stack is also faster in time — "
            f"{summarise([judge(v, True, tol) for v in lr])} over the 3 widths; the single 7×7 takes "
            f"{lr.min():.2f}–{lr.max():.2f}× the stack's time for {PAPER_RATIO:.2f}× its MACs, i.e. it runs at "
            f"{eff_text} MACs/s (one larger op vs three convs and three ReLUs with more feature-map traffic).")
    notes = ["Convolutions without bias; with VGG's biases the counts are 27C² + 3C and 49C² + C.",
             ("MACs = multiply-accumulates; memory access = ShuffleNetV2's MAC (inputs incl. weights + outputs of "
              "every op, in elements), ReLUs included.")]
    if opts.latency:
        notes += [opts.stat_note(), noise.note]
    return ReproResult(
        name="vgg-3x3-stack",
        title="VGG: a stack of three 3×3 convolutions vs one 7×7",
        source="Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, "
        "ICLR 2015, Sec. 2.3 (quoted in the seed notes).",
        claim="Three stacked 3×3 conv layers with C channels have 3(3²C²) = 27C² weights; one 7×7 layer has "
        "7²C² = 49C², i.e. 81% more, for the same receptive field.",
        sections=[Section("variants", f"Per variant on C×{SIDE}×{SIDE}", per_variant,
                          "paper weights = 27C² / 49C²; Δ = (ours − paper) / paper."),
                  Section("ratios", "7×7 relative to the 3×3 stack (published ratio 49/27 = 1.815)", ratios)],
        verdicts=verdicts,
        notes=notes,
        figures=[Figure("ratios", lambda: _plot(ratios, opts.latency))],
        env=env,
    )


def _plot(ratios: pd.DataFrame, latency: bool):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = ["our params ratio", "MACs ratio", "mem access ratio"] + (["latency ratio (7×7 / stack)"] if latency
                                                                     else [])
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / len(cols)
    for i, col in enumerate(cols):
        ax.bar([j + i * width for j in range(len(ratios))], ratios[col], width, label=col.replace("our ", ""))
    ax.axhline(PAPER_RATIO, color="k", ls="--", lw=1, label="paper: 49/27 = 1.815")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xticks([j + width * (len(cols) - 1) / 2 for j in range(len(ratios))])
    ax.set_xticklabels([f"C={c}" for c in ratios["C"]])
    ax.set_ylabel("7×7 / (3 × 3×3)  (×)")
    ax.set_title(f"One 7×7 conv vs three 3×3 convs, C→C on {SIDE}×{SIDE}")
    ax.legend(fontsize=8)
    return fig
