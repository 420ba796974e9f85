"""``zoo-proxies``: across the timm latency zoo, which static proxy predicts latency — is FLOPs speed?

The claims, as the seeds record them: ShuffleNetV2 (Ma et al., ECCV 2018, Sec. 1) — "FLOPs is an indirect metric"
of speed, memory access cost (MAC) and the degree of parallelism matter too; RegNet (Radosavovic et al., CVPR 2020,
Sec. 5) — activations correlate with runtime more than flops.

This study reads the committed latency zoo (``results/zoo/timm-latency.csv``: the seeded sample of
``benchmarks/zoo_sample.py``, one row per model × runtime, batch 1, one thread; ``--table`` for another) and never
times anything. Per runtime, for each proxy — MACs, params, memory access (ShuffleNetV2's MAC, bytes), activations,
op count (the aten ops that compute or move data) and the roofline bound ``max(FLOPs / peak, bytes / bandwidth)``
with this machine's roofline (``roofline.json`` beside the table, written by ``cnnbench roofline -f json``):

* Spearman's ρ of latency against the proxy (rank agreement);
* Pearson's r of log latency against log proxy (a power law is a straight line in logs);
* the one-parameter fit latency ≈ c × proxy: c = exp(median(log latency − log proxy)) — the least-absolute-deviation
  fit in logs, robust to the few outliers — and the median |c × proxy − latency| / latency, in percent: how far off
  a latency predicted from the proxy alone typically is.

The same statistics per family (families with at least ``MIN_FAMILY`` models in the table), and per family the
median ratio latency / (c × MACs): where MACs fail (a family that runs 3× slower than its MACs predict). A timm
model's family here is timm's own: the module that defines it (``timm.list_modules()``: ``tf_efficientnet_b0`` and
``mobilenetv2_100`` are ``efficientnet``, ``ghostnetv2_100`` is ``ghostnet``), not the registry's name prefix
(``tf``, ``ghostnetv``), which splits one architecture by its port or version.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from cnnbench.errors import CnnbenchError
from cnnbench.reproduce.base import Figure, ReproResult, RunOptions, Section

TABLE = "results/zoo/timm-latency.csv"
#: proxy column → its label; ``roofline_ms`` is computed from the roofline beside the table
PROXIES = {"macs": "MACs", "params": "params", "memory_access_bytes": "memory access", "activations": "activations",
           "op_count": "op count", "roofline_ms": "roofline bound"}
NEEDED = ("model", "family", "runtime", "error", "latency_ms_median", "flops", *[p for p in PROXIES if p != "roofline_ms"])
MIN_FAMILY = 4
UNITS = {"macs": "MACs", "params": "parameters", "memory_access_bytes": "memory access (bytes)",
         "activations": "activations (elements)", "op_count": "aten ops", "roofline_ms": "roofline bound (ms)"}


def load(path: str | Path) -> pd.DataFrame:
    """The table's rows that measured a latency (rows with an error are counted apart by :func:`run`)."""
    p = Path(path)
    if not p.is_file():
        raise CnnbenchError(f"zoo-proxies reads {p}, which does not exist here: run the latency-zoo sweep "
                            "(docs/sweep.md, 'The latency zoo') or pass --table FILE")
    try:
        df = pd.read_csv(p)
    except (ValueError, OSError) as e:
        raise CnnbenchError(f"cannot read {p} as a CSV table: {e}") from e
    missing = [c for c in NEEDED if c not in df.columns]
    if missing:
        raise CnnbenchError(f"{p} lacks the column(s) {', '.join(missing)}: not a cnnbench sweep CSV with latency")
    return df


def roofline_ms(df: pd.DataFrame, roofline: dict[str, Any]) -> pd.Series:
    """The roofline bound of each row in ms: max(FLOPs / peak, memory-access bytes / bandwidth)."""
    compute = df["flops"] / (float(roofline["peak_gflops"]) * 1e9)
    memory = df["memory_access_bytes"] / (float(roofline["bandwidth_gbps"]) * 1e9)
    return pd.concat([compute, memory], axis=1).max(axis=1) * 1e3


def fit(proxy: pd.Series, latency: pd.Series) -> tuple[float, float]:
    """``(c, median |error| %)`` of latency ≈ c × proxy, c fitted as exp(median(log latency − log proxy))."""
    logs = (latency.map(math.log) - proxy.map(math.log))
    c = math.exp(float(logs.median()))
    err = ((c * proxy - latency).abs() / latency).median() * 100
    return c, float(err)


def _stats(sub: pd.DataFrame, col: str) -> dict[str, Any]:
    from scipy.stats import pearsonr, spearmanr

    ok = sub[(sub[col] > 0) & (sub["latency_ms_median"] > 0)]
    n = len(ok)
    row: dict[str, Any] = {"n": n, "spearman ρ": None, "pearson r (log-log)": None, "c": None, "median |err| %": None}
    if n < 3:
        return row
    lat, prox = ok["latency_ms_median"], ok[col]
    row["spearman ρ"] = round(float(spearmanr(prox, lat)[0]), 3)
    row["pearson r (log-log)"] = round(float(pearsonr(prox.map(math.log), lat.map(math.log))[0]), 3)
    c, err = fit(prox, lat)
    row["c"] = float(f"{c:.4g}")
    row["median |err| %"] = round(err, 1)
    return row


