"""Where models come from: the registry table, the loaded catalogues, and the one resolver of user words.

Torch-free to import. Building (``build_meta``, ``build_cpu``, ``fuse_model``, ``analyze_spec``) imports torch:
import it from :mod:`cnnbench.catalog.build` where it is needed. The catalogue modules
(:mod:`~cnnbench.catalog.torchvision_models`, :mod:`~cnnbench.catalog.timm_models`) and
:mod:`~cnnbench.catalog.coverage` hold data and their builders.
"""

from cnnbench.catalog.load import families, list_specs
from cnnbench.catalog.registry import ModelSpec, register
from cnnbench.catalog.resolve import (
    expand_targets,
    family_specs,
    instance_spec,
    resolve,
    resolve_model,
    resolve_models,
    resolve_targets,
    unique_names,
    worker_target,
)
from cnnbench.catalog.user_modules import load_user_callable

__all__ = [
    "ModelSpec", "expand_targets", "families", "family_specs", "instance_spec", "list_specs", "load_user_callable",
    "register", "resolve", "resolve_model", "resolve_models", "resolve_targets", "unique_names", "worker_target",
]
