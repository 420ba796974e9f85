"""Storage liveness, checked by hand: the bytes of the storages a pass creates that are alive at once.

Conventions (:mod:`cnnbench.analysis.liveness`): the model's input, parameters and buffers are excluded; every other
storage an op returns counts its ``nbytes`` until its last tensor dies; views and in-place ops add nothing. Every
model runs on every trace path (``meta``, ``fake``, ``cpu``): storage sizes are shape arithmetic, so the bytes agree.
S below is one float32 activation of 1×8×16×16: 8·16·16·4 = 8192 bytes.
"""

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.checkpoint import checkpoint

from cnnbench.analysis.static import analyze, traced
from cnnbench.analysis.trace import BACKWARD, loss_of
from cnnbench.errors import CnnbenchError
from cnnbench.footprint.measure import measure_peak

PATHS = ("meta", "fake", "cpu")
S = 8 * 16 * 16 * 4  # 8192 bytes
X = torch.randn(1, 3, 16, 16)


def conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1)


def run(model: nn.Module, x: torch.Tensor, path: str, train: bool = False):
    return traced(model, (x,), path=path, train=train).trace


# --- inference: which storages are alive at once ------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_conv_chain_peak_is_two_adjacent_activations(path):
    # conv0 3→8 → A0 = S = 8192; conv1 8→8 → A1 = 8192 while A0 is still alive (Sequential's loop variable holds it
    # until conv1 returns) → 16384; then A0 dies; conv2 8→4 → A2 = 4·16·16·4 = 4096 beside A1 → 12288.
    # The input (3·16·16·4 = 3072 bytes) is excluded; the final output A2 counts.
    tr = run(nn.Sequential(conv(3, 8), conv(8, 8), conv(8, 4)), X, path)
    assert tr.peak_bytes == 2 * S == 16384
    assert tr.peak_at == "1"
    # at each module's exit: A0 | A0 + A1 | A1 + A2
    assert tr.exit_bytes == {"0": S, "1": 2 * S, "2": S + 4096}


class Residual(nn.Module):
    def __init__(self, skip: bool) -> None:
        super().__init__()
        self.skip = skip
        self.a, self.b, self.c = conv(3, 8), conv(8, 8), conv(8, 8)

    def forward(self, x):
        if not self.skip:  # no name holds a's output: it dies when b returns
            return self.c(self.b(self.a(x)))
        y = self.a(x)
        return self.c(self.b(y)) + y


@pytest.mark.parametrize("path", PATHS)
def test_residual_skip_keeps_its_input_alive(path):
    # a → Y (S); b → B (S, Y alive); c → Z (S) while B (c's argument) and Y (held for the skip) are alive: 3S = 24576.
    # Then B dies and z + y makes one more S beside Z and Y: 3S again (not a new peak, so peak_at stays "c").
    tr = run(Residual(skip=True), X, path)
    assert tr.peak_bytes == 3 * S == 24576
    assert tr.peak_at == "c"
    assert tr.exit_bytes == {"a": S, "b": 2 * S, "c": 3 * S}
    # without the skip Y dies when b returns: at most two activations alive, 2S = 16384
    assert run(Residual(skip=False), X, path).peak_bytes == 2 * S


class Concat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = conv(3, 8), conv(3, 4)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 1)


@pytest.mark.parametrize("path", PATHS)
def test_concat_holds_both_inputs_and_its_output(path):
    # a → 8·256·4 = 8192; b → 4·256·4 = 4096; cat → 12·256·4 = 12288 while both inputs live: 8192 + 4096 + 12288
    tr = run(Concat(), X, path)
    assert tr.peak_bytes == 8192 + 4096 + 12288 == 24576
    assert tr.peak_at == ""  # the cat runs in the top-level forward
    assert tr.exit_bytes == {"a": 8192, "b": 8192 + 4096}


