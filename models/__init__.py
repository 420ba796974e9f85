"""cnnbench's own architectures (what torchvision and timm lack), importable as ``cnnbench_models``.

``catalog.py`` registers them (torch-free: builders are ``"module:function"`` strings), one
architecture per file, built from the shared pieces in ``layers.py`` and ``blocks/``.
"""
