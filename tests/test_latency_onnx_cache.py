"""The ONNX export cache (``latency/backends/onnx_export.py``): hits across runs for ``file.py:`` models, a damaged
entry exported again once, and ``--onnx-dir`` checked before anything is measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cnnbench
from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.latency.backends import onnx_export

ROOT = Path(__file__).resolve().parent.parent
USER = str(ROOT / "tests" / "data" / "user_models.py")
FAST = ["--runtime", "onnx", "--budget", "0.02", "--min-samples", "2", "--warmup", "0", "--threads", "1"]


def _profile(onnx_dir: Path) -> dict:
    """One ``file.py:`` onnx row in a fresh process (a new module name each time, as for a user)."""
    out = subprocess.run([sys.executable, "-m", "cnnbench", "profile", f"{USER}:TwoConv", "--input-size", "3x8x8",
                          *FAST, "--onnx-dir", str(onnx_dir), "-f", "json"], capture_output=True, text=True,
                         check=False, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)[0]


def test_file_models_hit_the_cache_across_runs_and_a_damaged_entry_is_exported_again(tmp_path):
    first = _profile(tmp_path)
    second = _profile(tmp_path)
    assert not first["details"]["onnx_cached"] and second["details"]["onnx_cached"]
    assert second["details"]["onnx_path"] == first["details"]["onnx_path"]
    assert len(list(tmp_path.iterdir())) == 1  # one entry, not one per run
    path = Path(first["details"]["onnx_path"])
    size = path.stat().st_size
    with path.open("r+b") as f:  # a copy cut short (full disk, killed process)
        f.truncate(100)
    third = _profile(tmp_path)
    assert third["error"] is None and not third["details"]["onnx_cached"]  # exported again, once
    # the graph is whole again (its checksum is the one meta.json records; the size may differ by the few bytes of
    # this process's module name in the graph's metadata)
    assert path.stat().st_size > 100 and abs(path.stat().st_size - size) < 64
    assert onnx_export._intact_meta(path.parent) is not None
    assert _profile(tmp_path)["details"]["onnx_cached"]  # and reused after that


def test_entry_check_by_checksum(tmp_path):
    entry = tmp_path / "e"
    entry.mkdir()
    (entry / "model.onnx").write_bytes(b"graph")
    meta = {"opset": 18, "exporter": "dynamo", "sha256": onnx_export.entry_digests(entry)}
    (entry / "meta.json").write_text(json.dumps(meta))
    assert onnx_export._intact_meta(entry) == meta
    (entry / "model.onnx").write_bytes(b"grapH")  # same size, one byte changed
    assert onnx_export._intact_meta(entry) is None
    (entry / "meta.json").write_text("{")  # meta.json itself cut short
    assert onnx_export._intact_meta(entry) is None


@pytest.mark.parametrize("value, message", [
    ("", "--onnx-dir is empty: name a directory"),
    ("FILE", "is a file, not a directory"),
    ("FILE/sub", "cannot hold the ONNX cache: Not a directory"),
])
def test_a_bad_onnx_dir_is_one_line_exit_2_before_measuring(tmp_path, value, message):
    (tmp_path / "FILE").write_text("not a directory")
    value = value.replace("FILE", str(tmp_path / "FILE"))
    res = CliRunner().invoke(app, ["profile", "resnet18", "--input-size", "32", *FAST, "--onnx-dir", value])
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 2 and len(lines) == 1 and message in lines[0], res.output
    assert "profiling" not in res.output and "resnet18" not in res.output  # nothing measured


def test_a_read_only_onnx_dir_is_refused_up_front(tmp_path, monkeypatch):
    def read_only(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(onnx_export, "_probe_write", read_only)  # root ignores chmod: the probe says what a mount would
    with pytest.raises(CnnbenchError, match=r"^onnx_dir='.*' cannot hold the ONNX cache: Permission denied$"):
        cnnbench.profile("resnet18", input_size=(3, 32, 32), latency=True, runtime="onnx", onnx_dir=str(tmp_path))
    with pytest.raises(CnnbenchError, match=r"^onnx_dir is empty"):
        cnnbench.profile("resnet18", input_size=(3, 32, 32), latency=True, runtime="eager", onnx_dir="")
    assert os.listdir(tmp_path) == []


def test_files_added_beside_an_entry_later_keep_it_intact(tmp_path):
    # onnx-int8 writes its quantised graph into the entry after the export: that is not damage
    entry = tmp_path / "e"
    entry.mkdir()
    (entry / "model.onnx").write_bytes(b"graph")
    meta = {"opset": 18, "exporter": "dynamo", "sha256": onnx_export.entry_digests(entry)}
    (entry / "meta.json").write_text(json.dumps(meta))
    (entry / "model.int8-static.onnx").write_bytes(b"int8 graph")
    assert onnx_export._intact_meta(entry) == meta
    (entry / "model.onnx").unlink()
    assert onnx_export._intact_meta(entry) is None
