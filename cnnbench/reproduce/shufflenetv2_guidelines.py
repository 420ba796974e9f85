"""``shufflenetv2-g1`` … ``shufflenetv2-g4``: ShuffleNet V2's four guideline experiments (ECCV 2018, Tables 1–4).

For every configuration of a table we report our MACs and memory access (ShuffleNet V2's "MAC", in elements,
batch 1) from the static trace and check each convolution against the paper's formula
``h·w·(c1 + c2) + k²·c1·c2/g``; then we time all configurations of the table interleaved and normalise the
throughput to the table's first row, beside the paper's GPU and ARM rows normalised the same way. The networks and
the choices the paper leaves open (G2's c=180 with g=8, G3's fragment widths, G4's unit and input size) are in
:mod:`cnnbench.reproduce.shufflenetv2_nets`.

Batch size: the captions of Tables 1–4 do not give one. On the CPU we time batch 1, the setting of the paper's
ARM column (images/s, Table 8 uses batch 1 on ARM); on CUDA batch 8 (Table 8's GPU setting). ``--batch-size``
overrides both. The CPU runs the paper's ARM/CPU channel set, CUDA its GPU set. Threads default to 1 (the paper's
ARM numbers are single-threaded).
"""

from __future__ import annotations

import pandas as pd
import torch

from cnnbench.reproduce.base import (
    Figure,
    Noise,
    ReproResult,
    RunOptions,
    Section,
    env_line,
    judge,
    measure_throughput,
    summarise,
    timing_noise,
)
from cnnbench.reproduce.shufflenetv2_nets import BLOCKS, CONFIGS, SIDE

SOURCE = ("Ma, Zhang, Zheng & Sun, ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design, "
          "ECCV 2018 (arXiv:1807.11164), Table {t}; setup from shared/reference/shufflenetv2.md.")
ELEMENTWISE = ("relu", "relu_", "add", "add_", "cat")


