"""``regnet-activations``: do activations track runtime better than FLOPs? (RegNet, Radosavovic et al., CVPR 2020)

The claim, as the project's reading list records it: "卷积层输出tensor的大小与运算时间的相关性超过FLOPS" — the size of
the convolutions' output tensors (activations) correlates with running time more than FLOPs do. The paper
("Designing Network Design Spaces", arXiv:2003.13678, Sec. 5, complexity analysis) defines activations as the size of
the output tensors of all conv layers and argues that they, not flops, dominate runtime on memory-bound accelerators
(GPUs); its figures plot GPU inference time against flops and against activations. No correlation coefficient from
the paper is quoted here (the project's reference files do not hold one): the published side is the qualitative
claim.

Ours: the torchvision RegNetX and RegNetY families from 400MF to 32GF (14 networks; 128GF is left out: 644M
parameters), 224×224. MACs, activations (our definition = fvcore's/timm's = the paper's: output elements of
conv/linear ops) and memory access from one static trace each; torchvision's weight metadata (``_ops`` GFLOPS =
GMACs, ``num_params``) checks the counts. Latency: all networks interleaved, eager fp32, batch 1 on the CPU
(``--batch-size`` to change; the paper timed batches on a GPU), per-call time by ``--statistic``. Pearson's r (linear,
like the paper's fits) and Spearman's ρ (rank) of latency against MACs, activations and memory access, over both
families and per family.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from cnnbench.reproduce.base import (
    Figure,
    ReproResult,
    RunOptions,
    Section,
    env_line,
    measure_throughput,
    pct,
    timing_noise,
)

SIZES = ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")
MODELS = tuple(f"regnet_{fam}_{s}" for fam in ("x", "y") for s in SIZES)
CLAIM_ZH = "卷积层输出tensor的大小与运算时间的相关性超过FLOPS"
PREDICTORS = {"MACs": "GMACs", "activations": "activations (M)", "memory access": "memory access (MB)"}


def _tv_meta(name: str) -> dict[str, Any]:
    from torchvision.models import get_model_weights

    try:
        return dict(get_model_weights(name).IMAGENET1K_V1.meta)
    except (ValueError, AttributeError, KeyError):
        return {}


def static_table(models: Sequence[str] = MODELS) -> pd.DataFrame:
    """MACs, activations, memory access and params of each model (224×224, batch 1) beside torchvision's metadata."""
    from cnnbench.catalog import resolve
    from cnnbench.catalog.build import analyze_spec

    rows = []
    for name in models:
        prof = analyze_spec(resolve(name))
        meta = _tv_meta(name)
        ops, n = meta.get("_ops"), meta.get("num_params")
        rows.append({
            "model": name, "family": "RegNetX" if "_x_" in name else "RegNetY",
            "GMACs": prof.macs / 1e9, "torchvision GFLOPS (=GMACs)": ops,
            "GMACs Δ %": pct(prof.macs / 1e9, ops), "params": prof.params, "torchvision params": n,
            "activations (M)": prof.activations / 1e6, "memory access (MB)": prof.memory_access_bytes / 1e6,
        })
    return pd.DataFrame(rows)


def correlations(df: pd.DataFrame, time_col: str = "latency ms") -> pd.DataFrame:
    """Pearson r and Spearman ρ of ``time_col`` against each predictor, over all rows and per family."""
    from scipy.stats import pearsonr, spearmanr

    out = []
    for label, col in PREDICTORS.items():
        row: dict[str, Any] = {"predictor": label}
        for scope, sub in (("all", df), *((f, df[df.family == f]) for f in ("RegNetX", "RegNetY"))):
            ok = len(sub) >= 3 and sub[col].nunique() > 1 and sub[time_col].nunique() > 1
            row[f"pearson r ({scope})"] = float(pearsonr(sub[col], sub[time_col])[0]) if ok else None
            row[f"spearman ρ ({scope})"] = float(spearmanr(sub[col], sub[time_col])[0]) if ok else None
        out.append(row)
    return pd.DataFrame(out)


