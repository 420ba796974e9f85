"""``explain(model_or_name, ...)``: which modules of a model take the time, and why (see :mod:`cnnbench.explainer`)."""

from __future__ import annotations

import contextlib
from typing import Any

from cnnbench.errors import CnnbenchError, InputError, exit_text, row_error
from cnnbench.explainer.explanation import Explanation, join, top_layers
from cnnbench.latency.threads import torch_threads

RUNTIMES = ("eager", "compile", "onnx")
BY = ("module", "op")


def _spec_and_inputs(model: Any, input_size: Any, inputs: Any, name: str | None):
    from cnnbench.catalog import resolve_model
    from cnnbench.inputs import InputSpec

    spec = resolve_model(model, name)
    if input_size is not None and inputs is not None:
        raise InputError("give input_size or inputs, not both")
    if inputs is not None:
        if isinstance(inputs, InputSpec):
            return spec, inputs
        if callable(inputs) and not hasattr(inputs, "shape"):
            return spec, InputSpec.from_factory(inputs)
        return spec, InputSpec.from_example(inputs)
    if input_size is None:
        if spec.source == "instance":
            raise InputError(f"{spec.name} is a model instance: give input_size (shape without the batch dimension, "
                             "e.g. (3, 224, 224)) or inputs (example tensors)")
        return spec, InputSpec.from_shapes(*spec.input_shapes)
    if isinstance(input_size, str):
        from cnnbench.inputs import parse_input_sizes

        return spec, InputSpec.from_shapes(*parse_input_sizes(input_size, spec.input_size, "input_size"))
    if input_size and all(isinstance(s, (tuple, list)) for s in input_size):
        return spec, InputSpec.from_shapes(*(tuple(s) for s in input_size))
    return spec, InputSpec.from_shapes(tuple(input_size))


def check_options(*, runtime: str = "eager", by: str = "module", depth: int = 1, top: int | None = None,
                  iterations: int = 20, batch_size: int = 1, threads: int | None = None, device: str = "cpu",
                  dtype: str = "fp32") -> tuple[str, str, str]:
    """Every option :func:`explain` takes, checked before anything is built or measured (the CLI calls it before
    its first progress line): ``(runtime, device, dtype)`` normalised.

    Raises:
        CnnbenchError: The first bad option, in one line.
    """
    from cnnbench.inputs import parse_dtype
    from cnnbench.latency.devices import resolve_device

    runtime = str(runtime).lower()
    _check(runtime, by, depth, top, iterations)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be an integer ≥ 1 (got {batch_size!r})")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise CnnbenchError(f"threads must be an integer ≥ 1 (got {threads!r})")
    return runtime, str(resolve_device(device)), parse_dtype(dtype)


def _check(runtime: str, by: str, depth: int, top: int | None, iterations: int) -> None:
    if runtime not in RUNTIMES:
        raise CnnbenchError(f"unknown runtime {runtime!r}: explain supports {', '.join(RUNTIMES)}")
    if by not in BY:
        raise CnnbenchError(f"unknown --by {by!r}: choose module or op")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise CnnbenchError(f"--depth must be an integer ≥ 1 (got {depth!r})")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise CnnbenchError(f"--top must be an integer ≥ 1 (got {top!r})")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise CnnbenchError(f"iterations must be an integer ≥ 1 (got {iterations!r})")


