"""The plan of a run: models × their inputs × batch sizes × dtype (× :class:`LatencyOptions` when timing).

Every name and every model's inputs are resolved when the plan is made (a typo or an absurd size fails before
anything is measured, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnbench.catalog import ModelSpec, load_user_callable, resolve
from cnnbench.errors import CnnbenchError
from cnnbench.inputs import InputSpec, parse_dtype, parse_input_sizes, parse_int_list
from cnnbench.latency.options import LatencyOptions


@dataclass(frozen=True)
class Plan:
    """What to measure: models × their inputs × batch sizes (× runtimes with ``latency``).

    ``inputs`` holds one :class:`~cnnbench.inputs.InputSpec` per model (same order as ``specs``).
    """

    specs: tuple[ModelSpec, ...]
    input_size: str | list[str] | None
    batch_sizes: tuple[int, ...]
    dtype: str
    latency: LatencyOptions | None
    inputs: tuple[Any, ...]
    counters: str = "ours"
    fuse: bool = False

    @classmethod
    def parse(cls, models: list[str], *, input_size: str | list[str] | None = None, inputs: str | None = None,
              fuse: bool = False, batch_sizes: list[str] | None = None, dtype: str = "fp32",
              latency: LatencyOptions | None = None, counters: str = "ours") -> Plan:
        """Resolve every name and every model's inputs now, so a typo or an absurd size fails before measuring.

        Args:
            models: Names as ``cnnbench profile`` takes them.
            input_size: ``--input-size`` value(s): one (shorthand with the model's C: ``224``, ``224x160``,
                ``3x224x224``, ``32,``) or several (each literal: several positional tensors).
            inputs: ``file.py:make_inputs`` / ``pkg.mod:fn``: a function returning a tensor, tuple or dict (called
                with the batch size when it takes an argument).
            fuse: Fuse re-parameterisable branches (RepVGG, MobileOne...) before static analysis and latency.
        """
        if not models:
            raise CnnbenchError("no model given (see `cnnbench list`)")
        specs = tuple(resolve(m) for m in models)
        sizes = None if input_size in (None, "", []) else input_size
        if sizes is not None and inputs:
            raise CnnbenchError("give --input-size or --inputs, not both")
        bss = tuple(parse_int_list(batch_sizes, "--batch-size", [1]))
        per_model = inputs_per_model(specs, input_size=sizes, inputs=inputs)
        check_batch_sizes(per_model, bss, batch_sizes is not None and batch_sizes != [], what="--batch-size")
        return cls(specs, sizes, bss, parse_dtype(dtype), latency, per_model, counters, bool(fuse))



def inputs_per_model(specs: tuple[ModelSpec, ...], *, input_size: str | list[str] | None = None,
                     inputs: str | None = None) -> tuple[Any, ...]:
    """Each model's :class:`~cnnbench.inputs.InputSpec` from CLI text (sizes checked up front)."""
    if inputs:
        factory = InputSpec.from_factory(load_user_callable(inputs, "--inputs"), name=str(inputs))
        return tuple(factory for _ in specs)
    if not input_size:  # each model's own inputs (RAFT takes two images)
        return tuple(InputSpec.from_shapes(*s.input_shapes) for s in specs)
    return tuple(InputSpec.from_shapes(*s.shapes_for(parse_input_sizes(input_size, s.input_size, "--input-size")))
                 for s in specs)


def check_batch_sizes(per_model: tuple[Any, ...], batch_sizes: tuple[int, ...], given: bool,
                      what: str = "--batch-size") -> None:
    """Given example inputs (or a factory without a batch argument) fix the batch: refuse another batch size."""
    if not given:
        return
    for ispec in per_model:
        if not ispec.takes_batch and tuple(batch_sizes) != (1,):
            label = ispec.name or "the given inputs"
            raise CnnbenchError(f"{what} cannot be used with {label}: their batch is the batch (a factory that "
                                "takes a batch_size argument can be called at several)")
