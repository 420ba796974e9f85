"""Where results are kept: the history (an embedded SQLite database of runs and their result rows), the row
writer (:func:`record_run`) and the one atomic file write (:func:`write_atomic`: results, reports, plots, caches).

One ``runs`` row per recorded command (time, git commit and dirty flag, machine fingerprint, full environment,
command line) and one ``results`` row per JSON record of that command (every metric in its own column, the raw
latency samples as JSON, and the whole record as JSON so nothing a later version adds is lost).

Robustness:
  * The schema is versioned with ``PRAGMA user_version`` and upgraded by the ordered :data:`MIGRATIONS`; a database
    from a newer cnnbench is refused instead of being misread.
  * WAL journal mode and a busy timeout: readers never block the writer, and two processes writing at once
    wait for each other instead of failing with "database is locked".
  * Every write is one ``BEGIN IMMEDIATE`` transaction, so a process killed mid-write (even with SIGKILL) leaves
    either the whole run or none of it.
  * A file that is not a database, or cannot be opened, raises :class:`~cnnbench.errors.CnnbenchError`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from cnnbench.errors import CnnbenchError
from cnnbench.records import COUNT_KEYS, LATENCY_STATS

DEFAULT_DB = "results/cnnbench.db"
#: Milliseconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000

# Columns of a ``results`` row: every count of records.COUNT_KEYS under its own name (integer, or real for
# arithmetic_intensity), every statistic of records.LATENCY_STATS as ``latency_<stat>_ms`` (``samples`` and ``noisy``
# without the unit).

# Migration N brings user_version N to N + 1; never edit a released one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: runs and results
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,              -- ISO 8601, UTC
        git_commit TEXT,
        git_dirty INTEGER,               -- 0/1, NULL outside git
        env_fingerprint TEXT,            -- cnnbench.env.fingerprint: machine identity only
        env_json TEXT,                   -- cnnbench.env.collect_env, whole
        command TEXT
    );
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        source TEXT,
        family TEXT,
        device TEXT,
        runtime TEXT,
        batch_size INTEGER,
        dtype TEXT,
        input_shape TEXT,                -- "1x3x224x224"
        threads INTEGER,
        channels_last INTEGER,
        params INTEGER, trainable_params INTEGER, buffers INTEGER, checkpoint_bytes INTEGER,
        macs INTEGER, flops INTEGER, memory_access_elements INTEGER, memory_access_bytes INTEGER,
        activations INTEGER, arithmetic_intensity REAL,
        latency_median_ms REAL, latency_mean_ms REAL, latency_std_ms REAL, latency_iqr_ms REAL,
        latency_p90_ms REAL, latency_p99_ms REAL, latency_min_ms REAL,
        latency_samples INTEGER, latency_noisy INTEGER,
        throughput_per_s REAL, peak_memory_bytes INTEGER, compile_s REAL,
        samples_ms TEXT,                 -- JSON list of raw latency samples (ms), when the record had them
        error TEXT,
        record TEXT NOT NULL             -- the JSON record without env (kept once in runs.env_json)
    );
    """,
    # 2: the lookups `cnnbench history` does
    """
    CREATE INDEX results_series ON results(model, device, runtime, batch_size);
    CREATE INDEX results_run ON results(run_id);
    CREATE INDEX runs_time ON runs(time);
    """,
    # 3: the calibration workload timed beside the model (``--calibrate``): its median and median ÷ it
    """
    ALTER TABLE results ADD COLUMN calibration_ms REAL;
    ALTER TABLE results ADD COLUMN latency_normalized REAL;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _db_error(path: str | Path, err: Exception) -> CnnbenchError:
    return CnnbenchError(f"cannot use results database {path}: {err}")


class Store:
    """A connection to one results database; use :func:`open_store` (or ``with Store(path) as s``)."""

    def __init__(self, path: str | os.PathLike, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise CnnbenchError(f"no results database at {self.path} (record runs with --save or --db)")
        if self.path.is_dir():
            raise CnnbenchError(f"cannot use results database {self.path}: it is a directory")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # autocommit mode: transactions are explicit BEGIN IMMEDIATE ... COMMIT below
            self.conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from e
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.journal_mode = self._enable_wal()
            self._migrate()
        except sqlite3.Error as e:
            self.conn.close()
            raise _db_error(self.path, e) from e
        except BaseException:
            self.conn.close()
            raise

    def _enable_wal(self) -> str:
        """Switch to WAL (readers never block the writer); stays "delete" where WAL is impossible (network mounts).

        Changing the journal mode needs an exclusive lock and SQLite does not run the busy handler for it: two
        processes opening a new database at once see "database is locked" immediately. So retry until the busy
        timeout, and skip the switch when another process already made it.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.005
        while True:
            try:
                mode = str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
                if mode != "wal":
                    mode = str(self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
                return mode
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    # -- schema -------------------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CnnbenchError(f"results database {self.path} has schema version {version}, newer than this "
                                f"cnnbench supports ({SCHEMA_VERSION}): upgrade cnnbench")
        if version == SCHEMA_VERSION:
            return
        with self._transaction():
            # another process may have migrated while we waited for the write lock
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            for n in range(version, SCHEMA_VERSION):
                for stmt in _statements(MIGRATIONS[n]):
                    self.conn.execute(stmt)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a busy database waits (busy_timeout) instead of
        # failing half-way through with SQLITE_BUSY on lock upgrade.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- writing ------------------------------------------------------------------------------------------------

    def save_run(self, records: Sequence[dict[str, Any]], *, command: str = "", env: dict[str, Any] | None = None,
                 time: dt.datetime | None = None, git: tuple[str | None, bool | None] | None = None) -> int:
        """Records one run and its result rows in one transaction; returns the run id.

        Args:
            records: ``Profile.to_dict()`` records (a ``samples_ms`` key, if present, fills the samples column).
            command: The command line that produced them.
            env: :func:`cnnbench.env.collect_env` output; default: the first record's ``env``, else collected now.
            time: Run time (default now, UTC).
            git: ``(commit, dirty)``; default from ``env`` or the current directory.
        """
        if env is None:
            env = next((r["env"] for r in records if isinstance(r.get("env"), dict)), None)
        if env is None:
            env = _light_env()
        run = self._run_row(command, env, time, git)
        rows = [_result_row(r) for r in records]  # prepared before the write lock is taken: it is held briefly
        try:
            with self._transaction():
                run_id = self._insert_run(run)
                self._insert_results(run_id, rows)
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from e
        return run_id

    def start_run(self, *, command: str = "", env: dict[str, Any] | None = None, time: dt.datetime | None = None,
                  git: tuple[str | None, bool | None] | None = None) -> int:
        """Records a run without rows yet (a sweep streams them in with :meth:`append_results`); returns its id."""
        run = self._run_row(command, env if env is not None else _light_env(), time, git)
        try:
            with self._transaction():
                return self._insert_run(run)
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from e

    def append_results(self, run_id: int, records: Sequence[dict[str, Any]]) -> None:
        """Adds result rows to run ``run_id`` in one transaction (a row is stored whole or not at all)."""
        rows = [_result_row(r) for r in records]
        try:
            with self._transaction():
                self._insert_results(run_id, rows)
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from e

    @staticmethod
    def _run_row(command: str, env: dict[str, Any], time: dt.datetime | None,
                 git: tuple[str | None, bool | None] | None) -> tuple[Any, ...]:
        from cnnbench.env import fingerprint

        if git is None:
            git = (env.get("git_commit"), env.get("git_dirty")) if "git_commit" in env else _git()
        when = (time or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        return (when.isoformat(timespec="microseconds"), git[0], None if git[1] is None else int(git[1]),
                fingerprint(env), json.dumps(env, sort_keys=True, default=str), command)

    def _insert_run(self, run: tuple[Any, ...]) -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (time, git_commit, git_dirty, env_fingerprint, env_json, command) "
            "VALUES (?, ?, ?, ?, ?, ?)", run)
        return int(cur.lastrowid)

    def _insert_results(self, run_id: int, rows: list[dict[str, Any]]) -> None:
        if rows:
            cols = list(rows[0])
            self.conn.executemany(
                f"INSERT INTO results (run_id, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
                [(run_id, *(row[c] for c in cols)) for row in rows],
            )

    # -- reading ------------------------------------------------------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first, with ``env`` decoded."""
        out = []
        for row in self._query("SELECT * FROM runs ORDER BY time, id"):
            row["env"] = json.loads(row.pop("env_json") or "null")
            out.append(row)
        return out

    def results(self, model: str | Sequence[str] | None = None, *, since: dt.datetime | None = None
                ) -> list[dict[str, Any]]:
        """Result rows joined with their run (``time``, ``git_commit``, ``git_dirty``, ``env_fingerprint``,
        ``env``, ``command``), oldest first; filtered by model name(s) and run time."""
        sql = ("SELECT results.*, runs.time, runs.git_commit, runs.git_dirty, runs.env_fingerprint, runs.env_json, "
               "runs.command FROM results JOIN runs ON runs.id = results.run_id")
        where, args = [], []
        if model is not None:
            names = [model] if isinstance(model, str) else list(model)
            where.append(f"results.model IN ({', '.join('?' * len(names))})")
            args += names
        if since is not None:
            where.append("runs.time >= ?")
            args.append(since.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"))
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY runs.time, runs.id, results.id"
        out = []
        for row in self._query(sql, args):
            row["env"] = json.loads(row.pop("env_json") or "null")
            row["record"] = json.loads(row["record"])
            row["samples_ms"] = json.loads(row["samples_ms"]) if row["samples_ms"] else None
            out.append(row)
        return out

    def measured_records(self, *, env_fingerprints: str | Sequence[str], git_commit: str | None,
                         git_dirty: bool | None, version: str | None, ok_only: bool = False,
                         any_version: bool = False) -> dict[str, dict[str, Any]]:
        """Row key → its latest record (``env`` restored from its run) for every row measured by this code version on
        a machine of these fingerprints: what ``--resume`` skips, and still reports.

        A sweep (``cnnbench sweep``) stores each row's key in its record (``row_key``: model, inputs, dtype,
        batch, runtime, device, and a user model's file hash). The code version is the run's git commit and dirty
        flag plus the ``cnnbench`` version in its environment; the fingerprint is :func:`cnnbench.env.fingerprint`
        (machine identity). ``ok_only`` leaves out rows that failed. ``any_version``: rows of every code version
        (the latest of each key wins; each record keeps the commit that measured it).
        """
        fps = [env_fingerprints] if isinstance(env_fingerprints, str) else list(env_fingerprints)
        if not fps:
            return {}
        sql = ("SELECT json_extract(results.record, '$.row_key') AS k, results.record, runs.env_json FROM results "
               "JOIN runs ON runs.id = results.run_id "
               f"WHERE runs.env_fingerprint IN ({', '.join('?' * len(fps))}) "
               "AND json_extract(results.record, '$.row_key') IS NOT NULL")
        args: list[Any] = [*fps]
        if not any_version:
            sql += (" AND runs.git_commit IS ? AND runs.git_dirty IS ? "
                    "AND json_extract(runs.env_json, '$.cnnbench') IS ?")
            args += [git_commit, None if git_dirty is None else int(git_dirty), version]
        if ok_only:
            sql += " AND results.error IS NULL"
        out: dict[str, dict[str, Any]] = {}
        for r in self._query(sql + " ORDER BY runs.time, runs.id, results.id", args):
            out[r["k"]] = {**json.loads(r["record"]), "env": json.loads(r["env_json"] or "null")}
        return out

    def models(self) -> list[str]:
        return [r["model"] for r in self._query("SELECT DISTINCT model FROM results ORDER BY model")]

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cur = self.conn.execute(sql, tuple(args))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from e

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | os.PathLike | None = None, *, create: bool = True) -> Store:
    """Opens (creating and migrating if needed) the database at ``path`` (default :data:`DEFAULT_DB`)."""
    return Store(path or DEFAULT_DB, create=create)


