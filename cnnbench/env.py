"""The environment recorded with every latency result, and its machine fingerprint.

:func:`collect_env` returns a flat, JSON-ready dict with a fixed set of keys (``None`` where unknown or not
applicable): CPU model, core counts, OS, Python, library versions, the torch build's CUDA version, and — only when a
CUDA device is used — the CUDA/cuDNN versions and GPU name, plus the git commit of the working tree. Every probe
fails soft: a missing library or a missing ``git`` gives ``None``, never an exception.

:func:`fingerprint` hashes only the *machine identity* fields (:data:`FINGERPRINT_FIELDS`: CPU model, logical
cores, architecture, OS name, GPU name). Library versions, thread counts and the git commit are deliberately
excluded: they are what a regression check wants to compare *on the same machine* (did upgrading torch slow the
model down?), not what makes it a different machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

#: Fields identifying the machine, hashed by :func:`fingerprint`.
FINGERPRINT_FIELDS = ("cpu_model", "logical_cores", "machine", "system", "gpu_name")
_VERSIONED = ("torch", "torchvision", "timm", "onnxruntime", "onnx", "numpy", "cnnbench")


def cpu_model() -> str | None:
    """The CPU's marketing name ("AMD EPYC 7B13"), from /proc/cpuinfo, sysctl or platform; None if unknown."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                # x86 says "model name"; some ARM kernels only give "Hardware"/"Model"
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        out = _run(["sysctl", "-n", "machdep.cpu.brand_string"])
        if out:
            return out
    return platform.processor() or None


def _run(cmd: list[str], cwd: str | Path | None = None) -> str | None:
    try:
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def git_state(path: str | Path | None = None) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the git working tree containing ``path`` (default: the current directory).

    ``dirty`` means tracked files differ from the commit (untracked files are ignored). ``(None, None)`` outside
    a repository or without git.
    """
    cwd = Path(path) if path is not None else Path.cwd()
    commit = _run(["git", "rev-parse", "--verify", "HEAD"], cwd=cwd)
    if not commit:
        return None, None
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd)
    return commit, (bool(status) if status is not None else None)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def collect_env(device: str | None = None, threads: int | None = None, *,
                repo_dir: str | Path | None = None) -> dict[str, Any]:
    """Describes the machine and software a measurement ran on.

    Args:
        device: ``"cpu" | "cuda" | "cuda:N"``; for a CUDA device, CUDA/cuDNN versions and the GPU are recorded.
        threads: Intra-op threads used; default ``torch.get_num_threads()``.
        repo_dir: Where to look for the git working tree (default: the current directory).

    Returns:
        A flat dict with the keys: cpu_model, logical_cores, physical_cores, machine, system, os, python,
        torch, torchvision, timm, onnxruntime, onnx, numpy, cnnbench, torch_cuda_build, threads, device, cuda,
        cudnn, gpu_name, gpu_memory_bytes, gpu_capability, git_commit, git_dirty.

    Raises:
        CnnbenchError: ``device`` is invalid or unavailable (see :func:`cnnbench.latency.devices.resolve_device`).
    """
    import torch

    from cnnbench.latency.devices import resolve_device

    dev = resolve_device(device) if device is not None else None
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except ImportError:
        physical = None
    env: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": physical,
        "machine": platform.machine() or None,
        "system": platform.system() or None,
        "os": platform.platform(),
        "python": platform.python_version(),
        **{name: _version(name) for name in _VERSIONED},
        "torch_cuda_build": torch.version.cuda,
        "threads": threads if threads is not None else torch.get_num_threads(),
        "device": str(dev) if dev is not None else None,
        "cuda": None,
        "cudnn": None,
        "gpu_name": None,
        "gpu_memory_bytes": None,
        "gpu_capability": None,
    }
    env["torch"] = torch.__version__  # the metadata version can lack the local "+cu121" tag on some installs
    if dev is not None and dev.type == "cuda":
        props = torch.cuda.get_device_properties(dev)
        env.update(
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            gpu_name=props.name,
            gpu_memory_bytes=int(props.total_memory),
            gpu_capability=f"{props.major}.{props.minor}",
        )
    env["git_commit"], env["git_dirty"] = git_state(repo_dir)
    return env


def fingerprint(env: dict[str, Any]) -> str:
    """A 12-hex-digit hash of the machine-identity fields of ``env`` (see :data:`FINGERPRINT_FIELDS`)."""
    ident = {k: env.get(k) for k in FINGERPRINT_FIELDS}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:12]


def cache_dir(kind: str) -> Path:
    """Where cnnbench caches ``kind`` ("onnx", "roofline"): ``$CNNBENCH_CACHE/<kind>`` if set, else
    ``$XDG_CACHE_HOME/cnnbench/<kind>`` or ``~/.cache/cnnbench/<kind>``."""
    root = os.environ.get("CNNBENCH_CACHE")
    if root:
        return Path(root).expanduser() / kind
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "cnnbench" / kind


@contextlib.contextmanager
def quiet_kineto() -> Iterator[None]:
    """Around a ``torch.profiler`` run: Kineto (its backend) logs its stages and, on a machine without a GPU,
    "ERROR: gpuGetDeviceCount failed" to stderr when it first starts; ``KINETO_LOG_LEVEL`` (read once, at that start)
    silences it unless the user set it. The variable is restored afterwards."""
    had = "KINETO_LOG_LEVEL" in os.environ
    if not had:
        os.environ["KINETO_LOG_LEVEL"] = "99"
    try:
        yield
    finally:
        if not had:
            os.environ.pop("KINETO_LOG_LEVEL", None)
