"""No module of tinygen imports (at module level or inside a function) a module that
imports it back, directly or through others: boundaries stay one-way."""

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tinygen"


def _modules() -> dict[str, Path]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = f.relative_to(PACKAGE.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph = defaultdict(set)
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("tinygen"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    graph[name].add(sub if sub in mods else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in mods)
    return graph


def cycles(graph: dict[str, set[str]], nodes) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w == v or w not in nodes:
                continue
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
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph, set(graph)) == [["a", "b", "c"]]


def test_tinygen_has_no_import_cycles():
    mods = _modules()
    assert len(mods) > 50
    found = cycles(_imports(mods), set(mods))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_kernel_catalogue_modules_import_first_in_a_fresh_interpreter():
    """A package's __init__ runs before any of its submodules (which the static check above does
    not see): tinygen.kernels loads its table lazily, so a module the table imports at its end
    (tinygen.kernels.gating, tinygen.kernels.lowbit_table) can be the first one imported."""
    import subprocess

    for first in ("tinygen.kernels.gating", "tinygen.kernels.lowbit_table", "tinygen.kernels.params"):
        code = f"import {first}\nfrom tinygen.kernels import KERNELS\nprint(len(KERNELS))"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                              cwd=PACKAGE.parent)
        assert proc.returncode == 0, f"importing {first} first: {proc.stderr[-2000:]}"
        assert int(proc.stdout) > 100
