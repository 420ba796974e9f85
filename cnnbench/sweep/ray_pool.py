"""The Ray executor (``--executor ray``): the same tasks as the local pool, as Ray tasks on a cluster.

* ``ray.init(address=ADDR)`` joins an existing cluster (``ray start --head`` then ``--address``); without an address a
  local one is started (or the one this process already started is used).
* Static tasks take ``num_cpus=1`` and run in parallel across the cluster (at most one per CPU in flight, so the
  timeout, counted from submission, is the task's own time).
* Timed tasks claim an exclusive resource: on CPU every CPU of one node (pinned to it with a
  ``NodeAffinitySchedulingStrategy``; the driver keeps at most one timed task per node in flight, and only when no
  static work is left), on CUDA one GPU (``num_gpus=1``, static work goes on beside it). Two timed tasks never share
  a CPU or a GPU.
* Every row records the environment of the node that measured it (``env``, ``node``); the driver writes the store.
* A task past ``timeout`` is cancelled with ``force=True`` (its worker process is killed); a worker that crashes
  (segfault, ``os._exit``, Ray's memory monitor) gives an error row. Tasks are never retried (``max_retries=0``).
  A task whose resident memory grows past ``max_memory`` is interrupted by a watch thread (``out of memory`` row).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cnnbench.errors import CnnbenchError
from cnnbench.sweep.schedule import Scheduler
from cnnbench.sweep.tasks import Task

POLL_S = 0.25
#: The one line for a machine without the ``ray`` extra (``sweep --executor ray`` checks it before planning).
RAY_MISSING = "--executor ray needs the ray extra: pip install 'cnnbench[ray]'"


def require_ray() -> None:
    """The ray extra is installed (looked up, not imported: ray takes seconds to import); else the one line."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise CnnbenchError(RAY_MISSING)


def _ray():
    try:
        import ray
    except ImportError as e:
        raise CnnbenchError(RAY_MISSING) from e
    return ray


def _remote_run(task: Task, max_memory: int | None) -> dict[str, Any]:
    """Body of the Ray task: the task under an address-space cap (restored afterwards: Ray reuses its workers)."""
    import os

    import ray

    from cnnbench.sweep.tasks import run_task

    os.environ.setdefault("CNNBENCH_DEFAULT_THREADS", str(_cpus()))
    from cnnbench.sweep.local_pool import preload

    preload(("timm", "torchvision"))  # before the cap: shared libraries map a lot of address space
    watch = _RssWatch(max_memory) if max_memory else None
    try:
        rec = run_task(task)
    except KeyboardInterrupt:  # the watch interrupted the task (Ray cancels by killing, not by SIGINT)
        if watch is None or not watch.fired:
            raise
        from cnnbench.sweep.local_pool import GB, _failure

        rec = _failure(task, f"out of memory: task resident memory passed --max-memory {max_memory / GB:g} GB")
        rec.pop("_isolation", None)
    finally:
        if watch is not None:
            watch.stop()
    rec["node"] = ray.get_runtime_context().get_node_id()
    return rec


def _cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _RssWatch:
    """Interrupts the task (``KeyboardInterrupt`` in the main thread) when this worker's resident memory passes
    ``limit`` bytes above what it held when the task started (Ray reuses workers: their imports are not the task's)."""

    def __init__(self, limit: int) -> None:
        import threading

        import psutil

        self.proc = psutil.Process()
        self.limit = self.proc.memory_info().rss + int(limit)
        self.fired = False
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import _thread

        while not self._stop.wait(0.1):
            if self.proc.memory_info().rss > self.limit:
                self.fired = True
                _thread.interrupt_main()
                return

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(1)


