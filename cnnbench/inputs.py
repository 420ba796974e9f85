"""What users type for input sizes, batch sizes and dtypes (parsing, torch-free; THE dtype table), and what a model
is called with: ``InputSpec`` → example inputs ``(args, kwargs)`` at a batch size.

Three ways to say it, as the tools users know take them (torchinfo's ``input_size``, fvcore's/thop's inputs):

* shapes without the batch dimension, any rank: ``InputSpec.from_shapes((3, 224, 224))`` for an image CNN,
  ``((32,),)`` for an MLP, several shapes for several positional tensors; the batch size is prepended;
* example inputs used as given: a tensor, a tuple (positional) or a dict (keyword) — their batch is the batch;
* a factory (``--inputs file.py:make_inputs``): a function returning a tensor, tuple or dict; called with the
  batch size if it takes an argument, else with none (then its batch is the batch).

``make(batch_size, device=...)`` returns ``(args, kwargs)``: on ``"meta"`` nothing is allocated (given tensors are
replaced by meta tensors of the same shape/dtype/strides); on ``"cpu"`` shapes become ``torch.randn`` (seeded by the
caller) and given tensors are returned **as given** (never modified: the user's inputs are theirs). This module
imports torch only inside its methods, so ``import cnnbench`` stays fast.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnbench.errors import CnnbenchError, InputError

#: THE dtype table (one copy): cnnbench's names → torch's, and every other spelling accepted → cnnbench's name.
DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
_DTYPE_SPELLINGS = {"float32": "fp32", "float": "fp32", "float16": "fp16", "half": "fp16", "bfloat16": "bf16"}


_SIZE_HELP = "use 224, 224x160, 3x224x224 or 32, (a trailing comma means literal)"


def _numbers(text: str, what: str) -> tuple[list[int], bool]:
    """The integers of one size text and whether it ended with a comma (``"32,"``: literal)."""
    t = str(text).strip().lower()
    literal = t.endswith(",")
    t = t[:-1].rstrip() if literal else t
    parts = re.split(r"\s*[x×,]\s*|\s+", t)  # "224x" has an empty part: malformed
    try:
        nums = [int(p) for p in parts]  # int("") raises
    except ValueError:
        raise InputError(f"malformed {what} {text!r}: {_SIZE_HELP}") from None
    if any(n < 1 for n in nums):
        raise InputError(f"malformed {what} {text!r}: {_SIZE_HELP} (positive integers)")
    return nums, literal


def parse_input_size(text: str | None, default: tuple[int, ...], what: str = "--input-size") -> tuple[int, ...]:
    """One size as a user types it → the shape without the batch dimension.

    ``"224"`` → (C, 224, 224) with the model's own C (a model whose default input has fewer than three
    dimensions reads every value literally); ``"224x160"`` → (C, 224, 160); three or more numbers
    (``"3x224x224"``, ``"3,224,224"``, ``"1x3x8x64x64"``) are literal; a trailing comma makes any value literal
    (``"32,"`` → (32,), for an MLP). Out-of-range sizes (a dimension above ``MAX_DIM`` or more than
    ``MAX_ELEMENTS`` elements) are refused here, as usage errors.
    """
    if text is None or str(text).strip() == "":
        return tuple(default)
    nums, literal = _numbers(text, what)
    if literal or len(nums) >= 3 or len(default) < 3:
        shape: tuple[int, ...] = tuple(nums)
    else:  # spatial shorthand: the model's own leading dims (C of an image model)
        shape = (*default[:-2], nums[0], nums[-1])
    return _checked(shape, what, text)


def parse_input_sizes(values: str | list[str] | tuple[str, ...] | None, default: tuple[int, ...],
                      what: str = "--input-size") -> tuple[tuple[int, ...], ...]:
    """Every size given (``--input-size`` repeated = several positional tensors), without the batch dimension.

    One value reads as :func:`parse_input_size` (shorthand with the model's C); when several are given, every value
    is literal (``["3x32x32", "10"]`` → ((3, 32, 32), (10,))). ``None`` → ``(default,)``.
    """
    if values is None or values == "" or (not isinstance(values, str) and len(values) == 0):
        return (tuple(default),)
    if isinstance(values, str):
        values = [values]
    if len(values) == 1:
        return (parse_input_size(values[0], default, what),)
    out = []
    for v in values:
        if v is None or str(v).strip() == "":
            raise InputError(f"empty {what} among several: give every input's shape")
        out.append(_checked(tuple(_numbers(v, what)[0]), what, v))
    return tuple(out)


def _checked(shape: tuple[int, ...], what: str, text: str) -> tuple[int, ...]:
    """``check_shape`` (range limits) with the text as typed in the message: ``--input-size '224' = 3x224x224 ...``."""

    try:
        return check_shape(shape, what)
    except CnnbenchError as e:
        typed = str(text).strip()
        msg = str(e)
        if typed != "x".join(map(str, shape)):
            msg = msg.replace(f"{what} ", f"{what} {typed!r} = ", 1)
        raise InputError(msg) from None


def parse_int_list(values: list[str] | str | None, what: str, default: list[int]) -> list[int]:
    """``["1,8", "32"]`` → [1, 8, 32]; every value must be an integer ≥ 1."""
    if values is None or values == [] or values == "":
        return default
    if isinstance(values, str):
        values = [values]
    out: list[int] = []
    for v in values:
        for p in str(v).split(","):
            p = p.strip()
            if not p:
                continue
            try:
                n = int(p)
            except ValueError:
                raise CnnbenchError(f"malformed {what} {v!r}: expected integers like 1,8,32") from None
            if n < 1:
                raise CnnbenchError(f"{what} must be ≥ 1 (got {n})")
            if n not in out:
                out.append(n)
    if not out:
        raise CnnbenchError(f"malformed {what} {values!r}: expected integers like 1,8,32")
    return out


def read_user_file(path, what: str, missing_hint: str = "") -> str:
    """The text of a file the user named (``what``: "suite", "baseline"); every failure is one-line usage error."""
    from pathlib import Path

    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CnnbenchError(f"{what} not found: {p}{missing_hint}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CnnbenchError(f"cannot read {what} {p}: {e}") from None


def _dtype_name(text: str) -> str | None:
    t = str(text).strip().lower()
    t = _DTYPE_SPELLINGS.get(t, t)
    return t if t in DTYPES else None


def parse_dtype(text: str) -> str:
    """Canonical short name (fp32|fp16|bf16) of a dtype a user typed (also float32, float, float16, half, bfloat16)."""
    name = _dtype_name(text)
    if name is None:
        raise CnnbenchError(f"unknown dtype {text!r}: choose fp32, fp16 or bf16")
    return name


def normalize_dtype(dtype: str) -> str:
    """:func:`parse_dtype` in the latency engine's wording.

    Raises:
        CnnbenchError: Any other value.
    """
    name = _dtype_name(dtype)
    if name is None:
        raise CnnbenchError(f"unknown dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    return name


def torch_dtype(dtype: str) -> Any:
    """The torch dtype for ``"fp32" | "fp16" | "bf16"`` (or another spelling :func:`normalize_dtype` accepts)."""
    import torch

    return getattr(torch, DTYPES[normalize_dtype(dtype)])

#: Largest accepted dimension and element count of one generated input: beyond this a size is a typo, not a model.
MAX_DIM = 1 << 20
MAX_ELEMENTS = 1 << 36


def check_shape(shape: tuple[int, ...], what: str = "input size") -> tuple[int, ...]:
    """``shape`` as ints, each in 1..MAX_DIM and at most MAX_ELEMENTS in all; else a one-line ``CnnbenchError``."""
    import math

    try:
        out = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise CnnbenchError(f"{what} must be a sequence of integers (got {shape!r})") from None
    if not out:
        raise CnnbenchError(f"{what} is empty")
    if any(d < 1 for d in out):
        raise CnnbenchError(f"{what} {out} has a dimension below 1")
    if any(d > MAX_DIM for d in out) or math.prod(out) > MAX_ELEMENTS:
        raise CnnbenchError(f"{what} {'x'.join(map(str, out))} is out of range "
                            f"(each dimension ≤ {MAX_DIM:,}, at most {MAX_ELEMENTS:,} elements)")
    return out


def normalize(example: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A tensor → ``((t,), {})``; a tuple/list → positional; a dict → keyword; anything else is a usage error."""
    import torch

    if isinstance(example, torch.Tensor):
        return (example,), {}
    if isinstance(example, (tuple, list)):
        return tuple(example), {}
    if isinstance(example, dict):
        if not all(isinstance(k, str) for k in example):
            raise CnnbenchError("keyword inputs must be a dict with string keys")
        return (), dict(example)
    raise CnnbenchError(f"inputs must be a tensor, a tuple (positional) or a dict (keyword), not "
                        f"{type(example).__name__}")


def _to_meta(tree: Any) -> Any:
    import torch
    from torch.utils._pytree import tree_map

    def conv(t: Any) -> Any:
        if isinstance(t, torch.Tensor):
            return torch.empty_strided(t.shape, t.stride(), dtype=t.dtype, device="meta")
        return t

    return tree_map(conv, tree)


@dataclass(frozen=True)
class InputSpec:
    """How to build a model's example inputs.

    Attributes:
        shapes: Positional tensor shapes without the batch dimension (standard-normal values).
        example: User-given inputs (tensor, tuple or dict), used as given.
        factory: A function returning inputs (see the module docstring).
        name: How the factory was named (``file.py:make_inputs``), for labels and errors.
    """

    shapes: tuple[tuple[int, ...], ...] = ()
    example: Any = None
    factory: Callable[..., Any] | None = None
    name: str = ""

    @classmethod
    def from_shapes(cls, *shapes: tuple[int, ...]) -> InputSpec:
        if not shapes:
            raise CnnbenchError("no input size given")
        return cls(shapes=tuple(check_shape(s) for s in shapes))

    @classmethod
    def from_example(cls, example: Any) -> InputSpec:
        normalize(example)  # validates the container now, not at the first use
        return cls(example=example)

    @classmethod
    def from_factory(cls, fn: Callable[..., Any], name: str = "") -> InputSpec:
        if not callable(fn):
            raise CnnbenchError(f"{name or 'inputs'} is not callable")
        return cls(factory=fn, name=name or getattr(fn, "__name__", "inputs"))

    @property
    def takes_batch(self) -> bool:
        """Whether ``make(batch_size)`` honours the batch size (shapes, or a factory with a parameter)."""
        if self.shapes:
            return True
        if self.factory is not None:
            try:
                return len(inspect.signature(self.factory).parameters) > 0
            except (TypeError, ValueError):
                return False
        return False

    def make(self, batch_size: int = 1, *, device: str = "cpu") -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` at ``batch_size`` (ignored for given inputs) on ``"cpu"`` or ``"meta"``."""
        import torch

        if self.shapes:
            make = torch.empty if device == "meta" else torch.randn
            args = tuple(make((batch_size, *s), device=device) for s in self.shapes)
            return args, {}
        if self.example is not None:
            args, kwargs = normalize(self.example)
        elif self.factory is not None:
            try:
                value = self.factory(batch_size) if self.takes_batch else self.factory()
            except CnnbenchError:
                raise
            except Exception as e:
                raise CnnbenchError(f"{self.name} failed: {type(e).__name__}: {e}") from e
            args, kwargs = normalize(value)
        else:
            raise CnnbenchError("no inputs given")
        if device == "meta":
            return _to_meta(args), _to_meta(kwargs)
        return args, kwargs

    @property
    def on_meta(self) -> bool:
        """Whether given example inputs hold ``meta`` tensors (shapes without data: countable, not runnable)."""
        if self.example is None:
            return False
        import torch
        from torch.utils._pytree import tree_flatten

        return any(isinstance(t, torch.Tensor) and t.is_meta for t in tree_flatten(normalize(self.example))[0])

    def maker(self, batch_size: int = 1) -> Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]:
        """A zero-argument callable returning CPU ``(args, kwargs)`` (what the latency engine takes)."""
        return lambda: self.make(batch_size, device="cpu")


def tensor_shapes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """``[("0", shape), ("y", shape), ...]`` for the tensors among positional and keyword inputs."""
    import torch
    from torch.utils._pytree import keystr, tree_flatten_with_path

    out = []
    for path, leaf in tree_flatten_with_path((args, kwargs))[0]:
        if isinstance(leaf, torch.Tensor):
            out.append((keystr(path), tuple(int(d) for d in leaf.shape)))
    return out


def shape_label(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``"1x3x224x224"`` for one tensor; ``"1x3x32x32, 1x10"`` for two positional; ``"x=1x8, mask=1x8"`` for keywords."""
    import torch

    def fmt(t: Any) -> str:
        return "x".join(str(int(d)) for d in t.shape) if isinstance(t, torch.Tensor) else type(t).__name__

    parts = [fmt(a) for a in args] + [f"{k}={fmt(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def first_shape(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, ...]:
    """Shape of the first tensor input (positional first, then keyword); ``()`` when there is none."""
    import torch
    from torch.utils._pytree import tree_flatten

    for leaf in tree_flatten((args, kwargs))[0]:
        if isinstance(leaf, torch.Tensor):
            return tuple(int(d) for d in leaf.shape)
    return ()
