"""cnnbench: what a CNN costs — params, checkpoint size, MACs/FLOPs, memory access, activations, latency.

Library API (``import cnnbench`` stays fast: torch is imported at the first call)::

    import cnnbench
    res = cnnbench.profile(model, input_size=(3, 224, 224))       # an nn.Module, "resnet50", "timm:x", "file.py:Cls"
    res = cnnbench.profile(model, inputs=(x, y))                   # example inputs: tensor, tuple or dict
    res = cnnbench.profile("resnet50", latency=True, runtime=["eager", "onnx"], batch_size=[1, 8], threads=2)
    res[0].params, res[0].macs, res.to_pandas()
    cnnbench.compare(["resnet18", my_model], latency=True)
    cnnbench.explain("mobilenet_v2", threads=2)                   # per-module time vs MACs vs this machine's roofline

Conventions (every table header repeats them):
  * ``macs``  = multiply-accumulates (what papers and torchvision call "FLOPs");
  * ``flops`` = 2 × macs;
  * memory access = ShuffleNetV2's MAC: elements (and bytes) of all tensor inputs incl. weights
    plus all outputs of every op that moves data; view ops count zero;
  * activations = output elements of convolution / linear / matmul ops (fvcore's and timm's).
"""

from typing import Any

__version__ = "0.1.0"

__all__ = ["CnnbenchError", "Profile", "Results", "__version__", "compare", "explain", "list_models", "profile"]


def __getattr__(name: str) -> Any:  # lazy: ``import cnnbench`` imports no torch (PEP 562)
    if name in ("profile", "compare", "list_models"):
        from cnnbench import api

        return getattr(api, name)
    if name == "explain":  # where the time goes (cnnbench/explainer/)
        from cnnbench.explainer import explain

        return explain
    if name == "Profile":
        from cnnbench.records import Profile

        return Profile
    if name == "Results":
        from cnnbench.records import Results

        return Results
    if name == "CnnbenchError":
        from cnnbench.errors import CnnbenchError

        return CnnbenchError
    raise AttributeError(f"module 'cnnbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
