"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: tasks): the segmentation networks and detection pieces named in 003's abstracts.

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked by
``tests/test_models_seeds_tasks.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_ENET = "ENet: A Deep Neural Network Architecture for Real-Time Semantic Segmentation"
_PSPNET = "Pyramid Scene Parsing Network"
_NASNET = "Learning Transferable Architectures for Scalable Image Recognition"
_SCALED_YOLO = "Scaled-YOLOv4: Scaling Cross Stage Partial Network"
_PROXYLESS = "ProxylessNAS: Direct Neural Architecture Search on Target Task and Hardware"

_ENET_NOTE = (
    "19 classes (Cityscapes). Table 3 gives 0.37M parameters and 3.83 GFLOPs at 640x360; that table's SegNet "
    "figure (286.03 GFLOPs) is twice SegNet's conv MACs (~141G), so 3.83 GFLOPs is read as 1.915G MACs. Ours: "
    "358,431 parameters (-3.1%) and 1.774G conv/deconv MACs (-7.4%); the paper's counter is not published (BN, "
    "PReLU, pooling and the residual adds, which we do not count as MACs, would explain a few %), hence 8%. "
    "At the 512x512 of Table 1: 2.019G MACs."
)

_PSPNET_NOTE = (
    "The paper gives no parameter or FLOP count. Dilated ResNet-50 (output stride 8, the authors' 3x3 deep "
    "stem) + pyramid pooling (bins 1,2,3,6; 4 x 512 channels) + 3x3 conv 4096->512 + 1x1 classifier, 150 classes "
    "(ADE20K), 473x473; no auxiliary head. Ours: 46.78M parameters, 161.9G MACs; the test checks the pyramid "
    "module and head by hand instead of a published total."
)


SPECS: tuple[ModelSpec, ...] = (
    _spec("enet", "enet", "enet:enet", _ENET, 2016, input_size=(3, 360, 640),
          paper_params=370_000, paper_macs=1_915_000_000, paper_tolerance=0.08,
          paper_table="Table 3 (0.37M params, 3.83 GFLOPs at 640x360); architecture Table 1", note=_ENET_NOTE),
    _spec("pspnet_resnet50", "pspnet", "pspnet:pspnet_resnet50", _PSPNET, 2017, input_size=(3, 473, 473),
          aliases=("pspnet", "pspnet50"), paper_table="Sec. 3.3, Fig. 3 (architecture; no counts published)",
          note=_PSPNET_NOTE),
    # NASNet-A (4 @ 1056): timm's NASNet cells stacked in the mobile configuration (timm ships only the large model)
    _spec("nasnet_a_mobile", "nasnet", "nasnet_mobile:nasnet_a_mobile", _NASNET, 2018,
          aliases=("nasnet_mobile", "nasnetamobile"), paper_params=5_300_000, paper_macs=564_000_000,
          paper_table="Table 2 (NASNet-A (4 @ 1056): 5.3M params, 564M mult-adds)",
          note="Ours 5,289,978 params and 563.6M MACs; the same code in the large configuration (6 @ 4032, "
               "stem 96) rebuilds timm's nasnetalarge exactly (88,753,150 params)."),
    # ProxylessNAS: the three specialised networks (authors' net configs; counts from their training logs)
    *(_spec(f"proxylessnas_{v}", "proxylessnas", "proxylessnas:proxylessnas", _PROXYLESS, 2019,
            aliases=(f"proxyless_{v}",) + (("proxylessnas",) if v == "mobile" else ()),
            builder_kwargs={"version": v}, paper_params=params, paper_macs=macs,
            paper_table=f"mit-han-lab/proxylessnas logs/imagenet_{v}_log.txt (Total training params / Total FLOPs); "
                        "architecture Fig. 4",
            note="Layer choices (kernel, expansion, skipped layers) of the released net config; FLOPs in the "
                 "authors' logs are MACs.")
      for v, params, macs in (("gpu", 7_120_000, 465_300_000), ("cpu", 4_360_000, 439_200_000),
                              ("mobile", 4_080_000, 320_400_000))),
    # the YOLO neck: YOLOv4-CSP's CSP-PAN (with CSP-SPP) over the registered cspdarknet53, detection convs left out
    _spec("cspdarknet53_csppan", "yolo", "yolov4_csp_neck:cspdarknet53_csppan", _SCALED_YOLO, 2021,
          input_size=(3, 512, 512), aliases=("yolov4_csp_neck",),
          paper_table="Sec. 4.1, Fig. 3 (CSP-ized PAN and SPP; no counts published for the neck alone)",
          note="The paper gives no parameter or FLOP count for the neck alone; the test checks one reversed CSP "
               "dark layer by hand. timm's cspdarknet53 (26.62M params as a feature extractor) + the neck "
               "(25.87M) at 512x512: 52.49M params, 39.35G MACs (61.49G at 640). Outputs the three 256/512/1024-"
               "channel maps at strides 8/16/32; the per-class detection 1x1 convs are not included."),
)

for _s in SPECS:
    register(_s)
