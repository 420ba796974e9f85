"""User code — a model's build, forward, export, compile — as the latency engine runs it.

Two guarantees for callers of the engine (the CLI and library callers alike): user code never writes to our
stdout (:func:`stdout_to_stderr`, :func:`quiet_output` for the exporters' dumps), and it never ends the process:
a ``SystemExit`` it raises becomes the row's error ``model called sys.exit(N)`` (:class:`ModelExitError`,
:func:`failure_text`). Errors for a row are one plain line: ANSI colour escapes (the ONNX exporter colours its
messages) are stripped.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator

from cnnbench.errors import exit_text as errors_exit_text
from cnnbench.errors import row_error

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Sends everything written to stdout — Python ``print`` and C/C++ writes to fd 1 — to stderr.

    The ONNX exporter and Inductor's compiler subprocesses may print progress; stdout must carry only the
    requested output (``cnnbench ... --format json | jq``).
    """
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no usable fd 1 (embedded interpreters): the Python-level redirect still applies
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            _fflush_c_stdio()
            os.dup2(saved, 1)
            os.close(saved)


@contextlib.contextmanager
def quiet_output() -> Iterator[None]:
    """Captures everything written to stdout *and* stderr (fd level) while exporting; shown only under --debug.

    The TorchScript exporter prints its whole IR graph when it fails and the dynamo exporter prints progress;
    the failure is reported in the row's error, so the dump is noise. With ``CNNBENCH_DEBUG=1`` the captured
    text is replayed on stderr afterwards.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with tempfile.TemporaryFile() as sink:
        try:
            saved = (os.dup(1), os.dup(2))
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
        except OSError:  # no usable fds (embedded interpreters): the Python-level redirect still applies
            saved = None
        try:
            with contextlib.redirect_stdout(sys.stderr):
                yield
        finally:
            if saved is not None:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                _fflush_c_stdio()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])
                if os.environ.get("CNNBENCH_DEBUG", "") not in ("", "0"):
                    sink.seek(0)
                    sys.stderr.write(sink.read().decode(errors="replace"))


class ModelExitError(RuntimeError):
    """User code (build, forward, export) called ``sys.exit``: the row fails, the process goes on."""

    def __init__(self, exc: SystemExit) -> None:
        super().__init__(exit_text(exc))


def exit_text(exc: SystemExit) -> str:
    """``"model called sys.exit(3)"`` (``sys.exit()`` when no code was given)."""
    return f"model {errors_exit_text(exc)}"


def failure_text(err: BaseException, context: str = "") -> str:
    """One plain line for a failed row: :func:`~cnnbench.errors.row_error` (traceback under --debug), ANSI colour
    escapes stripped, and ``model called sys.exit(N)`` for a ``SystemExit`` raised by user code."""
    text = row_error(err, context)
    if isinstance(err, SystemExit):
        return exit_text(err)
    if isinstance(err, ModelExitError):
        return str(err)
    return _ANSI.sub("", text)


def _fflush_c_stdio() -> None:
    # C stdio buffers must be flushed while fd 1 still points at stderr, or they surface on stdout later.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").fflush(None)

