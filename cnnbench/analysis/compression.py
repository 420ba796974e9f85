"""Checkpoint size under compression: k-bit weights, magnitude pruning stored sparse, weight sharing (an estimate).

The estimate counts the bits a compressed checkpoint must hold; nothing is quantised or pruned for real, so it works
on the meta device (shapes only). Conventions (also in :data:`CONVENTIONS`, printed with the numbers):

* **Which tensors are compressed**: the weight of every convolution and of every fully connected layer (``addmm`` /
  ``mm`` whose weight is a parameter of the module that ran it), found in the one trace
  (:class:`~cnnbench.analysis.static.StaticProfile` records, each weight once). Everything else — biases, BatchNorm
  weights and running statistics, embeddings, other buffers — stays 32-bit float (4 bytes an element).
* **k-bit weights** (``weight_bits``): 32 = fp32, 16 = fp16 (no scale). Any other k is a k-bit integer code with one
  fp32 scale per output filter (row): k = 1 is XNOR-Net's binary weights (sign × the filter's mean |w|), k = 2 holds
  ternary weights (TWN's {−α, 0, +α}: 3 levels need 2 bits), 4 / 8 are uniform symmetric per-channel quantisation.
* **Weight sharing** (``shared_weights`` = K): Deep Compression's trained quantisation — each layer has its own
  K-entry fp32 codebook and every stored weight is a ceil(log2 K)-bit index into it (no per-filter scales).
* **Pruning** (``sparsity`` = s): a fraction s of each layer's weights is zero; the n = round((1 − s) · numel)
  nonzeros are stored as Deep Compression's relative-index sparse format (Han et al., 2016, Sec. 2 / Fig. 2): every
  stored entry holds its value code plus a b-bit *difference* to the previous entry's position (``index_bits`` = b,
  default 4 as in the paper's Table 4 for AlexNet; Table 5 uses 5 for VGG-16). A gap larger than 2^b is bridged
  by filler entries holding a zero value. Nonzeros are taken as uniformly scattered (random magnitudes), so the
  expected number of entries per nonzero is 1 / (1 − (1 − d)^(2^b)) with density d = 1 − s (the gap between
  neighbours is geometric); trained networks prune in clusters and need somewhat fewer fillers. Row pointers are
  not counted (the paper's figures do not count them either).
* **Huffman coding** (Deep Compression's third stage) is *not* modelled: published sizes that include it are
  expected to be smaller than this estimate.

Units: bits summed over the model, then ``ceil(bits / 8)`` bytes. ``dense_fp32_bytes`` = 4 bytes × (parameters +
buffer elements), the size the papers compare against (AlexNet's "240 MB" = 61M × 4 bytes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnbench.errors import CnnbenchError

#: What the estimate assumes, in one paragraph (printed under every table of compressed sizes).
CONVENTIONS = (
    "Compressed size = an estimate of the checkpoint's bits, not a file written: conv and fully connected weights "
    "are compressed; biases, BatchNorm and other buffers stay fp32. k-bit weights below 16 bits carry one fp32 scale "
    "per output filter (1 bit = XNOR-Net binary, 2 bits = ternary). Weight sharing: a K-entry fp32 codebook per "
    "layer and ceil(log2 K)-bit indices. Pruning: Deep Compression's relative-index sparse storage (value code + a "
    "b-bit index difference per entry, zero fillers for gaps over 2^b, nonzeros taken as uniformly scattered). "
    "Huffman coding is not modelled (published sizes that use it are smaller). MB = 10^6 bytes."
)


@dataclass(frozen=True)
class CompressionSettings:
    """How the weights are stored.

    Attributes:
        weight_bits: 1..32 bits per weight value (ignored when ``shared_weights`` is set).
        sparsity: Fraction of each layer's weights pruned to zero, 0 ≤ s < 1 (0 = dense storage).
        shared_weights: Codebook entries K per layer (≥ 2), or ``None`` for no weight sharing.
        index_bits: Bits of one relative index in the sparse format (1..16); used only when ``sparsity`` > 0.
    """

    weight_bits: int = 32
    sparsity: float = 0.0
    shared_weights: int | None = None
    index_bits: int = 4

    def __post_init__(self) -> None:
        if isinstance(self.weight_bits, bool) or not isinstance(self.weight_bits, int) \
                or not 1 <= self.weight_bits <= 32:
            raise CnnbenchError(f"--weight-bits must be an integer from 1 to 32, got {self.weight_bits!r}")
        if not isinstance(self.sparsity, (int, float)) or math.isnan(self.sparsity) or not 0 <= self.sparsity < 1:
            raise CnnbenchError(f"--sparsity must be a fraction in [0, 1), got {self.sparsity!r}")
        if self.shared_weights is not None and (isinstance(self.shared_weights, bool)
                                                or not isinstance(self.shared_weights, int)
                                                or not 2 <= self.shared_weights <= 2 ** 16):
            raise CnnbenchError(f"--shared-weights must be an integer from 2 to 65536, got {self.shared_weights!r}")
        if isinstance(self.index_bits, bool) or not isinstance(self.index_bits, int) or not 1 <= self.index_bits <= 16:
            raise CnnbenchError(f"--index-bits must be an integer from 1 to 16, got {self.index_bits!r}")

    @property
    def value_bits(self) -> int:
        """Bits of one stored value: the codebook index width with sharing, else ``weight_bits``."""
        return math.ceil(math.log2(self.shared_weights)) if self.shared_weights else self.weight_bits

    def to_dict(self) -> dict[str, Any]:
        return {"weight_bits": self.weight_bits, "sparsity": self.sparsity, "shared_weights": self.shared_weights,
                "index_bits": self.index_bits if self.sparsity > 0 else None}

    def label(self) -> str:
        parts = [f"{self.shared_weights}-entry codebook ({self.value_bits}-bit indices)" if self.shared_weights
                 else f"{self.weight_bits}-bit weights"]
        if self.sparsity > 0:
            parts.append(f"{100 * self.sparsity:g}% pruned, {self.index_bits}-bit relative index")
        return ", ".join(parts)


@dataclass(frozen=True)
class WeightTensor:
    """One compressible weight: where it ran, its kind (``conv`` | ``fc``), shape and output filters (rows)."""

    module: str
    kind: str
    shape: tuple[int, ...]
    out_channels: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class LayerSize:
    """One weight's compressed storage: entries stored (nonzeros + fillers) and the bits of each part."""

    weight: WeightTensor
    settings: CompressionSettings
    nonzeros: int
    entries: float
    value_bits: float
    index_bits: float
    side_bits: int  # per-filter scales or the codebook

    @property
    def bits(self) -> float:
        return self.value_bits + self.index_bits + self.side_bits


