"""Every runtime is checked against eager fp32 before it is timed: a runtime that computes something else is an
error row, not a fast number.

The reference is the same seeded model in eager fp32 on the row's device, called once on the same seeded input
before the runtime is prepared; **every tensor of the output** is compared with the runtime's: a torch runtime
(eager casts, compile, torch-tensorrt) must give the same tree (dict keys, list/tuple positions), an ONNX-based one
(which flattens the tree) as many outputs in the same order. A reference with a NaN or an infinity fails the row
(``eager output has NaN ...``): there is nothing to check the runtime against, and a NaN model is no benchmark.

Tolerances, by the row's precision (``scale`` = max |eager output|; elementwise, like ``numpy.allclose`` with an
absolute term relative to the output's scale, so a model whose random-init outputs are 1e-9 or 1e3 is judged alike):

=============  ======================================================
fp32           |Δ| ≤ 1e-4·scale + 1e-3·|eager|
fp16           |Δ| ≤ 2e-2·scale + 2e-2·|eager|   (cast-fp16, amp-fp16, onnx-fp16)
bf16           |Δ| ≤ 1e-1·scale + 5e-2·|eager|   (bf16 keeps 8 significant bits)
int8           cosine similarity of the flattened outputs ≥ 0.98
=============  ======================================================

Non-finite values, or another output shape, always fail. When eager's whole output is
below the smallest normal number of fp16 (6.1e-5) or bf16 (1.2e-38) — random-init MobileNetV2's outputs are about
3e-9 — a low-precision runtime cannot represent it at all (it computes zeros); that comparison is not made and
``details.check_vs_eager`` says so instead. Measured here on random-init torchvision models at 32×32 (CPU):
bf16 max |Δ|/scale 0.009 (resnet18) to 0.014 (mobilenet_v2); fp16 0.001 (resnet18).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnbench.latency.backends import BACKENDS
from cnnbench.latency.placement import place_inputs
from cnnbench.latency.runner import Leaf, Runner, torch_leaves
from cnnbench.latency.usercode import ModelExitError

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch import nn


@dataclass(frozen=True)
class Tolerance:
    """How close a runtime's output must be to eager fp32's (see the module docstring).

    Attributes:
        kind: ``"fp32" | "fp16" | "bf16" | "int8"``.
        atol_scale: Absolute tolerance as a fraction of max |eager output|.
        rtol: Relative tolerance per element.
        min_cosine: Cosine similarity floor (int8 only).
        smallest_normal: Below this eager output scale the comparison is not made (fp16/bf16 cannot hold it).
    """

    kind: str
    atol_scale: float = 0.0
    rtol: float = 0.0
    min_cosine: float | None = None
    smallest_normal: float = 0.0

    def rule(self) -> str:
        if self.min_cosine is not None:
            return f"{self.kind}: cosine ≥ {self.min_cosine}"
        return f"{self.kind}: |Δ| ≤ {self.atol_scale:g}·max|eager| + {self.rtol:g}·|eager|"


TOLERANCES = {
    "fp32": Tolerance("fp32", atol_scale=1e-4, rtol=1e-3),
    "fp16": Tolerance("fp16", atol_scale=2e-2, rtol=2e-2, smallest_normal=6.104e-05),
    "bf16": Tolerance("bf16", atol_scale=1e-1, rtol=5e-2, smallest_normal=1.176e-38),
    "int8": Tolerance("int8", min_cosine=0.98),
}


def tolerance_for(precision: str) -> Tolerance:
    """The tolerance of a row's precision label (``cast-fp16``, ``amp-bf16``, ``int8``...)."""
    for kind in ("int8", "bf16", "fp16"):
        if kind in precision:
            return TOLERANCES[kind]
    return TOLERANCES["fp32"]


class OutputMismatchError(RuntimeError):
    """The runtime's output is not eager's: the row fails with ``output differs from eager: ...``."""


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    a64, b64 = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    na, nb = float(np.linalg.norm(a64)), float(np.linalg.norm(b64))
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return float(a64 @ b64 / (na * nb))


