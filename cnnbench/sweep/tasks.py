"""The work of a sweep, identical in every executor: a task in, a record (``Profile.to_dict()``) out.

A *static task* profiles one (model, input, batch) on ``meta``; a *timed task* measures one runtime of it and merges
its latency into the static record. Tasks are plain picklable data: a worker resolves the model itself (a
``file.py:Class`` by its absolute path), so nothing user-defined crosses a process boundary.
"""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Task:
    """One unit of work.

    Attributes:
        model: The row's model name (as the user typed it: ``timm:resnet18``, ``tests/data/m.py:Net``).
        target: What the worker resolves (``model`` with a ``file.py`` made absolute).
        input_size / inputs: The CLI text the worker turns into the model's ``InputSpec`` (``sweep.inputs_per_model``).
        input_label: The inputs as the row key names them (``1x3x224x224``; a factory: ``make_inputs(batch=8)``).
        batch_size, dtype, fuse: As ``cnnbench profile`` takes them.
        runtime: ``None`` for a static task; else the runtime a timed task measures (with ``latency``).
        latency: :class:`cnnbench.latency.options.LatencyOptions` of a latency sweep (also set on its static tasks).
        base: A timed task's static record (its latency is merged into it).
        code: ``sha256:...`` of a user model's file (``file.py:Class``, ``pkg.mod:fn``), part of the row key so
            ``--resume`` re-measures an edited model; ``None`` for catalogue models.
    """

    model: str
    target: str
    input_size: str | list[str] | None
    inputs: str | None
    input_label: str
    batch_size: int
    dtype: str
    fuse: bool = False
    runtime: str | None = None
    latency: Any = None
    base: dict[str, Any] | None = field(default=None, compare=False)
    code: str | None = None

    @property
    def timed(self) -> bool:
        return self.runtime is not None

    @property
    def device(self) -> str | None:
        return self.latency.device if self.latency is not None and self.runtime is not None else None

    def key(self, runtime: str | None = None) -> str:
        """The row's identity for ``--resume``: (model, inputs, dtype, batch, runtime, device) as one JSON text.

        The runtime part carries the latency options that change what is timed (channels-last, threads, autocast
        precision, compile mode, quantisation scheme) or what the row holds (``+calibrate``: ``calibration_ms`` and
        ``latency_normalized``, so ``--resume --calibrate`` measures rows timed without it again), and the model part says ``+fused`` when fused. A user
        model's part is its file's absolute path and content hash (``/abs/m.py:Net@sha256:...``): another spelling
        of the path is the same row, an edit of the file a new one.
        """
        rt = runtime if runtime is not None else self.runtime
        if rt is not None and self.latency is not None:
            rt += "+channels_last" if self.latency.channels_last else ""
            rt += f"+threads={self.latency.threads}" if self.latency.threads else ""
            for opt in ("precision", "compile_mode", "quantization"):
                value = getattr(self.latency, opt, None)
                rt += f"+{opt}={value}" if value else ""
            rt += "+calibrate" if self.latency.calibrate else ""
            device = self.latency.device
        else:
            device = None
        model = (f"{self.target}@{self.code}" if self.code else self.model) + ("+fused" if self.fuse else "")
        return json.dumps([model, self.input_label, self.dtype, self.batch_size, rt, device])


def run_task(task: Task) -> dict[str, Any]:
    """Runs one task in this process; never raises for the model (its failures are the record's ``error``)."""
    t0 = time.perf_counter()
    rec = _timed(task) if task.timed else _static(task)
    rec["model"] = task.model
    rec["row_key"] = task.key()
    rec["node"] = socket.gethostname()
    rec["node_id"] = "local"  # the Ray executor puts its node id here
    rec["worker_pid"] = os.getpid()
    rec["elapsed_s"] = round(time.perf_counter() - t0, 3)
    return rec


def _spec_and_inputs(task: Task):
    from cnnbench.catalog import resolve
    from cnnbench.plan import inputs_per_model

    spec = resolve(task.target)
    ispec = inputs_per_model((spec,), input_size=task.input_size, inputs=task.inputs)[0]
    return spec, ispec


def _static(task: Task) -> dict[str, Any]:
    from cnnbench.errors import CnnbenchError
    from cnnbench.rows import static_profile

    try:
        spec, ispec = _spec_and_inputs(task)
    except CnnbenchError as e:  # checked by the driver already; a file edited since is this row's failure
        return failure_record(task, str(e))
    p = static_profile(spec, batch_size=task.batch_size, dtype=task.dtype, inputs=ispec, fuse=task.fuse)
    rec = p.to_dict()
    if task.latency is None:  # a latency row's env comes with its timing (the device, the threads used)
        rec["env"] = worker_env(None, None)
    return mark_oom(rec)


