"""`cnnbench compare`: rows, sort order, ratio columns, interleaved latency, plot, correlations, failures as rows.

Small torchvision models at 64×64 keep this fast; the latency run happens once (module fixture) with a tiny
budget, and several tests read its outputs.
"""

import json
import math
import textwrap

import pytest
from typer.testing import CliRunner

from cnnbench.cli.app import app
from cnnbench.comparison import Correlation, correlations, make_spec, resolve_targets, run_compare, sort_records
from cnnbench.latency import LatencyOptions
from cnnbench.records import STATIC_KEYS
from cnnbench.report import pareto_front

runner = CliRunner()
SMALL = ["squeezenet1_1", "mobilenet_v3_small", "shufflenet_v2_x0_5"]
FAST = ["--input-size", "64", "--threads", "1", "--budget", "0.05", "--min-samples", "3", "--warmup", "0"]


def run(*args):
    return runner.invoke(app, list(args))


def one_line_error(res, code=2):
    assert res.exit_code == code, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    return lines[0]


def md_rows(text):
    """First Markdown table in ``text`` → {model: {header: cell}}."""
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if len(cells) != len(head):
            break  # the next table
        rows[cells[0]] = dict(zip(head, cells))
    return rows


# --- static only ------------------------------------------------------------------------------------------------

def test_json_records_are_profile_records_sorted_by_macs():
    res = run("compare", *SMALL, "--input-size", "64", "--no-latency", "-f", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)  # JSON is a plain list of records: no correlations, no footer
    assert [r["model"] for r in recs] == sorted(SMALL, key=lambda m: next(r["macs"] for r in recs if r["model"] == m))
    assert [r["macs"] for r in recs] == sorted(r["macs"] for r in recs)
    assert all(list(r)[: len(STATIC_KEYS)] == list(STATIC_KEYS) for r in recs)
    # torchvision's published num_params
    assert {r["model"]: r["params"] for r in recs} == {
        "squeezenet1_1": 1_235_496, "mobilenet_v3_small": 2_542_856, "shufflenet_v2_x0_5": 1_366_792}
    prof = json.loads(run("profile", "mobilenet_v3_small", "--input-size", "64", "--no-latency", "-f", "json").stdout)
    assert prof == [r for r in recs if r["model"] == "mobilenet_v3_small"]


def test_sort_by_params_and_ratio_columns_match_the_json():
    args = ["compare", *SMALL, "--input-size", "64", "--no-latency", "--sort", "params", "--relative-to", "squeezenet1_1"]
    recs = json.loads(run(*args, "-f", "json").stdout)
    assert [r["model"] for r in recs] == ["squeezenet1_1", "shufflenet_v2_x0_5", "mobilenet_v3_small"]
    md = run(*args, "-f", "md")
    assert md.exit_code == 0, md.output
    rows = md_rows(md.stdout)
    assert list(rows) == [r["model"] for r in recs]
    ref = next(r for r in recs if r["model"] == "squeezenet1_1")
    for r in recs:
        assert rows[r["model"]]["×params"] == f"{r['params'] / ref['params']:.2f}×"
        assert rows[r["model"]]["×MACs"] == f"{r['macs'] / ref['macs']:.2f}×"
        assert rows[r["model"]]["×mem"] == f"{r['memory_access_bytes'] / ref['memory_access_bytes']:.2f}×"
    # 2_542_856 / 1_235_496 = 2.058
    assert rows["mobilenet_v3_small"]["×params"] == "2.06×"
    table = run(*args)
    assert table.exit_code == 0 and "×params" in table.stdout and "×MACs" in table.stdout
    assert "2.06×" in table.stdout and "sorted by params" in table.stdout
    assert "Which proxy" not in md.stdout and "median ms" not in md.stdout  # no latency, no correlations


def test_family_expands_and_unknown_family_is_one_line_exit_2():
    recs = json.loads(run("compare", "--family", "squeezenet", "shufflenet_v2_x0_5", "--input-size", "64",
                          "--no-latency", "-f", "json").stdout)
    assert {"squeezenet1_0", "squeezenet1_1", "shufflenet_v2_x0_5"} <= {r["model"] for r in recs}
    line = one_line_error(run("compare", "--family", "resnt", "--no-latency"))
    assert "unknown family 'resnt'" in line and "did you mean: resnet" in line


def test_relative_to_must_be_compared():
    line = one_line_error(run("compare", *SMALL[:2], "--no-latency", "--relative-to", "resnet18"))
    assert "--relative-to" in line and "not among the compared models" in line
    one_line_error(run("compare", *SMALL[:2], "--no-latency", "--sort", "latency"))
    one_line_error(run("compare", *SMALL[:2], "--no-latency", "--plot", "x.gif"))


def test_static_plot_without_latency(tmp_path):
    out = tmp_path / "static.svg"
    res = run("compare", *SMALL, "--input-size", "64", "--no-latency", "--plot", str(out))
    assert res.exit_code == 0, res.output
    svg = out.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    # two panels (params vs checkpoint, MACs vs memory access), no latency panels: 2 axes groups
    assert svg.count('id="axes_') == 2


# --- interleaved latency (one run, several checks) --------------------------------------------------------------

BROKEN = """
import torch
from torch import nn


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        raise RuntimeError("boom: this model always fails")
"""


