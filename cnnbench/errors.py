"""The one exception type the CLI turns into a one-line error and exit code 2."""


class CnnbenchError(Exception):
    """A domain or usage error: bad input, unknown model, unavailable device.

    The CLI prints ``str(err)`` on one line and exits with code 2; ``--debug`` shows the traceback.
    """


def one_line(err: BaseException, limit: int = 300) -> str:
    """``"TypeName: first line of the message"``, at most ``limit`` characters: how a failed row reports why."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    text = f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
