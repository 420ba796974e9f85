"""``cnnbench sweep``: a model zoo swept in isolated, reused worker processes (local pool or Ray), resumable.

* :func:`cnnbench.catalog.expand_targets` turns what a user typed (names, ``timm:*`` patterns, ``--family``,
  ``--source``) into names;
* :mod:`.tasks` is the work itself (the same in every executor): a static task per (model, input, batch) and a
  timed task per runtime, each returning a record;
* :mod:`.local_pool` runs tasks in a pool of ``spawn``-ed worker processes (timeout, memory cap, a dead worker replaced);
* :mod:`.ray_pool` runs them as Ray tasks (``--executor ray``);
* :mod:`.resume` knows which rows the history database already holds for this code and machine;
* :mod:`.driver` plans the rows, runs an executor and streams rows to a callback (the CLI's database writer).
"""
