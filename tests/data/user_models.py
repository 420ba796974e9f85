"""Models a user might point cnnbench at with path/to/file.py:Name (used by the CLI tests)."""

import torch
from torch import nn


class TwoConv(nn.Module):
    """conv3x3(3→4, no bias) → conv1x1(4→2, no bias)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.b = nn.Conv2d(4, 2, 1, bias=False)

    def forward(self, x):
        return self.b(self.a(x))


def two_conv():
    return TwoConv()


def not_a_module():
    return 42


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        raise RuntimeError("this forward always fails")


def tensor_factory():
    return torch.zeros(3)
