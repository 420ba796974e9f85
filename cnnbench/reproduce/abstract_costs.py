"""``abstract-costs``: the cost claims of the seed reading list's abstracts (``../shared/seeds/003_*.txt``), each
recomputed from the networks themselves.

Every claim is a size or cost statement — parameters, multiply-adds, a ratio of two networks — that a static count
answers. One row per claim: the claim as the abstract words it, the networks compared (registry names), the
published figure, ours, and a verdict. The published figures are the abstracts' own (quoted in ``CLAIMS``) and, where
a ratio is claimed, the papers' tables that the ratio comes from (named in the row). Ours: :func:`analyze` on the
``meta`` device, batch 1, at each network's published input size; MACs = multiply-accumulates (the papers'
"FLOPs" / "multiply-adds"). Static only: nothing is timed ("6.1× faster", "2× faster training" are not checked).

CSPNet's claim is in its own abstract, not in 003 (the 000 list names CSPNet); the issue lists it with these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cnnbench.reproduce.base import Figure, ReproResult, RunOptions, Section

#: the tolerance for "reproduced": ours within 5% of the published quantity (a ratio, a count)
TOLERANCE = 0.05


@dataclass(frozen=True)
class Net:
    """One network as counted here: registry name, input side, builder overrides."""

    name: str
    side: int = 224
    overrides: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Count:
    params: int
    macs: int
    activations: int


Counter = Callable[[Net], Count]


def count(net: Net) -> Count:
    """Params, MACs and activations (output elements of the ops with MACs) of ``net`` at its side, on ``meta``."""
    from cnnbench.analysis.static import analyze
    from cnnbench.catalog import resolve
    from cnnbench.catalog.build import build_meta

    spec = resolve(net.name)
    prof = analyze(build_meta(spec, **dict(net.overrides)), (1, spec.input_size[0], net.side, net.side))
    return Count(prof.params, prof.macs, prof.activations)


@dataclass(frozen=True)
class Claim:
    """One abstract's claim: the quantity it names, computed by ``ours`` from the counts of ``nets``."""

    paper: str
    claim: str  # quoted from the abstract
    quantity: str  # what the row compares
    nets: tuple[Net, ...]
    published: float  # the published value of ``quantity``
    ours: Callable[[list[Count]], float]
    unit: str
    source: str  # where ``published`` comes from
    bound: str = "≈"  # "≈": within TOLERANCE; "<": ours must be below published


_M, _G = 1e6, 1e9
ALEXNET, SQUEEZENET = Net("alexnet"), Net("squeezenet1_0")
SQNXT = ("sqnxt23_x1_0", "sqnxt23v5_x1_0", "sqnxt23_x2_0", "sqnxt23v5_x2_0")

