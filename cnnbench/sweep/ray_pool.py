"""The Ray executor (``--executor ray``): the same tasks as the local pool, as Ray tasks on a cluster.

* ``ray.init(address=ADDR)`` joins an existing cluster (``ray start --head`` then ``--address``); without an address a
  local one is started (or the one this process already started is used).
* Every task is pinned to a node (``NodeAffinitySchedulingStrategy``, ``soft=False``) chosen by the driver, so the
  driver always knows which node holds which task. Static tasks take one CPU each and go to the node with the most
  free CPUs (spread over the cluster; at most one per CPU in flight, so the timeout, counted from submission, is the
  task's own time).
* Timed tasks claim an exclusive resource: on CPU every CPU of one node (the driver keeps at most one timed task per
  node in flight, and only when no static work is left), on CUDA one GPU of a node (static work goes on beside it).
  Two timed tasks never share a CPU or a GPU.
* Every row records the node that measured it: ``node_id`` (the Ray node id, hex), ``node`` (its host name) and its
  environment (``env``); the driver alone writes the store (a task carries no database path).
* A task past ``timeout`` is cancelled with ``force=True`` (its worker process is killed); a worker that crashes
  (segfault, ``os._exit``, Ray's memory monitor) gives an error row, never retried (``max_retries=0``). A task whose
  resident memory grows past ``max_memory`` is interrupted by a watch thread (``out of memory`` row).
* **Node loss**: when a task fails with a Ray system error the driver asks whether its node is still alive (a tiny
  probe task pinned to it, and the cluster's node table, for up to :data:`NODE_CHECK_S` seconds). A live node means
  the task itself crashed (an error row, as above); a dead node means every task it held is re-run **once** on a
  surviving node (stderr says so), and a task whose re-run is lost too, or that has no node left, becomes an error
  row reading ``node died: ...``. No row is lost and none is measured twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cnnbench.errors import CnnbenchError
from cnnbench.sweep.schedule import Scheduler
from cnnbench.sweep.tasks import Task

POLL_S = 0.25
#: Seconds the driver waits to learn whether a node whose task failed is alive (a probe task answers within a second
#: or two on a live node; Ray's health check marks a dead one within about 15 s).
NODE_CHECK_S = 60.0
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
    rec["node_id"] = ray.get_runtime_context().get_node_id()
    return rec


def _node_id() -> str:
    """The probe: the id of the node it ran on."""
    import ray

    return ray.get_runtime_context().get_node_id()


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
        self.dead: set[str] = set()  # nodes found dead during a run

    def notify(self, line: str) -> None:
        """One line on stderr about the cluster (a node lost, its tasks re-run)."""
        import sys

        print(line, file=sys.stderr, flush=True)

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
        nodes = {n["id"]: n for n in self.nodes()}
        used = {nid: 0 for nid in nodes}  # CPUs held by in-flight tasks, per node
        gpus_used = {nid: 0 for nid in nodes}
        inflight: dict[Any, tuple[Task, float, str, int]] = {}  # ref → (task, submitted, node, CPUs)
        rerun: set[str] = set()  # keys of the tasks already re-run once after a node died

        def gpu_task(task: Task) -> bool:
            return task.timed and task.device not in (None, "cpu")

        def static_node() -> str | None:  # the node with the most free CPUs (spreads static work)
            free = {nid: n["cpus"] - used[nid] for nid, n in nodes.items()}
            best = max(free, key=lambda nid: free[nid], default=None)
            return best if best is not None and free[best] >= 1 else None

        def gpu_node() -> str | None:
            with_gpus = [nid for nid, n in nodes.items() if n["gpus"]]
            for nid in with_gpus or list(nodes):  # no GPU anywhere: Ray says the task is infeasible (its row)
                if gpus_used[nid] < max(1, nodes[nid]["gpus"]) and nodes[nid]["cpus"] - used[nid] >= 1:
                    return nid
            return None

        def submit(task: Task, nid: str) -> None:
            cpus = nodes[nid]["cpus"] if task.timed and not gpu_task(task) else 1
            opts: dict[str, Any] = {"num_cpus": cpus,
                                    "scheduling_strategy": NodeAffinitySchedulingStrategy(nid, soft=False)}
            if gpu_task(task):
                opts["num_gpus"] = 1
                gpus_used[nid] += 1
            used[nid] += cpus
            ref = remote.options(**opts).remote(task, self.max_memory)
            inflight[ref] = (task, time.monotonic(), nid, cpus)

        def release(ref: Any) -> tuple[Task, str]:
            task, _, nid, cpus = inflight.pop(ref)
            if nid in used:
                used[nid] -= cpus
                gpus_used[nid] -= 1 if gpu_task(task) else 0
            return task, nid

        def node_lost(nid: str) -> None:
            nodes.pop(nid, None)
            used.pop(nid, None)
            gpus_used.pop(nid, None)

        def finish(ref: Any) -> None:
            task, nid = release(ref)
            rec, lost = self._result(ray, ref, task, nid)
            if lost is not None:
                node_lost(nid)
                key = task.key()
                if key not in rerun and nodes:
                    rerun.add(key)
                    self.notify(f"node {nid} died ({lost}): re-running {task.model}"
                                f"{f' ({task.runtime})' if task.timed else ''} once on a surviving node")
                    (sched.timed if task.timed else sched.static).appendleft(task)
                    return
                why = "its one re-run was lost too" if key in rerun else "no node is left to re-run it"
                rec = _isolation(task, f"node died: node {nid} was lost while it held this task ({lost}); {why}")
            if rec.get("_isolation") or not rec.get("node_id"):  # a row the driver made: the node it was on
                rec["node_id"] = nid
            on_done(task, rec)

        try:
            while True:
                static_running = sum(1 for t, _, _, _ in inflight.values() if not t.timed)
                # timed work: one task per node (CPU) or per GPU, after the static work on CPU
                if sched.timed and (not sched.exclusive or (not sched.static and not static_running)):
                    if sched.exclusive:
                        for nid in list(nodes):
                            if sched.timed and used[nid] == 0:
                                submit(sched.timed.popleft(), nid)
                    else:
                        while sched.timed and (nid := gpu_node()) is not None:
                            submit(sched.timed.popleft(), nid)
                while sched.static and (nid := static_node()) is not None:
                    submit(sched.static.popleft(), nid)
                if not inflight:
                    if sched.empty():
                        return
                    if not nodes:  # every node died: what is left cannot run anywhere
                        while not sched.empty():
                            task = (sched.static or sched.timed).popleft()
                            on_done(task, {**_isolation(task, "node died: no node of the cluster is left"),
                                           "node_id": None})
                        return
                    continue
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=POLL_S)
                for ref in ready:
                    finish(ref)
                now = time.monotonic()
                for ref, (task, t0, nid, _) in list(inflight.items()):
                    if now - t0 > self.timeout:
                        ray.cancel(ref, force=True)
                        release(ref)
                        on_done(task, {**_isolation(task, f"timed out after {self.timeout:g} s"), "node_id": nid})
        finally:
            import contextlib

            for ref in inflight:
                with contextlib.suppress(Exception):  # best effort on the way out
                    ray.cancel(ref, force=True)

    def _result(self, ray: Any, ref: Any, task: Task, nid: str) -> tuple[dict[str, Any], str | None]:
        """The task's record, and why its node is gone (``None`` while the node lives: the record says what
        happened to the task)."""
        import ray.exceptions as rex

        try:
            return ray.get(ref), None
        except rex.OutOfMemoryError as e:  # Ray's memory monitor killed the worker: the node lives
            return _isolation(task, f"out of memory: {_first(e)}"), None
        except rex.TaskCancelledError:
            return _isolation(task, f"timed out after {self.timeout:g} s"), None
        except rex.RayTaskError as e:  # the task body raised (run_task itself never does for a model)
            return _isolation(task, f"ray failed: {_first(e)}"), None
        except rex.RayError as e:  # a system failure: the worker, or its whole node?
            if not self.node_alive(ray, nid):
                return {}, type(e).__name__
            if isinstance(e, (rex.WorkerCrashedError, rex.NodeDiedError, rex.LocalRayletDiedError)):
                return _isolation(task, f"worker died: {_first(e)}"), None
            return _isolation(task, f"ray failed: {_first(e)}"), None

    def node_alive(self, ray: Any, nid: str) -> bool:
        """Whether node ``nid`` still runs tasks: a probe pinned to it answers (alive), or it fails, the cluster's
        node table says the node is dead, or nothing answers within :data:`NODE_CHECK_S` seconds (dead)."""
        import ray.exceptions as rex
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        if nid in self.dead:
            return False
        probe = ray.remote(num_cpus=0, max_retries=0)(_node_id).options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(nid, soft=False)).remote()
        deadline = time.monotonic() + NODE_CHECK_S
        alive = False
        while time.monotonic() < deadline:
            ready, _ = ray.wait([probe], timeout=1.0)
            if ready:
                try:
                    alive = ray.get(probe) == nid
                except rex.RayError:
                    alive = False
                break
            if not any(n["NodeID"] == nid and n.get("Alive") for n in ray.nodes()):
                break
        else:
            import contextlib

            with contextlib.suppress(Exception):
                ray.cancel(probe, force=True)
        if not alive:
            self.dead.add(nid)
        return alive

    def shutdown(self) -> None:
        """Stops the local cluster this executor started (a joined or caller's cluster stays up)."""
        if self.started_ray:
            _ray().shutdown()
            self.started_ray = False


def check_reachable(address: str, timeout: float) -> None:
    """A Ray head answers at ``address`` (``host:port``, ``ray://host:port``) within ``timeout`` seconds: a TCP
    connection opens, and the server speaks gRPC (HTTP/2: its SETTINGS frame comes back for our connection preface);
    else one line. A port that accepts and then says nothing would otherwise cost Ray's own waits (tens of seconds)
    and end in Ray aborting the process. ``auto``, ``local`` and addresses without a port are left to Ray; a
    ``ray://`` client server is only checked for the connection."""
    import socket

    rest = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return
    host = host.strip("[]") or "127.0.0.1"
    deadline = time.monotonic() + timeout
    connected = False
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as conn:
            connected = True
            if address.startswith("ray://"):
                return
            # HTTP/2 client preface + an empty SETTINGS frame; a gRPC server answers with a SETTINGS frame (type 4)
            conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
            head = b""
            while len(head) < 9:
                conn.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = conn.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
    except OSError as e:
        why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e) or type(e).__name__)
        if connected:
            why = f"it accepts connections but no Ray head answers there ({why})"
        raise CnnbenchError(f"cannot reach the Ray cluster at {address} within {timeout:g} s: {why} (is `ray start "
                            "--head` running there? --connect-timeout sets the wait)") from e
    if len(head) < 9 or head[3] != 4:
        raise CnnbenchError(f"cannot reach the Ray cluster at {address} within {timeout:g} s: it accepts connections "
                            "but no Ray head answers there (is this the port of `ray start --head --port`?)")


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
