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
    """Resolves every name and its inputs now (``Plan.parse``: a typo or a bad size fails before running)."""
    from cnnbench.plan import Plan

    names = list(dict.fromkeys(names))  # a model named twice is one row per batch, not two
    spec = Plan.parse(names, input_size=input_size, inputs=inputs, fuse=fuse, batch_sizes=batch_sizes,
                           dtype=dtype, latency=latency)
    tasks: list[Task] = []
    runtimes: dict[str, tuple[str, ...]] = {}
    specs: dict[str, Any] = {}
    rows = skipped = 0
    for mspec, ispec in zip(spec.specs, spec.inputs, strict=True):
        specs[mspec.name] = mspec
        for bs in spec.batch_sizes:
            task = Task(model=mspec.name, target=worker_target(mspec.name), input_size=spec.input_size,
                        inputs=inputs, input_label=input_label(ispec, bs), batch_size=bs, dtype=spec.dtype,
                        fuse=spec.fuse, latency=latency)
            if latency is None:
                rows += 1
                if task.key() in skip:
                    skipped += 1
                else:
                    tasks.append(task)
                continue
            todo = tuple(rt for rt in latency.runtimes if task.key(rt) not in skip)
            rows += len(latency.runtimes)
            skipped += len(latency.runtimes) - len(todo)
            if todo:
                tasks.append(task)
                runtimes[task.key()] = todo
    return SweepPlan(tasks, runtimes, specs, rows, skipped, latency)


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
                emit(t, {**failure_record(t, rec["error"], plan.specs.get(task.model)), "_isolation": True})
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


def open_executor(kind: str, address: str | None, jobs: int, timeout: float, cap: int) -> Any:
    """The executor a sweep runs on: a local pool of ``jobs`` workers, or Ray (connected now, so a cluster that
    cannot be reached fails before anything is planned). A Ray executor must be ``shutdown()`` afterwards."""
    if kind == "ray":
        import os

        from cnnbench.sweep.ray_pool import RayExecutor

        if not address:  # a local Ray instance started for one sweep needs no token files
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")

        ex = RayExecutor(address, timeout=timeout, max_memory=cap)
        ex.connect()  # a cluster that cannot be reached fails now (exit 2), before anything is planned
        return ex
    from cnnbench.sweep.local_pool import LocalPool, WorkerConfig

    return LocalPool(jobs, timeout=timeout, config=WorkerConfig(max_memory=cap))


def measured_keys(store: Any, kind: str, executor: Any, *, retry_failed: bool) -> set[str]:
    """``--resume``: the row keys ``store`` already holds for this code version on the machine(s) that will run."""
    from cnnbench.sweep import resume

    if kind == "local":
        fps = resume.this_fingerprint()
    else:
        from cnnbench.sweep.ray_pool import cluster_fingerprints

        fps = cluster_fingerprints(executor)
    return resume.measured(store, fps, retry_failed=retry_failed)


class RowWriter:
    """Streams each row into the database as it arrives: one run per distinct measuring environment (a Ray
    cluster's nodes each get theirs), created at its first row."""

    def __init__(self, store: Any, command: str) -> None:
        self.store = store
        self.command = command
        self.runs: dict[str, int] = {}
        self.rows = 0
        self._default_env: dict[str, Any] | None = None

    def __call__(self, rec: dict[str, Any]) -> None:
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
