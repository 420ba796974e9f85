"""The multi-input fusion blocks (AFF, iAFF, MCB, MLB, HBP): registered with their inputs, counts by hand, formulas on
tiny inputs, and the CLI/library feeding every input (one ``--input-size`` also sizes the same-shape inputs)."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import cnnbench
from cnnbench.catalog import resolve
from cnnbench_models.blocks import fusion


def _meta(name: str) -> tuple[torch.nn.Module, tuple[torch.Tensor, ...]]:
    spec = resolve(f"block:{name}")
    with torch.device("meta"):
        block = spec.build().eval()
    return block, tuple(torch.empty(1, *s, device="meta") for s in spec.input_shapes)


def _counts(name: str) -> tuple[int, int, tuple[int, ...]]:
    """Params, MACs (flop counter / 2) and output shape of one meta forward on the block's own inputs."""
    block, xs = _meta(name)
    with FlopCounterMode(display=False) as fc:
        y = block(*xs)
    return sum(p.numel() for p in block.parameters()), fc.get_total_flops() // 2, tuple(y.shape)


def test_specs_carry_every_input() -> None:
    shapes = {n: resolve(f"block:{n}").input_shapes for n in ("aff", "iaff", "mcb", "mlb", "hbp")}
    assert shapes == {
        "aff": ((256, 56, 56), (256, 56, 56)),
        "iaff": ((256, 56, 56), (256, 56, 56)),
        "mcb": ((2048, 14, 14), (2048,)),  # ResNet-152 res5c at 448 + the 2-layer LSTM question (2 x 1024)
        "mlb": ((2048, 14, 14), (2400,)),  # + the skip-thought GRU question (2400)
        "hbp": ((512, 28, 28),) * 3,  # VGG-16 relu5_1, relu5_2, relu5_3 at 448
    }
    kinds = {n: resolve(f"block:{n}").block_kind for n in shapes}
    assert kinds == {"aff": "attention", "iaff": "attention", "mcb": "pool", "mlb": "pool", "hbp": "pool"}
    assert all(len(resolve(f"block:{n}").note) > 40 for n in shapes)


@pytest.mark.parametrize(("name", "params", "macs", "out"), [
    # MS-CAM: 2 bottlenecks x (256*64+64 + BN 2*64 + 64*256+256 + BN 2*256) = 2 * 33728 = 67,456;
    # MACs: local 2 * 256*64 * 3136 = 102,760,448 + global 2 * 256*64 on the 1x1 map = 32,768
    ("aff", 67456, 102793216, (1, 256, 56, 56)),
    ("iaff", 2 * 67456, 2 * 102793216, (1, 256, 56, 56)),  # two MS-CAMs
    # no learnable weights; count sketches are index_add, FFTs have no MAC formula
    ("mcb", 0, 0, (1, 16000, 14, 14)),
    # q_att 2400*1200+1200 = 2,881,200; v_att 2048*1200+1200 = 2,458,800; 1x1 conv 1200*2+2 = 2402;
    # 2 glimpse embeddings 2 * 2,458,800; q_emb 2400*2400+2400 = 5,762,400; P 2400*2000+2000 = 4,802,000
    # = 20,824,402. MACs: 2400*1200 + 196*2048*1200 + 196*1200*2 + 2*196*2048 (softmax @ v)
    # + 2*2048*1200 + 2400*2400 + 2400*2000 = 501,318,016
    ("mlb", 20824402, 501318016, (1, 2000)),
    # 3 x (512*8192 + 8192) = 12,607,488 + FC 3*8192*200 + 200 = 4,915,400 -> 17,522,888;
    # MACs 3 * 512*8192 * 784 = 9,865,003,008 + 24576*200 = 4,915,200
    ("hbp", 17522888, 9869918208, (1, 200)),
])
def test_counts_by_hand(name: str, params: int, macs: int, out: tuple[int, ...]) -> None:
    assert _counts(name) == (params, macs, out)


def test_mlb_macs_add_up() -> None:
    # the arithmetic of the MLB row above, term by term
    assert (2400 * 1200 + 196 * 2048 * 1200 + 196 * 1200 * 2 + 2 * 196 * 2048 + 2 * 2048 * 1200 + 2400 * 2400
            + 2400 * 2000) == 501318016