CLAIMS: tuple[Claim, ...] = (
    Claim("DPN (Chen et al., 2017)",
          "a shallow DPN surpasses the best ResNeXt-101(64x4d) with 26% smaller model size, 25% less "
          "computational cost", "params DPN-98 / ResNeXt-101 (64x4d) − 1",
          (Net("dpn98"), Net("resnext101_64x4d")), -26.0, lambda c: 100 * (c[0].params / c[1].params - 1), "%",
          "abstract; Table 2: 61.7M vs 83.7M (−26.3%)"),
    Claim("DPN (Chen et al., 2017)", "… 25% less computational cost", "MACs DPN-98 / ResNeXt-101 (64x4d) − 1",
          (Net("dpn98"), Net("resnext101_64x4d")), -25.0, lambda c: 100 * (c[0].macs / c[1].macs - 1), "%",
          "abstract; Table 2: 11.7 vs 15.5 GFLOPs (−24.5%)"),
    Claim("ResNet (He et al., 2016)",
          "residual nets with a depth of up to 152 layers---8x deeper than VGG nets but still having lower "
          "complexity", "GMACs ResNet-152", (Net("resnet152"),), 11.3, lambda c: c[0].macs / _G, "G",
          "Table 1: 11.3×10^9 FLOPs (multiply-adds)"),
    Claim("ResNet (He et al., 2016)", "… lower complexity [than VGG]", "GMACs VGG-19",
          (Net("vgg19"),), 19.6, lambda c: c[0].macs / _G, "G", "Sec. 3.3: VGG-19 (19.6 billion FLOPs)"),
    Claim("ResNet (He et al., 2016)", "… lower complexity [than VGG]", "MACs ResNet-152 / VGG-19",
          (Net("resnet152"), Net("vgg19")), 11.3 / 19.6, lambda c: c[0].macs / c[1].macs, "×",
          "11.3 / 19.6 = 0.577 (must be < 1)", bound="<1"),
    Claim("Inception-v3 (Szegedy et al., 2016)",
          "a network with a computational cost of 5 billion multiply-adds per inference", "GMACs Inception-v3",
          (Net("inception_v3", 299, (("aux_logits", False),)),), 5.0, lambda c: c[0].macs / _G, "G",
          "abstract (299×299, no auxiliary head)"),
    Claim("Inception-v3 (Szegedy et al., 2016)", "… and with using less than 25 million parameters",
          "params Inception-v3 (M)", (Net("inception_v3", 299, (("aux_logits", False),)),), 25.0,
          lambda c: c[0].params / _M, "M", "abstract: an upper bound", bound="<"),
    Claim("EfficientNet (Tan & Le, 2019)",
          "EfficientNet-B7 … while being 8.4x smaller … than the best existing ConvNet",
          "GPipe params / EfficientNet-B7 params", (Net("efficientnet_b7", 600),), 8.4,
          lambda c: 557e6 / c[0].params, "×",
          "abstract; GPipe (AmoebaNet, Huang et al. 2019) 557M params, its own abstract (EfficientNet Table 2: "
          "556M); B7 66M"),
    Claim("MixConv (Tan & Le, 2019)", "our MixNet-L achieves … under typical mobile settings (<600M FLOPS)",
          "MMACs MixNet-L", (Net("mixnet_l"),), 600.0, lambda c: c[0].macs / _M, "M",
          "abstract: an upper bound (Table 2: 565M)", bound="<"),
    Claim("AlexNet (Krizhevsky et al., 2012)", "The neural network, which has 60 million parameters",
          "params AlexNet (M)", (ALEXNET,), 60.0, lambda c: c[0].params / _M, "M", "abstract"),
    Claim("AlexNet (Krizhevsky et al., 2012)", "… and 500,000 neurons", "neurons AlexNet (k)", (ALEXNET,), 500.0,
          lambda c: c[0].activations / 1e3, "k",
          "abstract as the seed quotes it (the NIPS version says 650,000; Sec. 3.5 lists 622,312 for the "
          "two-GPU net)"),
    Claim("SqueezeNet (Iandola et al., 2016)", "SqueezeNet achieves AlexNet-level accuracy on ImageNet with 50x "
          "fewer parameters", "params AlexNet / SqueezeNet v1.0", (ALEXNET, SQUEEZENET), 50.0,
          lambda c: c[0].params / c[1].params, "×", "abstract; Table 4: 240 MB / 4.8 MB = 50×"),
    Claim("SqueezeNext (Gholami et al., 2018)", "able to match AlexNet's accuracy on the ImageNet benchmark with 112x "
          "fewer parameters", "params AlexNet / 1.0-SqNxt-23", (ALEXNET, Net("sqnxt23_x1_0")), 112.0,
          lambda c: c[0].params / c[1].params, "×", "abstract (1.0-SqNxt-23 is the variant at AlexNet accuracy)"),
    Claim("CSPNet (Wang et al., 2020)", "reduces computations by 20% with equivalent or even superior accuracy",
          "MACs CSPResNeXt-50 / ResNeXt-50 − 1", (Net("cspresnext50", 256), Net("resnext50_32x4d", 256)), -20.0,
          lambda c: 100 * (c[0].macs / c[1].macs - 1), "%", "CSPNet abstract (seed 000); both at 256×256"),
    Claim("CSPNet (Wang et al., 2020)", "reduces computations by 20%", "MACs CSPResNet-50 / ResNet-50 − 1",
          (Net("cspresnet50", 256), Net("resnet50", 256)), -20.0, lambda c: 100 * (c[0].macs / c[1].macs - 1),
          "%", "CSPNet abstract; both at 256×256"),
    Claim("CSPNet (Wang et al., 2020)", "reduces computations by 20%", "MACs CSPDarknet-53 / Darknet-53 − 1",
          (Net("cspdarknet53", 256), Net("timm:darknet53", 256)), -20.0,
          lambda c: 100 * (c[0].macs / c[1].macs - 1), "%", "CSPNet abstract; both at 256×256"),
)


def verdict(claim: Claim, ours: float) -> str:
    if claim.bound == "<":
        return "holds" if ours < claim.published else "does not hold"
    if claim.bound == "<1":
        return "holds" if ours < 1 else "does not hold"
    # a percentage change is compared in points (−26% vs −25%: 1 point), anything else relatively
    dev = abs(ours - claim.published) if claim.unit == "%" else abs(ours / claim.published - 1) * 100
    limit = 100 * TOLERANCE
    return "reproduced" if dev <= limit else "not reproduced"


def table(claims: tuple[Claim, ...] = CLAIMS, counter: Counter = count) -> pd.DataFrame:
    """One row per claim (each network counted once)."""
    cache: dict[Net, Count] = {}
    rows = []
    for c in claims:
        counts = [cache.setdefault(n, counter(n)) for n in c.nets]
        ours = c.ours(counts)
        dev = ours - c.published if c.unit == "%" else 100 * (ours / c.published - 1)
        rows.append({
            "paper": c.paper, "claim": c.claim, "quantity": c.quantity,
            "networks (ours)": ", ".join(f"{n.name}@{n.side}" for n in c.nets),
            "published": c.published, "ours": ours, "unit": c.unit,
            "deviation": dev, "deviation unit": "pp" if c.unit == "%" else "%",
            "verdict": verdict(c, ours), "published from": c.source,
        })
    return pd.DataFrame(rows)


