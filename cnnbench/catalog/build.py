"""Build a registry model on the ``meta`` device (no weight memory) or for real on a device; fuse; analyse.

``analyze_spec`` is what the library API calls for a registry model: build on ``meta``, count, and hand
``analyze`` a real CPU builder for the rare forward that needs values (data-dependent code).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from cnnbench.catalog.registry import ModelSpec

if TYPE_CHECKING:
    from cnnbench.analysis.static import StaticProfile
    from cnnbench.inputs import InputSpec

_INIT_FNS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
)
# what timm's ``reparameterize_model`` looks for on a child module
_FUSE_METHODS = ("fuse", "reparameterize", "switch_to_deploy")


@contextlib.contextmanager
def _no_init() -> Iterator[None]:
    """Make ``torch.nn.init`` a no-op: sizes and counts do not depend on values."""
    saved = {name: getattr(torch.nn.init, name) for name in _INIT_FNS if hasattr(torch.nn.init, name)}
    try:
        for name in saved:
            setattr(torch.nn.init, name, lambda tensor, *a, **k: tensor)
        yield
    finally:
        for name, fn in saved.items():
            setattr(torch.nn.init, name, fn)


def to_meta_keeping_ties(model: torch.nn.Module) -> torch.nn.Module:
    """Move every parameter and buffer to ``meta`` in place, one meta tensor per shared tensor.

    ``model.to("meta")`` converts a tied weight once per module that holds it, so ``b.weight = a.weight`` comes
    back as two parameters (a 4,224-parameter model reported 8,320). Here tensors are mapped by storage and view:
    what was shared stays shared.
    """
    from cnnbench.analysis.params import storage_key

    made: dict[tuple, torch.Tensor] = {}
    for mod in model.modules():
        for table, is_param in ((mod._parameters, True), (mod._buffers, False)):
            for name, t in list(table.items()):
                if t is None or t.device.type == "meta":
                    continue
                key = (storage_key(t), t.storage_offset(), tuple(t.shape), t.stride(), t.dtype)
                new = made.get(key)
                if new is None:
                    new = torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device="meta")
                    if is_param:
                        new = torch.nn.Parameter(new, requires_grad=t.requires_grad)
                    made[key] = new
                table[name] = new
    return model


def fusable(model: torch.nn.Module) -> bool:
    """Whether timm's ``reparameterize_model`` would change ``model`` (a submodule can fuse/reparameterize)."""
    return any(hasattr(m, a) for name, m in model.named_modules() if name for a in _FUSE_METHODS)


def fuse_model(model: torch.nn.Module, inplace: bool = False) -> tuple[torch.nn.Module, bool]:
    """``(model, fused)``: re-parameterisable branches (RepVGG, MobileOne, FastViT, RepViT, LeViT, EfficientViT-M…)
    fused into their inference form with timm's ``reparameterize_model``; ``fused`` is False when nothing in the
    model can fuse (the model is then returned as given).

    Works on ``meta`` models too (fused weights are created on the model's device). Without ``inplace`` a deep copy
    is fused and the given model is left alone. Fusing twice is not supported by every timm block (FastViT's
    RepMixer): fuse a model once.
    """
    if not fusable(model):
        return model, False
    from timm.utils.model import reparameterize_model

    device = next((t.device for t in (*model.parameters(), *model.buffers())), torch.device("cpu"))
    with torch.device(device):
        return reparameterize_model(model, inplace=inplace), True


def _build_meta(spec: ModelSpec, fuse: bool, overrides: dict[str, Any]) -> tuple[torch.nn.Module, bool]:
    try:
        with torch.device("meta"):
            model = spec.build(**overrides)
    except (NotImplementedError, RuntimeError) as e:
        if "meta" not in str(e).lower() and "data" not in str(e).lower():
            raise
        with _no_init():
            model = spec.build(**overrides)
        model = to_meta_keeping_ties(model)
    prefused = spec_prefused(spec, overrides)
    fused = prefused
    if fuse and not prefused:
        model, fused = fuse_model(model, inplace=True)
    return model.eval(), fused


def spec_prefused(spec: ModelSpec, overrides: dict[str, Any] | None = None) -> bool:
    """Whether the spec's own builder fuses (the registered ``repvgg_*`` entries build timm's deploy form)."""
    kw = {**spec.builder_kwargs, **(overrides or {})}
    return bool(kw.get("reparameterize"))


def build_meta(spec: ModelSpec, fuse: bool = False, **overrides: Any) -> torch.nn.Module:
    """The model with every parameter and buffer on ``meta`` (nothing allocated), in eval mode.

    Most builders run directly under ``torch.device("meta")``. A few compute with tensors while
    building (torchvision's RegNet builders do): those are built on the CPU with ``nn.init``
    disabled, then moved to ``meta`` keeping tied weights tied. ``fuse`` applies :func:`fuse_model`.
    """
    return _build_meta(spec, fuse, overrides)[0]


def build_cpu(spec: ModelSpec, fuse: bool = False, seed: int = 0, **overrides: Any) -> torch.nn.Module:
    """A real CPU model with seeded random init (the global RNG is left as it was), in eval mode.

    What ``analyze``'s ``cpu`` path runs for a registry model whose forward depends on values.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = spec.build(**overrides)
        if fuse and not spec_prefused(spec, overrides):
            model, _ = fuse_model(model, inplace=True)
    return model.eval()


def analyze_spec(spec: ModelSpec, inputs: InputSpec | None = None, batch_size: int = 1,
                 dtype: torch.dtype | str = torch.float32, fuse: bool = False, *, path: str | None = None,
                 **overrides: Any) -> StaticProfile:
    """Static profile of a registry model: built on ``meta``, traced with ``inputs.make(batch_size, device="meta")``.

    Args:
        spec: the registry entry (``cnnbench.catalog.resolve(name)``).
        inputs: example inputs; default ``InputSpec.from_shapes(*spec.input_shapes)``.
        batch_size: prepended to shapes (ignored by given example inputs, whose batch is the batch).
        dtype: ``torch.float16`` or ``"fp16"`` style; floating weights/inputs are counted at it.
        fuse: fuse re-parameterisable branches first (:func:`fuse_model`); the profile's ``fused`` says whether the
            counted model is in fused form (also True for specs whose builder always fuses).
        path: force a trace path (``meta``/``fake``/``cpu``), for tests.
        **overrides: builder keyword arguments (``num_classes=10``, a block's ``channels``).

    The ``cpu`` fallback (data-dependent forwards) gets a seeded real CPU build of the same spec.
    """
    from cnnbench.analysis.static import analyze
    from cnnbench.inputs import InputSpec

    if isinstance(dtype, str):
        from cnnbench.inputs import parse_dtype, torch_dtype

        dtype = torch_dtype(parse_dtype(dtype))
    if inputs is None:
        inputs = InputSpec.from_shapes(*spec.input_shapes)
    model, fused = _build_meta(spec, fuse, overrides)
    args, kwargs = inputs.make(batch_size, device="meta")
    return analyze(model, args, kwargs, dtype=dtype, path=path, fused=fused,
                   cpu_model=lambda: build_cpu(spec, fuse=fuse, **overrides))
