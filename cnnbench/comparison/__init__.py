"""``cnnbench compare``: the run (:mod:`.run`), sorting and correlations (:mod:`.ranking`), rendering (:mod:`.view`).

Torch-free to import, and light: each name loads from its module at first use (``cnnbench --help`` loads none).
"""

from __future__ import annotations

from cnnbench import lazy_face

_WHERE = {
    "SORT_KEYS": "ranking", "Correlation": "ranking", "check_reference": "ranking", "check_sort": "ranking",
    "correlations": "ranking", "references": "ranking", "sort_records": "ranking",
    "CompareResult": "run", "make_spec": "run", "resolve_targets": "run", "run_compare": "run",
    "CompareView": "view",
}

__all__ = [
    "SORT_KEYS", "CompareResult", "CompareView", "Correlation", "check_reference", "check_sort", "correlations",
    "make_spec", "references", "resolve_targets", "run_compare", "sort_records",
]

__getattr__, __dir__ = lazy_face(__name__, _WHERE)
