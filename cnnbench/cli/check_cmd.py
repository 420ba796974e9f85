"""`cnnbench baseline create` and `cnnbench check`: CI regression tracking of size and latency.

Exit codes of `check`: 0 pass · 1 regression (a static metric changed beyond its tolerance, a latency
regression, or an entry that fails) · 2 usage or input error · 3 inconclusive (too noisy to decide after
max_blocks: a warning, not a failure).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cnnbench.check.view import baseline_table, report_markdown, report_table
from cnnbench.cli.db_options import DbOpt, SaveOpt, command_line, maybe_save
from cnnbench.cli.output import OutputFailures, check_output_path, out, stderr, stdout
from cnnbench.errors import CnnbenchError

DEFAULT_SUITE = "benchmarks/ci.toml"
DEFAULT_BASELINE = "results/baseline.json"
SuiteOpt = Annotated[Path | None, typer.Option("--suite", "-s", help=f"Suite TOML (e.g. {DEFAULT_SUITE}).")]
SchemaOpt = Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of a suite TOML file and exit "
                                         "(for editors and CI linters; nothing is measured).")]


def _log(msg: str) -> None:
    # soft wrap: one message is one line in a CI log, whatever the width
    stderr.print(f"[dim]{msg}[/dim]", soft_wrap=True, markup=True, highlight=False)


def check(
    baseline: Annotated[Path | None, typer.Option("--baseline", "-b", help="Baseline JSON from "
                                                     "`cnnbench baseline create`.")] = None,
    suite: SuiteOpt = None,
    against: Annotated[str | None, typer.Option("--against", help="Compare with the model code at this git "
                                                   "ref (temporary worktree), interleaved in this job.")] = None,
    # str, not Path: Path("") is "." and an unset $GITHUB_STEP_SUMMARY must be reported as empty
    summary: Annotated[str | None, typer.Option("--summary", help="Append a Markdown summary to FILE "
                                                    "(e.g. \"$GITHUB_STEP_SUMMARY\").")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Also write the report as JSON.")]
    = None,
    save: SaveOpt = False,
    db: DbOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help="Time every timed entry's modules on both sides and "
                                          "name where the time changed (default: only for regressions).")] = False,
    schema: SchemaOpt = False,
) -> None:
    """Measure a suite now and compare it with a baseline, or with the model code at a git ref.

    Static metrics (params, checkpoint, MACs, memory access, activations) must match exactly unless the suite sets
    a tolerance. Latency is wall-clock time (`clock = "cpu"` in the suite only on request: blind to sleeps, I/O,
    other threads and the GPU), measured in independent blocks (each a fresh model and calibration instance with its
    own warm-up); a regression is a slowdown beyond the entry's threshold (default 10 %) whose t interval across
    blocks lies above 1; too wide to decide after max_blocks is "inconclusive". Because every block is a fresh
    instance, the interval holds the instance-to-instance variation a rerun sees, not only this run's round noise.

    A regressing entry's modules are then timed on both sides in more blocks (eager, forward hooks) and the module
    that owns the slowdown is named: rows from depth 1, descending while one child holds most of a module's delta
    (`--explain`: for every timed entry; `attribution = "never"` in the suite: not at all).

    Exit codes: 0 pass · 1 regression (or a changed static metric, or an entry that fails) · 2 usage error, or a
    result that could not be written · 3 inconclusive · 130 interrupted (the entries finished are reported).
    `--schema` prints the JSON Schema of a suite file instead (every key, its type and range).
    """
    if schema:
        from cnnbench.check.suite import SuiteFile

        out().write(json.dumps(SuiteFile.model_json_schema(), indent=2, ensure_ascii=False) + "\n")
        out().flush()
        return
    from cnnbench.check import check_against_baseline, load_baseline
    from cnnbench.check.against import check_against_ref
    from cnnbench.check.suite import Suite, load_suite
    from cnnbench.store import write_atomic

    fmt = fmt.lower()
    if fmt not in ("table", "json"):
        raise CnnbenchError(f"unknown --format {fmt!r}: choose table or json")
    if baseline is None and against is None:
        raise CnnbenchError("give --baseline FILE or --against REF (see `cnnbench check --help`)")
    if baseline is not None and against is not None:
        # --against compares two trees measured now; a baseline would be silently ignored
        raise CnnbenchError("give --baseline FILE or --against REF, not both (--against measures both sides now; "
                            "its suite comes from --suite)")
    # every output is checked before anything is measured (the database already is, by --db's callback)
    output_path = check_output_path(output, "--output")
    summary_path = check_output_path(summary, "--summary")
    doc = load_baseline(baseline) if baseline is not None else None
    # with --against, a model may exist only at the ref: resolved by the worker processes, not here
    strict = against is None
    if suite is not None:
        s = load_suite(suite, resolve_models=strict)
    elif doc is not None:
        s = Suite.from_dict(doc["suite"], where=f"baseline {baseline}: suite", resolve_models=strict)
    elif Path(DEFAULT_SUITE).is_file():
        s = load_suite(DEFAULT_SUITE, resolve_models=strict)
    else:
        raise CnnbenchError(f"--against needs --suite FILE (no {DEFAULT_SUITE} here)")
    if explain:
        s = s.model_copy(update={"settings": s.settings.model_copy(update={"attribution": "always"})})
    for e in s.entries:
        if e.latency:
            s.settings.clock_for(e)  # clock = "cpu" with threads ≠ 1: a usage error now, not mid-run
    _warn_oversubscribed(s)
    if against is not None:
        rep = check_against_ref(against, s, log=_log)
    else:
        assert doc is not None
        ref = f"baseline {baseline} (commit {str(doc.get('git_commit'))[:10]}, {doc.get('created')})"
        rep = check_against_baseline(doc, s, reference=ref, log=_log)
    report = rep.to_dict()
    failures = OutputFailures()
    try:  # rows to the database first, then files
        maybe_save(rep.history_records(), save=save, db=db, command=command_line(), env=rep.env)
    except CnnbenchError as e:
        failures.messages.append(str(e))
        stderr.print(f"[red]error: {e}[/red]")
    if fmt == "json":
        out().write(json.dumps(report, indent=2, default=str) + "\n")
        out().flush()
    else:
        stdout.print(report_table(report))
    if output_path is not None:
        with failures.attempt(output_path):
            # /dev/stdout, a pipe: written into, never replaced (write_atomic)
            write_atomic(output_path, json.dumps(report, indent=2, default=str) + "\n")
    if summary_path is not None:
        # GitHub's step summary is appended to
        with failures.attempt(summary_path), open(summary_path, "a", encoding="utf-8") as f:
            f.write(report_markdown(report))
    missing = [r for r in rep.rows if r.status == "missing"]
    if missing:
        stderr.print(f"[yellow]warning: {len(missing)} baseline entr{'y' if len(missing) == 1 else 'ies'} not in "
                     "the suite, not checked (rows marked missing)[/yellow]")
    if rep.interrupted:
        stderr.print(f"interrupted: reported the {len(rep.rows)} of {rep.planned} entries finished")
        raise typer.Exit(130)
    failures.raise_if_any()
    if rep.exit_code == 3:
        stderr.print("[yellow]warning: latency inconclusive (too noisy to decide within max_blocks)[/yellow]")
    if rep.exit_code:
        raise typer.Exit(rep.exit_code)


def _warn_oversubscribed(s) -> None:
    from cnnbench.latency.devices import cores_available, oversubscribed

    over = sorted({e.threads for e in s.entries if e.latency and oversubscribed(e.threads)})
    if over:
        stderr.print(f"[yellow]warning: threads {', '.join(map(str, over))} exceed the {cores_available()} core(s) "
                     "available to this process: those rows time-share cores (marked in their notes)[/yellow]")


baseline_app = typer.Typer(help="Create the baseline `cnnbench check` compares with.", no_args_is_help=True)


@baseline_app.command("create")
def baseline_create(
    suite: Annotated[Path, typer.Option("--suite", "-s", help=f"Suite TOML (e.g. {DEFAULT_SUITE}).")] =
    Path(DEFAULT_SUITE),
    output: Annotated[Path, typer.Option("--output", "-o", help="Baseline JSON to write (atomically).")] =
    Path(DEFAULT_BASELINE),
) -> None:
    """Measure every entry of a suite (static metrics and latency ratios) and write the baseline."""
    from cnnbench.check import create_baseline
    from cnnbench.check.suite import load_suite
    from cnnbench.store import write_atomic

    check_output_path(output, "--output")
    s = load_suite(suite)
    doc = create_baseline(s, log=_log)
    stdout.print(baseline_table(doc))
    failures = OutputFailures()
    with failures.attempt(output):
        write_atomic(output, json.dumps(doc, indent=1, default=str) + "\n")
        stderr.print(f"wrote baseline of {len(doc['entries'])} entr{'y' if len(doc['entries']) == 1 else 'ies'} "
                     f"to {output}")
    failures.raise_if_any()
    if any(rec["error"] for rec in doc["entries"].values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("check", help=check.__doc__)(check)
    app.add_typer(baseline_app, name="baseline")