@dataclass(frozen=True)
class CompressionEstimate:
    """The compressed checkpoint: per-layer sizes plus the uncompressed rest.

    Attributes:
        layers: One :class:`LayerSize` per compressed weight, in execution order.
        other_elements: Parameters and buffer elements left in fp32 (biases, norms, embeddings...).
        dense_fp32_bytes: 4 bytes × every parameter and buffer element (the uncompressed baseline).
    """

    layers: tuple[LayerSize, ...]
    other_elements: int
    dense_fp32_bytes: int
    settings: CompressionSettings | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def compressed_bytes(self) -> int:
        return math.ceil((sum(lay.bits for lay in self.layers) + 32 * self.other_elements) / 8)

    @property
    def ratio(self) -> float:
        """Dense fp32 bytes ÷ compressed bytes (the papers' "35×")."""
        return self.dense_fp32_bytes / self.compressed_bytes if self.compressed_bytes else float("nan")

    def by_layer(self) -> list[dict[str, Any]]:
        """One dict per compressed weight: module, kind, shape, nonzeros, entries, bits and bytes."""
        return [{"module": lay.weight.module, "kind": lay.weight.kind, "shape": "x".join(map(str, lay.weight.shape)),
                 "weights": lay.weight.numel, "nonzeros": lay.nonzeros, "entries": round(lay.entries),
                 "value_bits": lay.settings.value_bits, "index_bits": lay.settings.index_bits
                 if lay.settings.sparsity > 0 else 0, "fp32_bytes": 4 * lay.weight.numel,
                 "compressed_bytes": lay.bits / 8, "rate_pct": 100 * lay.bits / (32 * lay.weight.numel)}
                for lay in self.layers]


def entries_per_nonzero(density: float, index_bits: int) -> float:
    """Expected stored entries per nonzero in the relative-index format (≥ 1; fillers bridge long gaps).

    The gap D to the next nonzero is geometric with P(D > g) = (1 − d)^g; one entry jumps at most R = 2^b positions,
    so a gap needs ceil(D / R) entries and E[ceil(D/R)] = Σ_k P(D > kR) = 1 / (1 − (1 − d)^R).
    """
    if density >= 1:
        return 1.0
    return 1.0 / (1.0 - (1.0 - density) ** (2 ** index_bits))


def layer_size(w: WeightTensor, s: CompressionSettings) -> LayerSize:
    """The storage of one weight under ``s`` (see the module docstring for the format)."""
    n = w.numel
    if s.sparsity > 0:
        nz = max(1, round((1 - s.sparsity) * n))
        entries = nz * entries_per_nonzero(nz / n, s.index_bits)
        idx = entries * s.index_bits
    else:
        nz, entries, idx = n, float(n), 0.0
    if s.shared_weights:
        side = 32 * s.shared_weights
    elif s.weight_bits < 16:
        side = 32 * w.out_channels
    else:
        side = 0
    return LayerSize(w, s, nz, entries, entries * s.value_bits, idx, side)


