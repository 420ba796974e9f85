"""Where a command's output goes: the consoles, the stdout guard, emit, and the output-path checks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console


def _stdout_width() -> int | None:
    """A terminal's own width, or ``COLUMNS`` when set (Rich reads it); piped output is not squeezed into 80 columns."""
    import os

    return None if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit() else 320


stdout = Console(soft_wrap=False, width=_stdout_width())
stderr = Console(stderr=True)


def check_plot_path(path: Path | str | None, what: str = "--plot") -> Path | None:
    """The one check of every ``--plot`` option, before anything is measured: a writable file path
    (:func:`check_output_path`) whose extension matplotlib writes (``.png``, ``.svg``, ``.pdf``)."""
    from cnnbench.report import check_plot_path as plot_suffix

    p = check_output_path(path, what)
    return None if p is None else plot_suffix(p, what)


def check_output_path(path: Path | str | None, what: str = "--output", *, directory: bool = False) -> Path | None:
    """Refuses, before anything is measured, an output path that cannot be written (one line, exit 2).

    A file path must not name a directory and its directory must exist and be writable (an existing file must be
    writable too); with ``directory=True`` the path is a directory that exists writable or can be created under a
    writable ancestor.
    """
    import os

    from cnnbench.errors import CnnbenchError

    if path is None:
        return None
    if str(path).strip() == "":
        raise CnnbenchError(f"{what} is empty (an unset environment variable?)")
    p = Path(path).expanduser()
    if directory:
        if p.exists() and not p.is_dir():
            raise CnnbenchError(f"{what} {p} is not a directory")
        anc = p
        while not anc.exists() and anc != anc.parent:
            anc = anc.parent
        if not anc.is_dir() or not os.access(anc, os.W_OK | os.X_OK):
            raise CnnbenchError(f"{what} {p}: cannot create or write there ({anc} is not a writable directory)")
        return p
    if p.is_dir():
        raise CnnbenchError(f"{what} {p} is a directory; name a file")
    parent = p.parent if str(p.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise CnnbenchError(f"{what} {p}: {parent} is not a directory")
    if not parent.is_dir():
        raise CnnbenchError(f"{what} {p}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CnnbenchError(f"{what} {p}: directory {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise CnnbenchError(f"{what} {p} is not writable")
    return p


class OutputFailures:
    """Collects file writes that failed after measuring, so every other output (and the table) still happens.

    ``with failures.attempt(path): write(...)`` records an ``OSError`` instead of raising; :meth:`raise_if_any`
    ends the command with one line naming the path(s) and exit 2 once everything else is done.
    """

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attempt(self, path: Path | str):
        import contextlib

        @contextlib.contextmanager
        def guard():
            try:
                yield
            except OSError as e:  # reported once, by raise_if_any, after every other output
                self.messages.append(f"could not write {path}: {e.strerror or e}")

        return guard()

    def raise_if_any(self) -> None:
        from cnnbench.errors import CnnbenchError

        if self.messages:
            raise CnnbenchError("; ".join(self.messages) + " (the results above were printed; every file and database"
                                + " not named here was written)")


def emit(records: list[dict[str, Any]], fmt: str, output: Path | None, table_fn=None,
         failures: OutputFailures | None = None) -> None:
    """Print records in ``fmt`` on stdout (tables through Rich), then write ``output`` atomically.

    The printout comes first, so a failed write never loses the results; with ``failures`` the write error is
    collected (see :class:`OutputFailures`), else it is raised as a one-line error naming the path.
    """
    from cnnbench.report import render, write_records

    if fmt == "table":
        if table_fn is not None:
            table_fn(records)
    else:
        out().write(render(records, fmt))
        out().flush()
    if output is not None:
        own = failures or OutputFailures()
        with own.attempt(output):
            write_records(output, records, fmt)
            stderr.print(f"wrote {len(records)} record(s) to {output}")
        if failures is None:
            own.raise_if_any()


_real_stdout: Any = None  # while a command runs: the stream cnnbench's own output goes to


def _stdout_failed(e: OSError) -> Exception:
    from cnnbench.errors import CnnbenchError

    return CnnbenchError(f"could not write to stdout: {e.strerror or e} (rows were saved to the database where "
                         "one was named)")


class _CheckedStdout:
    """The real stdout, whose failed writes (a full disk, a closed pipe) end the command with one line, exit 2,
    instead of an internal error; everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise _stdout_failed(e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise _stdout_failed(e) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guard_stdout() -> Iterator[None]:
    """While a command runs, only cnnbench writes to stdout; user code (import, build, forward, export) cannot.

    ``sys.stdout`` and file descriptor 1 point at stderr for the duration (``latency.usercode.fds_redirected``), so
    a model that ``print()``s (or a C++ library that writes to fd 1) cannot break ``--format json | jq``;
    cnnbench's own output goes through :func:`out` (and the ``stdout`` Console) to a duplicate of the real fd 1.
    Under ``CliRunner`` (no real fd) the redirect is Python-level only.
    """
    import os

    from cnnbench.latency.usercode import fds_redirected

    global _real_stdout
    saved = sys.stdout
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    with contextlib.ExitStack() as stack:
        real = saved
        if fd == 1:
            saved.flush()
            real = os.fdopen(os.dup(1), "w", encoding=getattr(saved, "encoding", None) or "utf-8", errors="replace")

            def close(exc_type: Any, *_: Any) -> bool:
                try:  # the last buffered output: a failure is the command's error unless it already has one
                    real.flush()
                except OSError as e:
                    if exc_type is None:
                        raise _stdout_failed(e) from None
                finally:
                    with contextlib.suppress(OSError):
                        real.close()
                return False

            stack.push(close)  # after fd 1 is restored (the stack unwinds in reverse)
            stack.enter_context(fds_redirected({1: 2}))
        real = _CheckedStdout(real)
        _real_stdout, stdout.file, sys.stdout = real, real, sys.stderr
        try:
            yield
        finally:
            sys.stdout, stdout.file, _real_stdout = saved, None, None  # the Console follows sys.stdout again


def out() -> Any:
    """The real stdout: where cnnbench's own output goes (the guard sends everything else to stderr)."""
    return _real_stdout if _real_stdout is not None else sys.stdout
