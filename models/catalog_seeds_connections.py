"""Registry entries for networks the reading lists (../shared/seeds/) name that torchvision and timm lack
(issue 21, part: connections — ResNet in ResNet, CRU-Net, Deeply-Fused Nets, DAG-CNN, the recursive CNN).

Torch-free on purpose (imported by ``cnnbench list``): only ``ModelSpec`` objects with string builders.
``paper_macs`` are multiply-accumulates (the papers' "FLOPs" / "mult-adds"). Every spec is checked against its
paper figures by ``tests/test_models_seeds_connections.py``; a tolerance above the default 5% is explained in ``note``.
"""

from __future__ import annotations

from cnnbench.catalog.registry import ModelSpec, register
from cnnbench_models.spec import own_spec as _spec

_RIR = "Resnet in Resnet: Generalizing Residual Architectures"
_CRU = "Sharing Residual Units Through Collective Tensor Factorization To Improve Deep Neural Networks"
_CRU_NOTE = ("Layer for layer from the released models as converted by osmr/imgclsmob (gluon/gluoncv2/models/"
             "crunetb.py, whose test asserts the same parameter count). The official cypw/CRU-Net README gives "
             "model sizes only (float32 files); 'published params' = size / 4 B with MB read as MiB (the files also "
             "hold BN running statistics, ~0.3% more). No FLOPs figure found offline.")
_DFN = "On the Connection of Deep Fusion to Ensembling"
_DFN_NOTE = ("Deeply-fused net (Wang et al. 2016, arXiv 1605.07716) with merge-and-run fusion, the CIFAR "
             "networks of the authors' deep-fusion project: layer for layer from zlmzju/fusenet network/cross.py "
             "(README table: depth = one branch's depth). Parameters only are published.")
_DAG = "Multi-scale recognition with DAG-CNNs"
_DAG_NOTE = ("No parameter or MAC count is published (none found in the reading list, code or pages searched "
             "offline; the authors' MatConvNet code was not found). Built from the paper's description: every "
             "ReLU tapped, global average pool + L2 norm + FC per tap, scores summed; SUN397 head (397 classes). "
             "The test checks the taps' parameters by hand.")
_REC = "Understanding Deep Architectures using a Recursive Convolutional Network"
_REC_NOTE = ("No published parameter table found offline (the paper gives params as a function of layers and "
             "maps; its PDF was unreachable). Layout reconstructed from the abstract and Fig. 1's caption: 8x8 "
             "input layer, 2x2 max pool, L 3x3 layers of M maps, 4x4 max pool, linear softmax; sizes not verified "
             "against Sec. 3. The test checks P(M, L) by hand.")

SPECS: tuple[ModelSpec, ...] = (
    # ResNet in ResNet: the 18-layer + wide RiR on CIFAR-100
    _spec("rir_18_wide_cifar100", "resnet_in_resnet", "rir:rir_18_wide_cifar100", _RIR, 2016,
          input_size=(3, 32, 32), paper_params=10_300_000,
          paper_table="Results table (CIFAR-10/100, 18-layer + wide RiR: 10.3M params), from memory of the paper",
          note="Layer for layer after the PyTorch port weiaicunzai/pytorch-cifar100 models/rir.py (8 RiR blocks of "
          "2 generalized residual layers, 48/96/192 channels per stream, its conv + 2-FC classifier), 10,293,634 "
          "params with 100 classes. The 10.3M is recalled from the paper's table (our brief), not checked against the PDF "
          "offline; the port's count agreeing within 0.1% supports both. No MAC figure found."),
    # CRU-Net-56 @x14 and CRU-Net-116 @x28x14, 32x4d, ImageNet
    _spec("crunet56", "crunet", "crunet:crunet56", _CRU, 2018, paper_params=25_690_112,
          paper_table="cypw/CRU-Net README (ImageNet-1k, CRU-Net-56 @x14 32x4d: 98MB model)",
          note="Stage 3 is CRU units of width 640 sharing one 1x1 + 3x3 depthwise pair. " + _CRU_NOTE),
    _spec("crunet116", "crunet", "crunet:crunet116", _CRU, 2018, paper_params=44_040_192,
          paper_table="cypw/CRU-Net README (ImageNet-1k, CRU-Net-116 @x28x14 32x4d: 168MB model)",
          note="Stage 2 (width 352) and stage 3 (width 704, pair renewed every 6 units) are CRU units. "
          + _CRU_NOTE),
    # Deeply-fused nets, merge-and-run (DFN-MR1/2/3), CIFAR-10
    _spec("dfn_mr1_cifar10", "deeply_fused", "dfn:dfn_mr1_cifar10", _DFN, 2016, input_size=(3, 32, 32),
          paper_params=1_700_000, paper_table="zlmzju/fusenet README (CIFAR, DFN-MR1: depth 56, 1.7M)",
          note="9, 9, 9 merge-and-run blocks, 16/32/64 channels. " + _DFN_NOTE),
    _spec("dfn_mr2_cifar10", "deeply_fused", "dfn:dfn_mr2_cifar10", _DFN, 2016, input_size=(3, 32, 32),
          paper_params=14_900_000, paper_table="zlmzju/fusenet README (CIFAR, DFN-MR2: depth 32, 14.9M)",
          note="5, 5, 5 merge-and-run blocks, 64/128/256 channels (width x4). " + _DFN_NOTE),
    _spec("dfn_mr3_cifar10", "deeply_fused", "dfn:dfn_mr3_cifar10", _DFN, 2016, input_size=(3, 32, 32),
          paper_params=24_800_000, paper_table="zlmzju/fusenet README (CIFAR, DFN-MR3: depth 50, 24.8M)",
          note="8, 8, 8 merge-and-run blocks, 64/128/256 channels (width x4). " + _DFN_NOTE),
    # DAG-CNN on CaffeNet and VGG-16 (SUN397 head)
    _spec("dagcnn_caffenet", "dagcnn", "dagcnn:dagcnn_caffenet", _DAG, 2015, input_size=(3, 227, 227),
          paper_table="none published", note="CaffeNet chain (grouped convs, LRN), 7 taps. " + _DAG_NOTE),
    _spec("dagcnn_vgg16", "dagcnn", "dagcnn:dagcnn_vgg16", _DAG, 2015,
          paper_table="none published", note="VGG-16 chain, 15 taps (13 conv + fc6 + fc7). " + _DAG_NOTE),
    # the recursive convolutional network, tied and untied, CIFAR-10
    _spec("recursive_cnn_cifar10_m32_l4_tied", "recursive_cnn", "recursive_cnn:recursive_cnn_cifar10_m32_l4_tied",
          _REC, 2014, input_size=(3, 32, 32), paper_table="none published (params as a function of M and L)",
          note="M = 32, L = 4, one tied 3x3 bank. " + _REC_NOTE),
    _spec("recursive_cnn_cifar10_m32_l4_untied", "recursive_cnn",
          "recursive_cnn:recursive_cnn_cifar10_m32_l4_untied", _REC, 2014, input_size=(3, 32, 32),
          paper_table="none published (params as a function of M and L)",
          note="M = 32, L = 4, four untied 3x3 banks. " + _REC_NOTE),
)

for _s in SPECS:
    register(_s)
