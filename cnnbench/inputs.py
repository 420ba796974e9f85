"""Parsing of what users type for input sizes, batch sizes and dtypes (torch-free)."""

from __future__ import annotations

import re

from cnnbench.errors import CnnbenchError

DTYPES = {"fp32": "float32", "float32": "float32", "fp16": "float16", "float16": "float16", "half": "float16",
          "bf16": "bfloat16", "bfloat16": "bfloat16"}
DTYPE_SHORT = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}


def parse_input_size(text: str | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    """``"224"`` → (C, 224, 224) with the model's own C; ``"3x224x224"`` / ``"3,224,224"``; ``"224x160"`` → (C, 224, 160)."""
    if text is None or str(text).strip() == "":
        return default
    parts = re.split(r"\s*[x×,]\s*|\s+", str(text).strip().lower())  # "224x" has an empty part: malformed
    try:
        nums = [int(p) for p in parts]  # int("") raises
    except ValueError:
        raise CnnbenchError(f"malformed --input-size {text!r}: use 224, 224x160 or 3x224x224") from None
    if not 1 <= len(nums) <= 3 or any(n < 1 for n in nums):
        raise CnnbenchError(f"malformed --input-size {text!r}: use 224, 224x160 or 3x224x224 (positive integers)")
    if len(nums) == 1:
        return (default[0], nums[0], nums[0])
    if len(nums) == 2:
        return (default[0], nums[0], nums[1])
    return (nums[0], nums[1], nums[2])


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
