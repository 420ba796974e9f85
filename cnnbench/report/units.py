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


def mib(n: float | None, digits: int = 2) -> str:
    return "—" if n is None else f"{n / MIB:.{digits}f}"


def ms(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


# column key → (header with unit, formatter)
COLUMNS = {
    "params": ("params (M)", lambda d: f"{d['params'] / 1e6:.3f}" if d.get("params") is not None else "—"),
    "checkpoint_bytes": ("ckpt (MiB)", lambda d: mib(d.get("checkpoint_bytes"))),
    "macs": ("GMACs", lambda d: f"{d['macs'] / 1e9:.3f}" if d.get("macs") is not None else "—"),
    "flops": ("GFLOPs (2×MACs)", lambda d: f"{d['flops'] / 1e9:.3f}" if d.get("flops") is not None else "—"),
    "memory_access_bytes": ("mem access (MiB)", lambda d: mib(d.get("memory_access_bytes"), 1)),
    "memory_access_elements": ("mem access (M elem)",
                               lambda d: si(d.get("memory_access_elements"))),
    "activations": ("acts (M)", lambda d: f"{d['activations'] / 1e6:.2f}" if d.get("activations") is not None else "—"),
    "arithmetic_intensity": ("FLOP/byte", lambda d: f"{d['arithmetic_intensity']:.1f}"
                             if d.get("arithmetic_intensity") is not None else "—"),
}

CONVENTIONS = (
    "MACs = multiply-accumulates (papers' and torchvision's \"FLOPs\"); FLOPs = 2 × MACs. "
    "Memory access = ShuffleNetV2's MAC: all tensor inputs incl. weights + outputs of every op that moves data "
    "(views count 0). Activations = output elements of conv/linear/matmul ops. MiB = 2^20 bytes; "
    "ckpt = torch.save(state_dict) size."
)
