"""What a model costs without timing it: one forward pass traced, and every static metric derived from it.

* :mod:`~cnnbench.analysis.trace` — the one ``TorchDispatchMode`` pass: every aten op as an ``OpRecord``;
* :mod:`~cnnbench.analysis.formulas` — which function counts an op's FLOPs (the one lookup);
* :mod:`~cnnbench.analysis.modules` — the one module-path tracker (forward hooks), used by the trace and by
  ``explain``; the structural copy the trace runs on (one module object per path), wrappers looked through;
* :mod:`~cnnbench.analysis.params` — parameters, tied weights and checkpoint bytes;
* :mod:`~cnnbench.analysis.liveness` — the one storage tracker: peak bytes alive at once (``peak_activation_bytes``);
* :mod:`~cnnbench.analysis.static` — ``analyze``: meta → fake → cpu, the ``StaticProfile``; ``traced`` (the trace
  alone, a training step with ``train=True``);
* :mod:`~cnnbench.analysis.crosscheck` — the same counts by fvcore and thop, side by side.

Importing this package imports no torch: the names below are loaded at their first use. (The trace itself and the
cross-check are ``cnnbench.analysis.trace.trace`` and ``cnnbench.analysis.crosscheck.crosscheck``: a package
attribute of their module's name would be replaced by the module when it is imported.)
"""

from __future__ import annotations

from cnnbench import lazy_face

_WHERE = {
    "analyze": "static", "StaticProfile": "static", "OpGroup": "static", "TRACE_DEVICES": "static",
    "traced": "static", "Liveness": "liveness",
    "OpRecord": "trace", "Trace": "trace", "shape_text": "trace",
    "ModuleHooks": "modules", "split_paths": "modules", "unwrap": "modules",
    "formula_for": "formulas", "register_formula": "formulas",
    "checkpoint_bytes": "params", "count_params": "params", "storage_key": "params",
    "fvcore_count": "crosscheck", "thop_count": "crosscheck",
}

__all__ = [
    "TRACE_DEVICES", "Liveness", "ModuleHooks", "OpGroup", "OpRecord", "StaticProfile", "Trace", "analyze", "checkpoint_bytes",
    "count_params", "formula_for", "fvcore_count", "register_formula", "shape_text", "split_paths", "storage_key",
    "thop_count", "traced", "unwrap",
]

__getattr__, __dir__ = lazy_face(__name__, _WHERE)
