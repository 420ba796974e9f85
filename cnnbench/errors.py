"""The one exception type the CLI turns into a one-line error and exit code 2, and the one wording of its messages
for each face (the CLI's flags, the library's keyword arguments: :func:`library_face`)."""

from contextvars import ContextVar


class CnnbenchError(Exception):
    """A domain or usage error: bad input, unknown model, unavailable device.

    The CLI prints ``str(err)`` on one line and exits with code 2; ``--debug`` shows the traceback.
    Subclasses say which kind, for library callers who want to catch one (all are still ``CnnbenchError``).
    """


class UnknownModelError(CnnbenchError):
    """A model name that neither the registry nor timm/torchvision knows (the message has suggestions)."""


class InputError(CnnbenchError):
    """Input sizes or example inputs that cannot be used (malformed, out of range, wrong container)."""


class DeviceError(CnnbenchError):
    """A device or runtime that is not available on this machine."""


class UserCodeError(CnnbenchError):
    """User code named by a spec (``file.py:Class``, ``pkg.mod:fn``, an inputs factory) failed to import."""


def exit_text(err: BaseException, who: str = "") -> str:
    """``"called sys.exit(3)"`` for a ``SystemExit`` raised by user code (cnnbench never lets it choose the exit code).

    ``who`` leads when given (``exit_text(e, "model")`` → ``"model called sys.exit(3)"``); ``sys.exit()`` when no
    code was given. The one wording of every row error and usage error about a user's ``sys.exit``.
    """
    code = getattr(err, "code", None)
    return f"{who + ' ' if who else ''}called sys.exit({'' if code is None else repr(code)})"


def one_line(err: BaseException, limit: int = 300) -> str:
    """``"TypeName: first line of the message"``, at most ``limit`` characters: how a failed row reports why."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    text = f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def row_error(err: BaseException, context: str = "") -> str:
    """The one-line ``error`` of a failed row; with ``--debug`` (``CNNBENCH_DEBUG=1``) the traceback goes to stderr.

    Every place that turns an exception into a row's error calls this, so ``--debug`` shows why a row failed —
    exactly when a traceback is needed.
    """
    import os

    if os.environ.get("CNNBENCH_DEBUG", "") not in ("", "0"):
        import sys
        import traceback

        print(f"--- traceback of a failed row{f' ({context})' if context else ''} ---", file=sys.stderr)
        traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    return one_line(err)


# --- one message, two faces: the CLI names its flags, the library its keyword arguments ---------------------------

#: The options whose messages the library words as keyword arguments (``--compile-mode`` → ``compile_mode=``): the
#: keywords of ``cnnbench.profile/compare/explain/list_models``. Other flags (``--debug``, ``--format``) stay.
LIBRARY_KEYWORDS = frozenset((
    "input_size", "inputs", "batch_size", "dtype", "latency", "device", "runtime", "threads", "channels_last",
    "budget", "min_samples", "warmup", "onnx_dir", "counter", "fuse", "name", "precision", "compile_mode",
    "quantization", "roofline", "family", "rounds", "sort", "source", "kind", "depth", "by", "top", "iterations",
    "train", "optimizer", "fit", "measure", "weight_bits", "sparsity", "shared_weights", "index_bits", "calibrate"))
#: Switches: a bare ``--fuse`` is ``fuse=True`` to the library.
_SWITCHES = frozenset(("latency", "fuse", "channels_last", "roofline", "train", "measure", "calibrate"))
#: Whole phrases the library says otherwise.
_PHRASES = (("drop --no-latency", "pass latency=True"), ("--no-latency", "latency=False"),
            ("`cnnbench list`", "cnnbench.list_models()"))
#: Words that follow a bare flag in a message (``--budget must be ...``): never a value.
_NOT_VALUES = frozenset(("must", "needs", "need", "cannot", "runs", "casts", "takes", "applies", "exceeds", "or",
                         "and", "is", "are", "not", "with", "to", "can", "names", "given", "was", "the", "a"))


_IN_LIBRARY: ContextVar[bool] = ContextVar("cnnbench_in_library", default=False)


def library_text(text: str) -> str:
    """A message in the CLI's words (``--precision amp-fp16``, ``--budget must be ...``) in the library's
    (``precision='amp-fp16'``, ``budget must be ...``): every :data:`LIBRARY_KEYWORDS` flag, its value quoted."""
    import re

    for cli, lib in _PHRASES:
        text = text.replace(cli, lib)

    def keyword(m: re.Match[str]) -> str:
        key, value = m.group(1).replace("-", "_"), m.group(2)
        if key not in LIBRARY_KEYWORDS:
            return m.group(0)
        if value is None or value in _NOT_VALUES:
            bare = f"{key}=True" if key in _SWITCHES else key
            return bare + (f" {value}" if value is not None else "")
        if not (value[0] in "'\"" or re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", value)):
            value = repr(value)
        return f"{key}={value}"

    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)(?: ('[^']*'|[^\s,;:()]+))?", keyword, text)


def for_library(err: CnnbenchError) -> CnnbenchError:
    """``err`` (same type) with its message in the library's words (:func:`library_text`): what
    ``cnnbench.profile/compare/explain/list_models`` raise."""
    import copy

    text = library_text(str(err))
    if text == str(err):
        return err
    out = copy.copy(err)
    out.args = (text,)
    return out


def library_face(fn):
    """Decorates a library verb: the :class:`CnnbenchError` it raises, and the warnings printed while it runs
    (:func:`worded`), speak the library's words (:func:`for_library`)."""
    import functools

    @functools.wraps(fn)
    def verb(*args, **kwargs):
        token = _IN_LIBRARY.set(True)
        try:
            return fn(*args, **kwargs)
        except CnnbenchError as err:
            lib = for_library(err)
            if lib is err:
                raise
            raise lib from None
        finally:
            _IN_LIBRARY.reset(token)

    return verb


def worded(text: str) -> str:
    """A warning written in the CLI's words, as whoever called says it: :func:`library_text` inside a library verb
    (:func:`library_face`), unchanged for the CLI."""
    return library_text(text) if _IN_LIBRARY.get() else text