def proxy_stats(df: pd.DataFrame, proxies: dict[str, str] = PROXIES) -> pd.DataFrame:
    """One row per runtime × proxy over the whole table."""
    rows = []
    for runtime, sub in df.groupby("runtime", sort=True):
        for col, label in proxies.items():
            if col in sub.columns:
                rows.append({"runtime": runtime, "proxy": label, **_stats(sub, col)})
    return pd.DataFrame(rows)


def timm_modules() -> dict[str, str]:
    """timm model name → the timm module that defines it (``resnet``, ``efficientnet``, ``vision_transformer``...)."""
    import timm

    return {name: module for module in timm.list_modules() for name in timm.list_models(module=module)}


def families(df: pd.DataFrame, modules: dict[str, str]) -> pd.Series:
    """Each row's family for the study: a timm model's module, else the table's ``family``."""
    return pd.Series([modules.get(m[len("timm:"):], fam) if m.startswith("timm:") else fam
                      for m, fam in zip(df["model"], df["family"])], index=df.index, dtype=object)


def family_stats(df: pd.DataFrame, proxies: dict[str, str] = PROXIES, min_n: int = MIN_FAMILY) -> pd.DataFrame:
    """Per family with at least ``min_n`` models, per runtime: each proxy's ρ and median |error| (its own fit)."""
    rows = []
    for (runtime, family), sub in df.groupby(["runtime", "family"], sort=True):
        if sub["model"].nunique() < min_n:
            continue
        row: dict[str, Any] = {"runtime": runtime, "family": family, "n": len(sub)}
        for col, label in proxies.items():
            if col in sub.columns:
                s = _stats(sub, col)
                row[f"{label} ρ"] = s["spearman ρ"]
                row[f"{label} err %"] = s["median |err| %"]
        rows.append(row)
    return pd.DataFrame(rows)


def macs_misses(df: pd.DataFrame, top: int = 12) -> pd.DataFrame:
    """Per runtime, the families whose latency strays furthest from what the zoo-wide MACs fit predicts: the median
    latency / (c × MACs) of the family (> 1: slower than its MACs say), with the family's median arithmetic
    intensity (FLOP/byte: low = depthwise-heavy or memory-bound) beside it."""
    rows = []
    for runtime, sub in df.groupby("runtime", sort=True):
        ok = sub[(sub["macs"] > 0) & (sub["latency_ms_median"] > 0)]
        if len(ok) < 3:
            continue
        c, _ = fit(ok["macs"], ok["latency_ms_median"])
        ratio = ok["latency_ms_median"] / (c * ok["macs"])
        groups = ok.assign(ratio=ratio).groupby("family")
        fam = groups.agg(models=("model", "nunique"), ratio=("ratio", "median"))
        if "arithmetic_intensity" in ok:
            fam["intensity"] = groups["arithmetic_intensity"].median()
        fam["off"] = fam["ratio"].map(lambda r: abs(math.log(r)))
        fam = fam.sort_values("off", ascending=False).head(top)
        for family, r in fam.iterrows():
            rows.append({"runtime": runtime, "family": family, "models": int(r["models"]),
                         "latency / (c × MACs)": round(float(r["ratio"]), 2),
                         "FLOP/byte": round(float(r["intensity"]), 1) if "intensity" in fam else None})
    return pd.DataFrame(rows)


def verdicts(stats: pd.DataFrame, misses: pd.DataFrame) -> list[str]:
    out = []
    by_rt = {rt: sub.dropna(subset=["median |err| %"]) for rt, sub in stats.groupby("runtime")}
    for rt, sub in by_rt.items():
        if sub.empty:
            continue
        best = sub.sort_values(["median |err| %", "spearman ρ"], ascending=[True, False]).iloc[0]
        macs = sub[sub["proxy"] == "MACs"]
        line = (f"{rt}: {best['proxy']} predicts latency best (median |error| {best['median |err| %']:.0f}%, "
                f"ρ {best['spearman ρ']:.2f}, n = {best['n']})")
        if not macs.empty and best["proxy"] != "MACs":
            m = macs.iloc[0]
            line += f"; MACs alone are off by {m['median |err| %']:.0f}% (ρ {m['spearman ρ']:.2f})"
        out.append(line + ".")
    if {"eager", "onnx"} <= set(by_rt):
        e = by_rt["eager"].set_index("proxy")["median |err| %"]
        o = by_rt["onnx"].set_index("proxy")["median |err| %"]
        if "MACs" in e and "MACs" in o:
            better = "a better" if o["MACs"] < e["MACs"] else "no better"
            out.append(f"ONNX Runtime vs eager: a MACs fit is off by {o['MACs']:.0f}% on ONNX Runtime against "
                       f"{e['MACs']:.0f}% on eager — MACs are {better} guide to ONNX Runtime's latency here.")
    for rt, sub in misses.groupby("runtime", sort=True):
        worst = sub.head(5).to_dict("records")
        out.append(f"Where MACs fail most ({rt}): "
                   + "; ".join(f"{r['family']} ×{r['latency / (c × MACs)']:.2f}" for r in worst)
                   + " (a family's median latency / the zoo-wide MACs fit).")
    return out


