"""Records the JSON (and file) output of a fixed set of commands, and diffs two records.

The regrouping of issue 17 must not change what any command prints. Run it before and after:

    python benchmarks/behaviour_snapshot.py record /tmp/before
    python benchmarks/behaviour_snapshot.py record /tmp/after
    python benchmarks/behaviour_snapshot.py diff /tmp/before /tmp/after

Static commands only (latency is never identical twice). What changes run to run (timestamps, durations, the git
commit, worker pids, paths of temporary files, run numbers) is masked before the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

STATIC_SUITE = """
[defaults]
devices = ["cpu"]
runtimes = ["eager"]
dtype = "fp32"

[[entry]]
models = ["resnet18", "mobilenext_x1_0", "igcv3_d_x1_0"]
input_size = "64"
latency = false
"""

COMMANDS: dict[str, list[str]] = {
    "profile": ["profile", "resnet18", "mobilenet_v2", "squeezenet1_1", "--input-size", "64", "--no-latency",
                "-f", "json"],
    "profile-batches": ["profile", "resnet18", "--input-size", "64", "-b", "1,4", "--dtype", "fp16",
                        "--no-latency", "-f", "json"],
    "profile-by-module": ["profile", "resnet18", "--input-size", "64", "--no-latency", "--by", "module",
                          "--depth", "2", "-f", "json"],
    "profile-by-op": ["profile", "mobilenet_v2", "--input-size", "64", "--no-latency", "--by", "op", "-f", "json"],
    "profile-counters": ["profile", "squeezenet1_1", "--input-size", "64", "--no-latency", "--counter", "all",
                         "-f", "json"],
    "profile-typed": ["profile", "timm:resnet18", "torchvision:alexnet", "--no-latency", "-f", "json"],
    "profile-file": ["profile", "tests/data/user_models.py:TwoConv", "--input-size", "3x32x32", "--no-latency",
                     "-f", "json"],
    "profile-fuse": ["profile", "repvgg_a0", "--fuse", "--input-size", "64", "--no-latency", "-f", "json"],
    "profile-unknown": ["profile", "resnt18", "--no-latency", "-f", "json"],
    "compare-family": ["compare", "--family", "resnet", "--no-latency", "--input-size", "64", "-f", "json"],
    "compare-relative": ["compare", "resnet18", "mobilenet_v2", "--no-latency", "--relative-to", "resnet18",
                         "--sort", "macs", "-f", "json"],
    "list": ["list", "-f", "json"],
    "list-family-stats": ["list", "--family", "mobilenet", "--stats", "-f", "json"],
    "list-coverage": ["list", "--coverage", "-f", "json"],
    "blocks": ["blocks", "--input-size", "32", "-f", "json"],
    "reproduce-list": ["reproduce", "--list"],
    "sweep": ["sweep", "resnet18", "mobilenet_v2", "squeezenet1_1", "--input-size", "64", "--no-latency",
              "--no-save", "-o", "{out}/sweep.json"],
    "baseline": ["baseline", "create", "--suite", "{out}/static.toml", "-o", "{out}/baseline.json"],
    "check": ["check", "--baseline", "{out}/baseline.json", "--suite", "{out}/static.toml", "-f", "json"],
    "profile-csv": ["profile", "resnet18", "--input-size", "64", "--no-latency", "-o", "{out}/profile.csv"],
    "sweep-csv": ["sweep", "resnet18", "--input-size", "64", "--no-latency", "--no-save", "-o", "{out}/sweep.csv"],
}
STATIC_REPRODUCTIONS = ("resnet-checkpoints", "mobilenetv1-pointwise")
VOLATILE = re.compile(r'"(created|timestamp|time_s|elapsed_s|wall_s|duration_s|trace_s|seconds|started|finished|'
                      r'git_commit|git_dirty|fingerprint|env|hostname|date)": ("[^"]*"|[0-9.eE+-]+|true|false|null)')


def _cnnbench() -> str:
    exe = Path(sys.executable).with_name("cnnbench")
    return str(exe) if exe.exists() else "cnnbench"


def record(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "static.toml").write_text(STATIC_SUITE)
    env = {**os.environ, "COLUMNS": "200", "CNNBENCH_DB": str(out / "history.db")}
    for name, args in COMMANDS.items():
        argv = [_cnnbench(), *(a.replace("{out}", str(out)) for a in args)]
        p = subprocess.run(argv, check=False, capture_output=True, text=True, env=env)
        (out / f"{name}.stdout").write_text(p.stdout)
        (out / f"{name}.rc").write_text(f"{p.returncode}\n{p.stderr.strip().splitlines()[-1:] if p.stderr else ''}\n")
        print(f"{name}: exit {p.returncode}, {len(p.stdout)} chars", flush=True)
    for name in STATIC_REPRODUCTIONS:
        d = out / "reproduce" / name
        p = subprocess.run([_cnnbench(), "reproduce", name, "--no-latency", "-o", str(d)], check=False, capture_output=True,
                           text=True, env=env)
        (out / f"reproduce-{name}.rc").write_text(f"{p.returncode}\n")
        print(f"reproduce {name}: exit {p.returncode}", flush=True)


def _masked(text: str, root: Path) -> str:
    text = text.replace(str(root), "<OUT>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", "<time>", text)
    text = re.sub(r"\(run \d+\)", "(run N)", text)
    text = re.sub(r"commit [0-9a-f]{10}", "commit <sha>", text)
    text = re.sub(r'"worker_pid": \d+', '"worker_pid": <pid>', text)
    text = re.sub(r"wall time\s+│\s+[0-9.]+ s", "wall time │ <s>", text)
    return VOLATILE.sub(lambda m: f'"{m.group(1)}": <masked>', text)


def diff(a: Path, b: Path) -> int:
    import difflib

    files = sorted({p.relative_to(a) for p in a.rglob("*") if p.is_file()}
                   | {p.relative_to(b) for p in b.rglob("*") if p.is_file()})
    bad = 0
    for rel in files:
        if rel.suffix in (".db", ".png") or rel.name.endswith((".db-wal", ".db-shm")):
            continue
        pa, pb = a / rel, b / rel
        ta = _masked(pa.read_text(), a) if pa.exists() else "<missing>"
        tb = _masked(pb.read_text(), b) if pb.exists() else "<missing>"
        if ta != tb:
            bad += 1
            print(f"--- {rel} differs")
            sys.stdout.writelines(list(difflib.unified_diff(ta.splitlines(True), tb.splitlines(True), n=1))[:40])
    print(f"{len(files)} files compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        record(Path(sys.argv[2]).resolve())
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        sys.exit(diff(Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve()))
    else:
        sys.exit(__doc__)
