"""What the latency engine times: the model (built, or a copy of the caller's) and its inputs, placed and cast.

See :mod:`cnnbench.latency.engine` for the guarantees (the caller's model and tensors are never changed).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cnnbench.inputs import torch_dtype
from cnnbench.latency.usercode import stdout_to_stderr

if TYPE_CHECKING:
    import torch
    from torch import nn

#: What the engine accepts as inputs: a shape ``(N, C, H, W)`` (any rank) or a zero-argument callable returning CPU
#: ``(args, kwargs)``, e.g. ``InputSpec.maker(batch_size)``.
Inputs = Sequence[int] | Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]


def make_example_inputs(inputs: Inputs) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """CPU ``(args, kwargs)`` from a shape (one ``torch.randn`` tensor) or from a zero-argument callable.

    The callable may return ``(args, kwargs)`` or, as :func:`cnnbench.inputs.normalize` takes it, one
    tensor, a tuple (positional) or a dict (keyword).
    """
    import torch

    from cnnbench.inputs import normalize

    if callable(inputs):
        value = inputs()
        if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], (tuple, list))
                and isinstance(value[1], dict)):
            return tuple(value[0]), dict(value[1])
        return normalize(value)
    return (torch.randn(*(int(d) for d in inputs)),), {}


def batch_size_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Dim 0 of the first tensor input (1 when there is no tensor or it is a scalar)."""
    from cnnbench.inputs import first_shape

    shape = first_shape(args, kwargs)
    return int(shape[0]) if shape else 1


def build_inputs(build_model: Callable[[], nn.Module], input_shape: Inputs, *, seed: int = 0,
                 copy_model: bool = False) -> tuple[nn.Module, tuple[Any, ...], dict[str, Any]]:
    """Builds the model (eval mode, CPU) and its example inputs, both from ``seed``: ``(model, args, kwargs)``.

    Seeding makes runs reproducible and makes a cached ONNX file hold the same weights as a fresh eager model.
    The global RNG state is restored afterwards. Build and input factory run with stdout sent to stderr.

    Args:
        build_model: Returns the model; called once.
        input_shape: A shape (one standard-normal tensor) or a callable returning ``(args, kwargs)``.
        seed: Seed for a fresh model's init and for generated inputs.
        copy_model: ``build_model`` returns an instance the caller keeps: work on a ``copy.deepcopy`` of it
            (then only the inputs draw from the seed), so eval mode, moves and casts never reach the original.
    """
    import torch

    with torch.random.fork_rng(devices=[]), stdout_to_stderr():
        torch.manual_seed(seed)
        model = build_model()
        if copy_model:
            model = _copy(model)
        model = model.eval()
        args, kwargs = make_example_inputs(input_shape)
    return model, args, kwargs


def _copy(model: nn.Module) -> nn.Module:
    try:
        return copy.deepcopy(model)
    except Exception as err:
        raise RuntimeError(f"cannot copy the model to time it without changing it (copy.deepcopy failed: "
                           f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''})"
                           ) from err


def as_inputs(args: Any, kwargs: dict[str, Any] | None) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``(args, kwargs)`` from a tuple of positional inputs or one tensor (the runners' former signature)."""
    import torch

    if isinstance(args, torch.Tensor):  # the former single-tensor signature
        return (args,), dict(kwargs or {})
    return tuple(args), dict(kwargs or {})


def place_inputs(args: tuple[Any, ...], kwargs: dict[str, Any], *, device: torch.device | str | None = None,
                 dtype: str = "fp32", channels_last: bool = False) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Copies of every tensor in ``args``/``kwargs`` (nested too) on ``device``; floating ones cast to ``dtype``.

    Integer/bool tensors keep their dtype (token ids, masks); channels-last applies to 4-D floating tensors only.
    Always copies, so a model that works in place on its input never modifies the caller's tensors.
    """
    import torch
    from torch.utils._pytree import tree_map

    tdt = torch_dtype(dtype)

    def one(t: Any) -> Any:
        if not isinstance(t, torch.Tensor):
            return t
        t = t.detach()
        if t.is_floating_point():
            t = t.to(device=device, dtype=tdt, copy=True)
            if channels_last and t.dim() == 4:
                t = t.contiguous(memory_format=torch.channels_last)
            return t
        return t.to(device=device, copy=True)

    return tree_map(one, args), tree_map(one, kwargs)


def has_4d_float(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    import torch
    from torch.utils._pytree import tree_flatten

    return any(isinstance(t, torch.Tensor) and t.is_floating_point() and t.dim() == 4
               for t in tree_flatten((args, kwargs))[0])


def place(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], device: torch.device, dtype: str,
          channels_last: bool) -> tuple[nn.Module, tuple[Any, ...], dict[str, Any]]:
    """The model on ``device`` in ``dtype`` (NHWC when asked and an input is a 4-D floating tensor), and copies
    of the inputs placed by :func:`place_inputs`."""
    import torch

    model = model.to(device=device, dtype=torch_dtype(dtype))  # Module.to casts floating params/buffers only
    channels_last = channels_last and has_4d_float(args, kwargs)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    args, kwargs = place_inputs(args, kwargs, device=device, dtype=dtype, channels_last=channels_last)
    return model, args, kwargs
