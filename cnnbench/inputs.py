"""Parsing of what users type for input sizes, batch sizes and dtypes (torch-free)."""

from __future__ import annotations

import re

from cnnbench.errors import CnnbenchError, InputError

DTYPES = {"fp32": "float32", "float32": "float32", "fp16": "float16", "float16": "float16", "half": "float16",
          "bf16": "bfloat16", "bfloat16": "bfloat16"}
DTYPE_SHORT = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}


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
    from cnnbench.example_inputs import check_shape

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


def parse_dtype(text: str) -> str:
    """Canonical short name (fp32|fp16|bf16) of a dtype a user typed."""
    name = DTYPES.get(str(text).strip().lower())
    if name is None:
        raise CnnbenchError(f"unknown dtype {text!r}: choose fp32, fp16 or bf16")
    return DTYPE_SHORT[name]


def torch_dtype(short: str):
    import torch

    return getattr(torch, DTYPES[short])
