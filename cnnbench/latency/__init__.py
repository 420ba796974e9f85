"""Real latency: the one timing protocol, the runtimes as one table, and this machine's roofline.

* :mod:`~cnnbench.latency.options` — :class:`LatencyOptions` (every setting, passed as ONE object from the faces
  to the engine), the runtime/precision vocabulary and the protocol checks;
* :mod:`~cnnbench.latency.backends` — :data:`BACKENDS`: runtime → prepare function, devices, package/extra needed,
  failure phase (eager, compile, onnx, onnx-int8, onnx-fp16, openvino, tensorrt);
* :mod:`~cnnbench.latency.engine` — ``run_latency`` / ``prepare_row`` / ``prepare_runner``: build, place, verify
  against eager, time; a failure is a row;
* :mod:`~cnnbench.latency.timer` — the protocol (warm-up, block sizes fixed once, samples, spread) and the one
  ``interleave`` scheduler;
* :mod:`~cnnbench.latency.verify`, :mod:`~cnnbench.latency.placement`, :mod:`~cnnbench.latency.runner`,
  :mod:`~cnnbench.latency.memory`, :mod:`~cnnbench.latency.devices`, :mod:`~cnnbench.latency.threads` (the one
  ``torch_threads``), :mod:`~cnnbench.latency.usercode` (user code never writes our stdout or picks our exit code);
* :mod:`~cnnbench.latency.roofline` — peak GEMM FLOP/s, bandwidth, dispatch overhead; efficiency of a row.

Importing this package imports no torch: the names below are loaded at their first use. Nothing here prints.
"""

from __future__ import annotations

from cnnbench import lazy_face

_WHERE = {
    "LatencyOptions": "options", "RUNTIMES": "options", "check_protocol_options": "options",
    "normalize_runtime": "options", "precision_label": "options",
    "BACKENDS": "backends", "Backend": "backends", "Target": "backends",
    "run_latency": "engine", "prepare_row": "engine", "prepare_runner": "engine",
    "measure": "timer", "measure_interleaved": "timer", "interleave": "timer", "Timed": "timer",
    "LatencyStats": "timer", "timer_overhead": "timer", "budget_stop": "timer",
    "Runner": "runner", "PeakMemory": "memory",
    "resolve_device": "devices", "cores_available": "devices", "oversubscribed": "devices", "device_sync": "devices",
    "torch_threads": "threads",
    "OutputMismatchError": "verify", "check_runner": "verify", "compare_outputs": "verify",
    "build_inputs": "placement", "place_inputs": "placement",
    "ModelExitError": "usercode", "stdout_to_stderr": "usercode", "quiet_output": "usercode",
    "fds_redirected": "usercode", "failure_text": "usercode",
    "get_roofline": "roofline", "measure_roofline": "roofline", "cached_roofline": "roofline",
    "efficiency": "roofline", "with_efficiency": "roofline",
}

__all__ = [
    "BACKENDS",
    "RUNTIMES",
    "Backend",
    "LatencyOptions",
    "LatencyStats",
    "ModelExitError",
    "OutputMismatchError",
    "PeakMemory",
    "Runner",
    "Target",
    "Timed",
    "budget_stop",
    "build_inputs",
    "cached_roofline",
    "check_protocol_options",
    "check_runner",
    "compare_outputs",
    "cores_available",
    "device_sync",
    "efficiency",
    "failure_text",
    "fds_redirected",
    "get_roofline",
    "interleave",
    "measure",
    "measure_interleaved",
    "measure_roofline",
    "normalize_runtime",
    "oversubscribed",
    "place_inputs",
    "precision_label",
    "prepare_row",
    "prepare_runner",
    "quiet_output",
    "resolve_device",
    "run_latency",
    "stdout_to_stderr",
    "timer_overhead",
    "torch_threads",
    "with_efficiency",
]

__getattr__, __dir__ = lazy_face(__name__, _WHERE)
