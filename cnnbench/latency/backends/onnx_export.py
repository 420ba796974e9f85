"""The ONNX export every ONNX-based runtime (onnx, onnx-int8, onnx-fp16, openvino, tensorrt through ONNX
Runtime) shares: ``torch.onnx.export`` once, cached.

Exporter: ``torch.onnx.export(..., dynamo=True)`` (the torch.export-based exporter, torch's default since 2.9) is
tried first; if it fails, the legacy TorchScript exporter (``dynamo=False``, deprecated but still present) is
tried, unless ``exporter`` names one. The exporter used and the opset actually written (read back from the file)
are recorded. Progress output and warnings of the exporters are kept off stdout.

Cache: one directory per entry, ``<cache>/<model>-<N>x<C>x<H>x<W>-<dtype>-opset<k>-<hash>/model.onnx`` (plus
``model.onnx.data`` for models over 2 GB and ``meta.json``; several inputs: ``<shape>_<shape>``). The hash
(:func:`graph_fingerprint`) changes whenever the exported graph would: the model key, dtype, opset and exporter;
the content of the source file of every module class in the model and its bases, and the bytecode of the
class's own methods (so editing ``forward()``, or a helper in the same file, exports again; a class without a
readable file — a notebook cell, a module loaded by hand — falls back to linecache's lines, then to the
compiled file's mtime/size, and its bytecode still counts; torch's own classes are covered by its version);
the versions of torch, onnx, onnxscript and the model's libraries (timm, torchvision...); the state_dict keys,
shapes, dtypes and a digest of the values (a trained model is not timed with another's weights); the
``repr`` of the module tree; and the shapes/dtypes (values for non-tensors) of all inputs. Code in *other*
files that a forward calls (a helper module) is not covered: clear the cache (or pass no ``model_key``) after
editing one. A ``file.py:`` model's class is keyed by its file's content, not by the per-process module name it is
loaded under, so a second run finds the first run's entry. Entries are written to a temporary directory and renamed
into place (atomic, so two processes never read half a file); ``meta.json`` records every graph file's SHA-256, and
an entry whose files no longer match (truncated, altered) is exported again, once, instead of failing every run.
``check_cache_dir`` refuses an empty ``--onnx-dir``, a file or a directory that cannot be written before anything
is measured. Weights are random but seeded (see :func:`cnnbench.latency.placement.build_inputs`),
so a cached file and a freshly built eager model compute the same function.

Errors: exporter messages are reduced to one plain line (the innermost cause, ANSI colours stripped) and the
exporters' own output — progress, the TorchScript IR graph dumped on failure — is captured, not printed
(replayed on stderr under ``--debug``).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnbench.errors import CnnbenchError
from cnnbench.inputs import normalize_dtype, torch_dtype
from cnnbench.latency.placement import as_inputs, place_inputs
from cnnbench.latency.usercode import _ANSI, quiet_output

if TYPE_CHECKING:
    import torch
    from torch import nn

#: Opset requested by default: supported by both exporters and by onnxruntime >= 1.14.
DEFAULT_OPSET = 18
EXPORTERS = ("auto", "dynamo", "torchscript")
#: The module-name prefix of ``file.py:`` models (:mod:`cnnbench.catalog.user_modules`: unique per process).
_USER_MODULE = "_cnnbench_user_"
#: Above this many parameter bytes the graph is written with external data (protobuf's 2 GB limit).
_EXTERNAL_DATA_BYTES = 1_800_000_000


def default_cache_dir() -> Path:
    """``$CNNBENCH_CACHE/onnx`` if set, else ``$XDG_CACHE_HOME/cnnbench/onnx`` or ``~/.cache/cnnbench/onnx``."""
    from cnnbench.env import cache_dir

    return cache_dir("onnx")


@dataclass(frozen=True)
class OnnxExport:
    """An exported graph on disk.

    Attributes:
        path: The ``.onnx`` file.
        opset: Default-domain opset written in the file.
        exporter: ``"dynamo"`` or ``"torchscript"``.
        cached: True when an existing cache entry was reused (nothing exported).
        export_s: Export seconds (``None`` when cached).
    """

    path: Path
    opset: int
    exporter: str
    cached: bool
    export_s: float | None


def _class_file(cls: type) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except TypeError:  # its module is not in sys.modules (loaded with importlib by hand), or a C class
        pass
    for value in vars(cls).values():  # the file its methods were compiled from
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if code is not None:
            return code.co_filename
    return None


def _code_digest(cls: type) -> str:
    """The bytecode of the class's own functions: changes with ``forward`` even when no source can be read."""
    import marshal

    h = hashlib.sha1()
    for name, value in sorted(vars(cls).items()):
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if code is not None:
            h.update(name.encode())
            with contextlib.suppress(ValueError):
                h.update(marshal.dumps(code))
    return h.hexdigest()


