"""cnnbench sweep on Ray: a real local cluster (2 CPUs), no mock.

The same static sweep gives the same rows on both executors; timed tasks never overlap on a node.
"""

from __future__ import annotations

import os
import textwrap

import pytest

ray = pytest.importorskip("ray")

import itertools

from cnnbench.latency import LatencyOptions
from cnnbench.sweep import (
    LocalPool,
    RayExecutor,
    cluster_fingerprints,
    file_records,
    plan_sweep,
    run_plan,
    this_fingerprint,
)

MODEL = textwrap.dedent('''
    import torch.nn as nn

    class TinyConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return self.conv(x).mean((2, 3))
''')


@pytest.fixture(scope="module")
def cluster():
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 << 20)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ray") / "tiny.py"
    path.write_text(MODEL)
    return str(path)


def test_static_sweep_gives_identical_rows_on_local_and_ray(cluster, model_file):
    names = [f"{model_file}:TinyConv", "timm:resnet18", "torchvision:mobilenet_v3_small"]
    local = run_plan(plan_sweep(names), LocalPool(2, timeout=120))
    remote = run_plan(plan_sweep(names), RayExecutor(timeout=120))
    key = {r["model"]: r for r in file_records(local.records)}
    got = {r["model"]: r for r in file_records(remote.records)}
    assert set(got) == set(names) and not local.failed and not remote.failed
    assert got == key
    # Conv2d(3, 4, 1): 3*4 + 4 = 16 params; 3*4 MACs per pixel * 224*224 = 602,112 MACs
    tiny = got[f"{model_file}:TinyConv"]
    assert (tiny["params"], tiny["macs"]) == (16, 602_112)
    assert got["timm:resnet18"]["params"] == 11_689_512  # timm's resnet18, as torchvision's weights say
    assert all(r["node"] and isinstance(r["env"], dict) for r in remote.records)  # the node that measured it
    node = ray.get_runtime_context().get_node_id()  # one local node: every row names it
    assert {r["node_id"] for r in remote.records} == {node}
    assert {r["node_id"] for r in local.records} == {"local"}


def test_latency_tasks_never_overlap_on_a_node(cluster, model_file):
    opts = LatencyOptions.parse(budget=0.05, min_samples=3, warmup=0.01)
    names = [f"{model_file}:TinyConv", "timm:resnet18", "timm:mobilenetv3_small_050"]
    plan = plan_sweep(names, input_size="3x32x32", batch_sizes=["1,2"], latency=opts)
    out = run_plan(plan, RayExecutor(timeout=120))
    assert len(out.records) == 6 and not out.failed, [r.get("error") for r in out.records]
    by_node: dict[str, list[tuple[float, float]]] = {}
    for r in out.records:
        assert r["latency_ms"]["samples"] >= 3 and r["runtime"] == "eager" and r["env"]["device"] == "cpu"
        by_node.setdefault(r["node_id"], []).append((r["timed_start"], r["timed_end"]))
    for spans in by_node.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))


def test_resume_fingerprints_of_the_cluster_are_this_machine(cluster):
    assert cluster_fingerprints(RayExecutor()) == {this_fingerprint()}
