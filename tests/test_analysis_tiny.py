"""Hand-checkable models: every expected number has its arithmetic beside it."""

import pytest
import torch
from torch import nn

from cnnbench.analysis import analyze


class Tiny(nn.Module):
    """conv3x3(3→8, bias) → BN → ReLU → global avg pool → flatten → linear(8→10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.relu(self.bn(self.conv(x)))), 1))


@pytest.fixture(scope="module")
def tiny():
    with torch.device("meta"):
        m = Tiny()
    return analyze(m, (1, 3, 4, 4))


def test_tiny_params(tiny):
    # conv: 8*3*3*3 + 8 = 224; bn: 8 + 8 = 16; fc: 8*10 + 10 = 90 → 330
    assert tiny.params == 330
    assert tiny.trainable_params == 330
    # bn buffers: running_mean 8 + running_var 8 + num_batches_tracked 1 = 17
    assert tiny.buffers == 17


def test_tiny_macs(tiny):
    # conv: out 8x4x4 = 128 positions × (3*3*3 = 27) MACs = 3456; fc: 8*10 = 80 → 3536
    assert tiny.macs == 3456 + 80
    assert tiny.flops == 2 * 3536


def test_tiny_activations(tiny):
    # conv output 8*4*4 = 128 + linear output 10 → 138
    assert tiny.activations == 138


def test_tiny_memory_access(tiny):
    # conv: in 3*16=48 + w 216 + b 8 + out 128 = 400
    # bn (eval): in 128 + w 8 + b 8 + mean 8 + var 8 + out 128 = 288
    #   (_native_batch_norm_legit_no_training's save_mean/save_invstd are bookkeeping: not counted)
    # relu: in 128 + out 128 = 256
    # adaptive avg pool (mean over H,W): in 128 + out 8 = 136
    # flatten: view → 0
    # linear → t (view, 0) + addmm: bias 10 + in 8 + w 80 + out 10 = 108
    assert tiny.memory_access_elements == 400 + 288 + 256 + 136 + 108
    assert tiny.memory_access_bytes == 4 * tiny.memory_access_elements  # fp32


def test_tiny_uncounted_ops_listed(tiny):
    ops = tiny.uncounted_ops
    assert "_native_batch_norm_legit_no_training" in ops and "relu" in ops
    assert ops["relu"]["count"] == 1
    # relu moves 256 of 1188 elements (all fp32) → 21.55%
    assert ops["relu"]["memory_access_share"] == pytest.approx(256 / 1188, abs=1e-4)
    assert "convolution" not in ops and "addmm" not in ops


def test_by_module_and_by_op(tiny):
    mods = {g.name: g for g in tiny.by_module(1)}
    assert mods["conv"].macs == 3456 and mods["conv"].params == 224
    assert mods["fc"].macs == 80 and mods["fc"].params == 90
    assert sum(g.memory_access_elements for g in mods.values()) == tiny.memory_access_elements
    ops = {g.name: g for g in tiny.by_op()}
    assert ops["convolution"].macs == 3456 and ops["addmm"].macs == 80


@pytest.mark.parametrize("c1,c2,hw", [(16, 32, 8), (64, 64, 14)])
def test_pointwise_conv_memory_access_matches_shufflenetv2_formula(c1, c2, hw):
    # ShuffleNetV2 §2: a 1x1 conv has MAC = h·w·(c1+c2) + c1·c2 (no bias here)
    with torch.device("meta"):
        m = nn.Conv2d(c1, c2, 1, bias=False)
    p = analyze(m, (1, c1, hw, hw))
    assert p.memory_access_elements == hw * hw * (c1 + c2) + c1 * c2
    assert p.macs == hw * hw * c1 * c2  # B = h·w·c1·c2


def test_pointwise_conv_with_bias_adds_c2():
    with torch.device("meta"):
        m = nn.Conv2d(16, 32, 1, bias=True)
    p = analyze(m, (1, 16, 8, 8))
    assert p.memory_access_elements == 64 * (16 + 32) + 16 * 32 + 32


def test_group_conv_g2_formula():
    # ShuffleNetV2 G2: 1x1 group conv, MAC = h·w·(c1+c2) + c1·c2/g ; B = h·w·c1·c2/g
    c, g, hw = 64, 4, 14
    with torch.device("meta"):
        m = nn.Conv2d(c, c, 1, groups=g, bias=False)
    p = analyze(m, (1, c, hw, hw))
    assert p.macs == hw * hw * c * c // g
    assert p.memory_access_elements == hw * hw * 2 * c + c * c // g


def test_fp16_halves_bytes_not_elements():
    with torch.device("meta"):
        m = nn.Conv2d(8, 8, 3, padding=1, bias=False)
    p32 = analyze(m, (1, 8, 8, 8))
    p16 = analyze(m, (1, 8, 8, 8), torch.float16)
    assert p16.memory_access_elements == p32.memory_access_elements
    assert p16.memory_access_bytes * 2 == p32.memory_access_bytes
    assert p16.dtype == "float16"


def test_checkpoint_bytes_equal_real_torch_save():
    import io

    from cnnbench.analysis import checkpoint_bytes

    real = Tiny()
    buf = io.BytesIO()
    torch.save(real.state_dict(), buf)
    with torch.device("meta"):
        meta = Tiny()
    assert checkpoint_bytes(meta) == len(buf.getvalue())
    # fp16 storage: every float tensor at 2 bytes; compare with a real half-precision save
    buf16 = io.BytesIO()
    torch.save(real.half().state_dict(), buf16)
    assert checkpoint_bytes(meta, torch.float16) == len(buf16.getvalue())
    assert checkpoint_bytes(meta, torch.int8) < checkpoint_bytes(meta, torch.float16)


def test_shared_weights_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4, bias=False)
            self.b = nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    with torch.device("meta"):
        m = Tied()
    p = analyze(m, (2, 4))
    assert p.params == 16  # one 4x4 matrix, used twice
    assert p.macs == 2 * (2 * 4 * 4)  # two matmuls of 2x4 @ 4x4


def test_deformable_conv_counts_as_the_conv_it_replaces():
    from torchvision.ops import DeformConv2d

    class Deform(nn.Module):
        def __init__(self):
            super().__init__()
            self.offset = nn.Conv2d(4, 18, 3, padding=1, bias=False)
            self.dcn = DeformConv2d(4, 8, 3, padding=1, bias=False)

        def forward(self, x):
            return self.dcn(x, self.offset(x))

    with torch.device("meta"):
        m = Deform()
    p = analyze(m, (1, 4, 5, 5))
    # offset conv: 25 positions × 18 out × (4*9 = 36) = 16200; deform conv: 25 × 8 × 36 = 7200 → 23400
    assert p.macs == 16200 + 7200
    # activations: offset output 18*25 = 450 + deform output 8*25 = 200
    assert p.activations == 650


def test_op_count_is_the_ops_that_compute_or_move_data():
    import torchvision

    from cnnbench.catalog import resolve

    # lenet5: conv tanh pool, conv tanh pool (6), then addmm tanh addmm tanh addmm (5) = 11; the flatten view and the
    # three t (weight transposes) are views: not counted
    assert analyze(resolve("lenet5").build(), (1, 1, 32, 32)).op_count == 11
    # resnet18: 20 convs + 20 batch norms + 17 in-place ReLUs + 8 residual add_ + max pool + mean + addmm = 68; the
    # 20 bare `empty` allocations, the flatten view and the fc weight's t are not kernels that move data
    assert analyze(torchvision.models.resnet18(weights=None), (1, 3, 224, 224)).op_count == 68