def explain(model: Any, *, input_size: Any = None, inputs: Any = None, batch_size: int = 1, device: str = "cpu",
            runtime: str = "eager", dtype: str = "fp32", threads: int | None = None, depth: int = 1,
            by: str = "module", top: int | None = None, roofline: dict[str, Any] | None = None,
            refresh_roofline: bool = False, budget: float = 1.0, min_samples: int = 10, warmup: float = 0.3,
            iterations: int = 20, name: str | None = None) -> Explanation:
    """Where ``model``'s time goes: its time split over modules (or module × op type), joined with the static
    trace's MACs, memory access and activations for the same modules, against this machine's roofline.

    Args:
        model: An ``nn.Module`` (left unchanged: timed on a deep copy) or a name (``"resnet18"``, ``"timm:x"``...).
        input_size: Shape without the batch dimension (default: a registry model's own); or ``inputs``: example
            inputs (tensor, tuple, dict, factory).
        batch_size: Batch prepended to ``input_size``.
        device: ``cpu | cuda | cuda:N``.
        runtime: ``eager`` (module times from forward hooks on the CPU, split over op types by ``torch.profiler``;
            CUDA kernel times on a GPU), ``compile`` (the same on a regionally compiled copy — each row's module
            compiled on its own, see :mod:`cnnbench.explainer.regional` — timed beside the whole-model compile) or
            ``onnx`` (ONNX Runtime node profiling).
        dtype: ``fp32 | fp16 | bf16``.
        threads: Intra-op threads for torch and ONNX Runtime (default torch's current setting; restored after).
        depth: Module depth of the rows (1 = the model's children), like ``profile --by module --depth``.
        by: ``module`` (one row per module) or ``op`` (one row per module × op type).
        top: Keep the ``top`` rows with the most time (default all, in execution order).
        roofline: A roofline dict (:func:`cnnbench.latency.roofline.measure_roofline`); default the cached one for
            this machine, device, dtype and threads, measured (and cached) when there is none.
        refresh_roofline: Remeasure the roofline even when one is cached.
        budget, min_samples, warmup: The end-to-end latency protocol (seconds of samples, samples, warm-up s).
        iterations: Profiled inferences (after 3 unprofiled warm-up calls).
        name: The model's label (default: its registry name or class name).

    Returns:
        An :class:`~cnnbench.explainer.explanation.Explanation`; a model that fails to build, trace or run gives one with
        ``error`` set.

    Raises:
        CnnbenchError: Bad options, unknown model, unavailable device.
    """
    runtime, dev, dtype = check_options(runtime=runtime, by=by, depth=depth, top=top, iterations=iterations,
                                        batch_size=batch_size, threads=threads, device=device, dtype=dtype)
    if roofline is not None:
        from cnnbench.latency.roofline import check_roofline

        check_roofline(roofline, "roofline")
    spec, ins = _spec_and_inputs(model, input_size, inputs, name)
    with torch_threads(threads) as n_threads:
        if roofline is None:
            from cnnbench.latency.roofline import get_roofline

            roofline = get_roofline(dev, dtype, n_threads, refresh=refresh_roofline)
        ex = Explanation(spec.name, runtime, dev, dtype, n_threads, batch_size, (), depth, by, roofline=roofline)
        try:
            _run(ex, spec, ins, budget=budget, min_samples=min_samples, warmup=warmup, iterations=iterations,
                 top=top)
        except CnnbenchError:
            raise
        except KeyboardInterrupt:
            raise
        except (Exception, SystemExit) as e:  # noqa: BLE001 - a failing model is a row, not a crash
            ex.error = exit_text(e, "model") if isinstance(e, SystemExit) else row_error(e, spec.name)
    from cnnbench.env import collect_env

    ex.env = collect_env(device=dev, threads=n_threads)
    return ex


def _run(ex: Explanation, spec: Any, ins: Any, *, budget: float, min_samples: int, warmup: float, iterations: int,
         top: int | None) -> None:
    from cnnbench.latency.roofline import efficiency
    from cnnbench.rows import builder_for, static_profile

    prof = static_profile(spec, batch_size=ex.batch_size, dtype=ex.dtype, inputs=ins)
    ex.input_shape = tuple(prof.input_shape)
    if prof.error:
        ex.error = prof.error
        return
    static = prof.static
    ex.totals = {"macs": static.macs, "flops": static.flops, "memory_access_bytes": static.memory_access_bytes,
                 "activations": static.activations, "params": static.params}
    instance = spec.source == "instance"
    chw = ins.shapes[0] if ins.shapes else ()
    build = spec.build if instance else builder_for(spec, chw)[0]
    if ex.runtime in ("eager", "compile"):
        timing, stats, types, profiled = _eager(ex, build, ins, instance, static, budget, min_samples, warmup,
                                                iterations)
    else:
        timing, stats, types, profiled = _onnx(ex, build, ins, instance, static, budget, min_samples, warmup,
                                               iterations)
    ex.end_to_end_ms = stats.median
    ex.end_to_end = stats.to_dict()
    ex.sum_of_layers_ms = timing.total_ms
    ex.profiled_total_ms = profiled.total_ms
    ex.profiled_iterations = profiled.iterations
    ex.timed_inferences = timing.iterations
    ex.timing_source = timing.source
    layers, ex.op_types = join(static, timing, ex.roofline, depth=ex.depth, by=ex.by, module_types=types)
    ex.layers = top_layers(layers, top)
    eff = efficiency({"flops": static.flops, "latency_ms": {"median": stats.median}, "device": ex.device,
                      "dtype": ex.dtype}, ex.roofline)
    ex.totals.update(eff)
    if ex.compile.get("whole_model_ms"):
        whole = ex.compile["whole_model_ms"]
        ex.compile["regional_vs_whole"] = stats.median / whole
        ex.notes.append(f"Regional compilation: each of the {ex.compile.get('regions', 0)} row modules compiled on its "
                        f"own (fusion inside a row, not across rows), end-to-end {stats.median:.3f} ms vs "
                        f"{whole:.3f} ms for the whole model compiled at once ({stats.median / whole:.2f}×; "
                        "`profile --runtime compile` times the latter).")
    if profiled is timing:
        ex.notes.append(f"Per-layer times: {timing.source}, trimmed mean of {timing.kept} of {timing.iterations} "
                        f"profiled inferences; end-to-end: median of {stats.samples} unprofiled samples (the latency "
                        "protocol), in the same run.")
    else:
        ex.notes.append(f"Per-layer times: forward hooks (perf_counter), trimmed mean of {timing.kept} of "
                        f"{timing.iterations} inferences interleaved with the {stats.samples} unhooked samples of the "
                        "end-to-end median (the latency protocol); their split over op types: torch.profiler, "
                        f"{profiled.iterations} profiled inferences ({profiled.total_ms:.3f} ms each).")


