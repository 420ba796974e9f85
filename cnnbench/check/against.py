"""``cnnbench check --against REF``: the model code at git REF and in the working tree, measured in one job.

REF is checked out in a temporary ``git worktree``; two worker processes — one importing the model code of the
working tree, one of REF — are driven from this process in the same blocks (fresh instances per block on both
sides, who goes first alternating block by block and round by round), so both sides see the same machine state at
the same time. The machine's speed then cancels without the calibration, and dividing by it would only add its
own noise: the estimate is the mean of the per-block log ratios ``log(median(model now / model at REF))`` with a
paired t interval across blocks (:mod:`cnnbench.check.stats`). The calibration is still timed on both sides and
still flags an unstable machine. With ``fresh_process_every = N`` both workers are replaced by fresh processes
every N blocks. The measuring code (this ``cnnbench``) is the same on both sides; only the model code
(``models/`` as ``cnnbench_models``, ``pkg.module:factory`` and ``file.py:Class`` models inside the repository)
comes from REF. The worktree is always removed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cnnbench.check.attribution import attribute_sides, wanted
from cnnbench.check.measure import OpenFailed, measure_and_judge, summary
from cnnbench.check.result import CheckReport, Log, RowResult, row_status, threads_notes
from cnnbench.check.side import LocalSide
from cnnbench.check.stats import compare_static
from cnnbench.check.suite import CheckSettings, Entry, Suite
from cnnbench.errors import CnnbenchError, row_error

_WORKER_BOOT = ("import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
                "from cnnbench.check.against import worker_main; worker_main()")


def worker_main() -> None:
    """A :class:`LocalSide` driven by JSON lines on stdin (one answer line per request, on the original stdout)."""
    import signal

    # Ctrl-C in a terminal reaches the whole process group: the driving process handles it (it reports the entries
    # finished so far, then shuts the workers down through this protocol); a worker dying first would lose that
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything a model prints goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    side = LocalSide(os.environ.get("CNNBENCH_SIDE", "worker"))
    import torch  # noqa: F401 - both workers import it at once, while the driver waits for neither

    for line in sys.stdin:
        msg = json.loads(line)
        op = msg.pop("op")
        try:
            if op == "exit":
                side.shutdown()
                proto.write(json.dumps({"ok": True}) + "\n")
                return
            entry = Entry.from_dict(msg.pop("entry")) if "entry" in msg else None
            if op == "static":
                resp: dict[str, Any] = side.static(entry)
            elif op == "open":
                resp = {"error": side.open(entry, msg["warmup"], msg["copies"], modules=msg.get("modules", False))}
            elif op == "modules":
                resp = side.modules()
            elif op == "round":
                resp = {"round": side.round(msg["samples"], msg["stat"], msg["clock"])}
            elif op == "close":
                side.close()
                resp = {"ok": True}
            elif op == "env":
                resp = {"env": side.env(entry, msg.get("repo_dir"))}
            else:
                resp = {"usage_error": f"unknown worker request {op!r}"}
        except CnnbenchError as e:
            resp = {"usage_error": str(e)}
        except Exception as e:  # noqa: BLE001 - report, keep serving
            resp = {"error": row_error(e, f"{side.name} worker, {op}"), "metrics": None}
        proto.write(json.dumps(resp, default=str) + "\n")


class WorkerSide:
    """Same interface as :class:`LocalSide`, in a subprocess importing model code from ``root``.

    ``PYTHONPATH`` = a shim directory (``cnnbench`` → this cnnbench; in the cnnbench repository also
    ``cnnbench_models`` → ``root/models``), then ``root``; so the measuring code is ours and the model code is
    ``root``'s.
    """

    def __init__(self, name: str, root: Path, cwd: Path, repo_root: Path) -> None:
        self.name, self.root, self.repo_root, self.cwd = name, root, repo_root, cwd
        self.processes = 0
        self._tmp = Path(tempfile.mkdtemp(prefix=f"cnnbench-{name}-"))
        shim = self._tmp / "shim"
        shim.mkdir()
        try:
            os.symlink(Path(__file__).resolve().parents[1], shim / "cnnbench")  # the cnnbench package (this is check/)
            # the cnnbench repository itself: its models/ package installs as cnnbench_models
            if (root / "models" / "__init__.py").is_file() and (root / "cnnbench" / "__init__.py").is_file():
                os.symlink(root / "models", shim / "cnnbench_models")
        except OSError as e:
            raise CnnbenchError(f"--against needs symbolic links in the temp directory: {e}") from None
        self._env = dict(os.environ, CNNBENCH_SIDE=name)
        self._env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), str(root), os.environ.get("PYTHONPATH"))
                                                  if p)
        self._err = open(self._tmp / "stderr.txt", "w+")  # noqa: SIM115 - read back when the worker dies
        self._spawn()

    def _spawn(self) -> None:
        self.processes += 1
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._err, cwd=self.cwd, env=self._env,
                                     text=True, bufsize=1)

    def _stop(self, hurry: Sequence[Any] = ()) -> None:
        """Asks the worker to exit and waits up to 10 s for it; killed instead when it does not, or as soon as
        ``hurry`` is non-empty (a Ctrl-C recorded by :func:`sigint_deferred`)."""
        if self.proc.poll() is None:
            try:
                self._call("exit")
                deadline = time.monotonic() + 10
                while self.proc.poll() is None and not hurry and time.monotonic() < deadline:
                    time.sleep(0.02)
            except (CnnbenchError, KeyboardInterrupt):
                pass  # no answer, or Ctrl-C while asking: killed below (nothing of it is needed any more)
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        """Replaces the worker by a fresh process (between blocks: nothing is open)."""
        self._stop()
        self._spawn()

    def _model_name(self, model: str) -> str:
        # an absolute file.py path inside the repository points into this side's tree
        prefix, sep, attr = model.rpartition(":")
        if sep and prefix.endswith(".py") and os.path.isabs(prefix):
            try:
                rel = Path(prefix).resolve().relative_to(self.repo_root)
            except ValueError:
                return model
            return f"{self.root / rel}:{attr}"
        return model

    def _call(self, op: str, entry: Entry | None = None, **kw: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {"op": op, **kw}
        if entry is not None:
            d = entry.to_dict()
            d["model"] = self._model_name(entry.model)
            msg["entry"] = d
        try:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(msg) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self._err.seek(0)
            tail = [ln for ln in self._err.read().splitlines() if ln.strip()][-1:]
            raise CnnbenchError(f"the {self.name} worker stopped: {tail[0] if tail else 'no message'}")
        resp = json.loads(line)
        if "usage_error" in resp:
            raise CnnbenchError(f"{self.name}: {resp['usage_error']}")
        return resp

    def static(self, entry: Entry) -> dict[str, Any]:
        return self._call("static", entry)

    def open(self, entry: Entry, warmup: float, copies: int = 1, modules: bool = False) -> str | None:
        return self._call("open", entry, warmup=warmup, copies=copies, modules=modules)["error"]

    def modules(self) -> dict[str, Any]:
        resp = self._call("modules")
        if "module_ms" not in resp:
            raise RuntimeError(f"{self.name}: {resp.get('error')}")
        return resp

    def round(self, samples: int, stat: str = "median", clock: str = "wall") -> tuple[float, float]:
        resp = self._call("round", samples=samples, stat=stat, clock=clock)
        if "round" not in resp:
            raise RuntimeError(f"{self.name}: {resp.get('error')}")
        c, m = resp["round"]
        return float(c), float(m)

    def env(self, entry: Entry | None = None, repo_dir: str | None = None) -> dict[str, Any]:
        return self._call("env", entry, repo_dir=str(self.root))["env"]

    def close(self) -> None:
        self._call("close")

    def shutdown(self, hurry: Sequence[Any] = ()) -> None:
        """Stops the worker and removes its temporary directory; a Ctrl-C meanwhile (``hurry``, from
        :func:`sigint_deferred`) makes it kill the worker instead of waiting for it, never leave the rest undone."""
        try:
            self._stop(hurry)
        finally:
            self._err.close()
            shutil.rmtree(self._tmp, ignore_errors=True)


@contextmanager
def sigint_deferred() -> Iterator[list[int]]:
    """While clean-up runs, Ctrl-C is recorded, not raised (the list gets one item per Ctrl-C): a second Ctrl-C
    just after the last entry must not lose the entries finished nor leave a worktree behind. Outside the main
    thread (no signal handler can be set there) nothing changes."""
    import signal
    import threading

    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: seen.append(signum))
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


# -- git worktree for --against -------------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> str:
    try:
        res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise CnnbenchError(f"--against needs git: {e}") from None
    if res.returncode != 0:
        msg = (res.stderr.strip().splitlines() or ["failed"])[-1]
        raise CnnbenchError(f"git {' '.join(args[:2])}: {msg}")
    return res.stdout.strip()


@contextmanager
def ref_worktree(ref: str, cwd: Path | None = None) -> Iterator[tuple[Path, Path, str]]:
    """Checks out ``ref`` in a temporary ``git worktree``; yields ``(repo_root, worktree, commit)``, then removes it."""
    cwd = Path(cwd or Path.cwd())
    try:
        repo_root = Path(_git(["rev-parse", "--show-toplevel"], cwd)).resolve()
    except CnnbenchError:
        raise CnnbenchError(f"--against needs a git repository ({cwd} is not in one)") from None
    try:
        sha = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo_root)
    except CnnbenchError:
        raise CnnbenchError(f"--against: unknown git ref {ref!r}") from None
    tmp = Path(tempfile.mkdtemp(prefix="cnnbench-worktree-"))
    wt = tmp / "ref"
    try:
        _git(["worktree", "add", "--detach", "--quiet", str(wt), sha], repo_root)
        yield repo_root, wt, sha
    finally:
        with sigint_deferred():  # a Ctrl-C now would leave the worktree registered in the user's repository
            with contextlib.suppress(CnnbenchError):
                _git(["worktree", "remove", "--force", str(wt)], repo_root)
            shutil.rmtree(tmp, ignore_errors=True)
            with contextlib.suppress(CnnbenchError):
                _git(["worktree", "prune"], repo_root)


def check_against_ref(ref: str, suite: Suite, *, log: Log | None = None, cwd: Path | None = None) -> CheckReport:
    """Measures ``suite`` with the model code at git ``ref`` and in the working tree, interleaved round by round."""
    log = log or (lambda _m: None)
    suite.check_devices()
    st = suite.settings
    cwd = Path(cwd or Path.cwd()).resolve()
    rows: list[RowResult] = []
    env = None
    interrupted = False
    sha = ""
    try:
        with ref_worktree(ref, cwd) as (repo_root, wt, sha):
            rel = cwd.relative_to(repo_root) if cwd.is_relative_to(repo_root) else Path()
            ref_cwd = wt / rel if (wt / rel).is_dir() else wt
            log(f"--against {ref}: {sha[:12]} checked out in {wt}")
            sides: list[Any] = []
            try:
                sides.append(WorkerSide("ref", wt, ref_cwd, repo_root))
                sides.append(WorkerSide("current", repo_root, cwd, repo_root))
                for entry in suite.entries:
                    rows.append(check_pair(entry, sides, st, log))
                env = sides[1].env(None)
            except KeyboardInterrupt:
                # the workers ignore SIGINT and are still serving; a request may have been cut short, so nothing
                # but shutting them down is asked of them now
                interrupted = True
            finally:
                with sigint_deferred() as more:  # a second Ctrl-C must not lose the rows nor skip a clean-up
                    for s in sides:
                        s.shutdown(more)
                interrupted = interrupted or bool(more)
    except KeyboardInterrupt:  # before the worktree existed, or while it was being added
        interrupted = True
    return CheckReport(rows, "against", f"{ref} ({sha[:12]})", env, interrupted=interrupted,
                       planned=len(suite.entries))


def check_pair(entry: Entry, sides: list[Any], st: CheckSettings, log: Log | None = None) -> RowResult:
    """Checks one entry on two sides ``[reference, current]`` measured in the same blocks (paired t across blocks).

    The sides are :class:`WorkerSide` for ``--against``; two :class:`LocalSide` work too (tests).
    """
    ref, cur = sides
    if log is not None:
        log(f"check: {entry.label()}")
    s_cur = cur.static(entry)
    try:
        s_ref = ref.static(entry)
    except CnnbenchError as e:
        # the reference refuses what the working tree accepts (a model file or module that is new, untracked or
        # not in REF): the reference's code is the difference, so the entry is new there, and the others run
        if s_cur["error"]:
            return RowResult(entry, "error", error=s_cur["error"])
        return RowResult(entry, "new", notes=[f"not at the reference: {e}"])
    if s_cur["error"]:
        return RowResult(entry, "error", error=s_cur["error"])
    if s_ref["error"]:
        return RowResult(entry, "new", notes=[f"fails at the reference: {s_ref['error']}"])
    static_rows = compare_static(s_ref["metrics"], s_cur["metrics"], entry.tolerance)
    if not entry.latency:
        return RowResult(entry, row_status(static_rows, None), static_rows)
    clock = st.clock_for(entry)
    try:
        latency, (b_ref, b_cur) = measure_and_judge(sides, entry, st, clock)
    except OpenFailed as e:
        return RowResult(entry, "error", static_rows, error=str(e) if e.side == 1 else f"reference: {e}")
    except CnnbenchError:
        raise
    except Exception as e:  # noqa: BLE001 - a model failing mid-measurement is a row, not a crash
        return RowResult(entry, "error", static_rows, error=row_error(e, entry.label()))
    s_ref_sum, s_cur_sum = summary(b_ref), summary(b_cur)
    latency.update(clock=clock, current_ms=s_cur_sum["median_ms"], base_ms=s_ref_sum["median_ms"],
                   calibration_current_ms=s_cur_sum["calibration_median_ms"],
                   calibration_base_ms=s_ref_sum["calibration_median_ms"])
    att = None
    if wanted(st, latency):
        if log is not None:
            log(f"attribution: {entry.label()}: timing its modules on both sides ({st.attribution_blocks} blocks)")
        att = attribute_sides(sides, entry, st, clock, static_ref=s_ref.get("modules"),
                              static_cur=s_cur.get("modules"))
    return RowResult(entry, row_status(static_rows, latency), static_rows, latency, notes=threads_notes(entry),
                     attribution=att)