def static_rows(exp: str, platform: str = "cpu") -> list[dict]:
    """One row per configuration: MACs and memory access from the trace, checked against the paper's formulas."""
    from cnnbench.analysis import analyze

    rows = []
    for cfg in CONFIGS[exp](platform):
        with torch.device("meta"):
            model = cfg.build()
        p = analyze(model, (1, cfg.in_channels, SIDE, SIDE))
        convs = [r for r in p.records if r.op == "convolution"]
        per_block = cfg.conv_mac[: len(cfg.conv_mac) // BLOCKS]
        elementwise = sum(r.memory_access_elements for r in p.records if r.op in ELEMENTWISE)
        rows.append({
            "scale": cfg.scale,
            "config": cfg.label,
            "channels": cfg.channels,
            "MMACs": p.macs / 1e6,
            "paper formula MMACs": sum(cfg.conv_macs) / 1e6,
            "conv mem access, formula (elem)": per_block[0] if len(set(per_block)) == 1
            else " + ".join(str(v) for v in per_block) + " per block",
            "conv mem access = formula": [r.memory_access_elements for r in convs] == list(cfg.conv_mac)
            and [r.macs for r in convs] == list(cfg.conv_macs),
            "mem access (M elem)": p.memory_access_elements / 1e6,
            "element-wise share of mem access %": 100 * elementwise / p.memory_access_elements,
        })
    return rows


def _platform(opts: RunOptions) -> str:
    return "gpu" if opts.device.startswith("cuda") else "cpu"


def _batch(opts: RunOptions) -> int:
    return opts.batch_size or (8 if _platform(opts) == "gpu" else 1)


def run_table(exp: str, opts: RunOptions) -> tuple[pd.DataFrame, Noise | None]:
    """Static rows plus (unless ``--no-latency``) interleaved throughput and the normalised comparisons.

    Returns:
        The table and the timing noise (``None`` without latency).
    """
    platform = _platform(opts)
    cfgs = CONFIGS[exp](platform)
    rows = static_rows(exp, platform)
    if exp != "g4" and exp != "g3":
        for r in rows:
            del r["element-wise share of mem access %"]
    batch = _batch(opts)
    noise = None
    if opts.latency:
        key = lambda c: f"{c.scale} {c.label}"
        stats = measure_throughput({key(c): c.build for c in cfgs},
                                   {key(c): (batch, c.in_channels, SIDE, SIDE) for c in cfgs}, opts)
        noise = timing_noise(stats)
        for r, c in zip(rows, cfgs):
            s = stats[key(c)]
            r["latency median (ms)"] = s.median
            r["latency min (ms)"] = s.min
            r["images/s"] = batch / opts.time_ms(s) * 1e3
    first = {}
    for r, c in zip(rows, cfgs):
        first.setdefault(c.scale, (r, c))
        r0, c0 = first[c.scale]
        if opts.latency:
            r["ours norm"] = r["images/s"] / r0["images/s"]
        r["paper GPU (batches/s)"] = c.paper_gpu
        r["paper GPU norm"] = c.paper_gpu / c0.paper_gpu
        r["paper ARM/CPU (images/s)"] = c.paper_arm
        r["paper ARM/CPU norm"] = c.paper_arm / c0.paper_arm
        if opts.latency:
            ref = r["paper GPU norm"] if platform == "gpu" else r["paper ARM/CPU norm"]
            r["Δ norm vs paper (pp)"] = 100 * (r["ours norm"] - ref)
    return pd.DataFrame(rows), noise


def _ratio_text(df: pd.DataFrame, label: str, col: str) -> str:
    vals = [df[(df.scale == s) & (df.config == label)][col].iloc[0] for s in df.scale.unique()]
    return " / ".join(f"{v:.2f}" for v in vals)


def _count(df: pd.DataFrame, pred) -> tuple[int, int]:
    scales = list(df.scale.unique())
    return sum(bool(pred(df[df.scale == s])) for s in scales), len(scales)


def _headline(df: pd.DataFrame, label: str, expect_greater: bool, tol: float) -> str:
    """Verdict on the ratio of row ``label`` to the first row, judged per scale against the noise tolerance."""
    ratios = [df[(df.scale == s) & (df.config == label)]["ours norm"].iloc[0] for s in df.scale.unique()]
    return summarise([judge(r, expect_greater, tol) for r in ratios])


def _result(exp: str, table: int, title: str, claim: str, df: pd.DataFrame, noise: Noise | None,
            verdicts: list[str], notes: list[str], opts: RunOptions) -> ReproResult:
    platform = _platform(opts)
    ok = bool(df["conv mem access = formula"].all())
    verdicts.insert(0, f"Memory access {'equals' if ok else 'DIFFERS FROM'} the paper's formula "
                    "h·w·(c1+c2) + k²·c1·c2/g for every convolution of every configuration (and MACs equal "
                    "h·w·k²·c1·c2/g).")
    notes = notes + [
        f"Input {SIDE}×{SIDE}, {BLOCKS} stacked blocks, no bias/BatchNorm (BN folds into the conv at inference).",
        (f"Channel set: the paper's {'GPU' if platform == 'gpu' else 'ARM/CPU'} columns; "
         f"batch {_batch(opts)} (Tables 1–4 give none; ARM/images/s ↔ batch 1, Table 8's GPU batch is 8)."),
        ("Normalised = throughput / the first row's throughput in the same column; Δ in percentage points vs the "
         f"paper's {'GPU' if platform == 'gpu' else 'ARM/CPU'} row."),
        "MACs = multiply-accumulates (the paper's FLOPs); memory access in elements at batch 1 (the paper's MAC).",
    ]
    if noise is not None:
        notes += [opts.stat_note(), noise.note]
    figures = [Figure("speed", lambda: _plot(df, title))] if opts.latency else []
    return ReproResult(name=f"shufflenetv2-{exp}", title=f"ShuffleNet V2 {exp.upper()}: {title}",
                       source=SOURCE.format(t=table), claim=claim,
                       sections=[Section("main", f"Table {table}: paper vs ours", df)], verdicts=verdicts,
                       notes=notes, figures=figures, env=env_line(opts) if opts.latency else "")


def run_g1(opts: RunOptions) -> ReproResult:
    df, noise = run_table("g1", opts)
    macs = df[df.scale == df.scale.iloc[0]]["conv mem access, formula (elem)"].tolist()
    verdicts = [(f"Static: at (nearly) fixed FLOPs, memory access per conv grows with the c1:c2 imbalance "
                 f"({' < '.join(str(m) for m in macs)} elements at ×1): equal widths minimise it — holds.")]
    if opts.latency:
        k, n = _count(df, lambda d: d["images/s"].idxmax() == d.index[0])
        verdicts.append(
            f"Speed: 1:12 slower than 1:1 — {_headline(df, '1:12', False, noise.tolerance)} across the 3 scales; "
            f"1:1 is the single fastest row at {k}/{n} scales. 1:12 relative to 1:1 (×1/×2/×4): "
            f"ours {_ratio_text(df, '1:12', 'ours norm')}, paper ARM {_ratio_text(df, '1:12', 'paper ARM/CPU norm')}"
            f", GPU {_ratio_text(df, '1:12', 'paper GPU norm')}.")
    return _result("g1", 1, "equal channel width minimizes memory access cost",
                   "With FLOPs fixed, MAC is minimal when c1 = c2 (Eq. 1); in Table 1 the 1:1 network is the "
                   "fastest on GPU and ARM and speed drops as c1:c2 grows.", df, noise, verdicts, [], opts)


def run_g2(opts: RunOptions) -> ReproResult:
    df, noise = run_table("g2", opts)
    verdicts = ["Static: at (nearly) fixed FLOPs, memory access per layer grows with g (Eq. 2) — holds."]
    if opts.latency:
        verdicts.append(
            f"Speed: g=8 slower than g=1 — {_headline(df, 'g=8', False, noise.tolerance)} here. g=8 relative to g=1 "
            f"(×1/×2/×4): ours {_ratio_text(df, 'g=8', 'ours norm')}, paper ARM/CPU "
            f"{_ratio_text(df, 'g=8', 'paper ARM/CPU norm')} ('up to 30% slower'), GPU "
            f"{_ratio_text(df, 'g=8', 'paper GPU norm')} ('more than two times slower').")
    notes = ["CPU set: c=180 cannot be split into 8 groups; we use c=184 (next multiple of 8)."
             if _platform(opts) == "cpu" else "GPU set: every c divides by its g."]
    return _result("g2", 2, "excessive group convolution increases memory access cost",
                   "At fixed FLOPs, MAC grows with the number of groups g (Eq. 2); 8 groups are more than 2× "
                   "slower than 1 on GPU and up to 30% slower on ARM (Table 2).", df, noise, verdicts, notes, opts)


def run_g3(opts: RunOptions) -> ReproResult:
    df, noise = run_table("g3", opts)
    verdicts = []
    if opts.latency:
        k, n = _count(df, lambda d: d["images/s"].iloc[1:].max() < d["images/s"].iloc[0])
        frag = [judge(v, False, noise.tolerance) for v in df[df.config != "1-fragment"]["ours norm"]]
        verdicts.append(
            f"Speed: fragmented blocks slower than 1-fragment — {summarise(frag)} over the 12 fragmented rows; the "
            f"1-fragment block is the single fastest at {k}/{n} widths. 4-fragment-series / 1-fragment: ours "
            f"{_ratio_text(df, '4-fragment-series', 'ours norm')}, "
            f"paper ARM {_ratio_text(df, '4-fragment-series', 'paper ARM/CPU norm')}, GPU "
            f"{_ratio_text(df, '4-fragment-series', 'paper GPU norm')}; 4-fragment-parallel: ours "
            f"{_ratio_text(df, '4-fragment-parallel', 'ours norm')}, paper ARM "
            f"{_ratio_text(df, '4-fragment-parallel', 'paper ARM/CPU norm')}, GPU "
            f"{_ratio_text(df, '4-fragment-parallel', 'paper GPU norm')}. The paper finds the penalty large on GPU "
            "and small on ARM; a single-threaded CPU is the ARM-like case.")
    notes = [("Fragment widths (the appendix figure is not reproduced in the text): n-fragment-series = n 1×1 "
              "convs of width round(c/√n) (the network then runs at that width); n-fragment-parallel = n 1×1 convs "
              "c→c/n reading the same input, concatenated. FLOPs equal the 1-fragment block's up to rounding."),
             "The concatenations of the parallel blocks count in memory access (element-wise share column)."]
    return _result("g3", 3, "network fragmentation reduces degree of parallelism",
                   "At equal FLOPs, fragmented blocks (several small convs in series or parallel) are slower: on "
                   "GPU 4-fragment is ~3× slower than 1-fragment; on ARM the reduction is relatively small.",
                   df, noise, verdicts, notes, opts)


def run_g4(opts: RunOptions) -> ReproResult:
    df, noise = run_table("g4", opts)
    ew = df[df.config == "ReLU yes, short-cut yes"]["element-wise share of mem access %"]
    verdicts = [(f"Static: ReLU and shortcut add no MACs but {ew.min():.0f}–{ew.max():.0f}% of the unit's memory "
                 "access (c=32…128) — element-wise ops are non-negligible in memory traffic.")]
    if opts.latency:
        sp = lambda col: " / ".join(
            f"{100 * (v - 1):+.0f}%" for v in df[df.config == "ReLU no, short-cut no"][col])
        verdicts.append(
            "Speed: removing ReLU and shortcut speeds the unit up — "
            f"{_headline(df, 'ReLU no, short-cut no', True, noise.tolerance)} here. "
            f"Speed-up (c=32/64/128): ours {sp('ours norm')}, paper ARM {sp('paper ARM/CPU norm')}, GPU "
            f"{sp('paper GPU norm')} ('around 20%').")
    notes = [("Unit: ResNet bottleneck c→c/4 (1×1) → c/4 (3×3) → c (1×1), ReLU after the first two convs and after "
              "the addition; input 56×56 (not stated for Table 4; Tables 1–3 use it). See shufflenetv2_nets for why "
              "the inner width is c/4.")]
    return _result("g4", 4, "element-wise operations are non-negligible",
                   "Removing ReLU and the shortcut from a ResNet bottleneck unit gives around 20% speed-up on both "
                   "GPU and ARM (Table 4).", df, noise, verdicts, notes, opts)


def _plot(df: pd.DataFrame, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = list(df.scale.unique())
    fig, axes = plt.subplots(1, len(scales), figsize=(4.2 * len(scales), 3.6), sharey=True)
    cols = [("ours norm", "ours (this machine)"), ("paper ARM/CPU norm", "paper ARM"), ("paper GPU norm", "paper GPU")]
    for ax, s in zip(axes, scales):
        d = df[df.scale == s]
        x = range(len(d))
        for i, (col, label) in enumerate(cols):
            ax.bar([j + (i - 1) * 0.27 for j in x], d[col], 0.27, label=label)
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_xticks(list(x))
        ax.set_xticklabels(d["config"], rotation=30, ha="right", fontsize=7)
        ax.set_title(str(s))
    axes[0].set_ylabel("throughput / first row (×)")
    axes[-1].legend(fontsize=7)
    fig.suptitle(f"ShuffleNet V2 — {title}", fontsize=10)
    return fig