def _file_digest(cls: type, files: dict[str, str]) -> str:
    """What identifies a class's code: its source file's content and its bytecode (see the module docstring)."""
    import linecache

    path = _class_file(cls)
    if path and path not in files:
        if os.path.isfile(path):
            files[path] = hashlib.sha1(Path(path).read_bytes()).hexdigest()
        elif linecache.getlines(path):  # notebooks and exec'd code: linecache holds the cell
            files[path] = hashlib.sha1("".join(linecache.getlines(path)).encode()).hexdigest()
        else:
            try:
                st = os.stat(inspect.getfile(cls))
                files[path] = f"stat:{st.st_mtime_ns}:{st.st_size}"
            except (OSError, TypeError):
                files[path] = "no-source"
    return f"{files.get(path, 'no-source') if path else 'no-source'}:{_code_digest(cls)}"


def _library_version(top: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(top)
    except metadata.PackageNotFoundError:
        mod = sys.modules.get(top)
        v = getattr(mod, "__version__", None)
        return str(v) if v is not None else None


def _values_digest(tensors: list[torch.Tensor]) -> str:
    import torch

    h = hashlib.sha1()
    for t in tensors:
        if t.device.type == "meta" or t.layout != torch.strided or t.is_quantized:
            h.update(b"-")
            continue
        h.update(memoryview(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()))
    return h.hexdigest()


def graph_fingerprint(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Everything the exported graph depends on, JSON-ready (see the module docstring)."""
    import torch
    from torch.utils._pytree import keystr, tree_flatten_with_path

    classes: dict[str, str] = {}
    files: dict[str, str] = {}
    tops = {"torch"}
    for m in model.modules():
        for cls in type(m).__mro__:
            mod = getattr(cls, "__module__", "") or ""
            if cls is object or mod == "torch" or mod.startswith("torch."):
                continue  # torch's own classes change only with its version, which is in the key
            if mod.startswith(_USER_MODULE):  # file.py: models load under a per-process name: the file says who
                mod = "<file>"
            name = f"{mod}.{cls.__qualname__}"
            if name not in classes:
                classes[name] = _file_digest(cls, files)
                tops.add(mod.split(".")[0])
    versions = {top: _library_version(top) for top in sorted(tops | {"onnx", "onnxscript"})
                if top not in ("__main__", "builtins", "<file>")}
    versions["torch"] = torch.__version__
    state = model.state_dict(keep_vars=False)
    inputs = []
    for path, leaf in tree_flatten_with_path((args, kwargs))[0]:
        if isinstance(leaf, torch.Tensor):
            inputs.append([keystr(path), list(leaf.shape), str(leaf.dtype)])
        else:
            inputs.append([keystr(path), repr(leaf)])
    return {
        "classes": dict(sorted(classes.items())),
        "versions": versions,
        "state": [[k, list(v.shape), str(v.dtype)] for k, v in state.items()],
        "values": _values_digest(list(state.values())),
        "repr": repr(model),
        "inputs": inputs,
    }


def _shape_slug(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    from cnnbench.inputs import tensor_shapes

    shapes = ["x".join(str(d) for d in shape) or "scalar" for _, shape in tensor_shapes(args, kwargs)]
    return ("_".join(shapes) or "noinput")[:80]


def cache_entry_name(model_key: str, model: nn.Module, args: Any, kwargs: dict[str, Any] | None, dtype: str,
                     opset: int, exporter: str = "auto") -> str:
    """Directory name of a cache entry: ``<key>-<shapes>-<dtype>-opset<k>-<hash of graph_fingerprint>``."""
    args, kwargs = as_inputs(args, kwargs)
    slug = re.sub(r"[^A-Za-z0-9_.+-]+", "_", model_key).strip("_")[:80] or "model"
    fingerprint = {"key": model_key, "dtype": dtype, "opset": opset, "exporter": exporter,
                   **graph_fingerprint(model, args, kwargs)}
    digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{slug}-{_shape_slug(args, kwargs)}-{dtype}-opset{opset}-{digest}"


def entry_digests(entry: Path, names: Any = None) -> dict[str, str]:
    """SHA-256 of a cache entry's files by name: ``names``, or every file but ``meta.json`` (at export: the graph and
    its external data; files added later beside it, an int8 graph, are not the export's). A missing file is ``""``."""
    if names is None:
        names = [f.name for f in entry.iterdir() if f.is_file() and f.name != "meta.json"]
    out = {}
    for name in sorted(names):
        h = hashlib.sha256()
        try:
            with (entry / name).open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        except OSError:
            out[name] = ""
            continue
        out[name] = h.hexdigest()
    return out


def _intact_meta(entry: Path) -> dict[str, Any] | None:
    """The entry's ``meta.json`` when its files are those written (their SHA-256 as recorded); ``None`` for an
    entry cut short or changed since (a full disk, a killed copy, an edit): the caller exports it again.

    Entries written before checksums were recorded pass when ONNX can parse the graph.
    """
    try:
        meta = json.loads((entry / "meta.json").read_text())
        int(meta["opset"]), str(meta["exporter"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if "sha256" in meta:
        recorded = meta["sha256"]
        ok = isinstance(recorded, dict) and "model.onnx" in recorded and entry_digests(entry, recorded) == recorded
        return meta if ok else None
    try:
        _file_opset(entry / "model.onnx")
    except Exception:  # noqa: BLE001 - any parse failure means the file is not a graph
        return None
    return meta


def check_cache_dir(onnx_dir: str | os.PathLike[str], what: str = "--onnx-dir") -> Path:
    """The ONNX cache directory ``onnx_dir``, created if needed and checked writable — before anything is measured.

    Raises:
        CnnbenchError: Empty, a file, not creatable or not writable (one line naming ``what``).
    """
    text = os.fspath(onnx_dir)
    if not str(text).strip():
        raise CnnbenchError(f"{what} is empty: name a directory (or leave it out for the default cache, "
                            f"{default_cache_dir()})")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise CnnbenchError(f"{what} {text!r} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        _probe_write(path)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CnnbenchError(f"{what} {text!r} cannot hold the ONNX cache: {reason}") from None
    return path


def _probe_write(path: Path) -> None:
    """Creates and removes one file in ``path`` (a read-only directory or file system raises ``OSError``)."""
    fd, name = tempfile.mkstemp(prefix=".cnnbench-probe-", dir=path)
    os.close(fd)
    os.unlink(name)


def _file_opset(path: Path) -> int:
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), -1)


def _export_to(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], path: Path, opset: int,
               exporter: str) -> None:
    import torch

    large = sum(p.numel() * p.element_size() for p in model.parameters()) > _EXTERNAL_DATA_BYTES
    with quiet_output(), warnings.catch_warnings():
        # Exporter deprecation and tracer warnings are about the exporter, not the measurement.
        warnings.simplefilter("ignore")
        # no input_names: dynamo names the graph inputs after forward's parameters, which the session feed uses
        if exporter == "dynamo":
            torch.onnx.export(model, args, str(path), kwargs=kwargs or None, dynamo=True, opset_version=opset,
                              verbose=False, external_data=large)
        else:
            torch.onnx.export(model, args, str(path), kwargs=kwargs or None, dynamo=False, opset_version=opset,
                              verbose=False, do_constant_folding=True)


def _root_cause(err: BaseException) -> BaseException:
    """The innermost exception of the chain: the exporters wrap the reason in generic "step 3/3" errors."""
    seen = {id(err)}
    while True:
        nxt = err.__cause__ or (None if err.__suppress_context__ else err.__context__)
        if nxt is None or id(nxt) in seen or len(seen) > 20:
            return err
        seen.add(id(nxt))
        err = nxt


def _plain_first_line(err: BaseException, limit: int = 200) -> str:
    text = _ANSI.sub("", str(err))
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _export_any(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], path: Path, opset: int,
                exporter: str) -> str:
    """Exports with the requested exporter, or dynamo then TorchScript for ``"auto"``; returns the one used."""
    order = ("dynamo", "torchscript") if exporter == "auto" else (exporter,)
    failures = []
    for name in order:
        try:
            _export_to(model, args, kwargs, path, opset, name)
            return name
        except Exception as err:  # noqa: BLE001 - every exporter failure is reported together below
            root = _root_cause(err)
            failures.append(f"{name}: {type(root).__name__}: {_plain_first_line(root)}")
            for leftover in path.parent.iterdir():  # half-written files of the failed attempt
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
    raise RuntimeError("ONNX export failed (" + "; ".join(failures) + ")")


def export_onnx(model: nn.Module, args: Any, kwargs: dict[str, Any] | None = None, *, model_key: str,
                dtype: str = "fp32", cache_dir: str | Path | None = None, opset: int | None = None,
                exporter: str = "auto") -> OnnxExport:
    """Exports ``model`` at inputs ``args``/``kwargs`` (on the CPU, already in ``dtype``) into the cache, or reuses it.

    Args:
        model: The model to export (the engine's copy: the exporters may change it).
        args: Positional inputs (a tuple, or one tensor).
        kwargs: Keyword inputs.
        model_key: Names the cache entry.
        dtype: Recorded in the entry's name.
        cache_dir: Cache directory (default :func:`default_cache_dir`).
        opset: ONNX opset (default :data:`DEFAULT_OPSET`).
        exporter: ``"auto" | "dynamo" | "torchscript"``.

    Raises:
        CnnbenchError: Unknown exporter.
        RuntimeError: Every exporter tried failed.
    """
    from cnnbench.inputs import shape_label

    if exporter not in EXPORTERS:
        raise CnnbenchError(f"unknown ONNX exporter {exporter!r}: expected one of {', '.join(EXPORTERS)}")
    args, kwargs = as_inputs(args, kwargs)
    opset = opset or DEFAULT_OPSET
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    final = cache / cache_entry_name(model_key, model, args, kwargs, normalize_dtype(dtype), opset, exporter)
    if (final / "model.onnx").is_file():
        meta = _intact_meta(final)
        if meta is not None:
            return OnnxExport(final / "model.onnx", int(meta["opset"]), meta["exporter"], True, None)
        shutil.rmtree(final, ignore_errors=True)  # truncated or altered since it was written: export it again
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        t0 = time.perf_counter()
        used = _export_any(model, args, kwargs, tmp / "model.onnx", opset, exporter)
        export_s = time.perf_counter() - t0
        written = _file_opset(tmp / "model.onnx")
        (tmp / "meta.json").write_text(json.dumps({
            "model_key": model_key, "inputs": shape_label(args, kwargs), "dtype": dtype, "opset": written,
            "exporter": used, "export_s": export_s, "sha256": entry_digests(tmp)}, indent=1))
        try:
            tmp.rename(final)
        except OSError:  # another process finished the same entry first (or a broken one is in the way)
            if not (final / "model.onnx").is_file() or _intact_meta(final) is None:
                shutil.rmtree(final, ignore_errors=True)
                tmp.rename(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return OnnxExport(final / "model.onnx", written, used, False, export_s)


@dataclass
class PreparedExport:
    """An export ready for a session: the file, the CPU inputs cast to the export's dtype, and the temporary
    directory to remove on close (``None`` when the entry is in the cache).

    Attributes:
        export: The :class:`OnnxExport`.
        model: The exported model (its forward's signature names the graph inputs).
        args: CPU positional inputs in the export's dtype.
        kwargs: CPU keyword inputs in the export's dtype.
        tmp_dir: Temporary directory of an uncached export (``model_key=None``).
    """

    export: OnnxExport
    model: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    tmp_dir: str | None = None

    def details(self) -> dict[str, Any]:
        e = self.export
        return {"onnx_path": str(e.path) if self.tmp_dir is None else None, "onnx_opset": e.opset,
                "onnx_exporter": e.exporter, "onnx_cached": e.cached, "export_s": e.export_s}


def export_model(model: nn.Module, args: Any, kwargs: dict[str, Any] | None = None, *, dtype: str = "fp32",
                 model_key: str | None = None, cache_dir: str | Path | None = None, opset: int | None = None,
                 exporter: str = "auto") -> PreparedExport:
    """Casts ``model`` and its inputs to ``dtype`` and exports (or reuses) the graph: the step every ONNX-based
    runtime (onnx, onnx-int8, onnx-fp16, openvino) shares, so they all reuse one cache entry."""
    dtype = normalize_dtype(dtype)
    if dtype == "bf16":
        raise ValueError("bf16 is not supported on the onnx runtime (numpy has no bfloat16 input type)")
    model = model.to(dtype=torch_dtype(dtype))
    args, kwargs = place_inputs(*as_inputs(args, kwargs), device="cpu", dtype=dtype)
    tmp_dir = tempfile.mkdtemp(prefix="cnnbench-onnx-") if model_key is None else None
    try:
        export = export_onnx(model, args, kwargs, model_key=model_key or "model", dtype=dtype,
                             cache_dir=tmp_dir or cache_dir, opset=opset, exporter=exporter)
    except BaseException:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return PreparedExport(export, model, args, kwargs, tmp_dir)
