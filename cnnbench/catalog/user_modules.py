"""The user's code named as ``file.py:Name`` or ``package.module:Name``: imported with one-line errors.

User code cannot choose cnnbench's exit code: a ``SystemExit`` (or any other ``BaseException`` but Ctrl-C) raised
at import becomes "cannot import x.py: it called sys.exit(3)".
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from cnnbench.catalog.load import ensure_loaded
from cnnbench.catalog.registry import ModelSpec, suggest
from cnnbench.errors import CnnbenchError, UnknownModelError, UserCodeError, exit_text


def is_file_target(prefix: str) -> bool:
    """Whether the part before ``:`` names a file (``x.py``, ``dir/x``) rather than a module."""
    return prefix.endswith(".py") or "/" in prefix or "\\" in prefix


def file_spec(path: str, attr: str) -> ModelSpec:
    module = _import_file(path)
    if not hasattr(module, attr):
        raise CnnbenchError(f"{path} has no attribute {attr!r}")
    return ModelSpec(name=f"{path}:{attr}", family="custom", source="file", builder=getattr(module, attr))


def module_spec(module_name: str, attr: str) -> ModelSpec:
    module = _import_module(module_name, attr)
    if not hasattr(module, attr):
        raise CnnbenchError(f"module {module_name} has no attribute {attr!r}")
    return ModelSpec(name=f"{module_name}:{attr}", family="custom", source="module", builder=getattr(module, attr))


def _import_file(path: str):
    """Import the user's ``path`` (a ``.py`` file); every failure is one ``CnnbenchError``."""
    p = Path(path)
    if not p.is_file():
        raise CnnbenchError(f"model file not found: {path}")
    mod_name = f"_cnnbench_user_{abs(hash(str(p.resolve())))}"  # executed afresh each time: edits are seen
    try:
        spec = importlib.util.spec_from_file_location(mod_name, p)
        if spec is None or spec.loader is None:
            raise CnnbenchError(f"cannot import {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    except CnnbenchError:
        raise
    except BaseException as e:  # user code: nothing it raises may escape as itself
        sys.modules.pop(mod_name, None)
        raise _import_error(path, e) from e
    return module


def _import_error(what: str, e: BaseException) -> BaseException:
    if isinstance(e, KeyboardInterrupt):
        return e
    if isinstance(e, SyntaxError):
        return UserCodeError(f"cannot import {what}: syntax error at line {e.lineno}: {e.msg}")
    if isinstance(e, SystemExit):
        return UserCodeError(f"cannot import {what}: it {exit_text(e)}")
    return UserCodeError(f"cannot import {what}: {type(e).__name__}: {e}")


def _import_module(module_name: str, attr: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        ensure_loaded()
        close = suggest(f"{module_name}:{attr}")
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise UnknownModelError(f"unknown model {module_name}:{attr!r} (no module {e.name!r}){hint}") from e
    except BaseException as e:  # user code (see _import_file)
        raise _import_error(module_name, e) from e


def load_user_callable(target: str, what: str = "inputs") -> Any:
    """The function ``file.py:fn`` or ``package.module:fn`` names (``--inputs file.py:make_inputs``).

    Loaded as ``file.py:Class`` models are (same import, same one-line errors, ``sys.exit`` caught).
    """
    prefix, sep, attr = str(target).strip().rpartition(":")
    if not sep or not prefix or not re.fullmatch(r"[A-Za-z_]\w*", attr):
        raise CnnbenchError(f"malformed {what} {target!r}: use file.py:function or package.module:function")
    if is_file_target(prefix):
        if not Path(prefix).is_file():
            raise CnnbenchError(f"{what} file not found: {prefix}")
        module = _import_file(prefix)
    elif re.fullmatch(r"[A-Za-z_][\w.]*", prefix):
        module = _import_module(prefix, attr)
    else:
        raise CnnbenchError(f"malformed {what} {target!r}: use file.py:function or package.module:function")
    fn = getattr(module, attr, None)
    if fn is None:
        raise CnnbenchError(f"{prefix} has no attribute {attr!r}")
    if not callable(fn):
        raise CnnbenchError(f"{what} {target!r} is not callable")
    return fn
