"""Committed generated files must match what the code generates now."""

from pathlib import Path

from typer.testing import CliRunner

from cnnbench.catalog.coverage import render_markdown
from cnnbench.cli.app import app

ROOT = Path(__file__).resolve().parents[1]


def test_results_coverage_md_is_current():
    # regenerate with: cnnbench list --coverage -f md > results/coverage.md
    assert (ROOT / "results" / "coverage.md").read_text() == render_markdown()


def test_list_coverage_cli_matches():
    res = CliRunner().invoke(app, ["list", "--coverage", "-f", "json"])
    assert res.exit_code == 0
    import json

    rows = json.loads(res.stdout)
    assert len(rows) >= 200 and all(r["status"] in ("covered", "not covered") for r in rows)
    assert all(r["reason"] for r in rows if r["status"] == "not covered")  # nothing silently missing
