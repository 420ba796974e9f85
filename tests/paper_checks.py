"""What every test of a ``models/`` catalogue checks the same way: a spec's counts, traced on the meta device, are
the built model's parameters and agree with the paper's figures within the spec's tolerance."""

from __future__ import annotations

import torch

from cnnbench.analysis import analyze


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def assert_counts_match_paper(spec, build=None):
    """Traces ``spec`` at its input size on meta (``build``: the builder, default ``spec.build``); returns the
    profile after checking its params against the model's own and its counts against ``paper_*``."""
    with torch.device("meta"):
        model = (build or spec.build)()
    prof = analyze(model, (1, *spec.input_size))
    assert prof.params == n_params(model)
    assert not spec.paper_mismatches(prof.params, prof.macs)
    return prof


def assert_spec_documented(spec) -> None:
    """What every spec of our catalogues carries: it resolves to itself, names its paper and year, a published
    count comes with the table it is from, and a tolerance above 5% is explained in its note."""
    from cnnbench.catalog import resolve

    assert resolve(spec.name) is spec
    assert spec.source == "cnnbench" and spec.paper and spec.year
    if spec.paper_params is not None or spec.paper_macs is not None:
        assert spec.paper_table, spec.name
    if spec.paper_tolerance > 0.05:  # a loosened tolerance must be explained
        assert len(spec.note) > 40, spec.name


def cpu_forward(spec, side_max: int = 64, batch: int = 2) -> tuple[torch.nn.Module, torch.Tensor]:
    """``(model, output)`` of a real forward of a fresh ``spec.build()`` (eval, seed 0) on ``batch`` random images,
    the side capped at ``side_max`` (the networks pool adaptively: a small map keeps the CPU forward quick)."""
    torch.manual_seed(0)
    model = spec.build().eval()
    c, h, _ = spec.input_size
    side = min(h, side_max)
    with torch.no_grad():
        return model, model(torch.randn(batch, c, side, side))