def _timed(task: Task) -> dict[str, Any]:
    """Latency of one runtime merged into the static record; on out-of-memory the batch backs off (timm's
    ``decay_batch_step``) and the row records the largest batch that fit."""
    from cnnbench.errors import CnnbenchError
    from cnnbench.rows import measure_row

    base = dict(task.base or {})
    opts = task.latency
    try:
        spec, ispec = _spec_and_inputs(task)
    except CnnbenchError as e:
        return {**base, **failure_record(task, str(e))}
    with _default_threads(opts.threads):
        start = time.time()
        lat = measure_row(spec, ispec, task.batch_size, task.dtype, task.runtime, opts, fuse=task.fuse)
        bs = task.batch_size
        tried = [bs]
        while lat.get("oom") and ispec.shapes and bs > 1:
            bs = _decay(bs)
            if bs < 1:
                break
            tried.append(bs)
            lat = measure_row(spec, ispec, bs, task.dtype, task.runtime, opts, fuse=task.fuse)
        end = time.time()
    oom = bool(lat.pop("oom", False))
    if len(tried) > 1:
        lat["requested_batch_size"] = task.batch_size
        if not oom:
            lat["batch_backoff"] = (f"batch {task.batch_size} ran out of memory on {opts.device}; "
                                    f"{bs} is the largest that fit (tried {', '.join(map(str, tried))})")
    rec = merge_latency(base, lat)
    rec["oom"] = oom
    rec["env"] = worker_env(opts.device, opts.threads)
    rec["timed_start"], rec["timed_end"] = start, end
    return rec


def _decay(bs: int) -> int:
    try:
        from timm.utils import decay_batch_step
    except ImportError:  # pragma: no cover - timm is a dependency
        return bs // 2
    return int(decay_batch_step(bs))


def _default_threads(threads: int | None) -> AbstractContextManager[int]:
    """Static work runs single-threaded in a pool worker; a timed row without ``--threads`` gets torch's default."""
    from cnnbench.latency.threads import torch_threads

    default = os.environ.get("CNNBENCH_DEFAULT_THREADS")
    return torch_threads(int(default) if threads is None and default is not None else None)


def merge_latency(base: dict[str, Any], lat: dict[str, Any]) -> dict[str, Any]:
    """The record ``Profile.to_dict()`` gives for a static profile with this latency (static error first)."""
    d = dict(base)
    lat = dict(lat)
    if lat.get("error") and not d.get("error"):
        d["error"] = lat["error"]
    lat.pop("error", None)
    lat.pop("dtype", None)
    d.update(lat)
    return d


def failure_record(task: Task, error: str, spec: Any = None) -> dict[str, Any]:
    """The record of a row that produced none itself (worker killed, timed out, crashed): the row says why."""
    source = getattr(spec, "source", None)
    family = getattr(spec, "family", None)
    shape: list[int] = []
    first = task.input_label.split(",")[0].strip()
    if first and all(p.isdigit() for p in first.split("x")):
        shape = [int(p) for p in first.split("x")]
    rec: dict[str, Any] = {"model": task.model, "source": source, "family": family, "input_shape": shape,
                           "dtype": task.dtype, "error": error, "inputs": task.input_label, "fused": None}
    if task.timed and task.latency is not None:
        rec.update(device=task.latency.device, runtime=task.runtime, batch_size=task.batch_size,
                   threads=task.latency.threads, channels_last=task.latency.channels_last, latency_ms=None)
        if task.latency.calibrate:
            rec.update(calibration_ms=None, latency_normalized=None)
    rec["row_key"] = task.key()
    return rec


_OOM_MARKS = ("memoryerror", "out of memory", "can't allocate memory", "failed to allocate memory",
              "cannot allocate memory")


def is_oom_text(error: str | None) -> bool:
    return bool(error) and any(m in error.lower() for m in _OOM_MARKS)


def mark_oom(rec: dict[str, Any]) -> dict[str, Any]:
    """An allocation refused under the memory cap reads ``out of memory: ...`` (whatever library raised it)."""
    err = rec.get("error")
    if is_oom_text(err) and not err.startswith("out of memory"):
        rec["error"] = f"out of memory: {err}"
    return rec


_ENV_CACHE: dict[tuple[str | None, int | None], dict[str, Any]] = {}


def worker_env(device: str | None, threads: int | None) -> dict[str, Any]:
    """This process's environment (cached): the git state is cnnbench's own checkout, wherever the worker runs."""
    k = (device, threads)
    if k not in _ENV_CACHE:
        from cnnbench.env import collect_env

        _ENV_CACHE[k] = collect_env(device=device, threads=threads, repo_dir=package_dir())
    return dict(_ENV_CACHE[k])


def package_dir() -> str:
    import cnnbench

    return os.path.dirname(os.path.abspath(cnnbench.__file__))