def _figure(df: pd.DataFrame, col: str, label: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for runtime, sub in df.groupby("runtime", sort=True):
        ok = sub[(sub[col] > 0) & (sub["latency_ms_median"] > 0)]
        ax.scatter(ok[col], ok["latency_ms_median"], s=10, alpha=0.6, label=runtime)
        if len(ok) >= 3:
            c, _ = fit(ok[col], ok["latency_ms_median"])
            xs = sorted(ok[col])
            ax.plot([xs[0], xs[-1]], [c * xs[0], c * xs[-1]], linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(UNITS.get(col, label))
    ax.set_ylabel("latency median (ms), batch 1")
    ax.set_title(f"latency vs {label}")
    ax.legend()
    fig.tight_layout()
    return fig


def _roofline(path: Path) -> dict[str, Any]:
    """The roofline record beside the table (``cnnbench roofline -f json`` writes a list of one record), checked as
    the roofline cache is (:func:`~cnnbench.latency.roofline.roofline_problem`); one line if it is unusable."""
    from cnnbench.latency.roofline import roofline_problem

    fix = f"write it again with `cnnbench roofline --threads 1 -f json -o {path}`"
    try:
        rl = json.loads(path.read_text())
    except (ValueError, OSError) as e:
        raise CnnbenchError(f"cannot read {path} as a roofline ({type(e).__name__}: {e}): {fix}") from e
    rl = rl[0] if isinstance(rl, list) and rl else rl
    problem = roofline_problem(rl)
    if problem is not None:
        raise CnnbenchError(f"{path} is not a usable roofline ({problem}): {fix}")
    return rl


def run(opts: RunOptions) -> ReproResult:
    path = Path(opts.table or TABLE)
    raw = load(path)
    failed = raw[raw["error"].notna() | raw["latency_ms_median"].isna()]
    df = raw.drop(failed.index).copy()
    df["family"] = families(df, timm_modules())
    proxies = dict(PROXIES)
    notes = [(f"Read {path}: {len(raw)} rows, {raw['model'].nunique()} models, {raw['family'].nunique()} families, "
             f"runtimes {', '.join(sorted(raw['runtime'].dropna().unique()))}; families below are timm's modules "
             f"({df['family'].nunique()} with a latency); {len(failed)} row(s) without a latency (their error kept "
             "in the table) left out. Nothing is timed by this study.")]
    rl_path = path.with_name("roofline.json")
    if rl_path.is_file():
        rl = _roofline(rl_path)
        df["roofline_ms"] = roofline_ms(df, rl)
        notes.append(f"Roofline from {rl_path}: peak {rl['peak_gflops']:.1f} GFLOP/s, bandwidth "
                     f"{rl['bandwidth_gbps']:.1f} GB/s ({rl.get('threads', '?')} thread(s)).")
    else:
        proxies.pop("roofline_ms")
        notes.append(f"No {rl_path}: the roofline bound is left out (write it with `cnnbench roofline --threads 1 "
                     f"-f json -o {rl_path}`).")
    if df.empty:
        raise CnnbenchError(f"{path} holds no row with a latency: nothing to correlate")
    stats = proxy_stats(df, proxies)
    fams = family_stats(df, proxies)
    misses = macs_misses(df)
    sections = [Section("proxies", "Each proxy against latency, per runtime (whole table)", stats,
                        "ρ: Spearman rank correlation; r: Pearson on log-log; c, median |err| %: the one-parameter "
                        "fit latency ≈ c × proxy (c in ms per unit of the proxy).")]
    if not fams.empty:
        sections.append(Section("families", f"Per family (≥ {MIN_FAMILY} models)", fams,
                                "Each proxy fitted within the family."))
    if not misses.empty:
        sections.append(Section("macs_misses", "Where MACs fail: families furthest from the zoo-wide MACs fit",
                                misses, "latency / (c × MACs) > 1: slower than its MACs predict; FLOP/byte: the "
                                "family's median arithmetic intensity (low = depthwise-heavy or memory-bound)."))
    figures = [Figure(f"latency_vs_{col}", lambda col=col, label=label: _figure(df, col, label))
               for col, label in proxies.items()]
    return ReproResult(
        name="zoo-proxies",
        title="The latency zoo: which static proxy predicts latency (is FLOPs speed?)",
        source="ShuffleNetV2 (Ma et al., ECCV 2018) Sec. 1-2; RegNet (Radosavovic et al., CVPR 2020) Sec. 5; "
        "cnnbench's latency zoo (benchmarks/zoo_sample.py, docs/sweep.md).",
        claim="FLOPs is an indirect metric of speed (ShuffleNetV2); activations track runtime better than flops "
        "(RegNet).",
        sections=sections, verdicts=verdicts(stats, misses), notes=notes, figures=figures, env="",
    )
