"""The ``cnnbench profile --counter fvcore|thop|all`` table: our MACs beside fvcore's and thop's
(:mod:`cnnbench.analysis.crosscheck` counts them)."""

from __future__ import annotations

from typing import Any


def render_crosscheck(model: str, static, cc: dict[str, Any]):
    from rich.table import Table

    t = Table(title=f"{model}: MACs by counter (multiply-accumulates)", header_style="bold",
              caption="fvcore adds norm layers/upsampling, skips unsupported ops; thop adds BN/pooling via module "
              "hooks and misses functional ops; ours counts conv/matmul/attention at the dispatcher.",
              caption_justify="left")
    for col in ("counter", "GMACs", "vs ours", "notes"):
        t.add_column(col, justify="right" if col in ("GMACs", "vs ours") else "left", overflow="fold")
    t.add_row("ours", f"{static.macs / 1e9:.4f}", "1.000", "")
    for name, res in cc.items():
        if "error" in res:
            t.add_row(name, "—", "—", res["error"])
            continue
        ratio = res["macs"] / static.macs if static.macs else float("nan")
        if name == "fvcore":
            extra = {k: v for k, v in res["by_operator"].items() if k not in ("conv", "linear", "matmul", "addmm",
                                                                              "bmm", "einsum")}
            notes = ", ".join(f"{k} {v / 1e6:.1f}M" for k, v in extra.items())
            if res["unsupported"]:
                notes += ("; " if notes else "") + "unsupported: " + ", ".join(
                    f"{k}×{v}" for k, v in list(res["unsupported"].items())[:5])
        else:
            notes = f"params {res['params']:,}"
        t.add_row(name, f"{res['macs'] / 1e9:.4f}", f"{ratio:.3f}", notes)
    return t
