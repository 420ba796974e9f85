"""cnnbench: what a CNN costs — params, checkpoint size, MACs/FLOPs, memory access, activations, latency.

Library API (``import cnnbench`` stays fast: torch is imported at the first call)::

    import cnnbench
    res = cnnbench.profile(model, input_size=(3, 224, 224))       # an nn.Module, "resnet50", "timm:x", "file.py:Cls"
    res = cnnbench.profile(model, inputs=(x, y))                   # example inputs: tensor, tuple or dict
    res = cnnbench.profile("resnet50", latency=True, runtime=["eager", "onnx"], batch_size=[1, 8], threads=2)
    res[0].params, res[0].macs, res.to_pandas()
    cnnbench.compare(["resnet18", my_model], latency=True)
    cnnbench.explain("mobilenet_v2", threads=2)                   # per-module time vs MACs vs this machine's roofline
    cnnbench.memory("resnet50", batch_size=[1, 32], train=True, fit="8GiB")  # will it fit: peaks, max batch

Conventions (every table header repeats them):
  * ``macs``  = multiply-accumulates (what papers and torchvision call "FLOPs");
  * ``flops`` = 2 × macs;
  * memory access = ShuffleNetV2's MAC: elements (and bytes) of all tensor inputs incl. weights
    plus all outputs of every op that moves data; view ops count zero;
  * activations = output elements of every op with MACs: convolution / linear / matmul / attention / RNN
    (fvcore's and timm's definition, extended to every multiply-accumulate op).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__version__ = "0.1.0"

__all__ = ["CnnbenchError", "Profile", "Results", "__version__", "compare", "explain", "list_models", "memory",
           "profile", "register_formula"]


def lazy_face(package: str, where: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package face (PEP 562): each name loads from its module at first use.

    Every package's ``__init__.py`` is its face: ``__all__`` plus ``__getattr__, __dir__ = lazy_face(__name__,
    {name: module})``, so importing a package imports no torch, Rich, matplotlib or pydantic.

    Args:
        package: The face's ``__name__``.
        where: Name → the submodule (relative to ``package``) that owns it.
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from importlib import import_module  # at first use: ``import cnnbench`` stays as light as it can

        value = getattr(import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # the next access is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__


# lazy: ``import cnnbench`` imports no torch
__getattr__, __dir__ = lazy_face(__name__, {
    "profile": "api", "compare": "api", "list_models": "api", "memory": "api",
    "explain": "api",  # where the time goes (cnnbench/explainer/), in the library's words (api.explain)
    "Profile": "records", "Results": "records", "CnnbenchError": "errors",
    "register_formula": "analysis.formulas",  # count a custom op's MACs (cnnbench/analysis/formulas.py)
})
