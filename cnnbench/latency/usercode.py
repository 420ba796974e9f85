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

from cnnbench.errors import exit_text, row_error

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@contextlib.contextmanager
def fds_redirected(targets: dict[int, int]) -> Iterator[bool]:
    """Points each file descriptor in ``targets`` at its target fd for the block — C/C++ writes included — and
    restores it afterwards (Python and C stdio buffers flushed on both sides, so nothing surfaces in the wrong place).

    Yields:
        Whether the redirect happened (an embedded interpreter may have no usable fds: then nothing is changed).
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        saved = {fd: os.dup(fd) for fd in targets}
        for fd, target in targets.items():
            os.dup2(target, fd)
    except OSError:
        saved = None
    try:
        yield saved is not None
    finally:
        if saved is not None:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            _fflush_c_stdio()
            for fd, old in saved.items():
                os.dup2(old, fd)
                os.close(old)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Sends everything written to stdout — Python ``print`` and C/C++ writes to fd 1 — to stderr.

    The ONNX exporter and Inductor's compiler subprocesses may print progress; stdout must carry only the
    requested output (``cnnbench ... --format json | jq``).
    """
    with fds_redirected({1: 2}), contextlib.redirect_stdout(sys.stderr):
        yield


@contextlib.contextmanager
def quiet_output() -> Iterator[None]:
    """Captures everything written to stdout *and* stderr (fd level) while exporting; shown only under --debug.

    The TorchScript exporter prints its whole IR graph when it fails and the dynamo exporter prints progress;
    the failure is reported in the row's error, so the dump is noise. With ``CNNBENCH_DEBUG=1`` the captured
    text is replayed on stderr afterwards.
    """
    with tempfile.TemporaryFile() as sink:
        try:
            with fds_redirected({1: sink.fileno(), 2: sink.fileno()}), contextlib.redirect_stdout(sys.stderr):
                yield
        finally:
            if os.environ.get("CNNBENCH_DEBUG", "") not in ("", "0"):
                sink.seek(0)
                sys.stderr.write(sink.read().decode(errors="replace"))


class ModelExitError(RuntimeError):
    """User code (build, forward, export) called ``sys.exit``: the row fails, the process goes on."""

    def __init__(self, exc: SystemExit) -> None:
        super().__init__(exit_text(exc, "model"))


def failure_text(err: BaseException, context: str = "") -> str:
    """One plain line for a failed row: :func:`~cnnbench.errors.row_error` (traceback under --debug), ANSI colour
    escapes stripped, and ``model called sys.exit(N)`` for a ``SystemExit`` raised by user code."""
    text = row_error(err, context)
    if isinstance(err, SystemExit):
        return exit_text(err, "model")
    if isinstance(err, ModelExitError):
        return str(err)
    return _ANSI.sub("", text)


def _fflush_c_stdio() -> None:
    # C stdio buffers must be flushed while fd 1 still points at stderr, or they surface on stdout later.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").fflush(None)

