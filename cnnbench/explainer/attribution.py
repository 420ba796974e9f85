"""Per-module time of the eager runtimes: on the CPU through forward hooks (:class:`ModuleTimer`) split over op
types by ``torch.profiler``, on CUDA through the profiler's kernel times.

**Eager, CPU.** A module's time is measured by :class:`ModuleTimer`: ``perf_counter`` in forward pre/post hooks on
the same ``named_modules()`` names as the static trace, in inferences interleaved with the end-to-end latency
samples. The profiler (below) costs several µs per aten op — on mobilenet_v2's ~150 small ops at 2 threads its
profiled inference was 10-20% slower than an unprofiled one, most of it in the many cheap ops — so it is used only
for the split: each module's hook-timed self time is divided over op types in the proportions the profiled run
measured for that module (:func:`with_module_times`).

**The profiled run** (the CPU op split; the CUDA times). **Module paths have one source**: the hooks of
:mod:`cnnbench.analysis.modules`, which name each op's module in the static trace, here push a
``record_function("cnnbench.module::<path>")`` range on entry and pop it on exit (``always_call``), so the profiler
sees each module call as a range and each aten op inside it. For each inference (the root module's range):

* a module's **self time** = its range minus its child modules' ranges (its own ops plus its Python code);
* each **top-level aten op** (an op directly inside a module range, not inside another op) is timed inclusively
  (all the kernels it calls) and typed by :func:`cnnbench.explainer.optypes.op_type`; the k-th convolution a module
  runs takes the type (depthwise or not) of the k-th convolution the static trace recorded for that module;
* what is left of a module's self time outside its ops is ``framework (python)``.

On CUDA the profiler's kernel times are used instead (``device_time_total`` of each top-level op: the kernels it
launched), so a module's time is the GPU time of its kernels and there is no framework share.

**Iterations.** ``iterations`` inferences are profiled after ``warmup`` unprofiled ones; the per-module numbers
(profiled or hook-timed) are means over the inferences whose total lies between the 25th and 75th percentile of
all totals (a trimmed mean: additive, so module times still sum to the total, and robust to a preempted inference).

**ONNX Runtime** is timed by its own node profiling: :mod:`cnnbench.explainer.ort_profile`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnnbench.analysis import ModuleHooks
from cnnbench.env import quiet_kineto
from cnnbench.explainer.optypes import CONV, DW_CONV, FRAMEWORK, FUSED, op_type

PREFIX = "cnnbench.module::"


@dataclass
class Timing:
    """Per-inference times (ms) of one profiled run, by full module path (``""`` = the model itself).

    Attributes:
        self_ms: module path → time in the module but not in a child module.
        op_ms: (module path, op type) → time of that module's top-level ops of that type (incl. ``framework``).
        op_calls: (module path, op type) → calls per inference.
        op_names: (module path, op type) → the profiler's op names seen.
        total_ms: One inference (the root range, or ONNX Runtime's ``model_run``).
        iterations: Inferences profiled; ``kept`` of them averaged (the trimmed mean).
        source: What timed it.
    """

    self_ms: dict[str, float]
    op_ms: dict[tuple[str, str], float]
    op_calls: dict[tuple[str, str], float]
    op_names: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    total_ms: float = 0.0
    iterations: int = 0
    kept: int = 0
    source: str = ""


def static_conv_types(records: Sequence[Any], depth: int | None = None) -> dict[str, list[str]]:
    """Module path (truncated to ``depth``) → the types (conv / depthwise conv) of its convolutions, in order."""
    out: dict[str, list[str]] = defaultdict(list)
    for r in records:
        kind = op_type(r.op, r.in_shapes)
        if kind in (CONV, DW_CONV):
            path = ".".join(r.module.split(".")[:depth]) if depth is not None and r.module else r.module
            out[path].append(kind)
    return dict(out)


class _Iteration:
    def __init__(self) -> None:
        self.self_us: dict[str, float] = defaultdict(float)
        self.op_us: dict[tuple[str, str], float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.names: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.convs: dict[str, int] = defaultdict(int)
        self.total_us = 0.0


def _kind(name: str, module: str, it: _Iteration, convs: dict[str, list[str]]) -> str:
    kind = op_type(name)
    if kind == CONV:
        k = it.convs[module]
        it.convs[module] += 1
        known = convs.get(module, [])
        if k < len(known):
            kind = known[k]
    return kind


#: torch.compile's events: the compiled region (its aten ops and generated kernels inside) and the guard check
#: before it (Python-side framework time).
COMPILED_REGION = "Torch-Compiled Region"
_DYNAMO_FRAMEWORK = ("TorchDynamo Cache Lookup",)


def _aten_ops(ev: Any) -> Iterator[Any]:
    """The outermost ``aten::`` events under ``ev``, in order (a compiled region's extern kernels)."""
    for ch in ev.cpu_children:
        if ch.name.startswith("aten::"):
            yield ch
        else:
            yield from _aten_ops(ch)


def _compiled(ev: Any, path: str, it: _Iteration, convs: dict[str, list[str]], device: bool) -> None:
    """A compiled region inside ``path``: its aten ops typed as usual, the rest of it ``fused kernels``."""
    inner = 0.0
    for op in _aten_ops(ev):
        key = (path, _kind(op.name, path, it, convs))
        t = op.device_time_total if device else op.cpu_time_total
        it.op_us[key] += t
        it.calls[key] += 1
        it.names[key].add(op.name)
        inner += t
    total = ev.device_time_total if device else ev.cpu_time_total
    key = (path, FUSED)
    it.op_us[key] += max(total - inner, 0.0)
    it.calls[key] += 1
    it.names[key].add(ev.name)


def _walk(ev: Any, path: str, it: _Iteration, convs: dict[str, list[str]], device: bool) -> None:
    children_us = 0.0
    ops_us = 0.0
    for ch in ev.cpu_children:
        if ch.name.startswith(PREFIX):
            children_us += ch.device_time_total if device else ch.cpu_time_total
            _walk(ch, ch.name[len(PREFIX):], it, convs, device)
            continue
        if ch.name in _DYNAMO_FRAMEWORK:
            continue  # guards: part of the module's framework time
        t = ch.device_time_total if device else ch.cpu_time_total
        ops_us += t
        if ch.name.startswith(COMPILED_REGION):
            _compiled(ch, path, it, convs, device)
            continue
        key = (path, _kind(ch.name, path, it, convs))
        it.op_us[key] += t
        it.calls[key] += 1
        it.names[key].add(ch.name)
    if device:
        it.self_us[path] += ops_us
        return
    own = ev.cpu_time_total - children_us
    it.self_us[path] += own
    if own - ops_us > 0:
        it.op_us[(path, FRAMEWORK)] += own - ops_us


def _trimmed(iters: list[_Iteration], source: str) -> Timing:
    totals = [it.total_us for it in iters]
    if len(iters) >= 4:
        q = statistics.quantiles(totals, n=4, method="inclusive")
        kept = [it for it in iters if q[0] <= it.total_us <= q[2]] or iters
    else:
        kept = iters
    n = len(kept)
    self_ms: dict[str, float] = defaultdict(float)
    op_ms: dict[tuple[str, str], float] = defaultdict(float)
    calls: dict[tuple[str, str], float] = defaultdict(float)
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    for it in kept:
        for k, v in it.self_us.items():
            self_ms[k] += v / 1e3 / n
        for k, v in it.op_us.items():
            op_ms[k] += v / 1e3 / n
        for k, v in it.calls.items():
            calls[k] += v / n
        for k, v in it.names.items():
            names[k] |= v
    total = sum(it.total_us for it in kept) / 1e3 / n
    return Timing(dict(self_ms), dict(op_ms), dict(calls), dict(names), total, len(iters), n, source)


class ModuleRanges(ModuleHooks):
    """Forward pre/post hooks on the ``named_modules()`` entries (the static trace's names) down to ``max_depth``
    dotted levels, opening and closing one profiler range per module call; ``remove()`` takes them off again.

    Deeper modules need no range: their time is inside their ancestor's, which is the row they are reported in.
    Ranges are ``torch._C._profiler._RecordFunctionFast`` (about 0.3 µs a range; ``record_function``'s op-based
    ranges cost about 10 µs, which made mobilenet_v2 35% slower).
    """

    def __init__(self, model: Any, max_depth: int | None = None) -> None:
        import torch

        self._fast = getattr(getattr(torch._C, "_profiler", None), "_RecordFunctionFast", None)
        self._enter = torch.ops.profiler._record_function_enter_new
        self._exit = torch.ops.profiler._record_function_exit._RecordFunction
        self._open: list[Any] = []
        super().__init__(model, max_depth, root=True)

    def pre_hook(self, name: str, mod: Any) -> Callable[[Any, Any], None]:
        fast, label = self._fast, PREFIX + name
        if fast is not None:
            def hook(_mod: Any, _inp: Any) -> None:
                r = fast(label)
                r.__enter__()
                self._open.append(r)
        else:  # pragma: no cover - torch without the fast range
            def hook(_mod: Any, _inp: Any) -> None:
                self._open.append(self._enter(label, None))

        return hook

    def post_hook(self, name: str) -> Callable[[Any, Any, Any], None]:
        return self._post

    def _post(self, _mod: Any, _inp: Any, _out: Any) -> None:
        if self._open:
            r = self._open.pop()
            if self._fast is not None:
                r.__exit__(None, None, None)
            else:  # pragma: no cover
                self._exit(r)


class ModuleTimer(ModuleHooks):
    """Forward pre/post hooks that time every module call down to ``max_depth`` with ``perf_counter`` — no
    profiler. :meth:`call` wraps one inference; while it runs, each hooked module's **self time** (its call's wall
    time minus its hooked children's) is added to that inference's record, and whatever the inference spends outside
    the model's children (the model's own ``forward`` code, ``inference_mode``) is the top level's (``""``).

    A hook costs two clock reads and a list operation (about 1 µs a module call), against ``torch.profiler``'s cost
    per aten op (several µs an op, which on ~150 small ops made mobilenet_v2's profiled inference 10-20% slower at 2
    threads): module times come from here, the profiler only splits them over op types (:func:`with_module_times`).
    Wall time on the host: on CUDA use the profiler's kernel times instead (a hook can't see when a kernel ends).
    Calls made while no :meth:`call` is running (warm-up) are not recorded; ``remove()`` takes the hooks off.
    """

    def __init__(self, model: Any, max_depth: int | None = None) -> None:
        import time

        self._clock = time.perf_counter
        self._stack: list[list[Any]] = []
        self._current: dict[str, float] | None = None
        self.iterations: list[tuple[dict[str, float], float]] = []
        super().__init__(model, max_depth)  # the root is timed by call() itself

    def pre_hook(self, name: str, mod: Any) -> Callable[[Any, Any], None]:
        stack, clock = self._stack, self._clock

        def hook(_mod: Any, _inp: Any) -> None:
            if self._current is not None:
                stack.append([name, 0.0, clock()])

        return hook

    def post_hook(self, name: str) -> Callable[[Any, Any, Any], None]:
        return self._post

    def _post(self, _mod: Any, _inp: Any, _out: Any) -> None:
        t = self._clock()
        if self._current is None or len(self._stack) < 2:
            return
        name, children, t0 = self._stack.pop()
        elapsed = t - t0
        self._current[name] = self._current.get(name, 0.0) + elapsed - children
        self._stack[-1][1] += elapsed

    def call(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """``fn`` (one inference) as a callable that records one inference each time it is called."""
        clock = self._clock

        def timed() -> Any:
            self._current, self._stack[:] = {}, [["", 0.0, clock()]]
            try:
                return fn()
            finally:
                t = clock()
                _, children, t0 = self._stack[0]
                cur = self._current
                cur[""] = cur.get("", 0.0) + (t - t0) - children
                self.iterations.append((cur, t - t0))
                self._current = None
                self._stack.clear()

        return timed

    def reset(self) -> None:
        """Forgets the inferences recorded so far (the warm-up's)."""
        self.iterations = []

    def timing(self) -> Timing:
        """The recorded inferences as a :class:`Timing` (trimmed mean, like the profiler's); no op split."""
        iters = []
        for self_s, total_s in self.iterations:
            it = _Iteration()
            for k, v in self_s.items():
                it.self_us[k] += v * 1e6
            it.total_us = total_s * 1e6
            iters.append(it)
        if not iters:
            raise RuntimeError("no inference was timed (was the model called?)")
        return _trimmed(iters, "forward hooks, perf_counter")


def with_module_times(hooks: Timing, prof: Timing) -> Timing:
    """Module times from ``hooks`` (:class:`ModuleTimer`), each split over op types in the proportions ``prof``
    (the profiled run) measured for that module; op calls and names from ``prof``. A module the profiler saw no
    time in keeps its hook time as ``framework (python)``. Additive: a module's op times sum to its hook time."""
    per_module: dict[str, float] = defaultdict(float)
    for (path, _kind), ms in prof.op_ms.items():
        per_module[path] += ms
    op_ms: dict[tuple[str, str], float] = {}
    for path, ms in hooks.self_ms.items():
        if per_module.get(path, 0.0) > 0:
            f = ms / per_module[path]
            for (p, kind), t in prof.op_ms.items():
                if p == path:
                    op_ms[(p, kind)] = t * f
        else:
            op_ms[(path, FRAMEWORK)] = ms
    return Timing(dict(hooks.self_ms), op_ms, dict(prof.op_calls), dict(prof.op_names), hooks.total_ms,
                  hooks.iterations, hooks.kept,
                  "forward hooks, perf_counter (module times); torch.profiler (their split over op types)")


def profile_eager(model: Any, call: Callable[[], Any], *, device: str = "cpu", iterations: int = 20,
                  warmup: int = 3, records: Sequence[Any] = (), sync: Callable[[], None] | None = None,
                  depth: int | None = None) -> Timing:
    """Profiles ``iterations`` calls of ``call()`` (which runs ``model``) and attributes their time to modules.

    Args:
        model: The module ``call`` runs (the engine's own copy: hooks are added for the run and removed after).
        call: One inference.
        device: ``cpu`` or ``cuda:N`` (CUDA: kernel times).
        iterations: Profiled inferences (at least 1); ``warmup`` unprofiled ones first.
        records: The static trace's ``OpRecord`` list (tells depthwise from dense convolutions).
        sync: Device synchronisation after the calls (CUDA).
        depth: Deepest module level that gets its own range (``None``: every module); deeper modules' times are
            in their ancestor's.
    """
    from torch.profiler import ProfilerActivity, profile

    on_gpu = str(device).startswith("cuda")
    convs = static_conv_types(records, depth)
    for _ in range(max(warmup, 0)):
        call()
    if sync is not None:
        sync()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_gpu else [])
    ranges = ModuleRanges(model, depth)
    try:
        with quiet_kineto(), profile(activities=activities, record_shapes=False, with_stack=False) as prof:
            for _ in range(max(iterations, 1)):
                call()
                if sync is not None:
                    sync()
    finally:
        ranges.remove()
    iters = []
    for ev in prof.events():
        if ev.name != PREFIX or (ev.cpu_parent is not None and ev.cpu_parent.name.startswith(PREFIX)):
            continue
        it = _Iteration()
        _walk(ev, "", it, convs, on_gpu)
        it.total_us = sum(it.self_us.values()) if on_gpu else ev.cpu_time_total
        iters.append(it)
    if not iters:
        raise RuntimeError("the profiler recorded no module ranges (was the model called?)")
    return _trimmed(iters, "torch.profiler, CUDA kernel times" if on_gpu else "torch.profiler, CPU wall time")
