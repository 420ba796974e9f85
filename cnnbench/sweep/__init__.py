"""``cnnbench sweep``: a model zoo swept in isolated, reused worker processes (local pool or Ray), resumable.

* :mod:`.tasks` is the work itself (the same in every executor): a static task per (model, input, batch) and a
  timed task per runtime, each returning a record;
* :mod:`.schedule` orders them (static work in parallel, timed work one at a time per device);
* :mod:`.local_pool` runs tasks in a pool of ``spawn``-ed worker processes (timeout, memory cap, a dead worker replaced);
* :mod:`.ray_pool` runs them as Ray tasks (``--executor ray``);
* :mod:`.resume` knows which rows the history database already holds for this code and machine;
* :mod:`.driver` plans the rows, opens the executor, runs it and streams rows to a callback (:class:`RowWriter`
  records them in the database as they arrive);
* :mod:`.summary` is what a finished sweep says: the tables, failures by cause, the ``-o`` and ``--summary`` files.

Each name is imported from its module at first use: importing this package imports no torch (nor Ray).
"""

from __future__ import annotations

from cnnbench import lazy_face

_WHERE = {
    "driver": ("RowWriter", "SweepOutcome", "SweepPlan", "measured_records", "memory_cap",
               "open_executor", "ordered", "plan_sweep", "run_plan", "user_code_hash", "worker_count"),
    "local_pool": ("LocalPool", "WorkerConfig", "death_text"),
    "ray_pool": ("RayExecutor", "cluster_fingerprints"),
    "resume": ("this_fingerprint",),
    "schedule": ("Scheduler",),
    "summary": ("cause", "failures_by_cause", "file_records", "markdown_summary", "summary_tables",
                "write_summary"),
    "tasks": ("Task",),
}
_MODULE = {name: mod for mod, names in _WHERE.items() for name in names}

__all__ = [
    "LocalPool", "RayExecutor", "RowWriter", "Scheduler", "SweepOutcome", "SweepPlan", "Task", "WorkerConfig",
    "cause", "cluster_fingerprints", "death_text", "failures_by_cause", "file_records", "markdown_summary",
    "measured_records", "memory_cap", "open_executor", "ordered", "plan_sweep", "run_plan",
    "summary_tables", "this_fingerprint", "user_code_hash", "worker_count", "write_summary",
]

__getattr__, __dir__ = lazy_face(__name__, _MODULE)
