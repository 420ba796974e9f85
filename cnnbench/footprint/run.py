"""``cnnbench memory``: will it fit? Weights, inputs and the activation peak of a forward — or of a training step
with its gradients and optimizer state — per model × batch size, the largest batch that fits a memory, and the same
figures measured in a real run.

Every estimate is the one static trace (:func:`cnnbench.analysis.static.traced` on ``meta``: nothing allocated,
any batch), its storage liveness (:mod:`cnnbench.analysis.liveness`) giving the peak. Totals:

* inference: ``total_bytes`` = ``weight_bytes`` + ``input_bytes`` + ``peak_activation_bytes``;
* training: ``train_total_bytes`` = ``weight_bytes`` + ``input_bytes`` + ``train_peak_activation_bytes`` (forward
  and backward, the gradients included) + ``optimizer_state_bytes``.

A failed model is a row with its ``error``; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnnbench.catalog import ModelSpec
from cnnbench.errors import exit_text, row_error
from cnnbench.footprint.options import MAX_FIT_BATCH, MemoryOptions
from cnnbench.inputs import InputSpec, first_shape, torch_dtype
from cnnbench.records import Profile
from cnnbench.rows import RowsResult

#: What a memory row adds to the static record, in this order (``train_*``, ``max_batch_size`` and ``measured_*``
#: only when asked for).
MEMORY_KEYS = ("batch_size", "weight_bytes", "input_bytes", "peak_activation_bytes", "peak_at", "total_bytes",
               "train_peak_activation_bytes", "train_peak_at", "forward_macs", "backward_macs", "gradient_bytes",
               "optimizer", "optimizer_state_bytes", "train_total_bytes", "fit_bytes", "max_batch_size", "fit_error",
               "measure_device", "measured_peak_activation_bytes", "measured_ratio", "allocator_peak_bytes",
               "measured_train_peak_activation_bytes", "measured_train_ratio", "allocator_train_peak_bytes")


@dataclass
class _Subject:
    """One model, built once (on ``meta`` for a registry model; the caller's instance as it is), traced at any
    batch."""

    spec: ModelSpec
    inputs: InputSpec
    dtype: Any  # torch.dtype
    model: Any
    cpu_model: Callable[[], Any] | None

    @classmethod
    def build(cls, spec: ModelSpec, inputs: InputSpec, dtype: str) -> _Subject:
        from cnnbench.rows import builder_for

        chw = inputs.shapes[0] if inputs.shapes else ()
        _, overrides = builder_for(spec, chw)
        if spec.source == "instance":
            return cls(spec, inputs, torch_dtype(dtype), spec.build(), None)
        from cnnbench.catalog.build import build_cpu, build_meta

        return cls(spec, inputs, torch_dtype(dtype), build_meta(spec, **overrides),
                   lambda: build_cpu(spec, **overrides))

    def example(self, batch_size: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
        # given inputs (or a factory's) stay the caller's tensors: a data-dependent forward sees their values
        meta = self.spec.source != "instance" or bool(self.inputs.shapes)
        return self.inputs.make(batch_size, device="meta" if meta else "cpu")

    def static(self, batch_size: int) -> Any:
        """The full static profile (the row's record) at ``batch_size``."""
        from cnnbench.analysis.static import analyze

        args, kwargs = self.example(batch_size)
        return analyze(self.model, args, kwargs, dtype=self.dtype, cpu_model=self.cpu_model)

    def traced(self, batch_size: int, train: bool) -> Any:
        """The trace alone (no checkpoint sizing): what a ``--fit`` search step and a training step need."""
        from cnnbench.analysis.static import traced

        args, kwargs = self.example(batch_size)
        return traced(self.model, args, kwargs, dtype=self.dtype, cpu_model=self.cpu_model, train=train)


def _fields(sub: _Subject, static: Any, batch_size: int, opts: MemoryOptions) -> dict[str, Any]:
    """One batch size's memory fields (estimates only)."""
    d: dict[str, Any] = {
        "batch_size": batch_size, "weight_bytes": static.weight_bytes, "input_bytes": static.input_bytes,
        "peak_activation_bytes": static.peak_activation_bytes, "peak_at": static.peak_at,
        "total_bytes": static.weight_bytes + static.input_bytes + static.peak_activation_bytes,
    }
    if opts.train:
        d.update(_training(sub, static, batch_size, opts))
    return d


def _state(trainable: int, sub: _Subject, opts: MemoryOptions) -> tuple[int, int]:
    """``(gradient_bytes, optimizer_state_bytes)``: gradients and optimizer state take the trainable parameters' own
    (floating) dtype, the counted ``dtype``."""
    grads = trainable * sub.dtype.itemsize
    return grads, opts.state_tensors * grads


def _training(sub: _Subject, static: Any, batch_size: int, opts: MemoryOptions) -> dict[str, Any]:
    tr = sub.traced(batch_size, train=True).trace
    grads, state = _state(static.trainable_params, sub, opts)
    return {
        "train_peak_activation_bytes": tr.peak_bytes, "train_peak_at": tr.peak_at,
        "forward_macs": sum(r.macs for r in tr.records if not r.backward),
        "backward_macs": sum(r.macs for r in tr.records if r.backward),
        "gradient_bytes": grads, "optimizer": opts.optimizer, "optimizer_state_bytes": state,
        "train_total_bytes": static.weight_bytes + static.input_bytes + tr.peak_bytes + state,
    }


def _total(sub: _Subject, batch_size: int, opts: MemoryOptions) -> int:
    """``total_bytes`` (or ``train_total_bytes`` with ``train``) at ``batch_size``, from one trace: the same sum the
    rows show."""
    from cnnbench.analysis.params import count_params
    from cnnbench.analysis.static import input_bytes, weight_bytes

    run = sub.traced(batch_size, train=opts.train)
    total = weight_bytes(run.groups, sub.dtype) + input_bytes((run.args, run.kwargs), sub.dtype) + run.trace.peak_bytes
    if opts.train:
        total += _state(count_params(run.model)[1], sub, opts)[1]
    return total


def max_batch_size(total: Callable[[int], int], limit: int, cap: int = MAX_FIT_BATCH, start: int = 1) -> int:
    """The largest batch ``b`` with ``total(b) <= limit`` (0 if batch ``start`` does not fit; ``cap`` if ``cap``
    does).

    ``total`` is non-decreasing in the batch, so the answer is searched, not scanned: doubling from ``start`` until a
    batch does not fit, then bisection between the last that fit and the first that did not — about 2·log2(b)
    traces.
    """
    if total(start) > limit:
        return 0
    good, bad = start, None
    while bad is None:
        nxt = min(good * 2, cap)
        if nxt == good:
            return cap
        if total(nxt) <= limit:
            good = nxt
        else:
            bad = nxt
    while bad - good > 1:
        mid = (good + bad) // 2
        if total(mid) <= limit:
            good = mid
        else:
            bad = mid
    return good


def _measured(sub: _Subject, static: Any, batch_size: int, opts: MemoryOptions, fields: dict[str, Any]
              ) -> dict[str, Any]:
    from cnnbench.footprint.measure import measure_peak
    from cnnbench.latency.devices import resolve_device

    device = resolve_device(opts.device)
    build = _real_builder(sub)
    make = sub.inputs.maker(batch_size)
    out: dict[str, Any] = {"measure_device": str(device)}
    m = measure_peak(build, make, dtype=sub.dtype, device=device, train=False)
    out.update(measured_peak_activation_bytes=m["measured_peak_bytes"],
               measured_ratio=_ratio(m["measured_peak_bytes"], static.peak_activation_bytes),
               allocator_peak_bytes=m["allocator_peak_bytes"])
    if opts.train:
        m = measure_peak(build, make, dtype=sub.dtype, device=device, train=True)
        out.update(measured_train_peak_activation_bytes=m["measured_peak_bytes"],
                   measured_train_ratio=_ratio(m["measured_peak_bytes"], fields["train_peak_activation_bytes"]),
                   allocator_train_peak_bytes=m["allocator_peak_bytes"])
    return out


def _ratio(measured: int, estimate: int) -> float | None:
    return round(measured / estimate, 4) if estimate else None


def _real_builder(sub: _Subject) -> Callable[[], Any]:
    """A fresh real model per measured run: a registry model's seeded CPU build, a deep copy of the caller's (the
    run trains it: its gradients and running statistics must not reach the caller's module)."""
    if sub.cpu_model is not None:
        return sub.cpu_model
    import copy

    return lambda: copy.deepcopy(sub.model)


def memory_rows(specs: tuple[ModelSpec, ...], inputs: tuple[InputSpec, ...], batch_sizes: tuple[int, ...],
                dtype: str, opts: MemoryOptions, progress: Any = None) -> RowsResult:
    """One row per model × batch size: the static record plus :data:`MEMORY_KEYS` (see the module docstring).

    A model that fails to build, trace or run (or has nothing to train) gives rows carrying its ``error``; the
    others go on. Ctrl-C stops the run and keeps the rows finished (``interrupted``).
    """
    result = RowsResult()
    try:
        for spec, ispec in zip(specs, inputs, strict=True):
            if progress is not None:
                progress.print(f"[dim]memory: {spec.name}…[/dim]")
            result.profiles.extend(_model_rows(spec, ispec, batch_sizes, dtype, opts))
    except KeyboardInterrupt:
        result.interrupted = True
    return result


def _model_rows(spec: ModelSpec, ispec: InputSpec, batch_sizes: tuple[int, ...], dtype: str, opts: MemoryOptions
                ) -> list[Profile]:
    from cnnbench.rows import identity, row_fields

    try:
        sub = _Subject.build(spec, ispec, dtype)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 — a model that fails to build is its rows' error
        err = exit_text(e, "model") if isinstance(e, SystemExit) else row_error(e, spec.name)
        return [_failed(spec, ispec, bs, dtype, err) for bs in batch_sizes]
    fit = _fit(sub, opts) if opts.fit_bytes is not None else {}
    out: list[Profile] = []
    for bs in batch_sizes:
        try:
            shape, label = row_fields(ispec, bs)
            static = sub.static(bs)
            fields = _fields(sub, static, bs, opts)
            if opts.measure:
                fields.update(_measured(sub, static, bs, opts, fields))
            extra = {**identity(spec), **label, **fields, **fit}
            out.append(Profile(spec.name, spec.source, spec.family, shape, dtype, static=static, extra=extra))
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # noqa: BLE001 — this batch's row carries it
            err = exit_text(e, "model") if isinstance(e, SystemExit) else row_error(e, spec.name)
            out.append(_failed(spec, ispec, bs, dtype, err))
    return out


def _fit(sub: _Subject, opts: MemoryOptions) -> dict[str, Any]:
    """``fit_bytes`` and ``max_batch_size`` (``fit_error`` instead when the search cannot run: the asked rows are
    made all the same). A model that cannot run at batch 1 (training batch norm over one value per channel) is
    searched from batch 2."""
    fit: dict[str, Any] = {"fit_bytes": opts.fit_bytes, "max_batch_size": None}
    seen: dict[int, int] = {}

    def total(b: int) -> int:
        if b not in seen:
            seen[b] = _total(sub, b, opts)
        return seen[b]

    try:
        try:
            total(1)
            start = 1
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:  # noqa: BLE001 — batch 1 does not run: from 2 (its error is raised if 2 fails too)
            start = 2
        fit["max_batch_size"] = max_batch_size(total, opts.fit_bytes, start=start)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 — the search failed; the rows stand
        fit["fit_error"] = exit_text(e, "model") if isinstance(e, SystemExit) else row_error(e, sub.spec.name)
    return fit


def _failed(spec: ModelSpec, ispec: InputSpec, batch_size: int, dtype: str, error: str) -> Profile:
    shape: tuple[int, ...] = (batch_size, *(ispec.shapes[0] if ispec.shapes else ()))
    if not ispec.shapes:
        try:
            shape = first_shape(*ispec.make(batch_size, device="meta"))
        except Exception:  # noqa: BLE001, S110 — the row keeps the batch alone
            pass
    return Profile(spec.name, spec.source, spec.family, shape, dtype, error=error, extra={"batch_size": batch_size})
