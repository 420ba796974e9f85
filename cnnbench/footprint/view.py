"""Rendering of ``cnnbench memory``: the estimate table, the training-step table, the measured-vs-estimate table."""

from __future__ import annotations

from typing import Any

from cnnbench.footprint.options import MAX_FIT_BATCH
from cnnbench.report.tables import compact_table, two_line_header
from cnnbench.report.units import nbytes, si

#: Said under every memory table: what each figure is and how bytes are written.
MEMORY_CAPTION = (
    "weights = parameter + buffer storages; peak acts = the most bytes of "
    "tensor storages the forward created alive at once (eval, no autograd; weights and inputs excluded); "
    "total = weights + inputs + peak acts. Kernel scratch (cuDNN/oneDNN workspaces) and the "
    "allocator's rounding are not in the estimate.")
TRAIN_CAPTION = (
    "Training step = forward in train mode + backward of output.sum(). train peak = the most bytes the step's "
    "storages held at once, gradients included; optimizer state = {k}× the trainable parameters ({opt}); "
    "train total = weights + inputs + train peak + optimizer state. MACs: multiply-accumulates.")
MEASURE_CAPTION = (
    "measured = the same tracker on a real eager run of the model on {device} (tensor level: comparable to the byte); "
    "ratio = measured / estimate; allocator = {allocator}.")
_ALLOCATOR = {"cpu": "the CPU allocator's peak (torch.profiler memory events: kernel scratch included)",
              "cuda": "torch.cuda.max_memory_allocated after reset_peak_memory_stats, less what was allocated before"}


def _row_head(r: dict[str, Any]) -> list[str]:
    return [str(r.get("model")), str(r.get("batch_size", "—"))]


def _table(title: str, caption: str, headers: list[str], records: list[dict[str, Any]]):
    t = compact_table(title, caption)
    # a wide table must fold its numbers' headers before the names disappear
    width = min(24, max((len(str(r.get("model"))) for r in records), default=5))
    t.add_column("model", overflow="fold", min_width=width)
    t.add_column("batch", justify="right", no_wrap=True)
    for h in headers:
        text = h.endswith("peak at")
        t.add_column(two_line_header(h), justify="left" if text else "right", no_wrap=not text, overflow="fold")
    return t


def memory_tables(records: list[dict[str, Any]]) -> list[Any]:
    """The Rich tables of one ``cnnbench memory`` run (failed rows show their error in the first table)."""
    ok = [r for r in records if not r.get("error")]
    fit = any(r.get("max_batch_size") is not None for r in records)
    heads = ["weights (B)", "inputs (B)", "peak acts (B)", "total (B)"] + (["max\nbatch"] if fit else [])
    cap = MEMORY_CAPTION
    if fit:
        limit = next(r["fit_bytes"] for r in records if r.get("fit_bytes"))
        train = any(r.get("train_total_bytes") is not None for r in records)
        cap += (f" max batch = the largest batch whose {'train total' if train else 'total'} fits in "
                f"{nbytes(limit)} ({limit:,} bytes); 0: none fits; ≥ {MAX_FIT_BATCH:,}: the search's cap; failed: "
                "the search could not run (the row's fit_error says why).")
    main = _table("cnnbench memory — estimate (static trace), bytes in KiB/MiB/GiB = 2^10/2^20/2^30", cap, heads, records)
    for r in records:
        if r.get("error"):
            main.add_row(*_row_head(r), f"[red]{r['error']}[/red]", *[""] * (len(heads) - 1))
            continue
        row = [nbytes(r.get("weight_bytes")), nbytes(r.get("input_bytes")), nbytes(r.get("peak_activation_bytes")),
               nbytes(r.get("total_bytes"))]
        if fit:
            row.append(_max_batch(r))
        main.add_row(*_row_head(r), *row)
    tables = [main, _where(ok)] if ok else [main]
    trained = [r for r in ok if r.get("train_total_bytes") is not None]
    if trained:
        opt = trained[0]["optimizer"]
        k = round(trained[0]["optimizer_state_bytes"] / trained[0]["gradient_bytes"]) if trained[0]["gradient_bytes"] else 0
        t = _table("training step", TRAIN_CAPTION.format(k=k, opt=opt),
                   ["train peak (B)", "grads (B)", "optimizer (B)", "train total (B)", "fwd MACs", "bwd MACs"], trained)
        for r in trained:
            t.add_row(*_row_head(r), nbytes(r["train_peak_activation_bytes"]), nbytes(r["gradient_bytes"]),
                      nbytes(r["optimizer_state_bytes"]), nbytes(r["train_total_bytes"]), si(r["forward_macs"]),
                      si(r["backward_macs"]))
        tables.append(t)
    measured = [r for r in ok if r.get("measured_peak_activation_bytes") is not None]
    if measured:
        device = str(measured[0].get("measure_device", "cpu"))
        cap = MEASURE_CAPTION.format(device=device, allocator=_ALLOCATOR["cuda" if device.startswith("cuda") else "cpu"])
        for what, key, prefix in (("forward", "peak_activation_bytes", ""),
                                  ("training step", "train_peak_activation_bytes", "train_")):
            rows = [r for r in measured if r.get(f"measured_{key}") is not None]
            if not rows:
                continue
            t = _table(f"measured on {device}: {what}", cap,
                       ["estimate (B)", "measured (B)", "ratio", "allocator (B)"], rows)
            for r in rows:
                t.add_row(*_row_head(r), nbytes(r[key]), nbytes(r[f"measured_{key}"]),
                          _ratio(r.get(f"measured_{prefix}ratio")), nbytes(r.get(f"allocator_{prefix}peak_bytes")))
            tables.append(t)
    return tables


def _where(records: list[dict[str, Any]]):
    """Where each peak is reached: the module running (its dotted path) when the most bytes were alive."""
    train = any(r.get("train_peak_at") is not None for r in records)
    t = _table("where the peaks are", "peak at = the module running when the most bytes were alive ((top level): "
               "the model's own code; (backward): the backward pass, (backward) PATH: a checkpointed module re-run "
               "by it).", ["forward peak at"] + (["training peak at"] if train else []), records)
    for r in records:
        row = [r.get("peak_at") or "(top level)"]
        if train:
            row.append(r.get("train_peak_at") or "(top level)")
        t.add_row(*_row_head(r), *row)
    return t


def _max_batch(r: dict[str, Any]) -> str:
    b = r.get("max_batch_size")
    if r.get("fit_error"):
        return "failed"
    if b is None:
        return "—"
    return f"≥ {b}" if b >= MAX_FIT_BATCH else str(b)


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"
