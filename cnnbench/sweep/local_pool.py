"""The local executor: a pool of ``spawn``-ed worker processes, reused across models, each model under a
timeout and a memory cap.

A worker imports torch, timm and cnnbench once, then runs task after task. The parent watches every worker:
a task past ``timeout`` has its worker killed; a worker that dies (segfault, ``os._exit``, the kernel's OOM
killer) is noticed by its process sentinel. Either way the task's row says what happened (``timed out after
30 s``, ``worker died: SIGSEGV``, ``worker exited with code 7``) and a fresh worker takes the dead one's place.
The memory cap is on resident memory: the parent kills a worker whose RSS passes ``max_memory`` (polled every
0.25 s; the row reads ``out of memory: worker resident memory ...``). An address-space cap (``RLIMIT_AS``,
``WorkerConfig(rlimit=True)``) is available but off by default: static analysis sizes checkpoints with
never-touched ``torch.empty`` proxies, which cost address space but no memory (a 3B-parameter model reserves
12 GB), and CUDA reserves huge address ranges. A worker that ran out of memory is replaced after its row.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from cnnbench.sweep.schedule import Scheduler
from cnnbench.sweep.tasks import Task, failure_record

GB = 1 << 30
#: Memory one worker needs before any model: torch, timm and torchvision imported are about 0.7 GB resident
#: (measured), plus room to work. ``--jobs`` is capped so that the workers fit in the memory available.
WORKER_BYTES = 1 * GB
#: How often the parent checks timeouts and resident memory while waiting (seconds).
POLL_S = 0.25


@dataclass(frozen=True)
class WorkerConfig:
    """How workers start: ``max_memory`` bytes (None: no cap), ``rlimit`` (cap the address space; False on CUDA),
    static work on ``static_threads`` threads."""

    max_memory: int | None = None
    rlimit: bool = False
    static_threads: int = 1
    preload: tuple[str, ...] = ("timm", "torchvision")


def worker_main(conn: Any, cfg: WorkerConfig, parent: int | None = None) -> None:
    """A worker's life: imports, the memory cap, then ``(id, task)`` in → ``(id, record, recycle)`` out."""
    die_with_parent(parent)  # first: a driver killed while 100 workers import torch must not leave them behind
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers itself
    os.dup2(2, 1)  # user code that prints must not reach the parent's stdout (tables, JSON)
    import torch

    from cnnbench.sweep.tasks import mark_oom, run_task

    os.environ.setdefault("CNNBENCH_DEFAULT_THREADS", str(torch.get_num_threads()))
    torch.set_num_threads(max(1, cfg.static_threads))
    preload(cfg.preload)
    if cfg.max_memory and cfg.rlimit:
        _cap_address_space(cfg.max_memory)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task_id, task = msg
        try:
            rec = run_task(task)
        except MemoryError as e:  # outside the row's own guard (the record itself could not be made)
            rec = failure_record(task, f"out of memory: {type(e).__name__}: {e}")
        except BaseException as e:  # noqa: BLE001 - a task must always answer
            from cnnbench.errors import row_error

            rec = mark_oom(failure_record(task, row_error(e, task.model)))
        recycle = bool(rec.get("error")) and str(rec["error"]).startswith("out of memory")
        if recycle and cfg.max_memory and cfg.rlimit:
            rec["error"] += f" (the worker's cap: --max-memory {cfg.max_memory / GB:g} GB)"
        conn.send(("done", task_id, rec, recycle))


def die_with_parent(parent: int | None) -> None:
    """This process dies with ``parent`` (the driver; ``None``: whoever is the parent now), however the driver dies
    (SIGKILL, the OOM killer).

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, the kernel's own guarantee, then a check that the parent did not
    die before it was set. Everywhere (and in case prctl is unavailable): a daemon thread that polls the parent pid
    every 0.5 s and ``os._exit`` s when the process has been re-parented.
    """
    import sys
    import threading

    parent = parent or os.getppid()  # forkserver: the server is the parent (it exits with the driver)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the driver died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="cnnbench-parent-watch").start()


def preload(modules: tuple[str, ...]) -> None:
    """Imports torch, cnnbench's analysis and ``modules`` once per worker (the start-up a sweep amortises)."""
    import importlib

    for mod in ("torch", "cnnbench.analysis.static", "cnnbench.catalog.build", *modules):
        try:
            importlib.import_module(mod)
        except ImportError:
            pass


def _cap_address_space(max_memory: int) -> None:
    import resource

    import psutil

    base = psutil.Process().memory_info().vms
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = base + int(max_memory)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def death_text(exitcode: int | None) -> str:
    """``worker died: SIGSEGV`` / ``worker exited with code 7`` from a process's exit code."""
    if exitcode is None:
        return "worker died"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return "worker died: SIGKILL (killed from outside: the kernel's OOM killer sends it when memory runs out)"
        return f"worker died: {name}"
    return f"worker exited with code {exitcode}"


@dataclass
class _Worker:
    proc: Any
    conn: Any
    ready: bool = False
    pid: int | None = None
    task: Task | None = None
    task_id: int | None = None
    started: float = 0.0
    spawned: float = field(default_factory=time.monotonic)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        try:
            self.conn.close()
        except OSError:
            pass


