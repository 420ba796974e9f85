"""Show how a metric evolved across recorded runs, per model × input × device × runtime × batch size.

Runs are recorded by `profile`/`compare`/`reproduce` with --save (or --db / $CNNBENCH_DB). Each row is one
recorded result: its run time and git commit (* = uncommitted changes), the metric, the change from the
previous run of the same series, and what changed in the environment (torch version, CPU, threads...).
--html DIR also writes the history as a static site (DIR/index.html and one page per model; opens offline).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

import typer

from cnnbench.cli.db_options import ReadDbOpt, db_path
from cnnbench.cli.options import FormatOpt, OutputOpt, check_format
from cnnbench.cli.output import OutputFailures, check_output_path, check_plot_path, emit, stderr, stdout
from cnnbench.errors import CnnbenchError
from cnnbench.report import METRICS, history_records, history_table, plot_history, write_site


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``2024-05-01``, ``2024-05-01T12:30`` (UTC unless an offset is given) or ``7d`` / ``12h`` / ``2w`` ago."""
    now = now or dt.datetime.now(dt.timezone.utc)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw])\s*", text.lower())
    if m:
        hours = float(m.group(1)) * {"h": 1, "d": 24, "w": 24 * 7}[m.group(2)]
        try:
            return now - dt.timedelta(hours=hours)
        except OverflowError:  # timedelta's range ends at 999,999,999 days; datetime's at year 1
            raise CnnbenchError(f"--since {text!r} reaches back before the year 1: give a smaller age or a date "
                                "(2024-05-01)") from None
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CnnbenchError(f"malformed --since {text!r}: use a date (2024-05-01), a time (2024-05-01T12:00) "
                            "or an age (7d, 12h, 2w)") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _model_names(model: str) -> list[str]:
    """The stored name(s) for what a user typed: the registry's canonical name when it knows it."""
    if ":" in model:
        return [model]
    from cnnbench.catalog import resolve

    try:
        canon = resolve(model).name
    except CnnbenchError:
        return [model]
    return [canon] if canon == model else [canon, model]


def history(
    model: Annotated[list[str] | None, typer.Argument(help="Model name(s); default: every recorded model.")]
    = None,
    metric: Annotated[str | None, typer.Option("--metric", "-m", help=" | ".join(METRICS) + " (default latency)")]
    = None,
    normalized: Annotated[bool, typer.Option("--normalized", help="Shorthand for --metric latency_normalized: "
                                             "median latency ÷ the calibration workload timed beside it.")] = False,
    since: Annotated[str | None, typer.Option(help="Only runs since a date (2024-05-01) or an age (7d, 12h).")]
    = None,
    plot: Annotated[str | None, typer.Option("--plot", help="Also draw the trend to FILE (.png .svg .pdf).")]
    = None,
    html: Annotated[str | None, typer.Option("--html", metavar="DIR", help="Also write the history as a static "
                                             "site: DIR/index.html and one page per model (no network needed).")]
    = None,
    db: ReadDbOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    from cnnbench.store import open_store

    fmt = check_format(fmt)
    metric = pick_metric(metric, normalized)
    when = parse_since(since) if since else None
    # outputs are checked before the history is read (a bad path fails at once, exit 2)
    check_output_path(output, "--output")
    plot_path = check_plot_path(plot)  # a str: Path("") would be "." and hide an empty value
    site = check_output_path(html, "--html", directory=True)
    path = db_path(db)
    with open_store(path, create=False) as store:
        names = None
        if model:
            names = [n for m in model for n in _model_names(m)]
        rows = store.results(names, since=when)
        if not rows:
            known = store.models()
            if names and known:
                raise CnnbenchError(f"no results for {', '.join(model or [])} in {path}"
                                    f"{' since ' + since if since else ''} (recorded: {', '.join(known[:12])})")
            stderr.print(f"no results recorded in {path}{' since ' + since if since else ''}")
    failures = OutputFailures()  # the table is printed even when a file cannot be written
    records = history_records(rows, metric)
    if rows and not records:
        stderr.print(f"no {metric} values among {len(rows)} recorded result(s)" + _NO_VALUES.get(metric, ""))
    elif records:
        emit(records, fmt, output, lambda recs: stdout.print(history_table(recs, metric, path)), failures=failures)
        if plot_path is not None:
            with failures.attempt(plot_path):
                plot_history(records, metric, plot_path)
                stderr.print(f"wrote {plot_path}")
    if site is not None:  # every model and metric of the rows read, whatever --metric
        with failures.attempt(site):
            scope = " ".join([*(model or []), *(["since " + since] if since else [])])
            pages = write_site(rows, site, db=path, scope=scope)
            stderr.print(f"wrote {pages[0]} ({len(pages)} page{'s' if len(pages) > 1 else ''})", soft_wrap=True)
    failures.raise_if_any()


_NO_VALUES = {
    "latency": " (latency is recorded when profiling without --no-latency)",
    "p90": " (latency is recorded when profiling without --no-latency)",
    "latency_normalized": " (normalized latency is recorded when a calibration workload is timed beside the model)",
}


def pick_metric(metric: str | None, normalized: bool) -> str:
    """The --metric name (default ``latency``); ``--normalized`` is ``latency_normalized`` and takes no other."""
    name = None if metric is None else metric.lower().replace("-", "_")
    if normalized:
        if name not in (None, "latency_normalized"):
            raise CnnbenchError(f"--normalized is --metric latency_normalized: drop --metric {metric}")
        return "latency_normalized"
    name = name or "latency"
    if name not in METRICS:
        raise CnnbenchError(f"unknown --metric {name!r}: choose {', '.join(METRICS)}")
    return name


def register(app: typer.Typer) -> None:
    app.command("history", help=__doc__)(history)
