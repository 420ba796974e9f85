"""``zoo-proxies``: the latency zoo study reads a committed table and recomputes its statistics; nothing is timed.

The fixture ``tests/data/zoo-latency-mini.csv`` is a real sweep of 10 small timm models (eager and ONNX Runtime,
batch 1, one thread, 0.5 s budget, on this project's 2-core CI machine class); ``zoo-roofline.json`` the roofline
``cnnbench roofline --threads 1`` measured there. The numbers below are recomputed from the table, by hand or with
scipy, independently of the study's code.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import pearsonr, spearmanr
from typer.testing import CliRunner

from cnnbench.errors import CnnbenchError
from cnnbench.reproduce import RunOptions, zoo_proxies
from cnnbench.reproduce.zoo_proxies import fit, load, roofline_ms

DATA = Path(__file__).parent / "data"


@pytest.fixture
def table(tmp_path):
    shutil.copy(DATA / "zoo-latency-mini.csv", tmp_path / "timm-latency.csv")
    shutil.copy(DATA / "zoo-roofline.json", tmp_path / "roofline.json")
    return tmp_path / "timm-latency.csv"


def test_one_parameter_fit_by_hand():
    # latency = 2 × proxy exactly: c = 2, no error
    c, err = fit(pd.Series([1.0, 2.0, 4.0]), pd.Series([2.0, 4.0, 8.0]))
    assert c == pytest.approx(2.0) and err == pytest.approx(0.0)
    # log ratios 0, ln 2, ln 4 → median ln 2 → c = 2; |2−1|/1 = 1, |2−2|/2 = 0, |2−4|/4 = 0.5 → median 50%
    c, err = fit(pd.Series([1.0, 1.0, 1.0]), pd.Series([1.0, 2.0, 4.0]))
    assert c == pytest.approx(2.0) and err == pytest.approx(50.0)


def test_roofline_bound_by_hand():
    # 2 GFLOP at 100 GFLOP/s = 20 ms; 1 GB at 10 GB/s = 100 ms → memory-bound: 100 ms
    df = pd.DataFrame({"flops": [2e9], "memory_access_bytes": [1e9]})
    assert roofline_ms(df, {"peak_gflops": 100, "bandwidth_gbps": 10}).iloc[0] == pytest.approx(100.0)


def test_study_recomputes_the_table(table):
    res = zoo_proxies.run(RunOptions(latency=False, table=str(table)))
    stats = res.sections[0].df.set_index(["runtime", "proxy"])
    raw = pd.read_csv(table)
    rl = json.loads((table.parent / "roofline.json").read_text())
    for runtime in ("eager", "onnx"):
        sub = raw[raw["runtime"] == runtime]
        lat = sub["latency_ms_median"]
        for col, label in (("macs", "MACs"), ("activations", "activations"), ("op_count", "op count")):
            row = stats.loc[(runtime, label)]
            assert row["n"] == 10
            assert row["spearman ρ"] == pytest.approx(spearmanr(sub[col], lat)[0], abs=5e-4)
            assert row["pearson r (log-log)"] == pytest.approx(pearsonr(sub[col].map(math.log), lat.map(math.log))[0],
                                                               abs=5e-4)
            c = math.exp((lat.map(math.log) - sub[col].map(math.log)).median())
            assert row["median |err| %"] == pytest.approx(((c * sub[col] - lat).abs() / lat).median() * 100, abs=0.05)
        # the roofline bound: max(FLOPs / peak, bytes / bandwidth), from the roofline beside the table
        bound = pd.concat([sub["flops"] / (rl["peak_gflops"] * 1e9),
                           sub["memory_access_bytes"] / (rl["bandwidth_gbps"] * 1e9)], axis=1).max(axis=1) * 1e3
        assert stats.loc[(runtime, "roofline bound"), "spearman ρ"] == pytest.approx(spearmanr(bound, lat)[0], abs=5e-4)
    assert len(res.verdicts) >= 3 and any("ONNX Runtime vs eager" in v for v in res.verdicts)
    assert {f.key for f in res.figures} == {f"latency_vs_{c}" for c in zoo_proxies.PROXIES}


def test_the_roofline_file_as_cnnbench_roofline_writes_it(table):
    # `cnnbench roofline -f json -o roofline.json` writes a list of one record: the study reads either form
    path = table.parent / "roofline.json"
    rl = json.loads(path.read_text())
    path.write_text(json.dumps([rl]))
    res = zoo_proxies.run(RunOptions(latency=False, table=str(table)))
    assert "roofline bound" in set(res.sections[0].df["proxy"])
    assert any(f"peak {rl['peak_gflops']:.1f} GFLOP/s" in n for n in res.notes)


@pytest.mark.parametrize("text", ["{not json", '{"peak_gflops": 100}', '[{"peak_gflops": 0, "bandwidth_gbps": 10}]',
                                  '"a string"'])
def test_a_damaged_roofline_is_one_line_naming_the_file(table, text):
    path = table.parent / "roofline.json"
    path.write_text(text)
    with pytest.raises(CnnbenchError, match=r"roofline\.json .*cnnbench roofline --threads 1 -f json") as e:
        zoo_proxies.run(RunOptions(latency=False, table=str(table)))
    assert "\n" not in str(e.value)


def test_without_a_roofline_the_bound_is_left_out(table):
    (table.parent / "roofline.json").unlink()
    res = zoo_proxies.run(RunOptions(latency=False, table=str(table)))
    assert "roofline bound" not in set(res.sections[0].df["proxy"])
    assert any("roofline bound is left out" in n for n in res.notes)


def test_failed_rows_are_counted_and_left_out(table):
    df = pd.read_csv(table)
    df["error"] = df["error"].astype(object)
    df.loc[0, "error"] = "RuntimeError: boom"
    df.loc[0, "latency_ms_median"] = float("nan")
    df.to_csv(table, index=False)
    res = zoo_proxies.run(RunOptions(latency=False, table=str(table)))
    assert "1 row(s) without a latency" in res.notes[0]
    stats = res.sections[0].df.set_index(["runtime", "proxy"])
    assert stats.loc[(df.loc[0, "runtime"], "MACs"), "n"] == 9


def test_bad_tables_are_one_line_errors(tmp_path):
    with pytest.raises(CnnbenchError, match="does not exist here"):
        load(tmp_path / "nope.csv")
    (tmp_path / "t.csv").write_text("model,runtime\nx,eager\n")
    with pytest.raises(CnnbenchError, match="lacks the column"):
        load(tmp_path / "t.csv")


def test_cli_missing_table_exit_2(tmp_path):
    from cnnbench.cli.app import app

    r = CliRunner().invoke(app, ["reproduce", "zoo-proxies", "--table", str(tmp_path / "none.csv"),
                                 "-o", str(tmp_path / "out")])
    assert r.exit_code == 2 and "does not exist here" in r.output and "Traceback" not in r.output


def test_a_timm_models_family_is_the_timm_module_that_defines_it():
    # the registry's name prefix splits one architecture by port or version (tf_, ghostnetv); timm's module does not
    modules = zoo_proxies.timm_modules()
    df = pd.DataFrame({"model": ["timm:tf_efficientnet_b0", "timm:mobilenetv2_100", "timm:ghostnetv2_100",
                                 "timm:ghostnet_100", "timm:test_vit", "timm:resnet18", "resnet18", "mine.py:Net"],
                       "family": ["tf", "mobilenetv", "ghostnetv", "ghostnet", "test", "resnet", "resnet", "custom"]})
    assert list(zoo_proxies.families(df, modules)) == [
        "efficientnet", "efficientnet", "ghostnet", "ghostnet", "vision_transformer", "resnet", "resnet", "custom"]


def test_per_family_stats_group_by_timm_module(table):
    df = pd.read_csv(table)
    res = zoo_proxies.run(RunOptions(latency=False, table=str(table)))
    assert "families below are timm's modules" in res.notes[0]
    misses = next(s.df for s in res.sections if s.key == "macs_misses")
    modules = zoo_proxies.timm_modules()
    expected = {modules[m.removeprefix("timm:")] for m in df["model"]}
    assert set(misses["family"]) <= expected and "vision_transformer" in set(misses["family"])