def _own_params(static: Any, module: str, cache: dict[str, int]) -> int:
    """Parameters a module registers itself (its subtree's less its children's); ``""`` is the model."""
    if module not in cache:
        tree = static.module_params
        total = tree.get(module, 0) if module else static.params
        depth = module.count(".") + 1 if module else 0
        children = [k for k in tree if k.count(".") == depth and (not module or k.startswith(module + "."))]
        cache[module] = total - sum(tree[k] for k in children)
    return cache[module]


def compressible_weights(static: Any) -> list[WeightTensor]:
    """The conv and fully connected weights of a traced model, each once, in execution order.

    ``static`` is a :class:`~cnnbench.analysis.static.StaticProfile`. A ``convolution`` op's weight is its second
    input (out × in/groups × k…); ``addmm``'s third (in × out, the transposed weight), ``mm``'s second. A weight counts
    only when the module that ran the op registers at least that many parameters itself (so a product of two
    activations is never taken for a layer). A module that runs ops with the same weight shape k times holds
    min(k, its parameters ÷ the weight's size) distinct weights: a layer called twice counts once, a module applying
    two same-shaped weights of its own counts both.
    """
    calls: dict[tuple[str, str, tuple[int, ...]], list[WeightTensor]] = {}
    own: dict[str, int] = {}
    for r in static.records:
        if getattr(r, "backward", False):
            continue
        if r.op == "convolution" and len(r.in_shapes) > 1:
            shape, kind = tuple(r.in_shapes[1]), "conv"
            rows = shape[0]
        elif r.op == "addmm" and len(r.in_shapes) > 2 and len(r.in_shapes[2]) == 2:
            shape, kind = tuple(reversed(r.in_shapes[2])), "fc"
            rows = shape[0]
        elif r.op == "mm" and len(r.in_shapes) > 1 and len(r.in_shapes[1]) == 2:
            shape, kind = tuple(reversed(r.in_shapes[1])), "fc"
            rows = shape[0]
        else:
            continue
        owned = _own_params(static, r.module, own) // math.prod(shape)
        seen = calls.setdefault((r.module, kind, shape), [])
        if len(seen) < owned:
            seen.append(WeightTensor(r.module, kind, shape, rows))
    return [w for ws in calls.values() for w in ws]


def estimate(static: Any, settings: CompressionSettings | Mapping[str, CompressionSettings],
             ) -> CompressionEstimate:
    """The compressed checkpoint size of a traced model.

    Args:
        static: A :class:`~cnnbench.analysis.static.StaticProfile` (``cnnbench.analysis.analyze`` on meta is enough).
        settings: One :class:`CompressionSettings` for every weight, or per-layer settings keyed by module path
            (``"features.0"``) or by kind (``"conv"`` / ``"fc"``); a module path wins over its kind.

    Raises:
        CnnbenchError: Per-layer settings that name neither a traced layer nor a kind.
    """
    weights = compressible_weights(static)
    if isinstance(settings, CompressionSettings):
        chosen = [settings] * len(weights)
        uniform: CompressionSettings | None = settings
    else:
        known = {w.module for w in weights} | {"conv", "fc"}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise CnnbenchError(f"per-layer compression settings for unknown layer(s): {', '.join(unknown)}")
        chosen = [settings.get(w.module) or settings.get(w.kind) or CompressionSettings() for w in weights]
        uniform = None
    layers = tuple(layer_size(w, s) for w, s in zip(weights, chosen, strict=True))
    total = static.params + static.buffers
    other = total - sum(w.numel for w in weights)
    return CompressionEstimate(layers, other, 4 * total, uniform)


def settings_from_options(weight_bits: int | None, sparsity: float | None, shared_weights: int | None,
                          index_bits: int | None) -> CompressionSettings | None:
    """The settings the ``profile`` options ask for, or ``None`` when none is given (rows unchanged)."""
    if weight_bits is None and sparsity is None and shared_weights is None and index_bits is None:
        return None
    if weight_bits is not None and shared_weights is not None:
        raise CnnbenchError("give --weight-bits or --shared-weights, not both (a shared weight is stored as its "
                            "codebook index)")
    return CompressionSettings(weight_bits=32 if weight_bits is None else weight_bits,
                               sparsity=0.0 if sparsity is None else sparsity, shared_weights=shared_weights,
                               index_bits=4 if index_bits is None else index_bits)


def annotate(profiles: Iterable[Any], settings: CompressionSettings | None) -> None:
    """Adds ``compressed_bytes`` and ``compression`` (the settings) to every row with a static profile."""
    if settings is None:
        return
    for p in profiles:
        if p.static is None:
            continue
        est = estimate(p.static, settings)
        p.extra["compressed_bytes"] = est.compressed_bytes
        p.extra["compression"] = {**settings.to_dict(), "ratio": round(est.ratio, 2)}