@pytest.mark.parametrize("path", PATHS)
def test_inplace_relu_adds_no_storage(path):
    def net(inplace: bool) -> nn.Module:
        return nn.Sequential(conv(3, 8), nn.ReLU(inplace=inplace), conv(8, 4))

    # in place: A0 (S) is overwritten, nothing new; conv 8→4 adds 4096 beside it: peak S + 4096 = 12288 at "2"
    inplace = run(net(True), X, path)
    assert inplace.peak_bytes == S + 4096 == 12288
    assert inplace.peak_at == "2"
    assert inplace.exit_bytes == {"0": S, "1": S, "2": S + 4096}
    # out of place: the ReLU's output R (S) is created while A0 lives: 2S = 16384 at "1" — exactly one activation
    # more; then A0 dies and conv 8→4 adds 4096 beside R: 12288
    copy = run(net(False), X, path)
    assert copy.peak_bytes == 2 * S == 16384
    assert copy.peak_at == "1"
    assert copy.exit_bytes == {"0": S, "1": 2 * S, "2": S + 4096}
    # exactly one activation more where the ReLU returns; at the peak only S - 4096, as the in-place net's own peak
    # is conv 8→4's (A0 + 4096)
    assert copy.exit_bytes["1"] - inplace.exit_bytes["1"] == S
    assert copy.peak_bytes - inplace.peak_bytes == S - 4096
    # a ReLU last: S (in place) vs 2S — the peak differs by exactly one activation
    assert run(nn.Sequential(conv(3, 8), nn.ReLU(inplace=True)), X, path).peak_bytes == S
    assert run(nn.Sequential(conv(3, 8), nn.ReLU()), X, path).peak_bytes == 2 * S


class Views(nn.Module):
    def __init__(self, copy: bool) -> None:
        super().__init__()
        self.copy = copy
        self.a = conv(3, 8)

    def forward(self, x):
        y = self.a(x)  # 1×8×16×16, contiguous
        if self.copy:  # a transposed tensor cannot be viewed flat: reshape copies
            return y.transpose(2, 3).reshape(1, -1)
        return torch.flatten(y.view(1, 8, 256).reshape(8, 256).flatten(), 0).unflatten(0, (8, 16, 16))


@pytest.mark.parametrize("path", PATHS)
def test_views_add_no_storage(path):
    # view, reshape, flatten, unflatten of a contiguous tensor share its storage: only the conv's S = 8192
    tr = run(Views(copy=False), X, path)
    assert tr.peak_bytes == S
    assert all(r.is_view for r in tr.records if r.op != "convolution")
    # a reshape that must copy makes a second S beside the conv output: 2S = 16384
    assert run(Views(copy=True), X, path).peak_bytes == 2 * S


@pytest.mark.parametrize("path", PATHS)
def test_by_module_alive_bytes(path):
    prof = analyze(nn.Sequential(conv(3, 8), conv(8, 4)), (X,), path=path)
    # "0": its output A0 = 8192; "1": A0 (still the Sequential's loop variable) + its output 4·256·4 = 4096
    assert [(g.name, g.alive_bytes) for g in prof.by_module(1)] == [("0", 8192), ("1", 8192 + 4096)]
    assert prof.module_exit_bytes == {"0": 8192, "1": 12288}
    assert (prof.peak_activation_bytes, prof.peak_at) == (12288, "1")
    # weights: (3·8·9 + 8) + (8·4·9 + 4) = 224 + 292 = 516 floats = 2064 bytes; input 3·16·16·4 = 3072 bytes
    assert prof.weight_bytes == 2064
    assert prof.input_bytes == 3072


# --- training steps -----------------------------------------------------------------------------------------------


class Deep(nn.Module):
    """conv 3→8, then three blocks of [conv 8→8, ReLU, conv 8→8, ReLU], each optionally checkpointed."""

    def __init__(self, ckpt: bool) -> None:
        super().__init__()
        self.ckpt = ckpt
        self.a = conv(3, 8)
        self.blocks = nn.ModuleList(nn.Sequential(conv(8, 8), nn.ReLU(), conv(8, 8), nn.ReLU()) for _ in range(3))

    def forward(self, x):
        y = self.a(x)
        for b in self.blocks:
            y = checkpoint(b, y, use_reentrant=False) if self.ckpt else b(y)
        return y