class RayExecutor:
    """Runs a :class:`Scheduler`'s tasks on Ray (see the module docstring).

    Args:
        address: A cluster to join (``ray://host:10001`` or ``host:6379``); ``None``: the running local one, else a new
            local cluster.
        timeout: Seconds per task.
        max_memory: Bytes per task (address-space cap on CPU tasks), or ``None``.
        connect_timeout: Seconds to reach ``address`` (a TCP connect to it first: Ray itself retries for many
            minutes against an address where nothing listens).
        init_kwargs: More ``ray.init`` arguments for a new local cluster (tests: ``num_cpus=2``).
    """

    def __init__(self, address: str | None = None, *, timeout: float = 300.0, max_memory: int | None = None,
                 connect_timeout: float = 15.0, **init_kwargs: Any) -> None:
        self.address = address
        self.timeout = float(timeout)
        self.max_memory = max_memory
        self.connect_timeout = float(connect_timeout)
        self.init_kwargs = init_kwargs
        self.started_ray = False

    def connect(self):
        ray = _ray()
        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False, **self.init_kwargs}
            if self.address:
                kwargs["address"] = self.address
                check_reachable(self.address, self.connect_timeout)
                import math
                import os

                # A port that answers but is no Ray head: Ray's own wait (retries × a 30 s connect: minutes, then
                # a sys.exit) becomes one attempt of connect_timeout (an operator's own settings win)
                os.environ.setdefault("RAY_py_gcs_connect_timeout_s", str(math.ceil(self.connect_timeout)))
                os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "1")
            try:
                ray.init(**kwargs)
            except (Exception, SystemExit) as e:  # a cluster that cannot be reached is a usage error
                raise CnnbenchError(f"cannot start or join a Ray cluster{f' at {self.address}' if self.address else ''}"
                                    f": {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
            self.started_ray = True
        return ray

    def nodes(self) -> list[dict[str, Any]]:
        """Alive nodes with CPUs: ``{"id", "cpus", "gpus"}``."""
        ray = self.connect()
        out = []
        for n in ray.nodes():
            res = n.get("Resources", {})
            if n.get("Alive") and res.get("CPU", 0) >= 1:
                out.append({"id": n["NodeID"], "cpus": int(res["CPU"]), "gpus": int(res.get("GPU", 0))})
        if not out:
            raise CnnbenchError("the Ray cluster has no alive node with a CPU")
        return out

    def run(self, sched: Scheduler, on_done: Callable[[Task, dict[str, Any]], None]) -> None:
        ray = self.connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = ray.remote(max_retries=0)(_remote_run)
        nodes = self.nodes()
        total_cpus = sum(n["cpus"] for n in nodes)
        inflight: dict[Any, tuple[Task, float, str | None]] = {}  # ref → (task, submitted, node of a timed task)

        def submit(task: Task, node: dict[str, Any] | None) -> None:
            if task.timed and task.device not in (None, "cpu"):
                opts: dict[str, Any] = {"num_cpus": 1, "num_gpus": 1}
            elif task.timed:
                opts = {"num_cpus": node["cpus"],
                        "scheduling_strategy": NodeAffinitySchedulingStrategy(node["id"], soft=False)}
            else:
                opts = {"num_cpus": 1}
            ref = remote.options(**opts).remote(task, self.max_memory)
            inflight[ref] = (task, time.monotonic(), node["id"] if node else None)

        try:
            while True:
                running = [t for t, _, _ in inflight.values()]
                static_running = sum(1 for t in running if not t.timed)
                # timed work: one task per node (CPU) or per GPU, after the static work on CPU
                if sched.timed and (not sched.exclusive or (not sched.static and not static_running)):
                    if sched.exclusive:
                        busy = {n for _, _, n in inflight.values() if n is not None}
                        for node in nodes:
                            if sched.timed and node["id"] not in busy:
                                submit(sched.timed.popleft(), node)
                    else:
                        gpus = sum(n["gpus"] for n in nodes) or 1
                        while sched.timed and sum(1 for t in running if t.timed) < gpus:
                            t = sched.timed.popleft()
                            submit(t, None)
                            running.append(t)
                while sched.static and static_running < total_cpus:
                    submit(sched.static.popleft(), None)
                    static_running += 1
                if not inflight:
                    if sched.empty():
                        return
                    continue
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=POLL_S)
                for ref in ready:
                    task, _, _ = inflight.pop(ref)
                    on_done(task, self._result(ray, ref, task))
                now = time.monotonic()
                for ref, (task, t0, _) in list(inflight.items()):
                    if now - t0 > self.timeout:
                        ray.cancel(ref, force=True)
                        inflight.pop(ref)
                        on_done(task, _isolation(task, f"timed out after {self.timeout:g} s"))
        finally:
            import contextlib

            for ref in inflight:
                with contextlib.suppress(Exception):  # best effort on the way out
                    ray.cancel(ref, force=True)

    def _result(self, ray: Any, ref: Any, task: Task) -> dict[str, Any]:
        import ray.exceptions as rex

        try:
            return ray.get(ref)
        except rex.OutOfMemoryError as e:
            return _isolation(task, f"out of memory: {_first(e)}")
        except (rex.WorkerCrashedError, rex.NodeDiedError, rex.LocalRayletDiedError) as e:
            return _isolation(task, f"worker died: {_first(e)}")
        except rex.TaskCancelledError:
            return _isolation(task, f"timed out after {self.timeout:g} s")
        except rex.RayError as e:
            return _isolation(task, f"ray failed: {_first(e)}")

    def shutdown(self) -> None:
        """Stops the local cluster this executor started (a joined or caller's cluster stays up)."""
        if self.started_ray:
            _ray().shutdown()
            self.started_ray = False


def check_reachable(address: str, timeout: float) -> None:
    """A TCP connection to a Ray ``address`` (``host:port``, ``ray://host:port``) opens within ``timeout`` seconds;
    else one line (``auto``, ``local`` and addresses without a port are left to Ray)."""
    import socket

    rest = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return
    host = host.strip("[]") or "127.0.0.1"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e) or type(e).__name__)
        raise CnnbenchError(f"cannot reach the Ray cluster at {address} within {timeout:g} s: {why} (is `ray start "
                            "--head` running there? --connect-timeout sets the wait)") from e


def _first(e: BaseException, limit: int = 200) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    text = lines[0] if lines else type(e).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _isolation(task: Task, error: str) -> dict[str, Any]:
    from cnnbench.sweep.local_pool import _failure

    return _failure(task, error)


def cluster_fingerprints(executor: RayExecutor) -> set[str]:
    """The machine fingerprints of the cluster's nodes (one tiny task pinned to each): ``--resume`` matches rows
    measured on any of them."""
    ray = executor.connect()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from cnnbench.sweep.resume import this_fingerprint

    probe = ray.remote(num_cpus=0, max_retries=0)(this_fingerprint)
    refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["id"], soft=False)).remote()
            for n in executor.nodes()]
    return set(ray.get(refs, timeout=120))
