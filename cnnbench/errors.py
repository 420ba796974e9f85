"""The one exception type the CLI turns into a one-line error and exit code 2."""


class CnnbenchError(Exception):
    """A domain or usage error: bad input, unknown model, unavailable device.

    The CLI prints ``str(err)`` on one line and exits with code 2; ``--debug`` shows the traceback.
    """
