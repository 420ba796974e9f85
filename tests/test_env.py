"""Environment record and machine fingerprint."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess

import pytest
import torch

from cnnbench.env import FINGERPRINT_FIELDS, collect_env, fingerprint, git_state
from cnnbench.errors import CnnbenchError

KEYS = {
    "cpu_model", "logical_cores", "physical_cores", "machine", "system", "os", "python", "torch", "torchvision",
    "timm", "onnxruntime", "onnx", "numpy", "cnnbench", "torch_cuda_build", "threads", "device", "cuda", "cudnn",
    "gpu_name", "gpu_memory_bytes", "gpu_capability", "git_commit", "git_dirty",
}
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def test_collect_env_cpu(tmp_path):
    env = collect_env(repo_dir=tmp_path)
    assert set(env) == KEYS
    assert env["logical_cores"] == os.cpu_count()
    assert env["torch"] == torch.__version__ and env["torch_cuda_build"] == torch.version.cuda
    assert env["python"] == platform.python_version()
    assert env["threads"] == torch.get_num_threads()
    assert env["device"] is None and env["gpu_name"] is None and env["cuda"] is None
    assert env["onnxruntime"] and env["torchvision"] and env["timm"]
    assert env["git_commit"] is None and env["git_dirty"] is None  # tmp_path is not a repository
    json.dumps(env)


def test_threads_and_device_recorded(tmp_path):
    env = collect_env("cpu", threads=3, repo_dir=tmp_path)
    assert env["threads"] == 3 and env["device"] == "cpu"


def test_cpu_model_on_linux():
    if not os.path.exists("/proc/cpuinfo"):
        pytest.skip("no /proc/cpuinfo")
    with open("/proc/cpuinfo") as f:
        names = {line.split(":", 1)[1].strip() for line in f if line.startswith("model name")}
    if names:
        assert collect_env()["cpu_model"] in names


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the no-CUDA error path")
def test_cuda_env_without_cuda_is_a_usage_error():
    with pytest.raises(CnnbenchError, match="CUDA is not available"):
        collect_env("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_env_names_the_gpu():
    env = collect_env("cuda:0")
    assert env["gpu_name"] == torch.cuda.get_device_name(0) and env["cuda"] == torch.version.cuda
    assert env["gpu_memory_bytes"] > 0


@needs_git
def test_git_commit_and_dirty_flag(tmp_path):
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=tmp_path,
                              check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "a.txt").write_text("1")
    git("add", "a.txt")
    git("commit", "-q", "-m", "one")
    head = git("rev-parse", "HEAD")
    assert git_state(tmp_path) == (head, False)
    (tmp_path / "untracked.txt").write_text("x")
    assert git_state(tmp_path) == (head, False)  # untracked files do not make the tree dirty
    (tmp_path / "a.txt").write_text("2")
    assert git_state(tmp_path) == (head, True)
    env = collect_env(repo_dir=tmp_path)
    assert env["git_commit"] == head and len(head) == 40 and env["git_dirty"] is True


def test_fingerprint_is_machine_identity_only(tmp_path):
    env = collect_env(repo_dir=tmp_path)
    fp = fingerprint(env)
    assert len(fp) == 12 and int(fp, 16) >= 0
    assert fingerprint(collect_env(repo_dir=tmp_path)) == fp  # stable across calls
    # same machine: commit, threads and library versions do not change it
    assert fingerprint({**env, "git_commit": "f" * 40, "git_dirty": True, "threads": 64, "torch": "9.9"}) == fp
    # another machine does
    for field in FINGERPRINT_FIELDS:
        assert fingerprint({**env, field: "something else"}) != fp