@pytest.fixture(scope="module")
def latency_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    (d / "broken.py").write_text(textwrap.dedent(BROKEN))
    models = [*SMALL, "mnasnet0_5", f"{d / 'broken.py'}:Broken"]
    res = run("compare", *models, *FAST, "--relative-to", "squeezenet1_1", "--plot", str(d / "c.png"),
              "-o", str(d / "c.json"))
    return res, json.loads((d / "c.json").read_text()), d


def test_failing_model_is_a_row_and_exit_1(latency_run):
    res, recs, _ = latency_run
    assert res.exit_code == 1, res.output
    assert len(recs) == 5
    broken = [r for r in recs if r["model"].endswith(":Broken")]
    assert len(broken) == 1 and "boom" in broken[0]["error"]
    assert broken[0] is recs[-1]  # no MACs → sorted last
    good = [r for r in recs if not r["error"]]
    assert len(good) == 4 and all(r["latency_ms"]["samples"] >= 3 for r in good)


def test_latency_rows_are_interleaved_and_footer_says_so(latency_run):
    res, recs, _ = latency_run
    good = [r for r in recs if not r["error"]]
    for r in good:
        assert r["runtime"] == "eager" and r["batch_size"] == 1 and r["threads"] == 1
        assert r["latency_ms"]["median"] > 0 and r["throughput_per_s"] == pytest.approx(1e3 / r["latency_ms"]["median"])
        # the broken row failed in warm-up, so 4 rows took part in the rounds
        assert r["details"]["interleaved"]["rows"] == 4 and r["details"]["interleaved"]["rounds"] >= 3
    assert "latency measured interleaved" in res.stdout and "round-robin over 4 rows" in res.stdout
    assert "×latency" in res.stdout


def test_correlations_printed_with_four_models(latency_run):
    res, _, _ = latency_run
    out = res.stdout
    assert "Which proxy predicts latency?" in out and "n = 4" in out
    for text in ("Spearman ρ", "Pearson r", "params", "MACs", "memory access", "activations",
                 "With 4 models one swap of neighbours moves ρ by 0.20."):
        assert text in out


def test_plot_file_is_a_png(latency_run):
    _, _, d = latency_run
    data = (d / "c.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_ctrl_c_keeps_rows_with_their_samples():
    specs = resolve_targets(["squeezenet1_1", "shufflenet_v2_x0_5"], None)
    lat = LatencyOptions.parse(threads=1, budget=0.05, min_samples=3, warmup=0)
    spec = make_spec(specs, input_size="64", batch_sizes=[1], dtype="fp32", latency=lat)
    seen = []

    def progress(phase, done, total):
        seen.append(phase)
        if phase == "measuring" and done == 2:  # one full round of 2 rows done
            raise KeyboardInterrupt

    result = run_compare(spec, rounds=5, progress=progress)
    assert result.interrupted and result.rounds == 1
    assert seen[0] == "static analysis" and {"preparing", "warm-up", "measuring"} <= set(seen)
    recs = [p.to_dict() for p in result.profiles]
    assert [r["model"] for r in recs] == ["squeezenet1_1", "shufflenet_v2_x0_5"]
    assert all(r["latency_ms"]["samples"] >= 1 and r["details"]["interrupted"] for r in recs)
    assert "INTERRUPTED" in result.footer()


# --- pure functions ---------------------------------------------------------------------------------------------

def test_pareto_front_minimises_both():
    # (3, 8) is dominated by (2, 5); (2, 5) and (1, 10) trade off; (4, 1) is fastest
    assert pareto_front([(1, 10), (2, 5), (3, 8), (4, 1)]) == [0, 1, 3]
    assert pareto_front([(1, 1), (2, 2), (3, 3)]) == [0]


def test_correlations_on_hand_made_records():
    # latency = MACs exactly → Spearman 1; params reversed → -1; activations constant → undefined (nan)
    recs = [{"model": f"m{i}", "device": "cpu", "runtime": "eager", "batch_size": 1, "error": None,
             "macs": m, "params": 10 - m, "memory_access_bytes": m * m, "activations": 7,
             "latency_ms": {"median": float(m)}} for i, m in enumerate([1, 2, 3, 5])]
    (c,) = correlations(recs)
    assert c.n == 4 and c.spearman["MACs"] == pytest.approx(1.0) and c.pearson["MACs"] == pytest.approx(1.0)
    assert c.spearman["params"] == pytest.approx(-1.0) and c.spearman["memory access"] == pytest.approx(1.0)
    assert math.isnan(c.spearman["activations"]) and math.isnan(c.pearson["activations"])
    line = c.interpretation()
    assert line.startswith("MACs and memory access rank latency best here (Spearman ρ = 1.00)")
    # Pearson breaks the tie: latency is linear in MACs, quadratic in memory access here
    assert "best linear fit is MACs (Pearson r = 1.00)" in line and "params worst (ρ = -1.00)" in line
    assert "moves ρ by 0.20" in line  # 12 / (4 × 15)
    assert correlations(recs[:3]) == []  # fewer than 4 models: nothing
    assert isinstance(c, Correlation)
    same = [{**r, "params": r["macs"], "activations": r["macs"] + 1} for r in recs]
    assert correlations(same)[0].interpretation().startswith("All proxies rank latency the same way here (Spearman")
    assert [r["model"] for r in sort_records(recs, "params")] == ["m3", "m2", "m1", "m0"]
