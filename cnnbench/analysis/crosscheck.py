"""Cross-check our MACs against fvcore's ``FlopCountAnalysis`` and thop's ``profile``.

Both need a real CPU model (fvcore traces with ``torch.jit``), built here with ``nn.init``
disabled (values do not change counts) and timm's fused attention off (fvcore cannot see
``scaled_dot_product_attention``; see ``timm_unfused_attention``). They count differently from us, by design:

* fvcore counts one fused multiply-add as one "flop" (= our MACs) for conv/matmul/linear/einsum,
  and *also* adds normalisation layers (batch/group/layer/instance norm), upsampling and adaptive
  pooling; it skips ops it has no handle for (listed as unsupported) — element-wise ops are ignored.
* thop counts MACs per module with hooks: conv/linear like us, plus BatchNorm (2 per element in
  eval), pooling, upsampling and some activations; functional calls inside ``forward``
  (``torch.flatten``, ``F.relu``, ``x + y``, attention matmuls) are invisible to it.
* ours: ``torch.utils.flop_counter`` formulas for every aten op with one (conv, mm/addmm/bmm,
  scaled-dot-product attention), at the dispatcher, so functional calls are seen; ops without a
  formula count 0 MACs and are listed with their share of memory traffic.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

import torch

from cnnbench.catalog import ModelSpec


@contextlib.contextmanager
def timm_unfused_attention() -> Iterator[None]:
    """Build timm models with fused attention off (``timm.layers.set_fused_attn(False)``), restored afterwards.

    timm's attention blocks pick ``F.scaled_dot_product_attention`` when built; fvcore's jit trace has no handle for
    it and silently drops every attention matmul (vit_base_patch16_224: 16.87 instead of 17.58 GMACs). Built with
    it off, they run the explicit ``q @ k.transpose`` / ``attn @ v`` that fvcore counts.
    """
    try:
        import timm.layers.config as cfg
    except ImportError:
        yield
        return
    previous = getattr(cfg, "_USE_FUSED_ATTN", None)
    try:
        cfg.set_fused_attn(False)
        yield
    finally:
        if previous is not None:
            cfg._USE_FUSED_ATTN = previous  # set_fused_attn cannot say "experimental" (2) again: restore the value


def _cpu_model(mspec: ModelSpec):
    from cnnbench.catalog.build import _no_init

    with _no_init(), timm_unfused_attention():
        return mspec.build().eval()


def fvcore_count(model: torch.nn.Module, x: torch.Tensor) -> dict[str, Any]:
    with warnings.catch_warnings():  # fvcore's import jit-scripts a loss function: a FutureWarning on torch ≥ 2.9
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fca = FlopCountAnalysis(model, x)
        fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        total = int(fca.total())
        by_op = {k: int(v) for k, v in fca.by_operator().items()}
        unsupported = dict(Counter(fca.unsupported_ops()))
    return {"macs": total, "by_operator": by_op, "unsupported": unsupported}


def thop_count(model: torch.nn.Module, x: torch.Tensor) -> dict[str, Any]:
    from thop import profile as thop_profile

    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macs, params = thop_profile(model, inputs=(x,), verbose=False)
    return {"macs": int(macs), "params": int(params)}


def crosscheck(mspec: ModelSpec, shape: tuple[int, ...], which: str = "all") -> dict[str, Any]:
    """Totals from the requested counters (``fvcore``, ``thop`` or ``all``); a failure is reported, not raised."""
    out: dict[str, Any] = {}
    names = ("fvcore", "thop") if which == "all" else (which,)
    for name in names:
        try:
            model = _cpu_model(mspec)
            x = torch.zeros(shape)
            out[name] = fvcore_count(model, x) if name == "fvcore" else thop_count(model, x)
        except Exception as e:  # noqa: BLE001 — the other counter's failure must not hide ours
            out[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
    return out
