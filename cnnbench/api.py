"""The library API: ``cnnbench.profile``, ``cnnbench.compare``, ``cnnbench.explain``, ``cnnbench.list_models``.

The model you have in hand goes in — an ``nn.Module`` instance, a registry name, ``"timm:NAME"``,
``"torchvision:NAME"``, ``"file.py:Class"`` or ``"pkg.mod:factory"`` — and a :class:`~cnnbench.records.Results`
(a sequence of :class:`~cnnbench.records.Profile` rows) comes out::

    import cnnbench
    res = cnnbench.profile(model, input_size=(3, 224, 224))   # shape without the batch dimension, any rank
    res = cnnbench.profile(model, inputs=(x, mask))            # example inputs, used as given (their batch)
    res[0].params, res[0].macs, res.to_pandas()

**Your model is never changed**: static analysis swaps in ``meta`` stand-ins for its parameters for the call only;
latency (casts to fp16/bf16, channels-last, ``torch.compile``, ONNX export included) runs on a deep copy. Weight
values and device, dtype, ``training`` flag, hooks and attributes are as they were.

Errors are :class:`~cnnbench.errors.CnnbenchError` (``UnknownModelError``, ``InputError``, ``DeviceError``...),
worded with these keyword names (``precision='x'``, never the CLI's ``--precision``: :func:`~cnnbench.errors.library_face`
words every message these verbs raise); a model that fails to build, trace or run is a row with ``error`` set, not an
exception. Conventions: ``macs`` = multiply-accumulates (papers' "FLOPs"), ``flops`` = 2 × macs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from cnnbench.catalog import ModelSpec, resolve_models, unique_names
from cnnbench.errors import CnnbenchError, DeviceError, InputError, library_face
from cnnbench.explainer.run import explain as _explain
from cnnbench.records import Results

COUNTERS = ("ours", "fvcore", "thop", "all")


@library_face
def profile(model: Any, *, input_size: Any = None, inputs: Any = None, batch_size: int | Sequence[int] | None = None,
            dtype: str = "fp32", latency: bool = False, device: str = "cpu", runtime: str | Sequence[str] | None = None,
            threads: int | None = None, channels_last: bool = False, budget: float = 2.0, min_samples: int = 30,
            warmup: float = 0.5, onnx_dir: str | None = None, counter: str = "ours", fuse: bool = False,
            name: str | None = None, precision: str | None = None, compile_mode: str | None = None,
            quantization: str | None = None, roofline: bool = False, calibrate: bool = False,
            weight_bits: int | None = None, sparsity: float | None = None, shared_weights: int | None = None,
            index_bits: int | None = None) -> Results:
    """Profile one model (or several) at the given inputs: static costs, and latency with ``latency=True``.

    Args:
        model: An ``nn.Module`` instance, a name (``"resnet50"``, ``"timm:convnext_tiny"``, ``"torchvision:vgg16"``,
            ``"file.py:Class"``, ``"pkg.mod:factory"``), a list of those, or a ``{name: model}`` dict.
        input_size: Shape without the batch dimension, any rank — ``(3, 224, 224)``, ``(32,)`` — or a list of shapes
            (several positional tensors). Default: the registry model's own; required for an instance unless
            ``inputs`` is given.
        inputs: Example inputs used as given: a tensor, a tuple (positional), a dict (keyword); or a function
            returning one (called with the batch size if it takes an argument); or ``"file.py:make_inputs"``.
        batch_size: One or several batch sizes prepended to ``input_size`` (default 1). Given example inputs fix
            their own batch (their first tensor's dim 0).
        dtype: ``"fp32"`` | ``"fp16"`` | ``"bf16"``.
        latency: Also measure latency (one row per model × batch size × runtime).
        device: ``"cpu"`` | ``"cuda"`` | ``"cuda:N"`` (latency only).
        runtime: ``"eager"`` | ``"compile"`` | ``"onnx"`` or a list of them (default eager).
        threads: Intra-op threads while timing (torch's setting is restored afterwards).
        channels_last: Time in NHWC memory format.
        budget: Seconds of timed samples per row; ``min_samples`` at least that many; ``warmup`` seconds first.
        onnx_dir: ONNX export cache directory.
        counter: ``"ours"`` | ``"fvcore"`` | ``"thop"`` | ``"all"``: add other counters' totals (``crosscheck``).
        fuse: Fuse re-parameterisable branches (RepVGG, MobileOne, FastViT...) before counting and timing; the row
            says ``fused``. Default: the model as built.
        name: The row's ``model`` for an instance (default: its class name).
        precision: ``"amp-fp16"`` | ``"amp-bf16"``: ``torch.autocast`` around eager/compile (a different row from a
            ``dtype`` cast). ``compile_mode``: ``torch.compile``'s mode. ``quantization``: ``"static"`` (default) |
            ``"dynamic"`` for the ``onnx-int8`` runtime.
        roofline: Measure this machine's roofline (cached) so latency rows get ``achieved_gflops`` and
            ``roofline_fraction``; without it they get them only when a roofline is already cached.
        calibrate: Also time ``cnnbench check``'s calibration workload (eager fp32, 1×3×128×128, same device and
            threads) interleaved with each row: rows get ``calibration_ms`` (its median) and ``latency_normalized``
            = latency median ÷ ``calibration_ms`` (dimensionless). Needs ``latency=True``.
        weight_bits, sparsity, shared_weights, index_bits: Add ``compressed_bytes`` and ``compression`` (the
            settings and the ratio to dense fp32) to every row: the estimated checkpoint with conv/fc weights stored
            with ``weight_bits`` bits, ``sparsity`` of them pruned (relative-index sparse storage, ``index_bits``
            bits per index), or a ``shared_weights``-entry codebook per layer (docs/compression.md).

    Returns:
        :class:`~cnnbench.records.Results`, one :class:`~cnnbench.records.Profile` per model × batch (× runtime).

    Raises:
        CnnbenchError: Unknown model, bad inputs or options, unavailable device (before anything is measured).
        KeyboardInterrupt: Ctrl-C (the rows finished so far are lost; use the CLI for resumable sweeps).
    """
    from cnnbench.analysis.compression import annotate, settings_from_options
    from cnnbench.plan import Plan
    from cnnbench.rows import run_rows

    specs = resolve_models(model, name)
    plan = _plan(specs, input_size=input_size, inputs=inputs, batch_size=batch_size, dtype=dtype)
    compression = settings_from_options(weight_bits, sparsity, shared_weights, index_bits)
    if counter not in COUNTERS:
        raise CnnbenchError(f"unknown counter {counter!r}: choose {', '.join(COUNTERS)}")
    lat = _latency_options(latency, device=device, runtime=runtime, threads=threads, channels_last=channels_last,
                           budget=budget, min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir,
                           precision=precision, compile_mode=compile_mode, quantization=quantization, dtype=plan.dtype,
                           calibrate=calibrate)
    _check_runnable(plan, lat)
    spec = Plan(specs, None, plan.batch_sizes, plan.dtype, lat, plan.inputs, counter, bool(fuse))
    result = run_rows(spec)
    if result.interrupted:
        raise KeyboardInterrupt
    annotate(result.profiles, compression)
    from cnnbench.latency.roofline import with_efficiency

    return Results(with_efficiency(result.profiles, measure=bool(roofline) and lat is not None))


@library_face
def memory(model: Any, *, input_size: Any = None, inputs: Any = None, batch_size: int | Sequence[int] | None = None,
           dtype: str = "fp32", train: bool = False, optimizer: str | None = None, fit: str | int | None = None,
           measure: bool = False, device: str = "cpu", name: str | None = None) -> Results:
    """Will it fit: weights, inputs and the peak of activations alive at once, per model × batch size.

    Args:
        model, input_size, inputs, batch_size, dtype, name: as :func:`profile`.
        train: Also a training step (forward in train mode, backward of ``output.sum()``): ``train_peak_activation_bytes``
            (gradients included), ``forward_macs``, ``backward_macs``, ``gradient_bytes``, ``optimizer_state_bytes``,
            ``train_total_bytes``.
        optimizer: ``"sgd"`` | ``"sgd-momentum"`` | ``"adam"`` (default) | ``"adamw"``: 0 / 1 / 2 / 2 parameter-sized
            state tensors (needs ``train``).
        fit: A memory size (``"8GiB"``, ``"8GB"`` = 10^9, or bytes): every row gets ``max_batch_size``, the largest
            batch whose total (``train_total_bytes`` with ``train``) fits.
        measure: Also measure the peaks in a real run on ``device`` (``measured_*``, ``allocator_*``).
        device: ``"cpu"`` | ``"cuda"`` | ``"cuda:N"``: where ``measure`` runs.

    Returns:
        :class:`~cnnbench.records.Results`: each row the static record plus the memory keys
        (:data:`cnnbench.footprint.MEMORY_KEYS`); a model that fails has rows with ``error``.
    """
    from cnnbench.footprint import MemoryOptions, memory_rows

    specs = resolve_models(model, name)
    plan = _plan(specs, input_size=input_size, inputs=inputs, batch_size=batch_size, dtype=dtype)
    opts = MemoryOptions.parse(train=train, optimizer=optimizer, fit=fit, measure=measure, device=device)
    if opts.device != "cpu":
        from cnnbench.latency.devices import resolve_device

        try:
            resolve_device(opts.device)
        except CnnbenchError as e:
            raise DeviceError(str(e)) from None
    if opts.fit_bytes is not None and any(not i.takes_batch for i in plan.inputs):
        raise InputError("fit searches the batch size, but given inputs fix it (pass input_size, or a function of "
                         "the batch size as inputs)")
    if measure and any(ispec.on_meta for ispec in plan.inputs):
        raise InputError(_META_INPUTS.replace("latency=True", "measure=True"))
    result = memory_rows(specs, plan.inputs, plan.batch_sizes, plan.dtype, opts)
    if result.interrupted:
        raise KeyboardInterrupt
    return Results(result.profiles)


@library_face
def compare(models: Any, *, family: str | Sequence[str] | None = None, input_size: Any = None, inputs: Any = None,
            batch_size: int | Sequence[int] | None = None, dtype: str = "fp32", latency: bool = False,
            device: str = "cpu", runtime: str | Sequence[str] | None = None, threads: int | None = None,
            channels_last: bool = False, budget: float = 2.0, min_samples: int = 30, warmup: float = 0.5,
            rounds: int = 5, onnx_dir: str | None = None, fuse: bool = False, sort: str | None = None,
            precision: str | None = None, compile_mode: str | None = None, quantization: str | None = None,
            roofline: bool = False, calibrate: bool = False) -> Results:
    """Compare models side by side; with ``latency=True`` every row is timed *interleaved* (round-robin).

    Takes what :func:`profile` takes (``models`` may mix names, family names and instances, or be a
    ``{name: model}`` dict), plus ``family`` (every registered model of a family), ``rounds`` (round-robin rounds
    the budget is split over) and ``sort`` (``None`` = as given; ``"params"``, ``"macs"``, ``"memory_access"``,
    ``"activations"``, ``"latency"``, ``"checkpoint"``: ascending within each device/runtime/batch group).
    ``Results.footer`` says how latency was measured.
    """
    from cnnbench import comparison as cmp

    if isinstance(models, (str, Mapping)) or not isinstance(models, Sequence):
        items: list[Any] = resolve_models(models) if isinstance(models, Mapping) else [models]
    else:
        items = list(models)
    fams = [family] if isinstance(family, str) else list(family or [])
    specs = unique_names(cmp.resolve_targets(items, fams))
    plan = _plan(specs, input_size=input_size, inputs=inputs, batch_size=batch_size, dtype=dtype)
    if sort is not None:
        sort = cmp.check_sort(sort, has_latency=latency)
    if not isinstance(rounds, int) or rounds < 1:
        raise CnnbenchError(f"rounds must be an integer ≥ 1 (got {rounds!r})")
    lat = _latency_options(latency, device=device, runtime=runtime, threads=threads, channels_last=channels_last,
                           budget=budget, min_samples=min_samples, warmup=warmup, onnx_dir=onnx_dir,
                           precision=precision, compile_mode=compile_mode, quantization=quantization, dtype=plan.dtype,
                           calibrate=calibrate)
    _check_runnable(plan, lat)
    spec = cmp.make_spec(specs, input_size=None, batch_sizes=list(plan.batch_sizes), dtype=plan.dtype, latency=lat,
                         inputs=plan.inputs, fuse=fuse)
    result = cmp.run_compare(spec, rounds=rounds)
    if result.interrupted:
        raise KeyboardInterrupt
    from cnnbench.latency.roofline import with_efficiency

    profiles = with_efficiency(list(result.profiles), measure=bool(roofline) and lat is not None)
    if sort is not None:
        records = [p.to_dict() for p in profiles]
        by_id = {id(r): p for r, p in zip(records, profiles, strict=True)}
        profiles = [by_id[id(r)] for r in cmp.sort_records(records, sort)]
    return Results(profiles, footer=result.footer())


@library_face
def list_models(pattern: str | None = None, *, family: str | None = None, source: str | None = None,
                kind: str | None = "network") -> list[str]:
    """Registered model names (natural sort), filtered like timm's: ``list_models("resnet*", source="torchvision")``.

    Anything timm or torchvision ships is also reachable as ``"timm:NAME"`` / ``"torchvision:NAME"``.
    """
    from cnnbench.catalog import list_specs

    return [s.name for s in list_specs(family=family, source=source, kind=kind, pattern=pattern)]


@library_face
@functools.wraps(_explain)
def explain(model: Any, **kwargs: Any) -> Any:
    """``cnnbench.explain``: :func:`cnnbench.explainer.explain` (its signature and docstring) speaking the library's
    words in its errors (``top=``, not ``--top``), meta example inputs refused up front as ``profile`` refuses them
    with latency; ``cnnbench explain`` calls the explainer itself, with the CLI's words."""
    given = kwargs.get("inputs")
    if given is not None and not isinstance(given, str) and not callable(given):
        from cnnbench.inputs import InputSpec

        if InputSpec.from_example(given).on_meta:
            raise InputError(_META_INPUTS.replace("latency=True", "explain"))
    return _explain(model, **kwargs)


# --- argument handling ---------------------------------------------------------------------------------------------

class _Plan:
    def __init__(self, inputs: tuple[Any, ...], batch_sizes: tuple[int, ...], dtype: str) -> None:
        self.inputs, self.batch_sizes, self.dtype = inputs, batch_sizes, dtype


def _plan(specs: tuple[ModelSpec, ...], *, input_size: Any, inputs: Any, batch_size: Any, dtype: str) -> _Plan:
    from cnnbench.inputs import parse_dtype
    from cnnbench.plan import check_batch_sizes

    if input_size is not None and inputs is not None:
        raise InputError("give input_size or inputs, not both")
    bss = _batch_sizes(batch_size)
    per_model = tuple(_input_spec(s, input_size, inputs) for s in specs)
    check_batch_sizes(per_model, bss, batch_size is not None, what="batch_size")
    return _Plan(per_model, bss, parse_dtype(dtype))


def _check_runnable(plan: _Plan, lat: Any) -> None:
    """Latency runs the model: example inputs on ``meta`` (shapes, no data) are refused before anything runs."""
    if lat is not None and any(ispec.on_meta for ispec in plan.inputs):
        raise InputError(_META_INPUTS)


_META_INPUTS = ("inputs are meta tensors (shapes without data): latency=True runs the model on real tensors — give "
                "CPU tensors, or input_size= for random ones (meta inputs count statically)")


def _input_spec(spec: ModelSpec, input_size: Any, inputs: Any) -> Any:
    from cnnbench.inputs import InputSpec

    try:
        if inputs is not None:
            return _given_inputs(inputs)
        if input_size is None:
            if spec.source == "instance":
                raise InputError(f"{spec.name} is a model instance: give input_size (shape without the batch "
                                 "dimension, e.g. (3, 224, 224) or (32,)) or inputs (example tensors)")
            return InputSpec.from_shapes(*spec.input_shapes)
        if isinstance(input_size, str):  # the CLI's shorthand, for convenience: "224", "3x224x224", "32,"
            from cnnbench.inputs import parse_input_sizes

            return InputSpec.from_shapes(*spec.shapes_for(parse_input_sizes(input_size, spec.input_size, "input_size")))
        return InputSpec.from_shapes(*spec.shapes_for(_shapes(input_size)))
    except InputError:
        raise
    except CnnbenchError as e:  # inputs.InputSpec's own wording, as an InputError
        raise InputError(str(e).replace("input size", "input_size")) from None


def _shapes(input_size: Any) -> tuple[tuple[int, ...], ...]:
    """``(3, 224, 224)`` → one shape; ``[(3, 32, 32), (10,)]`` → two; anything else is an ``InputError``."""
    hint = "a shape without the batch dimension, e.g. (3, 224, 224) or (32,), or a list of shapes"
    if not isinstance(input_size, Sequence) or isinstance(input_size, (bytes, bytearray)) or not input_size:
        raise InputError(f"input_size must be {hint} (got {input_size!r})")
    if all(isinstance(d, Sequence) and not isinstance(d, str) for d in input_size):
        return tuple(tuple(s) for s in input_size)
    if any(isinstance(d, (Sequence, float, bool)) for d in input_size):
        raise InputError(f"input_size must be {hint} (got {input_size!r})")
    return (tuple(input_size),)


def _given_inputs(inputs: Any) -> Any:
    from cnnbench.inputs import InputSpec

    if isinstance(inputs, InputSpec):
        return inputs
    if isinstance(inputs, str):
        from cnnbench.catalog import load_user_callable

        return InputSpec.from_factory(load_user_callable(inputs, "inputs"), name=inputs)
    import torch

    if callable(inputs) and not isinstance(inputs, (torch.Tensor, torch.nn.Module)):
        return InputSpec.from_factory(inputs)
    return InputSpec.from_example(inputs)


def _batch_sizes(batch_size: Any) -> tuple[int, ...]:
    if batch_size is None:
        return (1,)
    values = [batch_size] if isinstance(batch_size, int) else batch_size
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise InputError(f"batch_size must be an integer ≥ 1 or a list of them (got {batch_size!r})")
    out: list[int] = []
    for b in values:
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise InputError(f"batch_size must be an integer ≥ 1 or a list of them (got {b!r})")
        if b not in out:
            out.append(b)
    return tuple(out)


def _latency_options(latency: bool, *, device: str, runtime: Any, threads: int | None, channels_last: bool,
                     budget: float, min_samples: int, warmup: float, onnx_dir: str | None,
                     precision: str | None = None, compile_mode: str | None = None, quantization: str | None = None,
                     dtype: str = "fp32", calibrate: bool = False) -> Any:
    from cnnbench.latency.options import LatencyOptions

    if not latency:
        if runtime is not None or precision is not None or compile_mode is not None or quantization is not None:
            raise CnnbenchError("runtime=, precision=, compile_mode= and quantization= need latency=True")
        if calibrate:
            raise CnnbenchError("calibrate=True times a workload beside each latency row: it needs latency=True")
        return None
    if not isinstance(calibrate, bool):
        raise CnnbenchError(f"calibrate must be True or False (got {calibrate!r})")
    if not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget <= 0:
        raise CnnbenchError(f"budget must be a finite number of seconds > 0 (got {budget!r})")
    if not isinstance(min_samples, int) or min_samples < 1:
        raise CnnbenchError(f"min_samples must be an integer ≥ 1 (got {min_samples!r})")
    if not isinstance(warmup, (int, float)) or not math.isfinite(warmup) or warmup < 0:
        raise CnnbenchError(f"warmup must be a finite number of seconds ≥ 0 (got {warmup!r})")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise CnnbenchError(f"threads must be an integer ≥ 1 (got {threads!r})")
    runtimes = [runtime] if isinstance(runtime, str) else (list(runtime) if runtime is not None else None)
    if runtimes is not None and not any(str(r).strip() for r in runtimes):
        from cnnbench.latency.options import RUNTIMES

        raise CnnbenchError(f"runtime={runtime!r} names no runtime: give one of {', '.join(RUNTIMES)} or a list of "
                            "them (default: eager)")
    try:
        from cnnbench.latency.devices import resolve_device

        resolve_device(device)
    except CnnbenchError as e:
        raise DeviceError(str(e)) from None  # library_face words it
    return LatencyOptions.parse(device=device, runtimes=runtimes, threads=threads, channels_last=channels_last,
                                budget=float(budget), min_samples=min_samples, warmup=float(warmup),
                                onnx_dir=onnx_dir, precision=precision, compile_mode=compile_mode,
                                quantization=quantization, dtype=dtype, calibrate=calibrate)