def _eager(ex, build, ins, instance, static, budget, min_samples, warmup, iterations):
    import torch

    from cnnbench.analysis import split_paths, unwrap
    from cnnbench.latency.backends import Target
    from cnnbench.latency.backends.eager import prepare_eager
    from cnnbench.latency.engine import prepare_runner
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.placement import build_inputs
    from cnnbench.latency.usercode import stdout_to_stderr

    opts = LatencyOptions(device=ex.device, threads=ex.threads, verify=False)
    with stdout_to_stderr(), contextlib.ExitStack() as stack:
        whole = None
        if ex.runtime == "compile":
            # the whole model compiled at once (`profile --runtime compile`'s program): timed beside the regional one
            whole = prepare_runner(build, ins.maker(ex.batch_size), opts, runtime="compile", dtype=ex.dtype,
                                   model_key=ex.model, copy_model=instance)
            stack.callback(whole.close)
            ex.compile["whole_model_compile_s"] = whole.compile_s
        model, args, kwargs = build_inputs(build, ins.maker(ex.batch_size), seed=0, copy_model=instance)
        # explain's own copy, timed as the static trace counts it: wrappers looked through, a shared module per path
        model = unwrap(model)
        split_paths(model)
        runner = prepare_eager(model, args, kwargs, opts, Target("eager", torch.device(ex.device), ex.dtype))
        stack.callback(runner.close)
        if whole is not None:
            from cnnbench.explainer.regional import compiled_regions

            _first_compiled_call(ex, runner, stack.enter_context(compiled_regions(model, ex.depth)))
        timing, stats, profiled, whole_stats = _timed(ex, model, runner, static, budget, min_samples, warmup,
                                                      iterations, whole)
    if whole_stats is not None:
        ex.compile.update({"whole_model_ms": whole_stats.median, "whole_model": whole_stats.to_dict()})
    types = {n: type(m).__name__ for n, m in model.named_modules()}
    return timing, stats, types, profiled


def _first_compiled_call(ex, runner, names) -> None:
    import time

    t0 = time.perf_counter()
    runner.call()
    if runner.sync is not None:
        runner.sync()
    ex.compile.update({"regions": len(names), "regional_compile_s": time.perf_counter() - t0})


def _timed(ex, model, runner, static, budget, min_samples, warmup, iterations, whole=None):
    """``(timing, end-to-end stats, profiled timing, whole-model stats)`` of the prepared runner (eager, or
    regionally compiled), with ``whole`` (the whole-model compile) timed in the same rounds when given."""
    from cnnbench.explainer.attribution import profile_eager, with_module_times

    if str(ex.device).startswith("cuda"):
        # kernel times: a host-side hook cannot see when a kernel ends
        from cnnbench.latency.timer import measure_interleaved

        fns = {"e2e": runner.call, **({"whole": whole.call} if whole is not None else {})}
        both = measure_interleaved(fns, sync=runner.sync, warmup_min_iters=3, warmup_min_s=warmup,
                                   min_samples=min_samples, budget_s=budget)
        timing = profile_eager(model, runner.call, device=ex.device, iterations=iterations, records=static.records,
                               sync=runner.sync, depth=ex.depth)
        return timing, both["e2e"], timing, both.get("whole")
    stats, hooks, whole_stats = _hook_timed(model, runner, ex.depth, budget, min_samples, warmup, whole)
    profiled = profile_eager(model, runner.call, device=ex.device, iterations=iterations, records=static.records,
                             sync=runner.sync, depth=ex.depth)
    return with_module_times(hooks, profiled), stats, profiled, whole_stats


