"""`cnnbench history --html DIR`: the static site (index + one page per model) and `history --normalized`.

The database is written through the real Store API: 3 runs of resnet18 and vgg<11> (torch 2.3.0 → 2.4.0 at the third
run; resnet18 with a calibration, so a normalized latency), then one `check` row of resnet18 with a per-module
attribution. The pages are read back as HTML and as the plotly JSON they embed; the browser test opens them in
headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.report import write_site
from cnnbench.store import open_store

runner = CliRunner()
ENV = {"cpu_model": "Test CPU", "logical_cores": 2, "machine": "x86_64", "system": "Linux", "gpu_name": None,
       "torch": "2.3.0", "threads": 1, "python": "3.11.2"}
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
# as cnnbench.check.result writes it (check --db)
ATTRIBUTION = [{"module": "layer4.1.conv2", "ref_ms": 1.0, "now_ms": 1.5, "delta_ms": 0.5, "share": 0.8,
                "low_ms": 0.3, "high_ms": 0.7, "named": True},
               {"module": "fc", "ref_ms": 0.2, "now_ms": 0.3, "delta_ms": 0.1, "share": 0.2, "low_ms": -0.1,
                "high_ms": 0.3, "named": False}]


def record(model: str, median: float, **extra) -> dict:
    return {"model": model, "input_shape": [1, 3, 8, 8], "dtype": "fp32", "device": "cpu", "runtime": "eager",
            "batch_size": 1, "threads": 1, "params": 116, "macs": 1000, "flops": 2000, "error": None,
            "latency_ms": {"median": median, "iqr": 0.4, "p90": median + 1}, **extra}


@pytest.fixture()
def db(tmp_path) -> Path:
    path = tmp_path / "h.db"
    with open_store(path) as s:
        for i in range(3):
            env = {**ENV, "torch": "2.3.0" if i < 2 else "2.4.0"}
            s.save_run([record("resnet18", 10.0 + i, calibration_ms=5.0, latency_normalized=(10.0 + i) / 5),
                        record("vgg<11>", 20.0 - i)], env=env, time=T0 + dt.timedelta(days=i),
                       git=(f"{i}" * 40, i == 2))
        s.save_run([record("resnet18", 13.0, check_status="regression", check_mode="baseline",
                           check_reference="HEAD", check_ratio=1.08, check_low=1.03, check_high=1.12,
                           check_attribution=ATTRIBUTION)],
                   env={**ENV, "torch": "2.4.0"}, time=T0 + dt.timedelta(days=3), git=("d" * 40, False))
    return path


def figures(page: Path) -> dict[str, dict]:
    """The plotly figures a page embeds (``<script type="application/json" data-figure=ID>``), by div id."""
    blocks = re.finditer(r'<script type="application/json" data-figure="(\w+)">(.*?)</script>', page.read_text(),
                         re.DOTALL)
    return {m.group(1): json.loads(m.group(2)) for m in blocks}


def model_page(site: Path, fragment: str) -> Path:
    (page,) = [p for p in site.glob("model-*.html") if fragment in p.name]
    return page


def test_site_pages_points_env_change_and_checks(db, tmp_path):
    import plotly.graph_objects as go

    site = tmp_path / "site"
    res = runner.invoke(app, ["history", "--db", str(db), "--html", str(site)])
    assert res.exit_code == 0, res.output
    assert f"wrote {site / 'index.html'} (3 pages)" in res.stderr  # index + 2 models
    assert "resnet18" in res.stdout and "median latency (ms)" in res.stdout  # the table is still printed
    # model-<name made safe>-<sha1 of the name, 8 digits>.html
    assert sorted(p.name for p in site.iterdir()) == [
        "index.html", "model-resnet18-78ef8f09.html", "model-vgg_11-af457f10.html", "plotly.min.js"]
    index = (site / "index.html").read_text()
    assert "resnet18" in index and "vgg&lt;11&gt;" in index and "vgg<11>" not in index  # escaped
    assert '<a href="model-vgg_11-af457f10.html">' in index and index.count('<svg class="spark"') >= 2

    resnet = model_page(site, "resnet18")
    figs = figures(resnet)
    assert set(figs) == {"latency", "normalized", "static"}
    for fig in figs.values():
        go.Figure(fig)  # plotly validates every trace and layout property (raises on a wrong one)
    band, line = figs["latency"]["data"]
    # one point per run: 3 profile runs + the check run
    assert line["y"] == [10.0, 11.0, 12.0, 13.0] and len(line["x"]) == 4
    assert band["y"][:4] == [10.2, 11.2, 12.2, 13.2]  # median + IQR/2 = 10 + 0.4 / 2, there and back: 8 values
    assert len(band["x"]) == 8 and band["fill"] == "toself"
    assert line["customdata"][2][0] == "2222222222*"  # the third run's commit, dirty
    assert "torch 2.4.0" in line["customdata"][2][2]
    (norm,) = figs["normalized"]["data"]
    assert norm["y"] == pytest.approx([2.0, 2.2, 2.4])  # 10/5, 11/5, 12/5; the check row has none
    # the environment change (torch, at the third run) is a dotted line on the axis with its label
    (shape,) = figs["latency"]["layout"]["shapes"]
    assert shape["x0"] == line["x"][2] == "2024-05-03 12:00:00.000000"
    assert figs["latency"]["layout"]["annotations"][0]["text"] == "torch 2.3.0→2.4.0"
    static = figs["static"]["data"]
    assert [t["yaxis"] for t in static] == ["y", "y2", "y3"]  # params, macs, flops: one panel each
    assert static[0]["y"] == pytest.approx([116e-6] * 4)  # params (M)

    html = resnet.read_text()
    assert 'class="regression">regression<' in html and "1.080× [1.030, 1.120]" in html
    (attr,) = re.findall(r"<table class=attr>(.*?)</table>", html)  # the check's attribution rows
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", attr)[1:]]
    assert cells == [["layer4.1.conv2", "1", "1.5", "+0.5", "80%", "[0.3, 0.7]", "yes"],
                     ["fc", "0.2", "0.3", "+0.1", "20%", "[-0.1, 0.3]", ""]]
    assert "<li>2024-05-03 12:00 · 2222222222*: torch 2.3.0→2.4.0</li>" in html
    for page in site.glob("*.html"):
        srcs = re.findall(r'<script[^>]*\bsrc="([^"]*)"', page.read_text())
        assert srcs == ["plotly.min.js"], (page.name, srcs)  # local, relative: nothing from the network
        assert "http://" not in page.read_text() and "https://" not in page.read_text()
    vgg = figures(model_page(site, "vgg"))
    assert "normalized" not in vgg and vgg["latency"]["data"][1]["y"] == [20.0, 19.0, 18.0]


def test_one_point_per_run_is_the_median_of_its_rows(tmp_path):
    with open_store(tmp_path / "h.db") as s:
        s.save_run([record("m", 10.0), record("m", 30.0), record("m", 11.0)], env=ENV, time=T0)
        s.save_run([record("m", 12.0)], env=ENV, time=T0 + dt.timedelta(hours=1))
        rows = s.results()
    pages = write_site(rows, tmp_path / "site", db="h.db")
    assert [p.name for p in pages] == ["index.html", f"model-m-{hashlib.sha1(b'm').hexdigest()[:8]}.html"]
    (_, line) = figures(pages[1])["latency"]["data"]
    assert line["y"] == [11.0, 12.0]  # median(10, 30, 11) = 11, then 12


def test_html_with_model_filter_and_since(db, tmp_path):
    site = tmp_path / "site"
    res = runner.invoke(app, ["history", "resnet18", "--since", "2024-05-02", "--db", str(db), "--html", str(site)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in site.glob("*.html")) == ["index.html", "model-resnet18-78ef8f09.html"]
    index = (site / "index.html").read_text()
    assert "vgg" not in index and "(resnet18 since 2024-05-02)" in index
    (_, line) = figures(model_page(site, "resnet18"))["latency"]["data"]
    assert line["y"] == [11.0, 12.0, 13.0]  # runs 2, 3 and the check run


def test_empty_database_writes_an_index_that_says_so(tmp_path):
    db = tmp_path / "empty.db"
    open_store(db).close()
    site = tmp_path / "site"
    res = runner.invoke(app, ["history", "--db", str(db), "--html", str(site)])
    assert res.exit_code == 0, res.output
    assert "no results recorded" in res.stderr and f"wrote {site / 'index.html'} (1 page)" in res.stderr
    assert [p.name for p in site.iterdir()] == ["index.html"]
    assert "Nothing recorded in" in (site / "index.html").read_text()


@pytest.mark.parametrize("bad, says", [
    ("{f}", "is not a directory"),  # a file where a directory is expected
    ("{f}/site", "is not a writable directory"),  # under a regular file
    ("", "is empty"),
])
def test_bad_html_path_is_refused_before_the_database_is_read(tmp_path, bad, says):
    f = tmp_path / "afile"
    f.write_text("")
    # the database does not exist: were it read first, the error would be "no results database"
    res = runner.invoke(app, ["history", "--db", str(tmp_path / "none.db"), "--html", bad.format(f=f)])
    assert res.exit_code == 2, res.output
    assert "--html" in res.stderr and says in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory: nothing to refuse")
def test_html_into_a_read_only_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    res = runner.invoke(app, ["history", "--db", str(tmp_path / "none.db"), "--html", str(ro / "site")])
    assert res.exit_code == 2 and "is not a writable directory" in res.stderr


def test_normalized_is_the_latency_normalized_metric(db):
    res = runner.invoke(app, ["history", "--db", str(db), "--normalized", "-f", "json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    assert [(r["model"], r["metric"]) for r in recs] == [("resnet18", "latency_normalized")] * 3
    assert [r["value"] for r in recs] == pytest.approx([2.0, 2.2, 2.4])  # (10, 11, 12) ms ÷ 5 ms
    assert recs[1]["change"] == pytest.approx(0.1)  # 2.2 / 2.0 - 1
    same = runner.invoke(app, ["history", "--db", str(db), "--metric", "latency-normalized", "-f", "json"])
    assert json.loads(same.stdout) == recs
    both = runner.invoke(app, ["history", "--db", str(db), "--normalized", "--metric", "latency_normalized"])
    assert both.exit_code == 0, both.output


def test_normalized_with_another_metric_is_refused(tmp_path):
    res = runner.invoke(app, ["history", "--db", str(tmp_path / "none.db"), "--normalized", "--metric", "p90"])
    assert res.exit_code == 2
    assert "--normalized" in res.stderr and "p90" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def _chromium(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed: apt-get install -y chromium")
    # --virtual-time-budget: the page's scripts run to completion before the DOM is dumped
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                           *args], check=True, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_pages_render_in_a_real_browser(db, tmp_path):
    from PIL import Image, ImageStat

    site = tmp_path / "site"
    assert runner.invoke(app, ["history", "--db", str(db), "--html", str(site)]).exit_code == 0
    for page, plots in ((site / "index.html", 1), (model_page(site, "resnet18"), 3), (model_page(site, "vgg"), 2)):
        dom = _chromium("--dump-dom", page.as_uri()).stdout
        assert dom.count('class="main-svg"') >= plots, page.name  # plotly drew its SVG (2+ layers per plot)
        assert f'data-plotted="{plots}"' in dom and "data-errors" not in dom, page.name  # no script error
        assert "vgg&lt;11&gt;" in dom or page.name.startswith("model-resnet18")
        assert "resnet18" in dom or page.name.startswith("model-vgg")
    shot = tmp_path / "shot.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,900", model_page(site, "resnet18").as_uri())
    with Image.open(shot) as img:
        assert img.size == (1200, 900)
        stat = ImageStat.Stat(img.convert("L"))
        assert stat.stddev[0] > 10  # not blank: text, axes and the plotted line (a blank page is 0)
