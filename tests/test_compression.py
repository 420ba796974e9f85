"""The compression estimator (cnnbench.analysis.compression), the low-rank transforms (cnnbench.analysis.lowrank),
``profile --weight-bits/--sparsity/--shared-weights`` and the ``compression-sizes`` / ``low-rank`` reproductions."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from cnnbench.analysis import analyze, lowrank
from cnnbench.analysis.compression import (
    CompressionSettings,
    compressible_weights,
    entries_per_nonzero,
    estimate,
    settings_from_options,
)
from cnnbench.cli.app import app
from cnnbench.errors import CnnbenchError
from cnnbench.reproduce.base import RunOptions

cli = CliRunner()


def tiny():
    # conv 3→8 3×3 (216 weights + 8 biases) on 6×6 → 8×4×4 = 128 → fc 128→10 (1280 weights + 10 biases)
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(128, 10))


@pytest.fixture(scope="module")
def tiny_static():
    return analyze(tiny(), (1, 3, 6, 6))


def test_weights_found_once_each(tiny_static):
    ws = compressible_weights(tiny_static)
    assert [(w.module, w.kind, w.shape, w.out_channels) for w in ws] == [
        ("0", "conv", (8, 3, 3, 3), 8), ("2", "fc", (10, 128), 10)]


def test_dense_fp32_is_four_bytes_per_element(tiny_static):
    est = estimate(tiny_static, CompressionSettings())
    # 4 × (216 + 8 + 1280 + 10) = 6056
    assert est.compressed_bytes == est.dense_fp32_bytes == 6056
    assert est.other_elements == 18


def test_binary_weights_with_per_filter_scales(tiny_static):
    est = estimate(tiny_static, CompressionSettings(weight_bits=1))
    # bits: 216 + 8·32 (scales) + 1280 + 10·32 + 18·32 (biases) = 2648 → 331 bytes
    assert est.compressed_bytes == 331
    assert est.ratio == pytest.approx(6056 / 331)


def test_fp16_has_no_scales(tiny_static):
    # (216 + 1280)·16 + 18·32 = 24512 bits = 3064 bytes
    assert estimate(tiny_static, CompressionSettings(weight_bits=16)).compressed_bytes == 3064


def test_weight_sharing_codebook_per_layer(tiny_static):
    est = estimate(tiny_static, CompressionSettings(shared_weights=16))
    # (216 + 1280)·4-bit indices + 2 codebooks × 16 × 32 + 18·32 = 5984 + 1024 + 576 = 7584 bits = 948 bytes
    assert est.compressed_bytes == 948


def test_relative_index_fillers():
    # density 1/2, 1-bit index (jumps ≤ 2): 1 / (1 − 0.5²) = 4/3 entries per nonzero
    assert entries_per_nonzero(0.5, 1) == pytest.approx(4 / 3)
    # density 0.09, 4 bits (AlexNet fc6): 1 / (1 − 0.91^16) = 1.2839
    assert entries_per_nonzero(0.09, 4) == pytest.approx(1 / (1 - 0.91 ** 16))
    assert entries_per_nonzero(1.0, 4) == 1.0


def test_pruned_storage(tiny_static):
    est = estimate(tiny_static, CompressionSettings(weight_bits=8, sparsity=0.5, index_bits=4))
    f = 1 / (1 - 0.5 ** 16)  # fillers for density 1/2 and jumps of up to 16
    # conv: 108 nonzeros × f × (8 + 4) + 8 scales × 32; fc: 640 × f × 12 + 10 × 32; biases 18 × 32
    bits = 108 * f * 12 + 256 + 640 * f * 12 + 320 + 576
    assert est.compressed_bytes == math.ceil(bits / 8) == 1267
    assert [d["nonzeros"] for d in est.by_layer()] == [108, 640]


def test_per_layer_settings_by_kind_and_path(tiny_static):
    est = estimate(tiny_static, {"conv": CompressionSettings(weight_bits=1), "2": CompressionSettings(weight_bits=16)})
    # conv 216 + 8·32 = 472; fc 1280·16 = 20480; biases 576 → 21528 bits = 2691 bytes
    assert est.compressed_bytes == 2691
    with pytest.raises(CnnbenchError, match="unknown layer"):
        estimate(tiny_static, {"features.9": CompressionSettings()})


class _Gram(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4, bias=False)

    def forward(self, x):
        y = self.fc(x)
        return torch.mm(y, y.t())  # a product of activations: not a layer


class _Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.zeros(4, 4, 1, 1))
        self.b = nn.Parameter(torch.zeros(4, 4, 1, 1))
        self.shared = nn.Conv2d(4, 4, 1, bias=False)

    def forward(self, x):
        x = torch.nn.functional.conv2d(torch.nn.functional.conv2d(x, self.a), self.b)  # two weights of one module
        return self.shared(self.shared(x))  # one layer called twice


def test_weights_counted_by_ownership():
    ws = compressible_weights(analyze(_Twice(), (1, 4, 3, 3)))
    # module "" owns 16 + 16 + 16 = 48 elements ≥ 2 × 16: both F.conv2d weights; "shared" owns 16: once
    assert [w.module for w in ws] == ["", "", "shared"]


def test_activation_products_are_not_weights():
    ws = compressible_weights(analyze(_Gram(), (4, 4)))
    assert [(w.module, w.shape) for w in ws] == [("fc", (4, 4))]


@pytest.mark.parametrize("kw, msg", [
    ({"weight_bits": 0}, "--weight-bits"), ({"weight_bits": 33}, "--weight-bits"), ({"sparsity": 1.0}, "--sparsity"),
    ({"sparsity": float("nan")}, "--sparsity"), ({"shared_weights": 1}, "--shared-weights"),
    ({"index_bits": 0}, "--index-bits")])
def test_bad_settings(kw, msg):
    with pytest.raises(CnnbenchError, match=msg):
        CompressionSettings(**kw)


def test_options_none_means_unchanged():
    assert settings_from_options(None, None, None, None) is None
    with pytest.raises(CnnbenchError, match="not both"):
        settings_from_options(4, None, 16, None)


def test_profile_cli_adds_compressed_bytes():
    r = cli.invoke(app, ["profile", "alexnet", "--no-latency", "--weight-bits", "1", "-f", "json"])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)[0]
    # 61,090,496 conv/fc weights × 1 bit + 10,344 filters × 32 (scales) + 10,344 biases × 32 = 61,752,512 bits
    assert rec["compressed_bytes"] == 61_752_512 // 8 == 7_719_064
    assert rec["compression"]["weight_bits"] == 1
    plain = json.loads(cli.invoke(app, ["profile", "alexnet", "--no-latency", "-f", "json"]).stdout)[0]
    assert "compressed_bytes" not in plain and "compression" not in plain


def test_profile_cli_bad_option_exits_2():
    r = cli.invoke(app, ["profile", "alexnet", "--no-latency", "--sparsity", "1.5"])
    assert r.exit_code == 2
    assert "--sparsity must be a fraction" in r.output


# --- low-rank transforms ---------------------------------------------------------------------------------------

def test_factorised_shapes_match():
    conv = nn.Conv2d(8, 6, 3, stride=2, padding=2, dilation=2)
    x = torch.randn(1, 8, 11, 11)
    want = conv(x).shape
    for new in (lowrank.separable(conv, 3), lowrank.cp(conv, 5), lowrank.tucker2(conv, 4, 3)):
        assert new(x).shape == want


def test_tucker2_from_weights_full_rank_is_exact():
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 6, 3, padding=1)
    x = torch.randn(2, 8, 7, 7)
    assert torch.allclose(lowrank.tucker2(conv, 8, 6, from_weights=True)(x), conv(x), atol=1e-5)
    # truncated: still close-ish, and a different module from the conv
    assert lowrank.tucker2(conv, 4, 3, from_weights=True)(x).shape == conv(x).shape


def test_lowrank_savings_traced():
    conv = nn.Conv2d(16, 16, 3, padding=1, bias=False)
    s = lowrank.savings(conv, lowrank.separable(conv, 4), (1, 16, 8, 8))
    # 16·16·9·64 = 147,456 MACs; 16·4·3·64 + 4·16·3·64 = 24,576 → 6×
    assert (s["macs"], s["new_macs"], s["mac_factor"]) == (147_456, 24_576, 6.0)
    s = lowrank.savings(conv, lowrank.cp(conv, 4), (1, 16, 8, 8))
    # CP: (16·4 + 3·4 + 3·4 + 4·16)·64 = 152·64 = 9,728
    assert s["new_macs"] == 9_728 and s["new_params"] == 152


def test_lowrank_bad_input():
    with pytest.raises(CnnbenchError, match="groups=1"):
        lowrank.cp(nn.Conv2d(8, 8, 3, groups=8), 2)
    with pytest.raises(CnnbenchError, match="exceed"):
        lowrank.tucker2(nn.Conv2d(8, 8, 3), 9, 2)
    with pytest.raises(CnnbenchError, match="real weights"):
        lowrank.tucker2(nn.Conv2d(8, 8, 3, device="meta"), 2, 2, from_weights=True)
    with pytest.raises(CnnbenchError, match="rank"):
        lowrank.separable(nn.Conv2d(8, 8, 3), 0)


def test_factorize_replaces_only_selected():
    m = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, 8, 3))
    out = lowrank.factorize(m, lambda c: None if c.in_channels == 3 else lowrank.cp(c, 2))
    assert isinstance(out[0], nn.Conv2d) and isinstance(out[1], nn.Sequential) and isinstance(m[1], nn.Conv2d)


# --- reproductions ---------------------------------------------------------------------------------------------

def test_compression_sizes_reproduction(tmp_path):
    from cnnbench.reproduce.base import write_outputs
    from cnnbench.reproduce.compression_sizes import run

    res = run(RunOptions(latency=False))
    df = res.sections[0].df.set_index("claim")
    pq = df.loc["Deep Compression P+Q (Table 4)"]
    # paper: 3.7% of 240 MB = 8.88 MB; ours 9.67 MB (uniform scatter → more fillers than trained masks)
    assert pq["published MB"] == pytest.approx(8.88)
    assert pq["our MB"] == pytest.approx(9.671, abs=0.01)
    assert "agrees" in pq["verdict"]
    xnor = df[df["model"] == "alexnet"].loc["XNOR-Net binary weights: ~32× memory saving"]
    assert xnor["our MB"] == pytest.approx(7.719064)  # the profile CLI test's 7,719,064 bytes
    assert all("consistent" in v for v in df[df["expected"].str.startswith("ours larger")]["verdict"])
    alex = res.sections[1].df
    assert list(alex["weights"])[-3:] == [37_748_736, 16_777_216, 4_096_000]  # 9216·4096, 4096², 4096·1000
    assert {p.suffix for p in write_outputs(res, tmp_path)} == {".md", ".csv", ".png"}


@pytest.mark.slow
def test_low_rank_reproduction():
    from cnnbench.reproduce.low_rank import run

    res = run(RunOptions(latency=False))
    nets = res.sections[0].df
    third = nets[(nets["network"] == "vgg16") & (nets["rank fraction"] == 0.333)].iloc[0]
    assert third["our MAC ×"] == pytest.approx(5.02, abs=0.01)  # Kim et al. ×4.93
    assert third["our params ×"] == pytest.approx(1.0945, abs=0.001)  # Kim et al. ×1.09
    layers = res.sections[1].df.set_index("rank")
    # CP rank 200 on 64→192 5×5 at 27×27: 307,200 vs 200·(64+5+5+192) = 53,200 MACs per position → 5.77×
    assert layers.loc["CP rank 200", "our MAC ×"] == pytest.approx(307_200 / 53_200)
    # scheme 2, C = N = 512, K = 256: 9·512² / (3·256·1024) = 3
    assert layers.loc["K = 256", "our MAC ×"] == pytest.approx(3.0)
