"""The latency zoo's sample: every timm family represented, seeded, written as a list the sweep reads.

Run:  python benchmarks/zoo_sample.py [--n 320] [--seed 0] [--max-gmacs 15] [--max-mparams 200]
                                      [--static results/zoo/timm-static.csv] [-o results/zoo/timm-latency-sample.txt]

Reads the committed static zoo (``results/zoo/timm-static.csv``: every timm model, its family, MACs and params) and
picks, with ``random.Random(seed)``:

1. one model of every family, at random among the family's models within the caps (``--max-gmacs`` GMACs and
   ``--max-mparams`` M parameters at the model's own input size); a family with none within the caps gives its
   cheapest model (fewest MACs), so no family is left out;
2. then models at random among all the others within the caps, until ``--n`` are chosen.

The caps keep one row's timing (batch 1, one thread, eager and ONNX Runtime) to seconds on a 2-core CPU. The output
lists one ``timm:NAME`` per line in a seeded random order (the sweep measures in that order, so a sweep stopped part
way — it is run in pieces, ``--resume`` — has measured a random sample), after ``#`` lines that say how it was drawn;
the sweep reads it as ``$(grep -v '^#' results/zoo/timm-latency-sample.txt)``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import defaultdict
from pathlib import Path


def draw(rows: list[dict[str, str]], n: int, seed: int, max_macs: float, max_params: float) -> list[dict[str, str]]:
    """The sample (rules in the module docstring), in a seeded random order."""
    rng = random.Random(seed)
    ok = [r for r in rows if not r.get("error")]
    within = {r["model"] for r in ok if float(r["macs"]) <= max_macs and float(r["params"]) <= max_params}
    by_family: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in sorted(ok, key=lambda r: r["model"]):
        by_family[r["family"]].append(r)
    chosen: dict[str, dict[str, str]] = {}
    for family in sorted(by_family):
        models = by_family[family]
        small = [r for r in models if r["model"] in within]
        pick = rng.choice(small) if small else min(models, key=lambda r: float(r["macs"]))
        chosen[pick["model"]] = pick
    rest = [r for r in ok if r["model"] in within and r["model"] not in chosen]
    rest.sort(key=lambda r: r["model"])
    for r in rng.sample(rest, max(0, min(n - len(chosen), len(rest)))):
        chosen[r["model"]] = r
    picked = sorted(chosen.values(), key=lambda r: r["model"])
    rng.shuffle(picked)  # a seeded order: any prefix the sweep finishes is itself a random sample of the zoo
    return picked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=320)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-gmacs", type=float, default=15.0)
    ap.add_argument("--max-mparams", type=float, default=200.0)
    ap.add_argument("--static", default="results/zoo/timm-static.csv")
    ap.add_argument("-o", "--output", default="results/zoo/timm-latency-sample.txt")
    args = ap.parse_args()
    with open(args.static, newline="") as f:
        rows = list(csv.DictReader(f))
    sample = draw(rows, args.n, args.seed, args.max_gmacs * 1e9, args.max_mparams * 1e6)
    families = {r["family"] for r in rows if not r.get("error")}
    over = [r["model"] for r in sample if float(r["macs"]) > args.max_gmacs * 1e9
            or float(r["params"]) > args.max_mparams * 1e6]
    head = [f"# {' '.join(['python', *sys.argv])}",
            (f"# {len(sample)} of {len(rows)} timm models from {args.static}; seed {args.seed}; every one of the "
             f"{len(families)} families represented;"),
            (f"# caps {args.max_gmacs:g} GMACs and {args.max_mparams:g}M params; over the caps (their family's "
             f"cheapest): {', '.join(over) or 'none'}"),
            f"# in a seeded random order; total {sum(float(r['macs']) for r in sample) / 1e9:.0f} GMACs"]
    lines = [*head, *(r["model"] for r in sample)]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print("\n".join(head))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