@pytest.mark.parametrize("path", PATHS)
def test_checkpoint_lowers_the_training_peak(path):
    # G = one conv 8→8's gradients: (8·8·9 + 8)·4 = 2336 bytes; the loss and its ones-gradient: 4 + 4 = 8 bytes.
    # Without checkpointing the forward saves conv a's output A and every ReLU's output R1..R6 (a ReLU saves its
    # result, the next conv saves the same tensor as its input; conv outputs die once their ReLU ran): 7S.
    # Backward of the last block: threshold_backward makes dR6 (S) and frees R6; conv_backward of blocks.2.2 then
    # makes grad_input (S) + G beside dR6 and A, R1..R5: 6S + S + S + 2336 + 8 = 67880 — the peak.
    plain = run(Deep(ckpt=False), X, path, train=True)
    assert plain.peak_bytes == 8 * S + 2336 + 8 == 67880
    assert plain.peak_at == BACKWARD
    # Checkpointed, the forward keeps only each block's input (A, R2, R4) and the output R6. The peak is in the
    # recompute of blocks.1: A, R2 (block inputs still needed), the gradient of block 1's output (S), the recomputed
    # R_1.1, conv 1.2's output, R_1.3 (3S), block 2's two convs' gradients (2 · 2336) and the loss pair:
    # 6S + 4672 + 8 = 53832.
    ckpt = run(Deep(ckpt=True), X, path, train=True)
    assert ckpt.peak_bytes == 6 * S + 2 * 2336 + 8 == 53832
    assert ckpt.peak_bytes < plain.peak_bytes
    # the same MACs forward; backward adds the three recomputed blocks' 2 convs: 3·2·(256·8·72 = 147456)
    macs = [sum(r.macs for r in tr.records if r.backward) for tr in (plain, ckpt)]
    assert macs[1] - macs[0] == 6 * 147456


@pytest.mark.parametrize("path", PATHS)
def test_linear_backward_macs(path):
    B = 2
    # first layer, input without grad: forward addmm B·256·256 = 131072 MACs; backward only grad_weight
    # (mm (256×B)·(B×256) = 131072 MACs); grad_input is never computed, grad_bias is a sum (0 MACs)
    tr = run(nn.Linear(256, 256), torch.randn(B, 256), path, train=True)
    assert sum(r.macs for r in tr.records if not r.backward) == B * 256 * 256 == 131072
    assert sum(r.macs for r in tr.records if r.backward) == B * 256 * 256
    assert [r.op for r in tr.records if r.backward and r.macs] == ["mm"]
    # Linear(5→7) → Linear(7→3) on 2×5: forward 2·5·7 + 2·7·3 = 70 + 42 = 112; backward: the second layer's input
    # needs grad, so grad_input 2·3·7 = 42 + grad_weight 3·2·7 = 42 (2× its forward); the first only grad_weight 70
    tr = run(nn.Sequential(nn.Linear(5, 7), nn.Linear(7, 3)), torch.randn(2, 5), path, train=True)
    assert sum(r.macs for r in tr.records if not r.backward) == 70 + 42
    assert sum(r.macs for r in tr.records if r.backward) == 42 + 42 + 70 == 154


@pytest.mark.parametrize("path", PATHS)
def test_gradients_are_in_the_training_peak(path):
    x = torch.randn(2, 256)
    # Linear(256→256): P = 256·256 + 256 = 65792 trainable floats → 4P = 263168 bytes of gradients. The forward's
    # output (2·256·4 = 2048) dies with the loss made (addmm saves only x and W); grad_weight (262144) and
    # grad_bias (1024) end alive beside the loss and its ones-gradient (4 + 4): 4P + 8 = 263176.
    tr = run(nn.Linear(256, 256), x, path, train=True)
    assert tr.peak_bytes == 4 * 65792 + 8 == 263176
    assert tr.peak_at == BACKWARD
    # no bias: P = 65536 → 262144 + 8
    assert run(nn.Linear(256, 256, bias=False), x, path, train=True).peak_bytes == 4 * 65536 + 8
    # first layer frozen: only the second's 65792 get gradients; its saved input h (2·256·4 = 2048) lives until its
    # grad_weight exists: 263168 + 2048 + 8. Backward MACs: the second's grad_weight only (2·256·256 = 131072).
    half = nn.Sequential(nn.Linear(256, 256).requires_grad_(False), nn.Linear(256, 256))
    tr = run(half, x, path, train=True)
    assert tr.peak_bytes == 4 * 65792 + 2048 + 8 == 265224
    assert sum(r.macs for r in tr.records if r.backward) == 2 * 256 * 256