def verdict(corr: pd.DataFrame, device: str) -> str:
    """Whether activations predict latency better than MACs (Pearson r over both families)."""
    r = corr.set_index("predictor")["pearson r (all)"]
    act, macs = r.get("activations"), r.get("MACs")
    if act is None or macs is None or (isinstance(act, float) and math.isnan(act)):
        return "Inconclusive: too few timed models to correlate."
    diff = act - macs
    where = f"on this {'GPU' if device.startswith('cuda') else 'CPU'}"
    if abs(diff) < 0.01:
        return (f"Within noise {where}: activations (r = {act:.3f}) and MACs (r = {macs:.3f}) track latency about "
                "equally well.")
    if diff > 0:
        return f"Holds {where}: latency correlates better with activations (r = {act:.3f}) than with MACs (r = {macs:.3f})."
    return (f"Does not hold {where}: latency correlates better with MACs (r = {macs:.3f}) than with activations "
            f"(r = {act:.3f}); the paper's claim is about memory-bound GPUs.")


def _figure(df: pd.DataFrame, time_col: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, col in zip(axes, ("GMACs", "activations (M)")):
        for fam, marker in (("RegNetX", "o"), ("RegNetY", "s")):
            sub = df[df.family == fam]
            ax.plot(sub[col], sub[time_col], marker=marker, linestyle="-", label=fam)
        ax.set_xlabel(col)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel(time_col)
    axes[0].legend()
    fig.suptitle("RegNet: latency vs MACs and vs activations")
    fig.tight_layout()
    return fig


def run(opts: RunOptions, models: Sequence[str] = MODELS) -> ReproResult:
    from cnnbench.catalog import resolve

    df = static_table(models)
    sections = [Section("main", "RegNetX/RegNetY: costs (ours vs torchvision) and latency", df,
                        "GMACs = multiply-accumulates (torchvision's and the paper's 'flops'); activations = output "
                        "elements of conv/linear ops; memory access = ShuffleNetV2's MAC in bytes.")]
    worst = df["GMACs Δ %"].abs().max()
    verdicts = [(f"Our MACs match torchvision's published GFLOPS within {worst:.2f}% for all {len(df)} models; "
                f"parameters match exactly: {bool((df['params'] == df['torchvision params']).all())}.")]
    notes = [f"Published claim (reading list): “{CLAIM_ZH}” — activations correlate with runtime more than FLOPs.",
             ("The paper timed GPUs (memory-bound for these networks); a CPU at batch 1 may be compute-bound, where "
             "MACs can predict better: the verdict says which holds here.")]
    figures: list[Figure] = []
    env = ""
    if opts.latency:
        batch = opts.batch_size or 1
        builders = {m: resolve(m).build for m in models}
        stats = measure_throughput(builders, {m: (batch, 3, 224, 224) for m in models}, opts)
        time_col = f"latency ms ({opts.statistic}, batch {batch})"
        df[time_col] = [opts.time_ms(stats[m]) for m in models]
        df["median ms"] = [stats[m].median for m in models]
        corr = correlations(df, time_col)
        sections.append(Section("correlation", "Latency vs each predictor: Pearson r and Spearman ρ", corr,
                                "r near 1: the predictor explains latency linearly; ρ: rank agreement."))
        verdicts.append(verdict(corr, opts.device))
        notes.append(timing_noise(stats).note)
        figures.append(Figure("latency", lambda: _figure(df, time_col)))
        env = env_line(opts)
    else:
        notes.append("Static run (--no-latency): costs only, no correlation.")
    return ReproResult(
        name="regnet-activations",
        title="RegNet: activations track runtime better than FLOPs?",
        source="Radosavovic et al., Designing Network Design Spaces, CVPR 2020 (arXiv:2003.13678), Sec. 5 "
        "(complexity analysis: flops vs activations vs GPU inference time).",
        claim="Activations (output size of the conv layers) correlate with runtime more than FLOPs do (on GPU).",
        sections=sections, verdicts=verdicts, notes=notes, figures=figures, env=env,
    )
