"""What ``--resume`` skips: rows the history database holds for this code version on this machine.

The code version is the git commit and dirty flag of cnnbench's own checkout plus the ``cnnbench`` version; the
machine is :func:`cnnbench.env.fingerprint` (CPU model, cores, architecture, OS, GPU). A row's identity is its
``row_key`` (model, inputs, dtype, batch, runtime, device; see :meth:`cnnbench.sweep.tasks.Task.key`).
A dirty tree counts as one version: edits made between two runs of a dirty tree are not noticed. A user model
(``file.py:Class``, ``pkg.mod:fn``) is versioned by its file's content hash, part of its row key: edit the file and
``--resume`` measures it again (only that file is hashed, not the modules it imports, nor an ``--inputs`` file).
"""

from __future__ import annotations

from typing import Any


def code_version() -> dict[str, Any]:
    """``{"git_commit", "git_dirty", "version"}`` of the cnnbench code this process runs."""
    import cnnbench
    from cnnbench.env import git_state
    from cnnbench.sweep.tasks import package_dir

    commit, dirty = git_state(package_dir())
    return {"git_commit": commit, "git_dirty": dirty, "version": cnnbench.__version__}


def this_fingerprint() -> str:
    from cnnbench.env import collect_env, fingerprint

    return fingerprint(collect_env())


def measured(store: Any, fingerprints: set[str] | str, *, retry_failed: bool = False,
             any_version: bool = False) -> dict[str, dict[str, Any]]:
    """Key → latest record of the rows already measured by this code on a machine of ``fingerprints`` (failed rows
    too, unless ``retry_failed``); ``any_version``: by any code version (a long sweep run in pieces across code
    changes, ``--any-version``)."""
    v = code_version()
    return store.measured_records(env_fingerprints=sorted([fingerprints] if isinstance(fingerprints, str)
                                                       else fingerprints),
                               git_commit=v["git_commit"], git_dirty=v["git_dirty"], version=v["version"],
                               ok_only=retry_failed, any_version=any_version)
