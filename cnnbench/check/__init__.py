"""``cnnbench check`` and ``cnnbench baseline create``: static metrics exact, latency judged across blocks.

Modules, one job each:

* :mod:`~cnnbench.check.calibration` — the calibration workload a stored baseline's latency is a ratio to;
* :mod:`~cnnbench.check.stats` — block log ratios, t intervals across blocks, verdicts, static comparisons;
* :mod:`~cnnbench.check.side` — one side in this process (fresh instances per block, block sizes fixed once);
* :mod:`~cnnbench.check.measure` — blocks on one or two sides (ABBA), stages, judging;
* :mod:`~cnnbench.check.baseline` — the baseline document (schema 2), its validation, ``check --baseline``;
* :mod:`~cnnbench.check.report` — rows and the report;
* :mod:`cnnbench.against` — ``check --against REF`` (worker processes, git worktree).
"""
