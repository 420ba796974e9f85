"""Static analysis: one meta-device trace → params, checkpoint sizes, MACs, memory access, activations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import torch

from cnnbench.analysis.params import checkpoint_bytes, count_params
from cnnbench.analysis.trace import OpRecord, trace


@dataclass(frozen=True)
class OpGroup:
    """Totals of a group of ops (one module subtree or one op type)."""

    name: str
    count: int
    macs: int
    memory_access_elements: int
    memory_access_bytes: int
    activations: int
    params: int = 0


@dataclass(frozen=True)
class StaticProfile:
    """Machine-independent cost of one model at one input shape.

    Units and conventions: ``macs`` multiply-accumulates (papers' "FLOPs"), ``flops`` = 2 × macs;
    memory access = ShuffleNetV2's MAC (all tensor inputs incl. weights + outputs of every op that
    moves data; views count 0) in elements and bytes; ``activations`` = output elements of
    conv/linear/matmul ops; ``arithmetic_intensity`` = flops / memory-access bytes (FLOP/byte);
    checkpoint sizes in bytes.
    """

    input_shape: tuple[int, ...]
    dtype: str
    params: int
    trainable_params: int
    buffers: int
    checkpoint_bytes: int
    checkpoint_bytes_fp16: int
    checkpoint_bytes_int8: int
    macs: int
    memory_access_elements: int
    memory_access_bytes: int
    activations: int
    uncounted_ops: dict[str, dict[str, float]]
    records: tuple[OpRecord, ...] = field(repr=False, compare=False, default=())
    module_params: dict[str, int] = field(repr=False, compare=False, default_factory=dict)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def arithmetic_intensity(self) -> float:
        return self.flops / self.memory_access_bytes if self.memory_access_bytes else 0.0

    def by_op(self) -> list[OpGroup]:
        """Totals per aten op type, most memory traffic first."""
        groups: dict[str, list[OpRecord]] = defaultdict(list)
        for r in self.records:
            groups[r.op].append(r)
        return sorted((_group(k, rs) for k, rs in groups.items()), key=lambda g: (-g.macs, -g.memory_access_bytes))

    def by_module(self, depth: int = 1) -> list[OpGroup]:
        """Totals per module subtree, truncated to ``depth`` dotted levels, in execution order."""
        groups: dict[str, list[OpRecord]] = {}
        for r in self.records:
            key = ".".join(r.module.split(".")[:depth]) if r.module else ""
            groups.setdefault(key, []).append(r)
        out = []
        for key, rs in groups.items():
            params = self.module_params.get(key, 0) if key else 0
            out.append(_group(key or "(top level)", rs, params))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_shape": list(self.input_shape),
            "dtype": self.dtype,
            "params": self.params,
            "trainable_params": self.trainable_params,
            "buffers": self.buffers,
            "checkpoint_bytes": self.checkpoint_bytes,
            "checkpoint_bytes_fp16": self.checkpoint_bytes_fp16,
            "checkpoint_bytes_int8": self.checkpoint_bytes_int8,
            "macs": self.macs,
            "flops": self.flops,
            "memory_access_elements": self.memory_access_elements,
            "memory_access_bytes": self.memory_access_bytes,
            "activations": self.activations,
            "arithmetic_intensity": round(self.arithmetic_intensity, 4),
            "uncounted_ops": self.uncounted_ops,
        }


def _group(name: str, rs: list[OpRecord], params: int = 0) -> OpGroup:
    return OpGroup(
        name=name,
        count=len(rs),
        macs=sum(r.macs for r in rs),
        memory_access_elements=sum(r.memory_access_elements for r in rs),
        memory_access_bytes=sum(r.memory_access_bytes for r in rs),
        activations=sum(r.activations for r in rs),
        params=params,
    )


def _uncounted(records: list[OpRecord], total_bytes: int) -> dict[str, dict[str, float]]:
    """Ops that move data but have no FLOP formula: count and share of memory access."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        if not r.has_formula and not r.is_view:
            acc[r.op][0] += 1
            acc[r.op][1] += r.memory_access_bytes
    out = {}
    for op, (n, b) in sorted(acc.items(), key=lambda kv: -kv[1][1]):
        out[op] = {"count": n, "memory_access_share": round(b / total_bytes, 4) if total_bytes else 0.0}
    return out


def _module_params(model: torch.nn.Module, depth_max: int = 64) -> dict[str, int]:
    """Parameters owned by every module subtree, keyed by dotted path."""
    out: dict[str, int] = defaultdict(int)
    for pname, p in model.named_parameters():
        parts = pname.split(".")[:-1]
        for i in range(1, min(len(parts), depth_max) + 1):
            out[".".join(parts[:i])] += p.numel()
    return dict(out)


def analyze(model: torch.nn.Module, input_shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> StaticProfile:
    """Profile ``model`` on an input of ``input_shape`` (N, C, H, W), tracing on the ``meta`` device.

    ``model`` may live on any device; its parameters are moved to ``meta`` for the trace, so call
    this on a meta-built model (``cnnbench.build.build_meta``) to never allocate weights.
    """
    if any(p.device.type != "meta" for p in model.parameters()):
        model = model.to("meta")
    if dtype != torch.float32:
        model = model.to(dtype)
    model.eval()
    total, trainable, buffers = count_params(model)
    ckpt = checkpoint_bytes(model)
    ckpt16 = checkpoint_bytes(model, torch.float16)
    ckpt8 = checkpoint_bytes(model, torch.int8)
    x = torch.empty(input_shape, device="meta", dtype=dtype)
    records = trace(model, x)
    mem_el = sum(r.memory_access_elements for r in records)
    mem_b = sum(r.memory_access_bytes for r in records)
    return StaticProfile(
        input_shape=tuple(input_shape),
        dtype=str(dtype).replace("torch.", ""),
        params=total,
        trainable_params=trainable,
        buffers=buffers,
        checkpoint_bytes=ckpt,
        checkpoint_bytes_fp16=ckpt16,
        checkpoint_bytes_int8=ckpt8,
        macs=sum(r.macs for r in records),
        memory_access_elements=mem_el,
        memory_access_bytes=mem_b,
        activations=sum(r.activations for r in records),
        uncounted_ops=_uncounted(records, mem_b),
        records=tuple(records),
        module_params=_module_params(model),
    )
