"""Tables of this machine: its environment (`cnnbench env`) and its roofline (`cnnbench roofline`)."""

from __future__ import annotations

from typing import Any


def env_table(info: dict[str, Any]) -> Any:
    """One row per recorded environment key (``—`` when unknown)."""
    from rich.table import Table

    t = Table(title="cnnbench env", show_header=False)
    t.add_column("key", style="bold")
    t.add_column("value")
    for k, v in info.items():
        t.add_row(k, "—" if v is None else str(v))
    return t


def roofline_table(r: dict[str, Any]) -> Any:
    """Peak, bandwidth, dispatch overhead, ridge point and where the figures come from."""
    from rich.table import Table

    t = Table(title=f"roofline · {r['device']} · {r['dtype']} · {r['threads']} thread(s)", show_header=False)
    t.add_column("key", style="bold")
    t.add_column("value")
    t.add_row("peak (torch.mm)", f"{r['peak_gflops']:.1f} GFLOP/s (n = {r['gemm_n']})")
    t.add_row("bandwidth", f"{r['bandwidth_gbps']:.1f} GB/s (copy {r['copy_gbps']:.1f}, triad {r['triad_gbps']:.1f})")
    t.add_row("dispatch overhead", f"{r['dispatch_overhead_us']:.2f} µs per op")
    t.add_row("ridge point", f"{r['ridge_flop_per_byte']:.1f} FLOP/byte")
    t.add_row("fingerprint", str(r["fingerprint"]))
    t.add_row("measured", f"{r['measured_at']}{' (cached)' if r.get('cached') else ''}")
    t.add_row("cache", str(r.get("cache_path")))
    return t