class LocalPool:
    """``jobs`` worker processes running a :class:`Scheduler`'s tasks; see the module docstring.

    Args:
        jobs: Worker processes (static work runs on all of them; timed work on one at a time).
        timeout: Seconds one task may run (start-up imports excluded).
        config: :class:`WorkerConfig`.
        context: ``"spawn"`` (default) or ``"forkserver"``: never plain fork, which torch's threads do not survive.
    """

    def __init__(self, jobs: int = 1, *, timeout: float = 300.0, config: WorkerConfig | None = None,
                 context: str = "spawn") -> None:
        self.jobs = max(1, int(jobs))
        self.timeout = float(timeout)
        self.config = config or WorkerConfig()
        self.ctx = mp.get_context(context)
        self.workers: list[_Worker] = []
        self.spawned = 0
        self._next_id = 0

    def _spawn(self) -> _Worker:
        parent, child = self.ctx.Pipe()
        parent_pid = os.getpid() if self.ctx.get_start_method() == "spawn" else None  # forkserver: the server is
        proc = self.ctx.Process(target=worker_main, args=(child, self.config, parent_pid), daemon=True,
                                name="cnnbench-sweep-worker")
        proc.start()
        child.close()
        self.spawned += 1
        return _Worker(proc, parent)

    def run(self, sched: Scheduler, on_done: Callable[[Task, dict[str, Any]], None]) -> None:
        """Runs every task ``sched`` hands out (also those ``on_done`` pushes) until none is left.

        Raises:
            KeyboardInterrupt: after stopping every worker (finished rows were already handed to ``on_done``).
        """
        if sched.empty():  # everything resumed: no worker needs to import torch
            return
        try:  # never more workers than static tasks: an idle worker only holds memory
            self.workers = [self._spawn() for _ in range(max(1, min(self.jobs, len(sched.static))))]
            while True:
                running = [w.task for w in self.workers if w.task is not None]
                for w in self.workers:
                    if w.ready and w.task is None:
                        task = sched.next(running)
                        if task is None:
                            break
                        self._start(w, task)
                        running.append(task)
                if not running and sched.empty():
                    return
                self._wait(on_done)
        finally:
            self.close()

    def _start(self, w: _Worker, task: Task) -> None:
        self._next_id += 1
        w.task, w.task_id, w.started = task, self._next_id, time.monotonic()
        try:
            w.conn.send((w.task_id, task))
        except (BrokenPipeError, OSError):
            pass  # the worker is dead: its sentinel says so below

    def _wait(self, on_done: Callable[[Task, dict[str, Any]], None]) -> None:
        waitables = [w.conn for w in self.workers] + [w.proc.sentinel for w in self.workers]
        wait(waitables, timeout=POLL_S)
        now = time.monotonic()
        for i, w in enumerate(self.workers):
            replace = False
            try:
                while w.conn.poll():
                    msg = w.conn.recv()
                    if msg[0] == "ready":
                        w.ready, w.pid = True, msg[1]
                    elif msg[0] == "done" and msg[1] == w.task_id:
                        task, w.task, w.task_id = w.task, None, None
                        on_done(task, msg[2])
                        replace = replace or msg[3]
            except (EOFError, OSError):
                pass  # died: handled just below
            if not w.proc.is_alive():
                if w.task is not None:
                    on_done(w.task, _failure(w.task, death_text(w.proc.exitcode)))
                    w.task = None
                replace = True
            elif w.task is not None and now - w.started > self.timeout:
                w.kill()
                on_done(w.task, _failure(w.task, f"timed out after {self.timeout:g} s"))
                w.task = None
                replace = True
            elif w.task is not None and self.config.max_memory:
                rss = _rss(w.pid)
                if rss is not None and rss > self.config.max_memory:
                    w.kill()
                    on_done(w.task, _failure(w.task, f"out of memory: worker resident memory {rss / GB:.1f} GB "
                                                     f"passed --max-memory {self.config.max_memory / GB:g} GB"))
                    w.task = None
                    replace = True
            if replace:
                w.kill()
                self.workers[i] = self._spawn()

    def close(self) -> None:
        for w in self.workers:
            try:
                if w.proc.is_alive() and w.task is None and w.ready:
                    w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for w in self.workers:
            if w.task is None and w.ready:  # told to stop: give it a moment to exit on its own
                w.proc.join(max(0.0, deadline - time.monotonic()))
            w.kill()
        self.workers = []


def _failure(task: Task, error: str) -> dict[str, Any]:
    rec = failure_record(task, error)
    if task.base is not None:  # a timed task: keep its static half
        from cnnbench.sweep.tasks import merge_latency

        rec = {**merge_latency(task.base, {}), **{k: v for k, v in rec.items() if k not in ("source", "family")}}
        rec["error"] = error
    rec["node_id"] = "local"  # the Ray executor puts the node the task was on here
    rec["_isolation"] = True
    return rec


def _rss(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:  # noqa: BLE001 - gone already: its sentinel says so
        return None
