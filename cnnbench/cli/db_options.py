"""The results-history options of the CLI (``--save`` / ``--db`` / ``$CNNBENCH_DB``) and when they record.

Commands that produce records (profile, compare, reproduce, check) add the two options and call :func:`maybe_save`
once their records are built — also after Ctrl-C, so finished rows are kept. The writing itself is
:func:`cnnbench.store.record_run`.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Annotated, Any

import typer

from cnnbench.store import DEFAULT_DB

DB_ENV = "CNNBENCH_DB"
_PANEL = "History"


def _check_db(value: str | None) -> str | None:
    """Opens (creating/migrating) the database named by --db or $CNNBENCH_DB while parsing the command line, so
    an unusable file fails at once (exit 2) instead of after a long sweep."""
    path = value or os.environ.get(DB_ENV)
    if path:
        from cnnbench.store import open_store

        open_store(path).close()
    return value


SaveOpt = Annotated[bool, typer.Option("--save", help=f"Record the results in the history database "
                                       f"(default {DEFAULT_DB}; also done when --db or ${DB_ENV} is set).",
                                       rich_help_panel=_PANEL)]
DbOpt = Annotated[str | None, typer.Option("--db", help=f"Record the results in this database (default "
                                           f"${DB_ENV}, else {DEFAULT_DB} with --save).", callback=_check_db,
                                           rich_help_panel=_PANEL)]
#: --db for commands that only read the history (never creates a file).
ReadDbOpt = Annotated[str | None, typer.Option("--db", help=f"Results database (default ${DB_ENV}, else "
                                               f"{DEFAULT_DB}).")]


def db_path(db: str | None) -> str:
    """The database a command uses: ``--db``, else ``$CNNBENCH_DB``, else :data:`DEFAULT_DB`."""
    return db or os.environ.get(DB_ENV) or DEFAULT_DB


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed (``cnnbench profile resnet18 ...``), shell-quoted."""
    args = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["cnnbench", *args])


def maybe_save(records: list[dict[str, Any]], *, save: bool, db: str | None, command: str,
               env: dict[str, Any] | None = None) -> int | None:
    """Records ``records`` as one run when ``save`` is set or a database is named (``db`` / ``$CNNBENCH_DB``).

    Returns:
        The run id, or ``None`` when nothing was recorded (not asked, or no records).

    Raises:
        CnnbenchError: The database cannot be opened or written (exit 2, one line).
    """
    if not (save or db or os.environ.get(DB_ENV)):
        return None
    from cnnbench.cli.output import stderr
    from cnnbench.store import record_run

    path = db_path(db)
    run_id = record_run(records, path, command=command, env=env)
    if run_id is not None:
        stderr.print(f"recorded {len(records)} row(s) in {path} (run {run_id})")
    return run_id


def deliver(records: list[dict[str, Any]], fmt: str, output: Any, table_fn=None, *, save: bool, db: str | None,
            command: str, env: dict[str, Any] | None = None) -> None:
    """Hands finished rows out in the order that loses nothing: the database first, then stdout, then ``-o``.

    A failure in one step (database locked, disk full) does not stop the next; afterwards one line names every
    failure and the command exits 2 (``CnnbenchError``) — with the results already printed.
    """
    from cnnbench.cli.output import OutputFailures, emit
    from cnnbench.errors import CnnbenchError

    failures = OutputFailures()
    try:
        maybe_save(records, save=save, db=db, command=command, env=env)
    except CnnbenchError as e:
        failures.messages.append(str(e))
    emit(records, fmt, output, table_fn, failures)
    failures.raise_if_any()