@pytest.mark.parametrize("path", PATHS)
def test_all_frozen_has_nothing_to_train(path):
    with pytest.raises(CnnbenchError, match="nothing to train"):
        run(nn.Linear(4, 4).requires_grad_(False), torch.randn(1, 4), path, train=True)


def test_loss_of():
    with pytest.raises(CnnbenchError, match="nothing to train"):
        loss_of((torch.ones(3), torch.arange(3)))  # no float output needs a gradient
    w = torch.ones(2, requires_grad=True)
    # the floating outputs that need grad, summed: sum(w) + sum(2w) = 2 + 4; the integer and no-grad ones ignored
    loss = loss_of({"a": w, "b": 2 * w, "c": torch.ones(5), "d": torch.arange(3)})
    assert loss.item() == 6.0


def test_training_trace_leaves_the_model_alone():
    torch.manual_seed(0)
    model = nn.Sequential(conv(3, 8), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 16 * 16, 4))
    with torch.no_grad():
        model[1].running_mean.fill_(0.5)
    model.eval()
    model[1].train()  # mixed flags must come back as they were
    flags = [m.training for m in model.modules()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    tr = run(model, torch.randn(2, 3, 16, 16), "cpu", train=True)
    assert any(r.backward for r in tr.records)
    assert all(p.grad is None for p in model.parameters())
    assert [m.training for m in model.modules()] == flags
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert model[1].num_batches_tracked.item() == 0


# --- estimate == measurement; every path the same ------------------------------------------------------------------


@pytest.mark.parametrize("build, train, expected", [
    (lambda: nn.Sequential(conv(3, 8), conv(8, 8), conv(8, 4)), False, 2 * S),  # the conv chain above
    (lambda: Residual(skip=True), False, 3 * S),
    (lambda: Deep(ckpt=False), True, 67880),  # the training steps above
    (lambda: Deep(ckpt=True), True, 53832),
])
def test_tiny_measurements_match_the_hand_figures(build, train, expected):
    # the real eager run (train mode, autograd, a real backward) watched by the same tracker
    measured = measure_peak(build, lambda: ((X,), {}), dtype=torch.float32, device=torch.device("cpu"), train=train)
    assert measured["measured_peak_bytes"] == expected


@pytest.mark.parametrize("train", [False, True])
def test_resnet18_estimate_equals_measurement(train):
    def build():
        torch.manual_seed(0)
        return torchvision.models.resnet18(weights=None)

    measured = measure_peak(build, lambda: ((torch.randn(1, 3, 64, 64),), {}), dtype=torch.float32,
                            device=torch.device("cpu"), train=train)
    est = traced(build(), (torch.randn(1, 3, 64, 64),), path="meta", train=train).trace
    assert measured["measured_peak_bytes"] == est.peak_bytes
    if not train:
        # conv1 → 64×32×32 floats = 262144 bytes, bn1's output beside it: 2 · 262144
        assert (est.peak_bytes, est.peak_at) == (2 * 262144, "bn1")
    else:
        # 11,689,512 parameters → 46,758,048 bytes of gradients are part of the training peak
        assert est.peak_bytes > 4 * 11_689_512


@pytest.mark.parametrize("path", PATHS)
def test_an_op_with_its_own_cpu_kernel_is_not_decomposed(path):
    # silu_backward has a CPU kernel and a math (composite) one. CPU eager runs the kernel: one op, one new storage.
    # Its decomposition (sigmoid, empty_like, fill_, sub_, mul, add, mul, mul) allocates temporaries a real step
    # never has: traced that way this step peaked at 73,736 bytes against the 35,112 measured (EfficientNet-B0's
    # training row was 2.5% high for the same reason).
    def build():
        torch.manual_seed(0)
        return nn.Sequential(conv(3, 8), nn.SiLU(), conv(8, 8), nn.SiLU())

    tr = run(build(), X, path, train=True)
    backward = [r.op for r in tr.records if r.backward]
    assert backward.count("silu_backward") == 2 and "sigmoid" not in backward
    measured = measure_peak(build, lambda: ((X,), {}), dtype=torch.float32, device=torch.device("cpu"), train=True)
    assert tr.peak_bytes == measured["measured_peak_bytes"] == 35112


@pytest.mark.parametrize("name, build, shape", [
    ("resnet18", lambda: torchvision.models.resnet18(weights=None), (1, 3, 64, 64)),
    ("vit_b_16", lambda: torchvision.models.vit_b_16(weights=None), (1, 3, 224, 224)),
])
def test_every_path_gives_the_same_peak(name, build, shape):
    model = build()
    trs = [run(model, torch.randn(*shape), p) for p in PATHS]
    assert len({(t.peak_bytes, t.peak_at) for t in trs}) == 1, [(t.peak_bytes, t.peak_at) for t in trs]
    assert len({tuple(sorted(t.exit_bytes.items())) for t in trs}) == 1


def _tiny_vit():
    torch.manual_seed(0)
    return torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                                                mlp_dim=64)


