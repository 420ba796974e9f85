"""Does `cnnbench check` name the module that got slower — and name nothing when nothing did — on this machine?

Every check runs on the engine `cnnbench check` runs on (:mod:`cnnbench.check.measure`, :mod:`cnnbench.check
.attribution`), every side in its own worker process (:class:`cnnbench.check.against.WorkerSide`), fresh for every
repetition, as in ``regression_power.py``:

* ``against`` — reference and current in the same ABBA blocks (``cnnbench check --against REF``), then their modules
  timed in ``attribution_blocks`` more blocks;
* ``baseline`` — the baseline measured in one process (``baseline create``'s stages, then its module blocks), then
  each check in another process against it.

The network is one of ours (``models/``: ``mobilenet_v1_x1_0`` by default), built in the workers; the current side
slows down one module (``features.5`` by default) by patching that instance's ``forward`` — the module paths stay
the same, as when a change is committed into one module:

* **A/A** — nothing changed; modules timed anyway (``attribution = "always"``, ``--explain``): any module named
  is a false attribution (goal: none);
* **sleep 3 ms** — the module sleeps 3 ms per call (``time.sleep``; what a blocking read looks like);
* **compute +15%** — the module spins for 15 % of the whole model's forward time (measured when the instance is
  built: a calibrated Python loop, extra *work*), so the model is 15 % slower and that module owns all of it.

A detection is right when the check says ``regression`` and the attribution's top row is the slowed module (or a
module inside it, when the descent went deeper) with ``share ≥ 50 %`` (goal ≥ 9 of 10). Cost: the seconds the
attribution blocks add to the check of a regressing entry (goal ≤ 2× the check alone).

    python benchmarks/attribution_power.py             # 10 repetitions per mode (about 25 min on 2 cores)
    python benchmarks/attribution_power.py --quick     # a smoke run (a minute or two)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from torch import nn

ENV_MODEL, ENV_CONTROL, ENV_TARGET = "CNNBENCH_ATTR_MODEL", "CNNBENCH_ATTR_CONTROL", "CNNBENCH_ATTR_TARGET"


def _spin_rate() -> float:
    """Iterations per second of an empty Python loop (the fastest of five: its speed without interruptions)."""
    n, best = 200_000, float("inf")
    for _ in range(5):
        t0 = time.thread_time()
        for _ in range(n):
            pass
        best = min(best, time.thread_time() - t0)
    return n / best


class AttrModel(nn.Module):
    """The timed model (a fresh instance per block, in a worker): ``$CNNBENCH_ATTR_MODEL`` from the registry, with
    module ``$CNNBENCH_ATTR_TARGET`` slowed down as the control file says for this worker (``{"current": ["sleep",
    0.003]}`` or ``["compute", 0.15]``). Its only child is the network itself, under the name ``net``."""

    def __init__(self) -> None:
        super().__init__()
        import torch

        from cnnbench.catalog import resolve

        self.net = resolve(os.environ[ENV_MODEL]).build().eval()
        slow = json.loads(Path(os.environ[ENV_CONTROL]).read_text()).get(os.environ.get("CNNBENCH_SIDE", ""))
        if not slow:
            return
        kind, amount = slow
        target = self.net.get_submodule(os.environ[ENV_TARGET])
        inner = target.forward
        if kind == "sleep":
            def forward(*a, **k):
                y = inner(*a, **k)
                time.sleep(amount)
                return y
        else:
            # the whole model's forward time now (median of 5 after 2 warm-up calls), at the worker's input size
            shape = json.loads(os.environ.get("CNNBENCH_ATTR_SHAPE", "[1, 3, 64, 64]"))
            x = torch.randn(*shape)
            ts = []
            with torch.inference_mode():
                for i in range(7):
                    t0 = time.perf_counter()
                    self.net(x)
                    if i >= 2:
                        ts.append(time.perf_counter() - t0)
            n = int(amount * statistics.median(ts) * _spin_rate())

            def forward(*a, **k):
                y = inner(*a, **k)
                for _ in range(n):
                    pass
                return y
        target.forward = forward

    def forward(self, x):
        return self.net(x)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="mobilenet_v1_x1_0")
    ap.add_argument("--target", default="features.5", help="the module slowed down (a path in the network)")
    ap.add_argument("--input-size", default="64", help="H of a 3×H×H input (default 64)")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mode", default="both", choices=("baseline", "against", "both"))
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, 3 blocks of 3 rounds")
    ap.add_argument("--json", help="also write every check to this file")
    args = ap.parse_args(argv)

    from cnnbench.check.against import WorkerSide
    from cnnbench.check.attribution import ModuleBlock, attribute_sides
    from cnnbench.check.baseline import baseline_latency, baseline_modules
    from cnnbench.check.measure import Block, measure_and_judge
    from cnnbench.check.suite import parse_suite

    check: dict = {"attribution": "always"}
    if args.quick:
        args.reps = 1
        check.update(blocks=3, max_blocks=3, rounds=3, attribution_blocks=3)
    size = int(args.input_size)
    tmp = Path(tempfile.mkdtemp(prefix="cnnbench-attr-"))
    control = tmp / "control.json"
    control.write_text("{}")
    os.environ.update({ENV_MODEL: args.model, ENV_CONTROL: str(control), ENV_TARGET: args.target,
                       "CNNBENCH_ATTR_SHAPE": json.dumps([1, 3, size, size])})
    suite = parse_suite({"check": check, "entry": [{"models": [f"{Path(__file__).resolve()}:AttrModel"],
                                                    "input_size": f"3x{size}x{size}", "threads": args.threads,
                                                    "threshold": 0.10}]}, source="attribution_power")
    st, entry = suite.settings, suite.entries[0]
    clock = st.clock_for(entry)
    target = f"net.{args.target}"
    import torch

    print(f"# {args.model} 3x{size}x{size}, {args.threads} thread(s); slowed module {target}; blocks "
          f"{st.blocks}..{st.max_blocks} × {st.rounds} rounds, attribution {st.attribution_blocks} blocks; "
          f"{args.reps} rep(s) per mode; torch {torch.__version__}; load average {os.getloadavg()}", flush=True)
    checks_ = [("A/A", None, 0.0), ("sleep 3 ms", "sleep", 0.003), ("compute +15%", "compute", 0.15)]
    out: list[dict] = []
    modes = ["against", "baseline"] if args.mode == "both" else [args.mode]
    t_start = time.perf_counter()
    for mode in modes:
        for rep in range(args.reps):
            control.write_text("{}")
            sides = [WorkerSide("ref", tmp, tmp, tmp), WorkerSide("current", tmp, tmp, tmp)]
            try:
                ref_blocks: list[Block] | None = None
                ref_mods: list[ModuleBlock] | None = None
                static_ref = sides[0].static(entry).get("modules")
                if mode == "baseline":
                    rec = baseline_latency(sides[0], entry, st, lambda m: None)
                    ref_blocks = [Block.from_dict(b) for b in rec["blocks"]]
                    mods = baseline_modules(sides[0], entry, st, clock, static_ref, print)
                    ref_mods = [ModuleBlock.from_dict(b) for b in (mods or {}).get("blocks", [])]
                order = checks_[rep % len(checks_):] + checks_[:rep % len(checks_)]
                for name, kind, amount in order:
                    control.write_text(json.dumps({"current": [kind, amount]} if kind else {}))
                    run = [sides[1]] if mode == "baseline" else sides
                    static_cur = sides[1].static(entry).get("modules")  # before the clock: check has it already
                    t0 = time.perf_counter()
                    res, _ = measure_and_judge(run, entry, st, clock, ref=ref_blocks)
                    t1 = time.perf_counter()
                    att = attribute_sides(run, entry, st, clock, ref=ref_mods, static_ref=static_ref,
                                          static_cur=static_cur)
                    t2 = time.perf_counter()
                    top = (att.get("rows") or [{}])[0]
                    right = bool(top) and (top.get("module") == target or str(top.get("module")).startswith(
                        target + ".")) and (top.get("share") or 0) >= 0.5 and bool(top.get("named"))
                    r = {"mode": mode, "rep": rep, "check": name, "verdict": res["verdict"],
                         "estimate": res["estimate"], "blocks": res["blocks"], "check_s": t1 - t0,
                         "attribution_s": t2 - t1, "top": top.get("module"), "share": top.get("share"),
                         "named": att.get("named"), "descended": att.get("descended"), "error": att.get("error"),
                         "right": right}
                    out.append(r)
                    share = f"{r['share']:.0%}" if r["share"] is not None else "—"
                    print(f"{mode:8s} {rep:2d} {name:13s} {res['verdict']:12s} ratio {res['estimate']:.3f}  top "
                          f"{r['top']} ({share}) named {r['named']}  check {r['check_s']:.1f}s + attribution "
                          f"{r['attribution_s']:.1f}s{'  error: ' + r['error'] if r['error'] else ''}", flush=True)
            finally:
                for s in sides:
                    s.shutdown()
    total = time.perf_counter() - t_start
    print(f"\n# {len(out)} checks in {total / 60:.1f} min; load average now {os.getloadavg()}")
    print("| mode | check | goal | met by | rate | goal met |\n|---|---|---|---:|---:|---|")
    for mode in modes:
        for name, kind, _ in checks_:
            rs = [r for r in out if r["mode"] == mode and r["check"] == name]
            if kind is None:
                k = sum(not r["named"] for r in rs)
                goal = "no module named"
            else:
                k = sum(r["right"] and r["verdict"] == "regression" for r in rs)
                goal = f"regression, top row {target} with share ≥ 50%"
            ok = k >= 0.9 * len(rs) if rs else False
            print(f"| {mode} | {name} | {goal} | {k}/{len(rs)} | {k / max(1, len(rs)):.0%} | "
                  f"{'yes' if ok else 'NO'} |")
    for mode in modes:
        rs = [r for r in out if r["mode"] == mode and r["verdict"] == "regression"]
        if rs:
            cost = [(r["check_s"] + r["attribution_s"]) / r["check_s"] for r in rs]
            print(f"# {mode}: a regressing entry's check takes {statistics.median([r['check_s'] for r in rs]):.1f} s"
                  f" median, with attribution ×{statistics.median(cost):.2f} median (max ×{max(cost):.2f}); "
                  "goal ≤ ×2")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "checks": out}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
