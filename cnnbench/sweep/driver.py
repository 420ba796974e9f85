"""Plan a sweep's rows, run them on an executor, hand each finished row to a callback as it arrives.

A row is (model, inputs, batch[, runtime]). Static-only sweeps have one task per row. A latency sweep has one
static task per (model, inputs, batch) and, once it is back, one timed task per runtime (the rows). Rows whose key
is in ``skip`` (``--resume``) are not planned at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnbench.catalog import worker_target
from cnnbench.sweep.schedule import Scheduler
from cnnbench.sweep.tasks import Task, failure_record


@dataclass
class SweepPlan:
    """The static tasks to run, which runtimes each still needs, and how many rows ``--resume`` skipped."""

    tasks: list[Task]
    runtimes: dict[str, tuple[str, ...]]  # static task key → runtimes still to time (latency sweeps)
    specs: dict[str, Any]
    rows: int
    skipped: int
    latency: Any = None
    #: (name, the earlier name it resolved to the same model as): dropped (``resnet18 ResNet-18``)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    skipped_keys: list[str] = field(default_factory=list)  # the row keys ``--resume`` skipped, in plan order


@dataclass
class SweepOutcome:
    records: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    skipped: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(1 for r in self.records if r.get("error"))


def input_label(ispec: Any, batch_size: int) -> str:
    """The inputs of a row before anything runs: ``1x3x224x224`` (several tensors comma-separated); a factory by
    its name (``make_inputs(batch=8)`` when it takes the batch)."""
    if ispec.shapes:
        return ", ".join("x".join(map(str, (batch_size, *s))) for s in ispec.shapes)
    name = ispec.name or "inputs"
    return f"{name}(batch={batch_size})" if ispec.takes_batch else name


def plan_sweep(names: list[str], *, input_size: str | list[str] | None = None, inputs: str | None = None,
               batch_sizes: list[str] | None = None, dtype: str = "fp32", fuse: bool = False, latency: Any = None,
               skip: set[str] | frozenset[str] = frozenset()) -> SweepPlan:
    """Resolves every name and its inputs now (``Plan.parse``: a typo or a bad size fails before running).

    Names that resolve to one model (an alias: ``resnet18 ResNet-18``; one file spelt several ways:
    ``./m.py:Net m.py:Net /abs/m.py:Net``) are measured once, under the first spelling (``duplicates`` counts the
    other names). A user model's row key carries its file's content hash, so ``--resume`` re-measures an edited model.
    """
    from cnnbench.plan import Plan

    names = list(dict.fromkeys(names))
    spec = Plan.parse(names, input_size=input_size, inputs=inputs, fuse=fuse, batch_sizes=batch_sizes,
                           dtype=dtype, latency=latency)
    tasks: list[Task] = []
    runtimes: dict[str, tuple[str, ...]] = {}
    specs: dict[str, Any] = {}
    seen: dict[str, str] = {}  # resolved identity → the name first given for it
    duplicates: list[tuple[str, str]] = []
    skipped_keys: list[str] = []
    rows = skipped = 0
    for name, mspec, ispec in zip(names, spec.specs, spec.inputs, strict=True):
        target = worker_target(mspec.name)
        if target in seen or mspec.name in specs:
            duplicates.append((name, seen.get(target) or seen.get(mspec.name, "")))
            continue
        seen[target] = seen[mspec.name] = name
        specs[mspec.name] = mspec
        code = user_code_hash(mspec)
        for bs in spec.batch_sizes:
            task = Task(model=mspec.name, target=target, input_size=spec.input_size,
                        inputs=inputs, input_label=input_label(ispec, bs), batch_size=bs, dtype=spec.dtype,
                        fuse=spec.fuse, latency=latency, code=code)
            if latency is None:
                rows += 1
                if task.key() in skip:
                    skipped += 1
                    skipped_keys.append(task.key())
                else:
                    tasks.append(task)
                continue
            todo = tuple(rt for rt in latency.runtimes if task.key(rt) not in skip)
            rows += len(latency.runtimes)
            skipped += len(latency.runtimes) - len(todo)
            skipped_keys += [task.key(rt) for rt in latency.runtimes if rt not in todo]
            if todo:
                tasks.append(task)
                runtimes[task.key()] = todo
    return SweepPlan(tasks, runtimes, specs, rows, skipped, latency, duplicates, skipped_keys)


def user_code_hash(spec: Any) -> str | None:
    """``sha256:<16 hex>`` of the file a user model comes from (``file.py:Class``: that file; ``pkg.mod:fn``: the
    module's file), ``None`` for catalogue models (their code is cnnbench's version). Only that file is hashed,
    not what it imports."""
    import hashlib
    import sys

    if spec.source == "file":
        path = worker_target(spec.name).rpartition(":")[0]
    elif spec.source == "module":
        module = sys.modules.get(spec.name.rpartition(":")[0])
        path = getattr(module, "__file__", None)
    else:
        return None
    try:
        with open(str(path), "rb") as f:
            return "sha256:" + hashlib.sha256(f.read()).hexdigest()[:16]
    except (OSError, TypeError):  # a namespace package or a module without a file: its name is all there is
        return None


def run_plan(plan: SweepPlan, executor: Any, on_row: Callable[[dict[str, Any]], None] | None = None
             ) -> SweepOutcome:
    """Runs ``plan`` on ``executor`` (``.run(scheduler, on_done)``); Ctrl-C keeps the rows already finished."""
    from dataclasses import replace

    out = SweepOutcome(skipped=plan.skipped)
    exclusive = plan.latency is None or str(plan.latency.device) == "cpu"
    sched = Scheduler(plan.tasks, exclusive=exclusive)
    t0 = time.monotonic()

    def emit(task: Task, rec: dict[str, Any]) -> None:
        rec = dict(rec)
        rec.pop("_isolation", None)
        rec.pop("oom", None)
        spec = plan.specs.get(task.model)
        if spec is not None:  # failure records made by an executor know only the task
            rec["source"] = rec.get("source") or spec.source
            rec["family"] = rec.get("family") or spec.family
        out.records.append(rec)
        if on_row is not None:
            on_row(rec)

    def on_done(task: Task, rec: dict[str, Any]) -> None:
        if task.timed or plan.latency is None:
            emit(task, rec)
            return
        todo = plan.runtimes.get(task.key(), ())
        if rec.get("_isolation"):  # the worker died on the static half: timing it would only die again
            for rt in todo:
                t = replace(task, runtime=rt)
                emit(t, {**failure_record(t, rec["error"], plan.specs.get(task.model)), "node_id": rec.get("node_id"),
                         "_isolation": True})
            return
        for rt in todo:
            sched.push_timed(replace(task, runtime=rt, base=rec))

    try:
        executor.run(sched, on_done)
    except KeyboardInterrupt:
        out.interrupted = True
    out.seconds = time.monotonic() - t0
    return out


def memory_cap(max_memory_gb: float | None, jobs: int) -> int:
    """Bytes one worker may allocate: ``--max-memory`` GB, else 80 % of this machine's RAM shared by ``jobs``."""
    if max_memory_gb is not None:
        from cnnbench.sweep.local_pool import GB

        return int(max_memory_gb * GB)
    import psutil

    return int(0.8 * psutil.virtual_memory().total / jobs)


