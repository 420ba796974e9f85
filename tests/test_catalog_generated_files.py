"""Committed generated files must match what the code generates now."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cnnbench.catalog.coverage import ITEMS, STATUSES, render_markdown
from cnnbench.cli.app import app

ROOT = Path(__file__).resolve().parents[1]


def test_results_coverage_md_is_current():
    # regenerate with: cnnbench list --coverage -f md > results/coverage.md
    assert (ROOT / "results" / "coverage.md").read_text() == render_markdown()


def test_list_coverage_cli_matches():
    res = CliRunner().invoke(app, ["list", "--coverage", "-f", "json"])
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert len(rows) == len(ITEMS) and all(r["status"] in STATUSES for r in rows)
    assert all(r["reason"] for r in rows if r["status"] != "covered")  # nothing silently missing
