"""The house rules of docs/architecture.md that a machine can check, read from the source with ``ast``.

The import graph has one node per module of ``cnnbench/`` and one edge per ``import`` / ``from … import`` anywhere
in a file (inside functions too). Relative imports are resolved; ``from pkg import name`` where ``name`` is a
submodule is an edge to that submodule; importing ``a.b.c`` is an edge to ``a.b.c`` only (not to ``a`` or ``a.b``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "cnnbench"
MAX_LINES = 500
MAX_TOP_LEVEL = 10


def _module_name(path: Path) -> str:
    parts = ("cnnbench", *path.relative_to(PKG).with_suffix("").parts)
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _target(name: str) -> str | None:
    """The cnnbench module ``name`` is, or the closest enclosing one (``cnnbench.x.func`` → ``cnnbench.x``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(mod: str) -> set[str]:
    """The cnnbench modules ``mod`` imports (anywhere in its file)."""
    path = MODULES[mod]
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                src = ".".join(base + ([node.module] if node.module else []))
            else:
                src = node.module or ""
            names = [f"{src}.{a.name}" if f"{src}.{a.name}" in MODULES else src for a in node.names]
        else:
            continue
        for n in names:
            t = _target(n) if n.split(".")[0] == "cnnbench" else None
            if t is not None and t != mod:
                out.add(t)
    return out


GRAPH = {m: _imports(m) for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan), shortest path shown."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [[*_one_cycle(graph, set(c), c[0]), f"(one of the cycles among {', '.join(c)})"] for c in comps]


def _one_cycle(graph: dict[str, set[str]], comp: set[str], start: str) -> list[str]:
    """The shortest path start → … → start inside ``comp`` (breadth first)."""
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & comp):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start]


def test_the_graph_sees_function_level_relative_and_submodule_imports():
    # sanity of the walker on modules whose imports are known
    assert "cnnbench.errors" in GRAPH["cnnbench.catalog.registry"]
    assert "cnnbench.catalog.resolve" in GRAPH["cnnbench.catalog"]
    assert "cnnbench.catalog.timm_models" in GRAPH["cnnbench.catalog.resolve"]  # imported inside a function
    assert "cnnbench.catalog" not in GRAPH["cnnbench.catalog.build"]  # a.b.c is not an edge to a.b


def test_no_import_cycle():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c[:-1]) + "  " + c[-1] for c in cycles)


def test_registry_is_a_leaf():
    assert GRAPH["cnnbench.catalog.registry"] <= {"cnnbench.errors"}, GRAPH["cnnbench.catalog.registry"]
    # nor does it load a catalogue by name (``importlib.import_module("cnnbench…")``): no string names a module
    tree = ast.parse(MODULES["cnnbench.catalog.registry"].read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    named = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and id(n) not in docs and re.match(r"cnnbench(_models)?[.:]", n.value)]
    assert not named, named


def test_no_module_over_500_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, "modules over 500 lines: " + ", ".join(f"{m} ({n})" for m, n in sorted(long.items()))


def test_few_top_level_modules():
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


def test_engines_do_not_import_the_cli_or_rendering():
    bad = []
    for mod, path in MODULES.items():
        if not mod.startswith(("cnnbench.analysis", "cnnbench.latency")):
            continue
        for t in GRAPH[mod]:
            if t.startswith(("cnnbench.cli", "cnnbench.report")):
                bad.append(f"{mod} -> {t}")
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad += [f"{mod} -> {n}" for n in names if n == "rich" or n.startswith("rich.")]
    assert not bad, "engines importing cli/, report/ or rich:\n" + "\n".join(sorted(bad))
