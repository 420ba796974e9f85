"""Shared pieces of the reproductions: run options, the result type, interleaved timing, file output.

A reproduction is a function ``run(opts: RunOptions) -> ReproResult``. It never prints: the CLI renders the
result's tables (published numbers beside ours, with the deviation) and verdicts, and :func:`write_outputs` saves
Markdown, one CSV per table and the figures under the output directory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.latency.threads import torch_threads

if TYPE_CHECKING:
    import pandas as pd
    from torch import nn

    from cnnbench.latency.timer import LatencyStats

#: Default output directory (relative to the current directory).
DEFAULT_OUT_DIR = Path("results/reproduce")



@dataclass(frozen=True)
class RunOptions:
    """What the CLI passes to every reproduction.

    Attributes:
        device: ``cpu`` | ``cuda`` | ``cuda:N`` (validated with :func:`cnnbench.latency.devices.resolve_device`).
        latency: Measure latency (``False`` = static metrics only).
        budget_s: Sampling seconds per timed configuration (interleaved, so a table takes about
            ``budget_s × configurations``).
        min_samples: Minimum samples per configuration.
        warmup_s: Minimum warm-up seconds per configuration.
        threads: torch intra-op threads while timing (``None`` = torch's current setting).
        batch_size: Overrides a reproduction's batch size for timing (``None`` = its own choice).
        statistic: ``min`` or ``median``: the per-call time that throughput is computed from. ``min`` (the
            default) estimates the uncontended cost and is robust to preemption on a shared machine (as
            ``timeit`` recommends); ``median`` is the latency engine's headline statistic.
        progress: Called with one-line progress messages (the CLI sends them to stderr).
        table: The committed table a table-reading reproduction reads instead of its default (``zoo-proxies``:
            ``results/zoo/timm-latency.csv``); the others ignore it.
    """

    device: str = "cpu"
    latency: bool = True
    budget_s: float = 1.0
    min_samples: int = 10
    warmup_s: float = 0.3
    threads: int | None = 1
    batch_size: int | None = None
    statistic: str = "min"
    table: str | None = None
    progress: Callable[[str], None] | None = None

    def time_ms(self, stats: LatencyStats) -> float:
        """The per-call time (ms) throughput is computed from: ``stats.min`` or ``stats.median``."""
        return stats.min if self.statistic == "min" else stats.median

    def stat_note(self) -> str:
        if self.statistic == "min":
            return ("Throughput = batch / fastest sample (min): on a shared, oversubscribed CPU the median is "
                    "dominated by preemption (here often several times the min), the min estimates the "
                    "uncontended cost; medians are listed too. Use --statistic median on a quiet machine.")
        return "Throughput = batch / median sample."

    def say(self, msg: str) -> None:
        if self.progress is not None:
            self.progress(msg)


@dataclass
class Section:
    """One table of a reproduction: a DataFrame plus what its columns mean."""

    key: str
    title: str
    df: pd.DataFrame
    note: str = ""


@dataclass
class Figure:
    """A matplotlib figure produced by ``draw(ax_or_fig)``; saved as ``<name>_<key>.png``."""

    key: str
    draw: Callable[[], Any]


@dataclass
class ReproResult:
    """Everything one reproduction found.

    Attributes:
        name: Reproduction name (``vgg-3x3-stack``).
        title: One-line title.
        source: Paper, year and table/section reproduced.
        claim: The published claim, quoted or paraphrased.
        sections: Tables (published vs ours, with deviations).
        verdicts: One sentence each: does the claim hold here?
        notes: Choices the paper leaves open, conventions, measurement caveats.
        figures: Plots (optional).
        env: Short description of where latency was measured (empty for static-only runs).
    """

    name: str
    title: str
    source: str
    claim: str
    sections: list[Section] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    env: str = ""


def pct(ours: float | None, ref: float | None) -> float | None:
    """Relative deviation of ``ours`` from ``ref`` in percent (``None`` if either is missing or ref is 0)."""
    if ours is None or ref is None or ref == 0 or (isinstance(ours, float) and math.isnan(ours)):
        return None
    return 100.0 * (ours - ref) / ref


def check_device(device: str) -> str:
    """Validates ``device`` (clean one-line error for a missing CUDA) and returns its canonical string."""
    from cnnbench.latency.devices import resolve_device

    return str(resolve_device(device))


def measure_throughput(
    builders: Mapping[str, Callable[[], nn.Module]],
    input_shapes: Mapping[str, Sequence[int]],
    opts: RunOptions,
) -> dict[str, LatencyStats]:
    """Times every model interleaved (round-robin, rotating order) with the protocol of the latency engine.

    Args:
        builders: Label → zero-argument builder returning a CPU model with random init.
        input_shapes: Label → ``(N, C, H, W)``.
        opts: Device, budget, samples, warm-up, threads.

    Returns:
        Label → latency statistics (ms per call, one call = one batch).
    """
    from cnnbench.latency.engine import prepare_runner
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.timer import measure_interleaved

    runners = {}
    eager = LatencyOptions(device=opts.device, verify=False)  # eager fp32: the reference itself
    try:
        with torch_threads(opts.threads):
            for label, build in builders.items():
                runners[label] = prepare_runner(build, tuple(input_shapes[label]), eager)
            opts.say(f"timing {len(runners)} configurations interleaved "
                     f"(~{opts.budget_s:g} s each + warm-up) on {opts.device}")
            return measure_interleaved(
                {k: r.call for k, r in runners.items()}, sync={k: r.sync for k, r in runners.items()},
                warmup_min_s=opts.warmup_s, warmup_min_iters=3, min_samples=opts.min_samples,
                budget_s=opts.budget_s)
    finally:
        for r in runners.values():
            r.close()


@dataclass(frozen=True)
class Noise:
    """How noisy a run's timings were.

    Attributes:
        note: One paragraph for the output's notes.
        tolerance: Relative throughput difference below which two configurations are not told apart (0.10 on a
            busy machine, 0.03 on a quiet one).
    """

    note: str
    tolerance: float


def timing_noise(stats: Mapping[str, LatencyStats]) -> Noise:
    """Summarises the spread of the samples of all configurations of one interleaved run."""
    import statistics

    spread = statistics.median(s.median / s.min for s in stats.values() if s.min > 0)
    iqr = statistics.median(s.iqr / s.median for s in stats.values() if s.median > 0)
    busy = spread > 1.2 or iqr > 0.10
    tol = 0.10 if busy else 0.03
    text = (f"Timing noise in this run: the median sample is {spread:.2f}× the fastest one and IQR/median is "
            f"{100 * iqr:.0f}% (medians over configurations; about 1.0× and a few % on a quiet machine). "
            "Configurations were timed interleaved (round-robin, rotating order) so that drift affects them alike. "
            f"Verdicts treat throughput differences below {100 * tol:.0f}% as within noise.")
    if busy:
        text += (" The machine was busy (here: a 2-core CPU shared with other jobs), so rows and verdicts can change "
                 "between runs; rerun with a larger --budget on a quiet machine.")
    return Noise(text, tol)


def judge(ratio: float, expect_greater: bool, tol: float) -> str:
    """``supports`` / ``contradicts`` / ``within noise`` for a measured ratio the claim expects > 1 (or < 1)."""
    if abs(ratio - 1) <= tol:
        return "within noise"
    return "supports" if (ratio > 1) == expect_greater else "contradicts"


def summarise(judgements: Sequence[str]) -> str:
    """One verdict word for several judgements: holds / does not hold / mixed / inconclusive."""
    k, m = judgements.count("supports"), judgements.count("contradicts")
    n = len(judgements) - k - m
    counts = f"{k} support, {n} within noise, {m} contradict"
    if k and not m:
        return ("holds" if not n else "holds where measurable") + f" ({counts})"
    if m and not k:
        return ("does not hold" if not n else "does not hold where measurable") + f" ({counts})"
    if k and m:
        return f"mixed ({counts})"
    return f"inconclusive: all within noise ({counts})"


def env_line(opts: RunOptions) -> str:
    """Where the latency was measured: CPU/GPU, torch version, threads."""
    import torch

    from cnnbench.env import cpu_model

    where = cpu_model() or "unknown CPU"
    if opts.device.startswith("cuda"):
        where = torch.cuda.get_device_name(torch.device(opts.device))
    threads = opts.threads if opts.threads is not None else torch.get_num_threads()
    return f"{where}; torch {torch.__version__}; eager fp32; {threads} intra-op thread(s); device {opts.device}"


def _md_cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    return str(v).replace("|", "\\|")


def df_to_markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_markdown(res: ReproResult, figure_files: Sequence[str] = ()) -> str:
    """The whole reproduction as one Markdown document."""
    out = [f"# {res.title}", "", f"Reproduction `{res.name}` — `cnnbench reproduce {res.name}`.", "",
           f"**Source.** {res.source}", "", f"**Claim.** {res.claim}", ""]
    if res.verdicts:
        out += ["## Verdict", ""] + [f"- {v}" for v in res.verdicts] + [""]
    for s in res.sections:
        out += [f"## {s.title}", "", df_to_markdown(s.df)]
        if s.note:
            out += [s.note, ""]
    for f in figure_files:
        out += [f"![{f}]({f})", ""]
    if res.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in res.notes] + [""]
    if res.env:
        out += [f"Measured on: {res.env}.", ""]
    return "\n".join(out)


def write_outputs(res: ReproResult, out_dir: str | Path) -> list[Path]:
    """Writes ``<name>.md``, ``<name>[_<table>].csv`` and ``<name>_<figure>.png`` atomically; returns the paths."""
    from cnnbench.store import write_atomic

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for i, s in enumerate(res.sections):
        path = out_dir / (f"{res.name}.csv" if i == 0 else f"{res.name}_{s.key}.csv")
        write_atomic(path, s.df.to_csv(index=False))
        written.append(path)
    fig_files = []
    for f in res.figures:
        path = out_dir / f"{res.name}_{f.key}.png"
        _save_figure(f, path)
        written.append(path)
        fig_files.append(path.name)
    md = out_dir / f"{res.name}.md"
    write_atomic(md, to_markdown(res, fig_files))
    written.insert(0, md)
    return written


def _save_figure(f: Figure, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnnbench.report.plots import save_figure

    fig = f.draw()
    try:
        save_figure(fig, path, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
