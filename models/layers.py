"""Shared pieces for the architectures in this package (read-only for model files: add new helpers
in your own file rather than editing these)."""

from __future__ import annotations

import torch
from torch import nn


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``v`` to the nearest multiple of ``divisor`` not below 90% of ``v`` (MobileNet rule)."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) → BatchNorm2d → activation (``act=None`` for none)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int | tuple[int, int] = 3, stride: int = 1,
                 groups: int = 1, dilation: int = 1, act: type[nn.Module] | None = nn.ReLU,
                 padding: int | tuple[int, int] | None = None) -> None:
        if padding is None:
            padding = dilation * (kernel_size - 1) // 2
        layers: list[nn.Module] = [
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, dilation=dilation, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch),
        ]
        if act is not None:
            layers.append(act(inplace=True) if act in (nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish) else act())
        super().__init__(*layers)


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle: (N, g·c, H, W) → transpose the group axis."""
    n, c, h, w = x.shape
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, h, w)


class ClassifierHead(nn.Sequential):
    """Global average pool → flatten → dropout → linear (the dropout stays at p=0 so indices never shift)."""

    def __init__(self, in_ch: int, num_classes: int = 1000, dropout: float = 0.0) -> None:
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Dropout(dropout), nn.Linear(in_ch, num_classes))