def _hook_timed(model, runner, depth, budget, min_samples, warmup, whole=None):
    """The end-to-end latency protocol on ``runner.call``, interleaved sample by sample with the same call timed by
    :class:`~cnnbench.explainer.attribution.ModuleTimer` hooks (so machine drift hits both alike), and with
    ``whole.call`` when given: the unhooked samples' statistics, the hooked inferences' module times and ``whole``'s
    statistics (or ``None``)."""
    from cnnbench.explainer.attribution import ModuleTimer
    from cnnbench.latency.options import check_protocol_options
    from cnnbench.latency.timer import Timed, budget_stop, interleave, timer_overhead

    check_protocol_options(budget=budget, min_samples=min_samples, warmup=warmup, zero_budget_ok=True,
                           warmup_min_iters=3, block_target_s=1e-3)
    timer = ModuleTimer(model, depth)
    try:
        plain = Timed(runner.call, runner.sync)
        hooked = Timed(timer.call(runner.call), runner.sync)
        timed = [plain, hooked] + ([Timed(whole.call, whole.sync)] if whole is not None else [])
        overhead = timer_overhead()
        for t in timed:
            t.warm_up(3, warmup, overhead_s=overhead)
        timer.reset()
        # the end-to-end sample gets its budget; the other runners the same time beside it
        interleave(timed, budget_stop(min_samples, budget))
    finally:
        timer.remove()
    return plain.stats(), timer.timing(), (timed[2].stats() if whole is not None else None)


def _onnx(ex, build, ins, instance, static, budget, min_samples, warmup, iterations):
    import torch

    from cnnbench.explainer.ort_profile import profile_onnx
    from cnnbench.inputs import torch_dtype
    from cnnbench.latency.backends.onnx import session_feed
    from cnnbench.latency.backends.onnx_export import export_onnx
    from cnnbench.latency.devices import onnx_providers
    from cnnbench.latency.engine import prepare_runner
    from cnnbench.latency.options import LatencyOptions
    from cnnbench.latency.placement import build_inputs, place_inputs
    from cnnbench.latency.timer import measure
    from cnnbench.latency.usercode import stdout_to_stderr

    with stdout_to_stderr():
        opts = LatencyOptions(device=ex.device, threads=ex.threads, verify=False)
        runner = prepare_runner(build, ins.maker(ex.batch_size), opts, runtime="onnx", dtype=ex.dtype,
                                model_key=ex.model, copy_model=instance)
        try:
            stats = measure(runner.call, sync=runner.sync, warmup_min_iters=3, warmup_min_s=warmup,
                            min_samples=min_samples, budget_s=budget)
        finally:
            runner.close()
        # the same cached graph (same key, weights, inputs) for the profiling session
        model, args, kwargs = build_inputs(build, ins.maker(ex.batch_size), seed=0, copy_model=instance)
        model = model.to(dtype=torch_dtype(ex.dtype))
        args, kwargs = place_inputs(args, kwargs, device="cpu", dtype=ex.dtype)
        export = export_onnx(model, args, kwargs, model_key=ex.model, dtype=ex.dtype)
        import onnxruntime as ort

        providers = onnx_providers(torch.device(ex.device))
        probe = ort.InferenceSession(str(export.path), providers=providers)
        feed = session_feed(probe, model, args, kwargs)
        del probe
        # ORT's first runs after a session opens are slow (arena growth, thread pool): 10 are dropped as warm-up
        timing = profile_onnx(export.path, feed, threads=ex.threads, iterations=iterations, warmup=10,
                              records=static.records, providers=providers)
    profiled = timing
    types = {n: type(m).__name__ for n, m in model.named_modules()}
    if export.exporter != "dynamo":
        ex.notes.append("The graph was exported with the TorchScript exporter, which keeps no module scopes: ONNX "
                        "node times are all attributed to the top level.")
    return timing, stats, types, profiled
