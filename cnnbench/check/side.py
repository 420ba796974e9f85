"""One side of a check measured in this process: static metrics, and latency blocks of fresh instances.

:class:`LocalSide` is driven block by block (:mod:`cnnbench.check.measure`): ``open`` builds a *fresh* model
instance and fresh calibration instances, warms each up and fixes its block size (calls per timed sample) once;
``round`` times interleaved samples with those block sizes; ``close`` releases them. The worker processes of
``--against`` (:class:`cnnbench.check.against.WorkerSide`) serve the same calls over a pipe.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnbench.check.calibration import CALIBRATION_SHAPE, build_calibration
from cnnbench.check.suite import Entry
from cnnbench.errors import CnnbenchError, row_error
from cnnbench.records import STATIC_METRICS

#: Warm-up calls per runner and block, at least (with at least ``warmup`` seconds).
WARMUP_MIN_ITERS = 3


class LocalSide:
    """Measures entries in this process.

    Args:
        name: Label in messages (``current``, ``REF``...).
        model_wrapper: Applied to every built model before timing (tests and ``regression_power`` inject a
            slowdown with it); static metrics are never wrapped.

    Attributes:
        builds: Model instances built for timing so far (one per block).
        block_sizes: ``{"calibration": [n per copy], "model": n}`` of the open block: calls per timed sample,
            fixed once per runner after its warm-up.
    """

    def __init__(self, name: str = "current", model_wrapper: Callable[[Any], Any] | None = None) -> None:
        self.name = name
        self.model_wrapper = model_wrapper
        self.builds = 0
        self.block_sizes: dict[str, Any] = {}
        self._runners: list[Any] = []  # the open block's prepared runners (closed by close())
        self._calib: list[Any] = []  # latency.timer.Timed per calibration copy
        self._model: Any = None  # latency.timer.Timed of the model
        self._round = 0
        self._timer: Any = None  # explainer.attribution.ModuleTimer of the open block (modules=True)
        self._threads = contextlib.ExitStack()  # torch's thread count for the open block, restored by close()

    def static(self, entry: Entry) -> dict[str, Any]:
        """``{"metrics": {metric: value}, "error": None}`` or ``{"metrics": None, "error": "..."}``."""
        from cnnbench.catalog import resolve
        from cnnbench.rows import static_profile

        p = static_profile(resolve(entry.model), entry.input_size, entry.batch_size, entry.dtype)
        if p.error or p.static is None:
            return {"metrics": None, "error": p.error or "static analysis failed"}
        from cnnbench.check.attribution import module_static

        s = p.static.to_dict()
        return {"metrics": {m: s.get(m) for m in STATIC_METRICS}, "error": None, "modules": module_static(p.static)}

    def open(self, entry: Entry, warmup: float, copies: int = 1, modules: bool = False) -> str | None:
        """Opens a block: builds a fresh model and ``copies`` fresh calibration instances, warms each up for
        ``warmup`` seconds (and at least :data:`WARMUP_MIN_ITERS` calls) and fixes its block size from that warm-up.
        Returns an error or ``None``.

        Rounds rotate through the calibration copies: one instance's timing depends a few percent on where its
        tensors landed in memory, and the median over rounds averages that out.

        ``modules=True`` (attribution, :mod:`cnnbench.check.attribution`): the model runs eager, whatever the entry's
        runtime, with :class:`~cnnbench.explainer.attribution.ModuleTimer` hooks on every module (the static trace's
        paths: wrappers looked through, a shared module once per path); :meth:`modules` then gives the block's
        per-module times.
        """
        from cnnbench.catalog import resolve
        from cnnbench.latency.engine import prepare_runner
        from cnnbench.latency.options import LatencyOptions
        from cnnbench.latency.threads import torch_threads
        from cnnbench.latency.timer import Timed

        self.close()
        spec = resolve(entry.model)

        def build():
            self.builds += 1
            m = spec.build()
            return m if self.model_wrapper is None else self.model_wrapper(m)

        self._threads.enter_context(torch_threads(entry.threads))
        # the runtimes a suite names are timed as they are (no check against eager: check compares two sides)
        opts = LatencyOptions(device=entry.device, threads=entry.threads, verify=False)
        try:
            for _ in range(copies):
                self._runners.append(prepare_runner(build_calibration, CALIBRATION_SHAPE, opts,
                                                    runtime="eager"))
                self._calib.append(Timed(self._runners[-1].call, self._runners[-1].sync))
            if modules:
                self._model = self._hooked(build, entry, opts)
            else:
                # model_key=None: an ONNX export per side, never a cache entry shared by REF and the working tree
                self._runners.append(prepare_runner(build, entry.input_shape, opts, runtime=entry.runtime,
                                                    dtype=entry.dtype))
                self._model = Timed(self._runners[-1].call, self._runners[-1].sync)
            # the block size is fixed here, once per runner, from its whole warm-up (wall clock: calls per sample)
            for t in self._calib:
                t.warm_up(WARMUP_MIN_ITERS, warmup / copies)
            self._model.warm_up(WARMUP_MIN_ITERS, warmup)
            if self._timer is not None:
                self._timer.reset()  # the warm-up's inferences are not the block's
            self.block_sizes = {"calibration": [t.block for t in self._calib], "model": self._model.block}
        except CnnbenchError:
            self.close()
            raise
        except Exception as e:  # noqa: BLE001 - a model that cannot build or run is a row with an error
            self.close()
            return row_error(e, entry.label())
        return None

    def _hooked(self, build: Callable[[], Any], entry: Entry, opts: Any) -> Any:
        """The model eager with a :class:`~cnnbench.explainer.attribution.ModuleTimer` on every module, as a
        ``Timed`` whose every call records one inference's module times."""
        import torch

        from cnnbench.analysis import split_paths, unwrap
        from cnnbench.explainer.attribution import ModuleTimer
        from cnnbench.latency.backends import Target
        from cnnbench.latency.backends.eager import prepare_eager
        from cnnbench.latency.placement import build_inputs
        from cnnbench.latency.timer import Timed

        model, args, kwargs = build_inputs(build, entry.input_shape, seed=opts.seed)
        model = unwrap(model)
        split_paths(model)
        runner = prepare_eager(model, args, kwargs, opts, Target("eager", torch.device(entry.device), entry.dtype,
                                                                 opts.threads or torch.get_num_threads(), None))
        self._runners.append(runner)
        self._timer = ModuleTimer(model)
        return Timed(self._timer.call(runner.call), runner.sync)

    def modules(self) -> dict[str, Any]:
        """The open block's module times (``open(..., modules=True)``): ``{"module_ms": {path: inclusive ms per
        inference}}`` (``""``: the whole model), a trimmed mean over the block's inferences."""
        from cnnbench.check.attribution import inclusive_ms

        if self._timer is None:
            raise RuntimeError(f"{self.name}: no block open with modules=True")
        t = self._timer.timing()
        return {"module_ms": inclusive_ms(t.self_ms)}

    def round(self, samples: int, stat: str = "median", clock: str = "wall") -> tuple[float, float]:
        """One round: ``(calibration ms, model ms)``, the ``stat`` (median | min) of ``samples`` samples of each,
        alternating (the first of each pair alternating too), with the block sizes fixed at :meth:`open`.

        ``clock="cpu"`` times the CPU time of this thread (see :class:`~cnnbench.check.suite.CheckSettings`).
        """
        from cnnbench.latency.timer import budget_stop, interleave

        if self._model is None:
            raise RuntimeError(f"{self.name}: no block open")
        clk = time.thread_time if clock == "cpu" else time.perf_counter
        r = self._round
        self._round += 1
        cal, model = self._calib[r % len(self._calib)], self._model
        before = (len(cal.samples), len(model.samples))
        # the engine's round robin, one sample per visit; which side goes first alternates within the round
        # (interleave rotates the start) and between rounds (the order is reversed on odd rounds)
        interleave([cal, model] if r % 2 == 0 else [model, cal], budget_stop(0, 0.0, rounds=samples), clock=clk)
        pick = np.median if stat == "median" else np.min
        return float(pick(cal.samples[before[0]:])), float(pick(model.samples[before[1]:]))

    def env(self, entry: Entry | None = None, repo_dir: str | None = None) -> dict[str, Any]:
        from cnnbench.env import collect_env

        return collect_env(device=entry.device if entry else None, threads=entry.threads if entry else None,
                           repo_dir=repo_dir)

    def close(self) -> None:
        """Closes the block: releases its instances and restores torch's thread count."""
        if self._timer is not None:
            self._timer.remove()
            self._timer = None
        for r in self._runners:
            r.close()
        self._runners, self._calib, self._model, self._round = [], [], None, 0
        self._threads.close()

    def restart(self) -> None:
        """A fresh process for the next blocks (:class:`~cnnbench.check.against.WorkerSide`); nothing to do here."""

    def shutdown(self) -> None:
        self.close()
