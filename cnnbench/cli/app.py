"""The ``cnnbench`` command: one Typer app, one module per command group.

Errors are handled once, here: a ``CnnbenchError`` or a usage error prints one line on stderr
and exits with code 2; ``--debug`` (or ``CNNBENCH_DEBUG=1``) shows the traceback instead.
Exit codes: 0 ok, 1 some rows failed (or a regression, for ``check``), 2 usage/input error,
3 inconclusive check, 130 interrupted.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback

import typer
from typer.core import TyperGroup

try:  # typer ≥ 0.20 vendors click as typer._click; older releases use click itself
    from typer import exceptions as _typer_exc
    from typer._click import exceptions as _click_exc
except ImportError:  # pragma: no cover
    import click.exceptions as _click_exc  # type: ignore[no-redef]

    _typer_exc = _click_exc  # type: ignore[assignment]

from cnnbench.errors import CnnbenchError, exit_text


def debug_enabled() -> bool:
    return os.environ.get("CNNBENCH_DEBUG", "") not in ("", "0")


def _fail(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


class _Group(TyperGroup):
    """Turns every error into one line and an exit code (also under ``typer.testing.CliRunner``)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        if "--debug" in argv:
            argv.remove("--debug")
            os.environ["CNNBENCH_DEBUG"] = "1"
        try:
            rv = super().main(args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                              **extra)
        except CnnbenchError as e:
            if debug_enabled():
                traceback.print_exc()
            _fail(str(e))
        except _click_exc.NoArgsIsHelpError as e:  # `cnnbench` alone: show help, exit 0
            print(e.ctx.get_help() if e.ctx else "")
            sys.exit(0)
        except _click_exc.UsageError as e:
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx else ""
            _fail(f"{e.format_message()}{hint}")
        except _typer_exc.Exit as e:
            sys.exit(e.exit_code)
        except (_typer_exc.Abort, KeyboardInterrupt):
            print("interrupted", file=sys.stderr)
            sys.exit(130)
        except _click_exc.ClickException as e:
            _fail(e.format_message(), e.exit_code or 2)
        except Exception as e:  # noqa: BLE001 — the last line of defence: never a traceback
            if debug_enabled():
                traceback.print_exc()
            _fail(f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)", 1)
        if isinstance(rv, int):
            sys.exit(rv)
        sys.exit(0)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="What a CNN costs: params, checkpoint size, MACs/FLOPs, memory access, activations, latency.\n\n"
    "MACs = multiply-accumulates (papers' \"FLOPs\"); FLOPs = 2 × MACs. Add --debug to any command for tracebacks.",
)


def _register() -> None:
    from cnnbench.cli import (
        blocks_cmd,
        check_cmd,
        compare_cmd,
        env_cmd,
        explain_cmd,
        history_cmd,
        list_cmd,
        memory_cmd,
        profile_cmd,
        reproduce_cmd,
        roofline_cmd,
        sweep_cmd,
    )

    app.command("list", help=list_cmd.__doc__)(list_cmd.list_models)
    app.command("profile", help=profile_cmd.__doc__)(profile_cmd.profile)
    for mod in (env_cmd, compare_cmd, blocks_cmd, reproduce_cmd, history_cmd, check_cmd, roofline_cmd, explain_cmd,
                sweep_cmd, memory_cmd):
        mod.register(app)


def _guarded(fn):
    """``fn`` run with stdout guarded: only cnnbench writes to stdout while a command runs (see output.guard_stdout)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from cnnbench.cli.output import guard_stdout

        with guard_stdout():
            try:
                return fn(*args, **kwargs)
            except SystemExit as e:  # cnnbench exits through typer.Exit: a SystemExit here is user code's
                raise CnnbenchError(f"{exit_text(e, 'user code')}; it cannot choose cnnbench's exit code "
                                    "(rerun with --debug for where)") from e

    return wrapper


def reflow(text: str | None) -> str | None:
    """Help text with each paragraph on one line, so the terminal wraps it (Rich keeps a docstring's line breaks);
    list items (``-``, ``*``, ``•``) and indented lines keep their own line."""
    if not text:
        return text
    import inspect

    paragraphs = []
    for para in inspect.cleandoc(text).split("\n\n"):
        lines: list[str] = []
        for ln in para.splitlines():
            if lines and not ln.lstrip().startswith(("-", "*", "•")) and not ln.startswith("  "):
                lines[-1] += " " + ln.strip()
            else:
                lines.append(ln.rstrip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _guard_commands(typer_app: typer.Typer) -> None:
    for info in typer_app.registered_commands:
        info.help = reflow(info.help)
        if info.callback is not None and not getattr(info.callback, "__wrapped__", None):
            info.callback = _guarded(info.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_commands(group.typer_instance)


_register()
_guard_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
