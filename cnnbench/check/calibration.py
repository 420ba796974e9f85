"""The calibration workload of ``cnnbench check`` (a stored baseline's latency is a ratio to it)."""

from __future__ import annotations

#: Names the calibration workload; a baseline measured with another one is refused.
CALIBRATION_ID = "convmlp128-v1"
CALIBRATION_SHAPE = (1, 3, 128, 128)


def build_calibration():
    """The fixed calibration workload (on a 1×3×128×128 input): a conv stack, then a weight-heavy MLP.

    The conv stack (dense 3×3, depthwise 3×3, pointwise 1×1, as in the models it calibrates) is compute-bound;
    the MLP streams about 18 MB of weights per call, so the calibration also feels what slows big models on a shared
    machine — last-level cache and memory bandwidth taken by neighbours. On this project's 2-core test VM, this
    mix made the resnet18 / calibration ratio 2.5× steadier between measurement periods than the conv stack
    alone (period-to-period s.d. 1.3 % vs 3.4 %).

    MACs (64,311,296 in all): conv 3→32 s2 → 64×64: 64·64·32·27 = 3,538,944; dw 32: 64·64·32·9 = 1,179,648;
    pw 32→64: 64·64·64·32 = 8,388,608; conv 64→64 s2 → 32×32: 32·32·64·576 = 37,748,736; dw 64: 32·32·64·9 =
    589,824; pw 64→128: 32·32·128·64 = 8,388,608; linear 128→2048: 262,144; 2048→2048: 4,194,304; 2048→10:
    20,480. The runner seeds the weights, so every side times the same function.
    """
    from torch import nn

    def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, 1, 1, groups=cout, bias=False), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout * 2, 1, bias=False), nn.BatchNorm2d(cout * 2), nn.ReLU(inplace=True)]

    return nn.Sequential(*block(3, 32, 2), *block(64, 64, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(128, 2048), nn.ReLU(inplace=True), nn.Linear(2048, 2048), nn.ReLU(inplace=True),
                         nn.Linear(2048, 10))
