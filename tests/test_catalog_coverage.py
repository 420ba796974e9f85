"""The reading-list coverage, item by item: every paper line / bullet has a row, every name a covered row cites
exists, every other row says why, and the totals add up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnbench.catalog import coverage as cov
from cnnbench.catalog import seed_items
from cnnbench.catalog import seed_items_common as common

# the seeds live in shared/, beside the repository (as on CI)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _seed_text(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed list {path} not present")
    return path.read_text(encoding="utf-8")


def _rows(seed: str) -> list[str]:
    return [item for s, _, item, _, _, _ in cov.ITEMS if s == seed and item not in seed_items.EXTRA_ITEMS.get(seed, ())]


def test_rows_are_well_formed():
    for seed, section, item, names, kind, text in cov.ITEMS:
        assert seed in cov.SEEDS and kind in common.KINDS, item
        assert section and item and item.strip() == item
        assert all(cov.covering_names(names)), item  # no empty name between commas
        if kind == "not":
            assert not names and len(text) >= 15, f"{item}: a 'not a network' row needs a reason a reader accepts"
        if kind == "stand-in":
            assert names and text, f"{item}: a stand-in must say what differs"


@pytest.mark.parametrize("seed", cov.SEEDS)
def test_every_item_and_section_is_quoted_as_written(seed):
    text = _seed_text(seed)
    for s, section, item, _, _, _ in cov.ITEMS:
        if s == seed:
            assert item in text, item
            assert section in text, section


def test_every_paper_line_of_000_has_a_row_in_order():
    # every "- [year] title" line (links to zhihu/github are not items); a heading with no paper line is its own item
    text = _seed_text(common.S000)
    want = []
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading = block.splitlines()[0].strip()
        papers = [re.sub(r"^\[(\[.*?\].*?)\]\(.*\)$", r"\1", m) for m in re.findall(r"^- (.+?)\s*$", block, re.MULTILINE)
                  if not m.startswith(("http", "[如何"))]
        want += papers or [heading]
    assert _rows(common.S000) == want


def test_every_bullet_of_003_has_a_row_in_order():
    text = _seed_text(common.S003)
    want = []
    for t in re.findall(r"^\* (.+?)\s*$", text, re.MULTILINE):
        m = re.match(r"^\[\[(.+?)\]\(.*?\)\]", t) or re.match(r"^\[(.+?)\]\(.*?\)", t) or re.match(r"^\[(.+?)\]$", t)
        want.append(m.group(1) if m else t.replace(" <!-- printed -->", ""))
    assert len(want) == 149  # `grep -c '^\* '` on the seed
    assert _rows(common.S003) == want


def test_every_heading_of_001_has_a_row():
    headings = re.findall(r"^## (.+?)\s*$", _seed_text(common.S001), flags=re.MULTILINE)
    assert headings and set(headings) <= {item for s, _, item, _, _, _ in cov.ITEMS if s == common.S001}


def test_every_name_of_a_covered_or_stand_in_row_exists():
    rows = cov.item_rows()
    for (_, _, item, names, _, _), r in zip(cov.ITEMS, rows, strict=True):
        if r["status"] in ("covered", "stand-in"):
            wanted = cov.covering_names(names)
            assert wanted and all(cov.name_exists(n) for n in wanted), item
            assert r["names"] and all(cov.name_exists(n) for n in cov.covering_names(r["names"])), item


def test_name_exists_checks_each_registry():
    assert cov.name_exists("resnet50") and cov.name_exists("block:se") and cov.name_exists("repro:vgg-3x3-stack")
    assert cov.name_exists("shufflenet_v1_*") and cov.name_exists("block:*bilinear*")
    assert cov.name_exists("zz_nope|resnet50") and not cov.name_exists("zz_nope|block:zz_nope")
    # torchvision:NAME builds offline without registration (DeepLabv3, LR-ASPP, SSDLite rows)
    assert cov.name_exists("torchvision:lraspp_mobilenet_v3_large") and not cov.name_exists("torchvision:zz_nope")
    assert not cov.name_exists("resnet51") and not cov.name_exists("block:resnet50")  # a network is not a block
    assert not cov.name_exists("block:se_nope") and not cov.name_exists("repro:nope") and not cov.name_exists("zz*")


def test_status_is_computed_from_the_registry():
    by_item = {(r["seed"], r["item"]): r for r in cov.item_rows()}
    aff = by_item[(common.S000, "[2020] Attentional Feature Fusion")]
    assert aff["status"] == "covered" and aff["names"] == "block:aff, block:iaff"
    sqnxt = by_item[(common.S000, "[2018] SqueezeNext_ Hardware-Aware Neural Network Design")]
    assert sqnxt["status"] == "stand-in" and "SqNxt-44 is not built" in sqnxt["reason"]
    assert sqnxt["names"] == "sqnxt23_x1_0, sqnxt23_x2_0, sqnxt23v5_x1_0, sqnxt23v5_x2_0"
    lp = by_item[(common.S000, "[2014] Learned-Norm Pooling for Deep Feedforward and Recurrent Neural Networks")]
    assert lp["status"] == "covered" and lp["names"] == "block:lp_pool_learned, block:lp_pool"
    drop = by_item[(common.S003, "DropConnect")]
    assert drop["status"] == "not a network" and drop["names"] == ""
    # a pattern is shown as the names it matches now
    mnv1 = by_item[(common.S001, "MobileNet V1")]
    assert "mobilenet_v1_x1_0" in mnv1["names"].split(", ") and "*" not in mnv1["names"]


def test_no_planned_row_without_a_reason_and_no_bare_not_implemented():
    for r in cov.item_rows():
        assert r["status"] in cov.STATUSES
        if r["status"] != "covered":
            assert r["reason"], r["item"]
        assert "not implemented" not in r["reason"], r["item"]


def test_totals_add_up():
    rows = cov.item_rows()
    t = cov.totals(rows)
    for key, c in t.items():
        assert c["items"] == sum(c[s] for s in cov.STATUSES), key
    assert t["all"]["items"] == len(cov.ITEMS) == sum(t[s]["items"] for s in cov.SEEDS)
    md = cov.render_markdown()
    for seed in (*cov.SEEDS, "all"):
        c = t[seed]
        assert f"| {seed} | {c['items']} | {c['covered']} | {c['stand-in']} | {c['not a network']} | {c['planned']} |" in md
    body = md.split("| seed | section | item | status | covered by | reason / what differs |\n|---|---|---|---|---|---|\n")[1]
    assert len(body.splitlines()) == len(rows)
    assert sum(" | covered | " in line for line in body.splitlines()) == t["all"]["covered"]


def test_a_missing_name_makes_the_row_planned_until_it_is_registered(monkeypatch):
    rows = [
        (common.S000, "s", "a", "resnet50, zz_not_registered", "net", ""),
        (common.S000, "s", "b", "resnet50|zz_not_registered", "stand-in", "differs"),
        (common.S000, "s", "c", "", "net", "no part builds it"),
        (common.S000, "s", "d", "", "not", "a training method"),
    ]
    monkeypatch.setattr(cov, "ITEMS", rows)
    a, b, c, d = cov.item_rows()
    assert a["status"] == "planned" and a["reason"] == f"{cov.PLANNED}: zz_not_registered not registered yet"
    assert b["status"] == "stand-in" and b["names"] == "resnet50" and b["reason"] == "differs"
    assert c["status"] == "planned" and c["reason"] == "no part builds it"
    assert d["status"] == "not a network"
    # 4 items = 0 covered + 1 stand-in + 1 not a network + 2 planned
    assert cov.totals()["all"] == {"items": 4, "covered": 0, "stand-in": 1, "not a network": 1, "planned": 2}


def test_issue_21_goal_covered_or_not_a_network_is_at_least_95_percent():
    # every item the seeds name is a registered row, an honest stand-in, or not a network; the stand-ins and the
    # one planned row (IGCV2: no layout found offline) stay under 5%
    t = cov.totals()["all"]
    assert (t["covered"] + t["not a network"]) / t["items"] >= 0.95, t
    assert t["planned"] <= 1, t