def compare_outputs(out: np.ndarray, ref: np.ndarray, precision: str) -> dict[str, Any]:
    """Compares a runtime's output with eager fp32's; returns the facts for ``details.check_vs_eager``.

    Raises:
        OutputMismatchError: Outside the tolerance of ``precision`` (the message is the row's error).
    """
    import numpy as np

    tol = tolerance_for(precision)
    out = np.asarray(out, dtype=np.float32)
    ref = np.asarray(ref, dtype=np.float32)
    if out.shape != ref.shape:
        raise OutputMismatchError(f"output shape {list(out.shape)} is not eager's {list(ref.shape)}")
    finite = np.isfinite(ref)
    bad = int((~np.isfinite(out) & finite).sum())
    if bad:
        raise OutputMismatchError(f"{bad} non-finite output value(s) where eager's are finite ({precision})")
    scale = float(np.abs(ref[finite]).max()) if finite.any() else 0.0
    diff = np.abs(out - ref)
    diff[~finite] = 0.0
    max_diff = float(diff.max()) if diff.size else 0.0
    cosine = _cosine(np.where(finite, out, 0), np.where(finite, ref, 0))
    facts: dict[str, Any] = {"precision": precision, "rule": tol.rule(), "max_abs_diff": max_diff,
                             "eager_scale": scale, "cosine": cosine}
    if 0.0 < scale < tol.smallest_normal:
        facts["skipped"] = (f"eager's outputs (max |y| {scale:.2g}) are below {tol.kind}'s normal range: "
                            "not comparable (random-init activations vanish)")
        return facts
    if tol.min_cosine is not None:
        if cosine < tol.min_cosine:
            raise OutputMismatchError(f"cosine similarity {cosine:.4f} < {tol.min_cosine} ({precision}; "
                                      f"max |Δ| {max_diff:.3g}, max |eager| {scale:.3g})")
        return facts
    allowed = tol.atol_scale * scale + tol.rtol * np.abs(ref)
    excess = diff - allowed
    worst = int(np.argmax(excess)) if excess.size else 0
    if excess.size and excess.flat[worst] > 0:
        raise OutputMismatchError(f"max |Δ| {max_diff:.3g} > tol {float(allowed.flat[worst]):.3g} ({tol.rule()}; "
                                  f"max |eager| {scale:.3g}, cosine {cosine:.4f})")
    facts["tol_at_max"] = float(allowed.flat[int(np.argmax(diff))]) if diff.size else 0.0
    return facts


def _needs_check(runtime: str, dtype: str, precision: str | None) -> bool:
    """Eager fp32 is the reference; every other row is checked against it."""
    return not (runtime == "eager" and dtype == "fp32" and not precision)


def _check_finite(leaves: list[Leaf]) -> None:
    import numpy as np

    for path, ref in leaves:
        nan, inf = int(np.isnan(ref).sum()), int(np.isinf(ref).sum())
        if nan or inf:
            what = " and ".join(w for n, w in ((nan, f"NaN ({nan})"), (inf, f"infinity ({inf})")) if n)
            raise OutputMismatchError(f"eager output has {what} of {ref.size} value(s) in output "
                                      f"{path or 'tensor'} (fp32, the reference): nothing to check the runtime "
                                      "against")


def eager_reference(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], device: torch.device,
                    runtime: str) -> list[Leaf]:
    """Every tensor of eager fp32's output on ``device`` for these inputs: what every runtime must compute.

    The model is moved to ``device`` for the call (and back to the CPU for ONNX-based runtimes, which export it
    there); inputs are copies, so the runtime is fed the same values afterwards.

    Raises:
        OutputMismatchError: The reference has a NaN or an infinity (``eager output has NaN ...``).
    """
    import torch

    model.to(device)
    a, k = place_inputs(args, kwargs, device=device, dtype="fp32")
    try:
        with torch.inference_mode():
            out = model(*a, **k)
    except SystemExit as e:
        raise ModelExitError(e) from e
    ref = torch_leaves(out)
    del out, a, k
    if device.type != "cpu" and BACKENDS[runtime].cpu_model:
        model.to("cpu")
    _check_finite(ref)
    return ref


def check_runner(runner: Runner, ref: list[Leaf] | np.ndarray, precision: str) -> None:
    """Compares every output tensor of one call of ``runner`` with eager's (``ref``: :func:`eager_reference`'s
    leaves, or one array for a lone output tensor).

    ``details.check_vs_eager`` gets the facts of the output whose difference is largest relative to its scale,
    with ``outputs`` (how many tensors were compared) and, for several, ``output`` (which one).

    Raises:
        OutputMismatchError: The runtime computes something else, or another output structure
            (``output differs from eager: ...``).
    """
    if not isinstance(ref, list):  # one array, as a caller may hold it: a lone output tensor
        ref = [("", ref)]
    leaves = runner.outputs()
    try:
        if not runner.flat and [p for p, _ in leaves] != [p for p, _ in ref]:
            raise OutputMismatchError(f"output structure {_paths(leaves)} is not eager's {_paths(ref)}")
        if len(leaves) != len(ref):
            raise OutputMismatchError(f"{len(leaves)} output tensor(s), eager gives {len(ref)} ({_paths(ref)})")
        worst: dict[str, Any] | None = None
        for (path, ref_values), (_, values) in zip(ref, leaves, strict=True):
            try:
                facts = compare_outputs(values, ref_values, precision)
            except OutputMismatchError as err:
                raise OutputMismatchError(f"output {path}: {err}" if len(ref) > 1 else str(err)) from None
            rel = facts["max_abs_diff"] / facts["eager_scale"] if facts["eager_scale"] else 0.0
            if worst is None or rel > worst["_rel"]:
                worst = {**facts, "_rel": rel, **({"output": path} if len(ref) > 1 else {})}
    except OutputMismatchError as err:
        raise OutputMismatchError(f"output differs from eager: {err}") from None
    assert worst is not None
    worst.pop("_rel")
    runner.details["check_vs_eager"] = {**worst, "outputs": len(ref)}


def _paths(leaves: list[Leaf]) -> str:
    return ", ".join(p or "tensor" for p, _ in leaves[:6]) + (", ..." if len(leaves) > 6 else "")
