"""``cnnbench compare``: the run (:mod:`.run`), sorting and correlations (:mod:`.ranking`), rendering (:mod:`.view`).

Torch-free to import: the measuring code imports torch when it runs.
"""

from cnnbench.comparison.ranking import (
    SORT_KEYS,
    Correlation,
    check_reference,
    check_sort,
    correlations,
    references,
    sort_records,
)
from cnnbench.comparison.run import CompareResult, make_spec, resolve_targets, run_compare
from cnnbench.comparison.view import CompareView

__all__ = [
    "SORT_KEYS", "CompareResult", "CompareView", "Correlation", "check_reference", "check_sort", "correlations",
    "make_spec", "references", "resolve_targets", "run_compare", "sort_records",
]