def test_aff_and_iaff_formulas() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(2, 16, 5, 5), torch.randn(2, 16, 5, 5)
    aff, iaff = fusion.aff(channels=16).eval(), fusion.iaff(channels=16).eval()
    with torch.no_grad():
        # equal inputs: 2*x*w + 2*x*(1-w) = 2x for AFF (the official factor 2); x*w + x*(1-w) = x for iAFF
        assert torch.allclose(aff(x, x), 2 * x, atol=1e-6)
        assert torch.allclose(iaff(x, x), x, atol=1e-6)
        w = torch.sigmoid(aff.att(x + y))
        assert torch.allclose(aff(x, y), 2 * x * w + 2 * y * (1 - w), atol=1e-6)
        # a weighted mean per element: the fusion of x and y lies between them
        z = iaff(x, y)
        assert bool(((z >= torch.minimum(x, y) - 1e-6) & (z <= torch.maximum(x, y) + 1e-6)).all())


def test_mcb_sketches_the_outer_product_at_each_position() -> None:
    # circular convolution of the two count sketches = the count sketch of v ⊗ q with hash (h_v + h_q) mod d and
    # sign s_v * s_q. After signed sqrt + L2, out = sign(z)·√|z| / ‖√|z|‖, so sign(out)·out² = z / Σ|z|
    # (compared there: √ near 0 would magnify float rounding)
    torch.manual_seed(0)
    d = 32
    m = fusion.MCB(channels=6, question_dim=5, dim=d)
    v, q = torch.randn(1, 6, 2, 3), torch.randn(1, 5)
    want = torch.zeros(1, 6, d)  # (N, HW, d)
    for p in range(6):
        vp = v[0, :, p // 3, p % 3]
        for i in range(6):
            for j in range(5):
                k = (int(m.h_v[i]) + int(m.h_q[j])) % d
                want[0, p, k] += m.s_v[i] * m.s_q[j] * vp[i] * q[0, j]
    want = (want / want.abs().sum()).transpose(1, 2).reshape(1, d, 2, 3)
    out = m(v, q)
    assert out.shape == (1, d, 2, 3)
    assert torch.allclose(torch.sign(out) * out * out, want, atol=1e-6)


def test_hbp_pairs_and_sum_pooling() -> None:
    torch.manual_seed(0)
    m = fusion.HBP(channels=4, dim=3, num_classes=2).eval()
    xs = [torch.randn(1, 4, 2, 2) for _ in range(3)]
    p = [conv(x) for conv, x in zip(m.proj, xs)]
    feats = []
    for i, j in ((0, 1), (0, 2), (1, 2)):
        z = (p[i] * p[j]).sum(dim=(2, 3))
        z = torch.sign(z) * torch.sqrt(z.abs() + 1e-12)
        feats.append(z / z.norm(dim=1, keepdim=True))
    with torch.no_grad():
        assert torch.allclose(m(*xs), m.fc(torch.cat(feats, dim=1)), atol=1e-6)


def test_one_input_size_sizes_the_same_shape_inputs_only() -> None:
    # HBP's three maps follow --input-size; MCB's question vector keeps its 2048
    assert resolve("block:hbp").shapes_for(((64, 7, 7),)) == ((64, 7, 7),) * 3
    assert resolve("block:mcb").shapes_for(((64, 7, 7),)) == ((64, 7, 7), (2048,))
    assert resolve("block:mcb").shapes_for(((64, 7, 7), (10,))) == ((64, 7, 7), (10,))  # several: as given
    res = cnnbench.profile("block:hbp", input_size=(64, 7, 7))  # builds for C=64
    # 3 * (64*8192 + 8192) + 4,915,400 = 1,597,440 + 4,915,400 = 6,512,840
    assert res[0].params == 6512840


def test_cli_profile_and_blocks_feed_every_input() -> None:
    from typer.testing import CliRunner

    from cnnbench.cli.app import app

    runner = CliRunner()
    r = runner.invoke(app, ["profile", "block:aff", "block:mcb", "--no-latency", "--input-size", "32x8x8",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    assert '"inputs": "1x32x8x8, 1x32x8x8"' in r.output and '"inputs": "1x32x8x8, 1x2048"' in r.output
    r = runner.invoke(app, ["blocks", "--kind", "attention", "--input-size", "64x8x8", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert '"inputs": "1x64x8x8, 1x64x8x8"' in r.output
