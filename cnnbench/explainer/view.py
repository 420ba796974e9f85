"""How an :class:`~cnnbench.explainer.explanation.Explanation` reads in a terminal (``cnnbench explain``)."""

from __future__ import annotations

from typing import Any


def print_explanation(ex: Any, console: Any) -> None:
    """One model's explanation as tables on ``console``: the rows, end-to-end vs the sum of layers, the compile
    comparison, the model's totals against the roofline, the op-type split and the summary lines."""
    from cnnbench.report.tables import compact_table, two_line_header
    from cnnbench.report.units import nbytes, si

    if ex.error:
        console.print(f"[red]{ex.model}: {ex.error}[/red]")
        return
    roof = ex.roofline or {}
    rec = ex.reconciliation or {}
    over = ex.profiler_overhead or {}
    by_op = ex.by == "op"
    # the house style: numbers never wrap or get cut; names (module, type, op) fold instead
    t = compact_table(f"{ex.model} · {ex.runtime} · {ex.device} · {ex.threads} thread(s) · batch {ex.batch_size} · "
                      f"depth {ex.depth}")
    cols = ["module", "type"] + (["op"] if by_op else []) + ["ms", "share", "MACs", "mem access (B)", "FLOP/B",
                                                               "GFLOP/s", "GB/s", "% of roof", "bound"]
    # narrow terminals: the module type and the intensity give way (JSON/--format keep everything)
    drop = {"type", "FLOP/B"} if (console.width or 200) < 110 else set()
    for c in cols:
        if c in drop:
            continue
        if c in ("module", "type", "op"):
            t.add_column(c, overflow="fold")
        else:
            t.add_column(two_line_header(c) if c != "% of roof" else "% of\nroof", no_wrap=True,
                         justify="left" if c == "bound" else "right")
    for r in ex.layers:
        cells = dict(zip(cols, [r["module"], r["module_type"], *([r["op"]] if by_op else []), f"{r['time_ms']:.3f}",
                                f"{100 * r['share']:.1f}%", si(r["macs"]), nbytes(r["memory_access_bytes"]),
                                f"{r['arithmetic_intensity']:.1f}", f"{r['achieved_gflops']:.1f}",
                                f"{r['achieved_gbps']:.1f}", f"{100 * r['roofline_fraction']:.0f}",
                                r["bound"] or "fused"], strict=True))
        t.add_row(*(v for k, v in cells.items() if k not in drop))
    console.print(t)
    how = (f"forward hooks, {ex.timed_inferences} inferences" if ex.timing_source.startswith("forward hooks")
           else f"profiled, {ex.profiled_iterations} inferences")
    console.print(f"end-to-end median {ex.end_to_end_ms:.3f} ms (uninstrumented) · sum of layers "
                 f"{ex.sum_of_layers_ms:.3f} ms ({how}) · difference {rec.get('difference_ms', 0):+.3f} ms "
                 f"({100 * rec.get('relative', 0):+.1f}%) · profiler overhead {over.get('ms', 0):.3f} ms "
                 f"({100 * over.get('fraction', 0):.0f}%)")
    comp = ex.compile
    if comp.get("whole_model_ms"):
        console.print(f"regional compile ({comp.get('regions', 0)} regions, {comp.get('regional_compile_s', 0):.1f} s) "
                     f"{ex.end_to_end_ms:.3f} ms vs whole-model compile ({comp.get('whole_model_compile_s') or 0:.1f} s)"
                     f" {comp['whole_model_ms']:.3f} ms = {comp.get('regional_vs_whole', 0):.2f}× (fusion stops at "
                     "row boundaries)")
    tot = ex.totals
    if tot.get("achieved_gflops") is not None:
        console.print(f"model: {tot['flops'] / 1e9:.2f} GFLOP (2 × MACs) → {tot['achieved_gflops']:.1f} GFLOP/s = "
                     f"{100 * tot['roofline_fraction']:.0f}% of the {roof.get('peak_gflops', 0):.0f} GFLOP/s peak · "
                     f"bandwidth {roof.get('bandwidth_gbps', 0):.1f} GB/s · dispatch "
                     f"{roof.get('dispatch_overhead_us', 0):.2f} µs/op")
    o = compact_table("by op type: share of time vs share of MACs")
    for c in ("op type", "ms", "time", "MACs", "mem access"):
        o.add_column(c, justify="left" if c == "op type" else "right", no_wrap=c != "op type")
    for r in ex.op_types:
        o.add_row(r["op_type"], f"{r['time_ms']:.3f}", f"{100 * r['time_share']:.1f}%", f"{100 * r['macs_share']:.1f}%",
                  f"{100 * r['memory_share']:.1f}%")
    console.print(o)
    for line in ex.summary():
        console.print(f"  {line}")
