"""The one exception type the CLI turns into a one-line error and exit code 2."""


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