def record_run(records: Sequence[dict[str, Any]], path: str | os.PathLike, *, command: str,
               env: dict[str, Any] | None = None) -> int | None:
    """Records a command's finished ``records`` as one run in the database at ``path`` (created if needed).

    Returns:
        The run id, or ``None`` when there is nothing to record (no records: no empty run is written).

    Raises:
        CnnbenchError: The database cannot be opened or written (one line).
    """
    if not records:
        return None
    with open_store(path) as store:
        return store.save_run(records, command=command, env=env)


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction; run the statements one by one inside it instead.
    out, buf = [], []
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        buf.append(code)
        if code.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt.rstrip(";").strip():
                out.append(stmt)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return out


def _light_env() -> dict[str, Any]:
    """The environment of a run without latency (static metrics only): no device, current threads."""
    from cnnbench.env import collect_env

    return collect_env()


def _git() -> tuple[str | None, bool | None]:
    from cnnbench.env import git_state

    return git_state()


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _result_row(rec: dict[str, Any]) -> dict[str, Any]:
    """One ``results`` row (without run_id) from a JSON record."""
    lat = rec.get("latency_ms") if isinstance(rec.get("latency_ms"), dict) else {}
    samples = rec.get("samples_ms")
    shape = rec.get("input_shape")
    record = {k: v for k, v in rec.items() if k not in ("env", "samples_ms")}
    row: dict[str, Any] = {
        "model": str(rec.get("model")),
        "source": rec.get("source"),
        "family": rec.get("family"),
        "device": rec.get("device"),
        "runtime": rec.get("runtime"),
        "batch_size": _int(rec.get("batch_size", shape[0] if shape else None)),
        "dtype": rec.get("dtype"),
        "input_shape": "x".join(map(str, shape)) if shape else None,
        "threads": _int(rec.get("threads")),
        "channels_last": None if rec.get("channels_last") is None else int(bool(rec["channels_last"])),
    }
    for k in COUNT_KEYS:
        v = rec.get(k)
        row[k] = float(v) if k == "arithmetic_intensity" and v is not None else _int(v)
    for k in LATENCY_STATS:
        row[f"latency_{k}_ms"] = lat.get(k)
    row["latency_samples"] = _int(lat.get("samples"))
    row["latency_noisy"] = None if lat.get("noisy") is None else int(bool(lat["noisy"]))
    row["throughput_per_s"] = rec.get("throughput_per_s")
    row["peak_memory_bytes"] = _int(rec.get("peak_memory_bytes"))
    row["compile_s"] = rec.get("compile_s")
    row["calibration_ms"] = rec.get("calibration_ms")
    row["latency_normalized"] = rec.get("latency_normalized")
    row["samples_ms"] = json.dumps(list(samples)) if samples else None
    row["error"] = rec.get("error")
    row["record"] = json.dumps(record, default=str)
    return row


def write_atomic(path: str | os.PathLike, data: str | bytes | Callable[[BinaryIO], object]) -> None:
    """Write ``data`` so that ``path`` is either the old file or the complete new one, never half.

    ``data`` is text (UTF-8), bytes, or a writer called with a binary file object (e.g.
    ``lambda f: fig.savefig(f, format="png")``). The one atomic write of the project: results, reports, plots.

    An existing path that is not a regular file (``/dev/stdout``, a FIFO, ``/dev/full``) is written to, never
    replaced: renaming over it would turn a device node into a regular file (as root, for every later user).
    A symbolic link is followed: its target is written (atomically when that is a regular file), the link kept.
    The new file gets the usual permissions (``0666 & ~umask``), not ``mkstemp``'s 0600.
    """
    path = Path(path)
    if path.is_symlink():
        # renaming over the link would replace the link itself; the file it points to is what the user named
        path = Path(os.path.realpath(path))

    def write(f: BinaryIO) -> None:
        if callable(data):
            data(f)
        else:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)

    if path.exists() and not path.is_file():
        with open(path, "wb") as f:
            write(f)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # here, not at the top: every command imports this module (DEFAULT_DB) at start-up

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a results file should read like any other
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
