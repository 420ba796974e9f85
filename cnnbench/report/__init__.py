"""Rendering that several views share: tables, units, file formats, plots, the history and the catalogue.

* :mod:`.tables` — record tables (profile, compare, sweep) and the compact house style;
* :mod:`.units` — numbers with their units (k/M/G, KiB/MiB/GiB, ms);
* :mod:`.export` — the file formats (JSON, CSV, Markdown);
* :mod:`.plots` — matplotlib figures (compare, Pareto fronts);
* :mod:`.history` — `cnnbench history` records, table and trend plot; :mod:`.site` — `history --html`;
* :mod:`.blocks` — `cnnbench blocks` overhead records and table; :mod:`.breakdown` — `cnnbench profile --by`;
* :mod:`.crosscheck` — `profile --counter`; :mod:`.catalog` — `cnnbench list` tables;
* :mod:`.machine` — `cnnbench env` / `cnnbench roofline` tables.

Each name is imported from its module at first use: importing this package imports neither Rich nor matplotlib.
"""

from __future__ import annotations

from cnnbench import lazy_face

_WHERE = {
    "blocks": ("blocks_table", "overhead_records"),
    "breakdown": ("profile_extras",),
    "catalog": ("coverage_table", "models_table"),
    "crosscheck": ("render_crosscheck",),
    "export": ("FORMATS", "format_for_path", "render", "write_records"),
    "history": ("METRICS", "env_changes", "history_records", "history_table", "plot_format", "plot_history"),
    "machine": ("env_table", "roofline_table"),
    "plots": ("check_plot_path", "compare_figure", "pareto_front", "save_figure"),
    "site": ("write_site",),
    "tables": ("check_columns", "common_label", "compact_table", "groups_table", "profile_table", "two_line_header"),
    "units": ("COLUMNS", "ms", "nbytes", "si"),
}
_MODULE = {name: mod for mod, names in _WHERE.items() for name in names}

__all__ = [
    "COLUMNS", "FORMATS", "METRICS", "blocks_table", "check_columns", "check_plot_path", "common_label",
    "compact_table", "compare_figure", "coverage_table", "env_changes", "env_table", "format_for_path",
    "groups_table", "history_records", "history_table", "models_table", "ms", "nbytes", "overhead_records",
    "pareto_front", "plot_format", "plot_history", "profile_extras", "profile_table", "render", "render_crosscheck",
    "roofline_table", "save_figure", "si", "two_line_header", "write_records", "write_site",
]

__getattr__, __dir__ = lazy_face(__name__, _MODULE)
