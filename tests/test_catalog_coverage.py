"""The reading-list coverage table: every seed heading is listed, and every name it cites resolves.

Names owned by ``cnnbench.catalog.timm_models`` must resolve. Names other catalogues own (``models/``, blocks,
torchvision) are skipped with a message while those catalogues do not register them yet, so
``pytest -ra`` lists exactly which names still need reconciling.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnbench.catalog import coverage, list_specs, resolve, timm_models
from cnnbench.errors import CnnbenchError

# the seeds live in shared/, beside the repository (as on CI)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
TIMM_NAMES = {s.name for s in timm_models.SPECS}
CITED = sorted({n for _, _, c, _ in coverage.COVERAGE for n in coverage.covering_names(c)})


def _seed_text(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed list {path} not present")
    return path.read_text(encoding="utf-8")


def test_rows_are_unique_and_well_formed():
    keys = [(seed, heading) for seed, heading, _, _ in coverage.COVERAGE]
    assert len(keys) == len(set(keys))
    for seed, heading, covered_by, reason in coverage.COVERAGE:
        assert seed in (coverage.S000, coverage.S001, coverage.S003)
        assert heading.strip() == heading and heading
        if covered_by is None:
            assert reason, f"{heading}: a row that is not covered must say why"
        else:
            assert all(coverage.covering_names(covered_by)), heading


@pytest.mark.parametrize("seed", [coverage.S000, coverage.S001, coverage.S003])
def test_every_heading_is_quoted_as_written(seed):
    text = _seed_text(seed)
    for s, heading, _, _ in coverage.COVERAGE:
        if s == seed:
            assert heading in text, heading


@pytest.mark.parametrize("seed", [coverage.S000, coverage.S001])
def test_every_section_heading_of_the_short_lists_has_a_row(seed):
    headings = re.findall(r"^## (.+?)\s*$", _seed_text(seed), flags=re.MULTILINE)
    listed = {h for s, h, _, _ in coverage.COVERAGE if s == seed}
    assert headings and set(headings) <= listed, set(headings) - listed


def test_cited_timm_names_belong_to_the_timm_catalogue():
    # a cited name that timm_models registers must be spelled as registered (aliases would hide typos)
    for name in CITED:
        if name in TIMM_NAMES:
            assert resolve(name).source == "timm"


@pytest.mark.parametrize("name", CITED)
def test_cited_name_resolves(name):
    if name in TIMM_NAMES:
        assert resolve(name).name == name
        return
    if "*" in name:
        if not list_specs(pattern=name, kind=None):
            pytest.skip(f"{name}: no registered name matches yet (models/ catalogue)")
        return
    try:
        resolve(name)
    except CnnbenchError:
        import torchvision

        owner = "torchvision_models" if name in torchvision.models.list_models() else "models/ or blocks catalogue"
        pytest.skip(f"{name}: not registered yet ({owner})")


def test_rows_and_status():
    rows = coverage.coverage_rows()
    assert len(rows) == len(coverage.COVERAGE)
    by_heading = {(r["seed"], r["heading"]): r for r in rows}
    gunn = by_heading[(coverage.S000, "[2017] GUNN")]
    assert gunn["status"] == "not covered" and gunn["covered_by"] == "" and gunn["reason"]
    nas = by_heading[(coverage.S000, "[2018 CVPR] NASNet")]
    assert nas["status"] == "covered" and nas["covered_by"] == "nasnet_a_large"


def test_render_markdown_totals_add_up():
    md = coverage.render_markdown()
    rows = coverage.coverage_rows()
    lines = md.splitlines()
    start = lines.index("| seed | heading | covered by | status | reason |") + 2  # skip the |---| line
    body = lines[start:]
    assert len(body) == len(rows)
    assert sum(" | covered | " in line for line in body) == sum(r["status"] == "covered" for r in rows)
    for seed in (coverage.S000, coverage.S001, coverage.S003):
        mine = [r for r in rows if r["seed"] == seed]
        n_cov = sum(r["status"] == "covered" for r in mine)
        assert f"| {seed} | {len(mine)} | {n_cov} | {len(mine) - n_cov} |" in md
