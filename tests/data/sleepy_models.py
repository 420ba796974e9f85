"""Models whose modules sleep a known time per call (attribution tests: hand-computable module times)."""

import time

from torch import nn


class Sleep(nn.Module):
    """Returns its input after sleeping ``ms`` milliseconds (0: no sleep)."""

    def __init__(self, ms: float = 0.0):
        super().__init__()
        self.ms = ms

    def forward(self, x):
        if self.ms:
            time.sleep(self.ms / 1e3)
        return x


class SleepNet(nn.Module):
    """stem conv 3→4 3×3 (3·4·9 = 108 weights + 4 biases = 112 params) → stage1 (two Sleeps) → stage2 (two Sleeps)
    → head (a Sleep). No sleep by default: a test sets ``stage2[1].ms`` (or another) on one side."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.stage1 = nn.Sequential(Sleep(), Sleep())
        self.stage2 = nn.Sequential(Sleep(), Sleep())
        self.head = Sleep()

    def forward(self, x):
        return self.head(self.stage2(self.stage1(self.stem(x))))
