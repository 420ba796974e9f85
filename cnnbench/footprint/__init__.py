"""``cnnbench memory``: will it fit — the options (:mod:`.options`), the rows and the ``--fit`` search
(:mod:`.run`), the real-run measurement (:mod:`.measure`), rendering (:mod:`.view`).

Named ``footprint`` (a noun) so the package never shadows the library's verb ``cnnbench.memory``. Torch-free to
import: each name loads from its module at first use.
"""

from __future__ import annotations

from cnnbench import lazy_face

_WHERE = {
    "MemoryOptions": "options", "OPTIMIZERS": "options", "parse_bytes": "options", "MAX_FIT_BATCH": "options",
    "MEMORY_KEYS": "run", "max_batch_size": "run", "memory_rows": "run",
    "measure_peak": "measure",
    "memory_tables": "view",
}

__all__ = ["MAX_FIT_BATCH", "MEMORY_KEYS", "OPTIMIZERS", "MemoryOptions", "max_batch_size", "measure_peak",
           "memory_rows", "memory_tables", "parse_bytes"]

__getattr__, __dir__ = lazy_face(__name__, _WHERE)