def squeezenext_ratios(counter: Counter = count) -> pd.DataFrame:
    """AlexNet's parameters over each registered SqueezeNext's: which variant, if any, is 112× smaller."""
    from cnnbench.catalog import list_specs

    registered = {s.name for s in list_specs(family="squeezenext")}
    alex = counter(ALEXNET).params
    rows = []
    for name in SQNXT:
        if name not in registered:  # 2.0-SqNxt-23v5 comes from another catalogue
            continue
        p = counter(Net(name)).params
        rows.append({"network": name, "params": p, "AlexNet / it": alex / p})
    return pd.DataFrame(rows)


def run(opts: RunOptions) -> ReproResult:
    del opts  # static: device and budget do not apply
    df = table()
    sq = squeezenext_ratios()
    held = (df["verdict"].isin(["holds", "reproduced"])).sum()
    verdicts = [f"{held} of {len(df)} claims hold or are reproduced within {100 * TOLERANCE:.0f}%."]
    for _, r in df[~df["verdict"].isin(["holds", "reproduced"])].iterrows():
        verdicts.append(f"{r['paper']}: {r['quantity']} is {r['ours']:.3g}{r['unit']} here vs "
                        f"{r['published']:.3g}{r['unit']} published ({r['verdict']}).")
    if len(sq):
        best = sq.loc[sq["AlexNet / it"].idxmax()]
        verdicts.append(f"SqueezeNext's 112×: the smallest registered variant, {best['network']} "
                        f"({best['params']:,} params), is {best['AlexNet / it']:.0f}× smaller than torchvision's "
                        "AlexNet; 112× would need ~0.55M parameters.")
    notes = [
        ("Static: MACs = multiply-accumulates (the papers' FLOPs / multiply-adds), activations = output elements of "
        "every op with MACs (our 'neurons' for AlexNet). Nothing is timed, so speed claims are not rows."),
        ("AlexNet is torchvision's single-tower variant (64-192-384-256-256 filters, 61.1M params); the paper's "
        "two-GPU net has 96-256-384-384-256 and 60.97M, with 622,312 neurons (Sec. 3.5)."),
        "Inception-v3 is counted without its auxiliary classifier (inference); with it, 27.2M parameters.",
        "GPipe (AmoebaNet-B, 557M) is not built: the row divides its published size by our EfficientNet-B7.",
        ("CSPNet's '20%' is one round figure for several backbones: ours is −15.4% (CSPResNet-50), −27.3% "
        "(CSPResNeXt-50) and −29.6% (CSPDarknet-53), mean −24.1%; the issue quotes −15% / −27% for the first two, "
        "which these match (not checked against the paper's table here)."),
        ("Inception-v3's '5 billion multiply-adds' is a round figure: torchvision's weights metadata gives 5.71 "
        "GMACs for the same network, as we count."),
        ("CSPNet's ImageNet networks run at 256×256 here (timm's CSP models' input); the ratios barely move with size "
        "(only the classifier does not scale with the image)."),
    ]
    return ReproResult(
        name="abstract-costs",
        title="The cost claims of the seed list's abstracts, recomputed",
        source="Abstracts in the 003 reading list (DPN, ResNet, Inception-v3, EfficientNet, MixConv, AlexNet, "
               "SqueezeNet, SqueezeNext) and CSPNet's (000 list); tables named per row.",
        claim="Each abstract's parameter / multiply-add statement, as worded there.",
        sections=[Section("main", "Claims: published vs ours", df,
                          "Deviation: percentage points for % changes, relative % otherwise. Verdict: 'reproduced' "
                          "= within 5% (5 points for % changes); 'holds' = an inequality claim that holds."),
                  Section("squeezenext", "AlexNet's parameters over each SqueezeNext variant's", sq,
                          "Which registered variant the '112× fewer parameters' could refer to.")],
        verdicts=verdicts,
        notes=notes,
        figures=[Figure("ratio", lambda: _plot(df))],
    )


def _plot(df: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratio = df["ours"] / df["published"]
    labels = [f"{p.split(' (')[0]}: {q}" for p, q in zip(df["paper"], df["quantity"], strict=True)]
    colors = ["tab:green" if v in ("holds", "reproduced") else "tab:red" for v in df["verdict"]]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(df) + 1))
    ax.barh(range(len(df)), ratio, color=colors)
    ax.axvspan(1 - TOLERANCE, 1 + TOLERANCE, color="grey", alpha=0.2)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_yticks(range(len(df)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("ours / published (1 = the abstract's figure; band = ±5%; green = holds or reproduced)")
    ax.set_title("Cost claims in the seed abstracts")
    return fig
