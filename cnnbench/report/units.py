"""Human-readable numbers; every header built here names its unit and convention."""

from __future__ import annotations

MIB = 2**20


def si(n: float | None, digits: int = 2) -> str:
    """1234567 → '1.23M' (decimal prefixes, for counts)."""
    if n is None:
        return "—"
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.{digits}f}{suffix}"
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.{digits}f}"


def nbytes(n: float | None, digits: int = 2) -> str:
    """Bytes with a binary prefix that keeps small values readable: 4960839 → '4.73 MiB', 23261 → '22.72 KiB'.

    The prefix moves up at 1024 of the one below (``ls -h``), so no size prints as "0.00 MiB".
    """
    if n is None:
        return "—"
    for shift, suffix in ((40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")):
        if abs(n) >= 2**shift:
            return f"{n / 2**shift:.{digits}f} {suffix}"
    return f"{n:.0f} B"


def mib(n: float | None, digits: int = 2) -> str:
    return "—" if n is None else f"{n / MIB:.{digits}f}"


def ms(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


# column key → (header with unit, formatter). Counts carry a decimal SI suffix (k, M, G) so that a 8.5k-parameter
# block and a 25.6M-parameter network are both readable in one table; byte sizes a binary one (KiB, MiB, GiB) for the
# same reason, in the cell, under a header that says "(B)".
COLUMNS = {
    "params": ("params", lambda d: si(d.get("params"))),
    "checkpoint_bytes": ("ckpt (B)", lambda d: nbytes(d.get("checkpoint_bytes"))),
    "macs": ("MACs", lambda d: si(d.get("macs"))),
    "flops": ("FLOPs (2×MACs)", lambda d: si(d.get("flops"))),
    "memory_access_bytes": ("mem access (B)", lambda d: nbytes(d.get("memory_access_bytes"))),
    "memory_access_elements": ("mem access (elem)",
                               lambda d: si(d.get("memory_access_elements"))),
    "activations": ("acts", lambda d: si(d.get("activations"))),
    "arithmetic_intensity": ("FLOP/byte", lambda d: f"{d['arithmetic_intensity']:.1f}"
                             if d.get("arithmetic_intensity") is not None else "—"),
}