def test_training_attention_is_the_fused_kernel_on_every_path():
    # CPU (and CUDA) train through a fused attention kernel that saves only the output and its log-sum-exp; meta
    # alone would take the math path and save the 17×17 scores per head. Every path must see the CPU's ops.
    import torch.nn.functional as F

    before = F.scaled_dot_product_attention
    model, x = _tiny_vit(), torch.randn(2, 3, 32, 32)
    runs = {}
    for p in PATHS:
        tr = traced(model, (x,), path=p, train=True).trace
        runs[p] = (tr.peak_bytes, sum(r.macs for r in tr.records if not r.backward),
                   sum(r.macs for r in tr.records if r.backward),
                   sorted({r.op for r in tr.records if "attention" in r.op}))
    assert runs["meta"] == runs["fake"] == runs["cpu"], runs
    assert runs["meta"][3] == ["_scaled_dot_product_flash_attention_for_cpu",
                               "_scaled_dot_product_flash_attention_for_cpu_backward"]
    # attention per layer: Q·Kᵀ and A·V, each B·H·L·L·E = 2·2·17·17·16 = 18496 MACs → 2 layers · 2 · 18496 = 73984
    # of the forward's MACs. The fused backward recomputes Q·Kᵀ (the scores were never saved) and then runs the four
    # gradient matmuls: five of the forward's two, 2.5× (torch's formula for the fused kernels)
    attn = [r for r in traced(model, (x,), path="meta", train=True).trace.records if "attention" in r.op]
    assert sum(r.macs for r in attn if not r.backward) == 73984
    assert sum(r.macs for r in attn if r.backward) == 5 * 73984 // 2
    assert F.scaled_dot_product_attention is before  # put back
    measured = measure_peak(_tiny_vit, lambda: ((x,), {}), dtype=torch.float32, device=torch.device("cpu"),
                            train=True)
    assert measured["measured_peak_bytes"] == runs["meta"][0]


def test_depthwise_conv_backward_is_twice_its_forward():
    # depthwise 3×3 on 16 channels, 1×16×8×8, padding 1: forward = 16·8·8 outputs × 9 MACs = 9216. Its backward: the
    # input's gradient (9216) + the weight's (9216) — torch's own formula would count the weight gradient as a dense
    # conv, 16× too many (16·16·9·64 = 147456)
    conv = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.Conv2d(16, 16, 3, padding=1, groups=16,
                                                                            bias=False))
    x = torch.randn(1, 16, 8, 8)
    recs = traced(conv, (x,), path="meta", train=True).trace.records
    fwd = [r.macs for r in recs if r.op == "convolution"]
    bwd = [r.macs for r in recs if r.op == "convolution_backward"]
    # the dense conv first: 16·16·9·64 = 147456; the first layer's input needs no gradient: its weight's only
    assert fwd == [147456, 9216]
    assert bwd == [2 * 9216, 147456]