def worker_count(jobs: int, tasks: int, max_memory_gb: float | None = None,
                 available: int | None = None) -> tuple[int, str | None]:
    """How many local workers a sweep starts, and why fewer than ``jobs`` (``None`` when not capped).

    Never more than the static tasks (a worker without a task would only hold memory), and never more than fit in
    80 % of the memory available now: each worker needs :data:`~cnnbench.sweep.local_pool.WORKER_BYTES` (its
    imports, measured at about 0.7 GB, plus room to work) or ``--max-memory``, whichever is larger.
    """
    from cnnbench.sweep.local_pool import GB, WORKER_BYTES

    if available is None:
        import psutil

        available = int(psutil.virtual_memory().available)
    per = max(WORKER_BYTES, int((max_memory_gb or 0) * GB))
    fit = max(1, int(0.8 * available // per))
    n = max(1, min(jobs, tasks, fit))
    if n == jobs or tasks == 0:
        return n, None
    if tasks <= fit:
        return n, f"--jobs {jobs} capped to {n}: only {tasks} task(s) can run in parallel"
    return n, (f"--jobs {jobs} capped to {n}: {available / GB:.1f} GB available fits {fit} worker(s) of "
               f"{per / GB:.1f} GB" + (" (--max-memory)" if per > WORKER_BYTES else " (a worker's own imports are "
                                       "about 0.7 GB)"))


def open_executor(kind: str, address: str | None, jobs: int, timeout: float, cap: int,
                  connect_timeout: float = 15.0) -> Any:
    """The executor a sweep runs on: a local pool of ``jobs`` workers, or Ray (connected now, so a cluster that
    cannot be reached fails before anything is planned, within ``connect_timeout`` seconds). A Ray executor must be
    ``shutdown()`` afterwards."""
    if kind == "ray":
        import os

        from cnnbench.sweep.ray_pool import RayExecutor

        if not address:  # a local Ray instance started for one sweep needs no token files
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")

        ex = RayExecutor(address, timeout=timeout, max_memory=cap, connect_timeout=connect_timeout)
        ex.connect()  # a cluster that cannot be reached fails now (exit 2), before anything is planned
        return ex
    from cnnbench.sweep.local_pool import LocalPool, WorkerConfig

    return LocalPool(jobs, timeout=timeout, config=WorkerConfig(max_memory=cap))


def measured_records(store: Any, kind: str, executor: Any, *, retry_failed: bool,
                     any_version: bool = False) -> dict[str, dict[str, Any]]:
    """``--resume``: row key → the latest record ``store`` holds for it, measured by this code version on the
    machine(s) that will run (the rows a resumed sweep skips, and still reports)."""
    from cnnbench.sweep import resume

    if kind == "local":
        fps = resume.this_fingerprint()
    else:
        from cnnbench.sweep.ray_pool import cluster_fingerprints

        fps = cluster_fingerprints(executor)
    return resume.measured(store, fps, retry_failed=retry_failed, any_version=any_version)


class RowWriter:
    """Streams each row into the database as it arrives: one run per distinct measuring environment (a Ray
    cluster's nodes each get theirs), created at its first row.

    Nothing measured is lost to the database: a write that fails (locked past the busy timeout, disk full) is not
    raised into the sweep; that row and every later one wait in :attr:`pending` (no further write is tried, so a
    locked database costs one busy timeout, not one per row) until :meth:`finish` tries once more and says what
    could not be recorded.
    """

    def __init__(self, store: Any, command: str) -> None:
        self.store = store
        self.command = command
        self.runs: dict[str, int] = {}
        self.rows = 0
        self.pending: list[dict[str, Any]] = []
        self.error: str | None = None
        self._default_env: dict[str, Any] | None = None

    def __call__(self, rec: dict[str, Any]) -> None:
        self.pending.append(rec)
        if self.error is None:
            self._flush()

    def finish(self) -> str | None:
        """Writes the rows still pending (one more try); returns the failure to report, or ``None``."""
        if self.pending:
            self._flush()
        if not self.pending:
            return None
        return (f"{self.error}: {len(self.pending)} row(s) not recorded in {self.store.path} "
                f"({self.rows} recorded; every row is in the output)")

    def _flush(self) -> None:
        from cnnbench.errors import CnnbenchError

        try:
            while self.pending:
                self._write(self.pending[0])
                self.pending.pop(0)
            self.error = None
        except CnnbenchError as e:
            self.error = str(e)

    def _write(self, rec: dict[str, Any]) -> None:
        import json

        env = rec.get("env")
        if not isinstance(env, dict):  # a worker that died left no env: the driver's machine ran it
            if self._default_env is None:
                from cnnbench.sweep.tasks import worker_env

                self._default_env = worker_env(None, None)
            env = self._default_env
        key = json.dumps(env, sort_keys=True, default=str)
        if key not in self.runs:
            self.runs[key] = self.store.start_run(command=self.command, env=env)
        self.store.append_results(self.runs[key], [rec])
        self.rows += 1


def ordered(records: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """Rows in the order the models were named, then by batch size and runtime."""
    order = {n: i for i, n in enumerate(names)}
    return sorted(records, key=lambda r: (order.get(str(r.get("model")), len(order)),
                                          r.get("batch_size") or (r.get("input_shape") or [0])[0],
                                          str(r.get("runtime"))))
