"""Pydantic v2 models whose every validation error is one line naming the field (suites and baselines).

Each field declares its constraints to pydantic (``Field(strict=True, ge=1)``, ``Literal[...]``: what the JSON Schema
shows too) and wraps them in :func:`rule`, the text a failure reads (``"{path} must be an integer ≥ 1 (got {got})"``).
:class:`Model` words its own unknown keys, missing keys and non-object values (``words``), and :func:`one_line`
picks the first problem — an unknown key, else a missing key, else the first field in order — and fills in the
field's path (``latency.blocks[1].model_ms``) and the value given. Types are strict: ``"2"`` is not 2, ``true`` is
not 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from cnnbench.errors import CnnbenchError


def custom(text: str, **ctx: Any) -> PydanticCustomError:
    """A validation error whose ``text`` :func:`one_line` completes: ``{path}`` (the field), ``{got}`` (the value),
    ``{key}``/``{name}`` (an unknown or missing key, quoted/bare), ``{allowed}``, ``{detail}``."""
    return PydanticCustomError("cnnbench", "{text}", {"text": text, **ctx})


def rule(text: str | Callable[[Any], str]) -> WrapValidator:
    """The field's declared constraints (pydantic's, and the JSON Schema's); any failure of them reads ``text``
    (or ``text(value)``). Errors already in our words (an inner model's or an inner rule's) pass through unchanged."""

    def wrap(v: Any, handler: Any) -> Any:
        try:
            return handler(v)
        except ValidationError as e:
            if all(x["type"] == "cnnbench" for x in e.errors()):
                raise
            raise custom(text(v) if callable(text) else text, got=repr(v)) from None

    return WrapValidator(wrap)


def _path(root: str, loc: tuple[Any, ...]) -> str:
    s = root
    for p in loc:
        if isinstance(p, int):
            s += f"[{p}]"
        elif p != "[key]":
            s += p if not s or s.endswith(" ") else f".{p}"
    return s.strip()


def one_line(err: ValidationError, root: str = "") -> str:
    """The first problem (an unknown key, else a missing key, else the first field in order), on one line."""
    errs = err.errors()

    def order(i: int) -> tuple[int, str, int]:
        ctx = errs[i].get("ctx") or {}
        return ctx.get("rank", 2), ctx.get("order", ""), i

    x = errs[min(range(len(errs)), key=order)]
    ctx = x.get("ctx") or {}
    text = ctx["text"] if x["type"] == "cnnbench" else "{path}: " + x["msg"].replace("{", "{{").replace("}", "}}")
    fill = {k: ctx.get(k, "") for k in ("got", "key", "name", "allowed", "detail")}
    return text.format(path=_path(root, x["loc"]), **fill).strip()


class Model(BaseModel):
    """Base of the suite and baseline models: unknown keys refused, frozen, every error in our words."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: This model's own texts: an unknown key, a missing key, a value that is not an object/table.
    words: ClassVar[dict[str, str]] = {"extra": "unknown key {key}", "missing": "missing key {key}",
                                       "type": "{path} must be an object (got {got})"}
    #: What the fields' paths start with in a message (``"[check] "``, ``"latency"``).
    root: ClassVar[str] = ""

    @model_validator(mode="wrap")
    @classmethod
    def _in_our_words(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as e:
            raise ValidationError.from_exception_data(e.title, [cls._reword(x) for x in e.errors()]) from None

    @classmethod
    def _reword(cls, x: Any) -> Any:
        loc, kind = x["loc"], x["type"]
        if kind == "cnnbench":  # an inner level's unknown/missing key ranks by position only, like its other errors
            err = custom(**({**x["ctx"], "rank": 2} if loc else x["ctx"]))
        elif kind in ("extra_forbidden", "missing") and len(loc) == 1:
            extra = kind == "extra_forbidden"
            err = custom(cls.words["extra" if extra else "missing"], rank=0 if extra else 1,
                         order=str(loc[0]) if extra else "", key=repr(loc[0]), name=str(loc[0]),
                         allowed=", ".join(sorted(cls.model_fields)))
            loc = ()
        elif not loc:
            err = custom(cls.words["type"], got=repr(x["input"]))
        else:  # a field without a rule: pydantic's own words
            return {k: x[k] for k in ("type", "loc", "input", "ctx") if k in x}
        return {"type": err, "loc": loc, "input": x["input"]}

    @classmethod
    def validated(cls, data: Any, prefix: str = "", context: dict[str, Any] | None = None) -> Any:
        """``data`` as this model, or a one-line :class:`CnnbenchError` (``prefix`` + the field's message)."""
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as e:
            raise CnnbenchError(prefix + one_line(e, cls.root)) from None


class ApiModel(Model):
    """A model library callers construct: positional arguments in field order (as the former dataclasses took),
    errors as :class:`CnnbenchError`. Not for nesting in a model validated from dicts (pydantic calls this
    ``__init__`` for those)."""

    def __init__(self, /, *args: Any, **data: Any) -> None:
        names = list(type(self).model_fields)
        if len(args) > len(names) or set(names[: len(args)]) & set(data):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} arguments, each given once")
        data = {**dict(zip(names, args)), **data}
        try:
            super().__init__(**data)
        except ValidationError as e:
            raise CnnbenchError(one_line(e, self.root)) from None


def count(low: int, note: str = "") -> Any:
    text = f"{{path}} must be an integer ≥ {low}{note} (got {{got}})"
    return Annotated[int, Field(strict=True, ge=low), rule(text)]


def number(rule_text: str, **bounds: float) -> Any:
    return Annotated[float, Field(strict=True, allow_inf_nan=False, **bounds),
                     rule(f"{{path}} must be a number{rule_text} (got {{got}})")]


def one_of(*choices: str) -> Any:
    listed = ", ".join(repr(c) for c in choices)
    return Annotated[Literal[choices], rule(f"{{path}} must be one of {listed} (got {{got}})")]


Count = count(1)
Flag = Annotated[bool, Field(strict=True), rule("{path} must be true or false (got {got})")]
