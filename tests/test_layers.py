"""The package layout draws the architecture (docs/design/architecture.md): imports point down
the layers, every command line lives in tinygen/cli/, and tinygen/ keeps few top-level modules.

Every import in tinygen/ counts, at the top of a module or inside a function: none may point
up."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinygen"

# bottom to top; a module takes the floor of its longest listed prefix
FLOORS = [
    ("the IR and leaf helpers", ["tinygen", "tinygen.ir", "tinygen.errors", "tinygen.resources", "tinygen.npfile",
                                 "tinygen.report"]),
    ("reference and quantization", ["tinygen.ref", "tinygen.quant"]),
    # the interpreter runs a lowered graph: each node's kernel twin, named by its kernel's spec
    ("kernels, and the interpreter of a lowered graph", ["tinygen.kernels", "tinygen.ref.interpreter",
                                                         "tinygen.ref.gating_trace"]),
    ("front ends and passes", ["tinygen.frontend", "tinygen.nn", "tinygen.passes", "tinygen.board", "tinygen.calib",
                               "tinygen.model_id", "tinygen.switches"]),
    ("reports on a compiled graph", ["tinygen.report.inspect", "tinygen.report.kernels"]),
    ("code generation", ["tinygen.codegen"]),
    ("build", ["tinygen.build", "tinygen.package"]),
    ("compiler, run and harness", ["tinygen.compiler", "tinygen.run", "tinygen.hil"]),
    ("capability libraries, and the reports of a run on a device",
     ["tinygen.audio", "tinygen.vision", "tinygen.energy", "tinygen.gating", "tinygen.sweep", "tinygen.fit",
      "tinygen.cycles", "tinygen.report.hil", "tinygen.report.switches"]),
    ("command lines", ["tinygen.cli", "tinygen.__main__"]),
]
FLOOR = {prefix: i for i, (_, prefixes) in enumerate(FLOORS) for prefix in prefixes}

def floor_of(module: str) -> int | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in FLOOR:
            return FLOOR[prefix]
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_of(node: ast.ImportFrom | ast.Import) -> set[str]:
    """The tinygen modules one import statement is for: `from tinygen.x import y` is for y where y
    is a module, else for tinygen.x (a module's packages load with it: loaded_with)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name.startswith("tinygen")}
    if not (node.module and node.module.startswith("tinygen") and node.level == 0):
        return set()
    found = set()
    for alias in node.names:
        sub = f"{node.module}.{alias.name}"
        is_module = (PACKAGE.parent / Path(*sub.split("."))).with_suffix(".py").exists() or \
            (PACKAGE.parent / Path(*sub.split(".")) / "__init__.py").exists()
        found.add(sub if is_module else node.module)
    return found


def imports(path: Path) -> set[str]:
    """The tinygen modules `path` imports (`from tinygen.x import y` counts y where it is a module)."""
    return {module for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))
            for module in _module_of(node)}


def all_imports() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_floor():
    missing = sorted(m for m in all_imports() if floor_of(m) is None)
    assert not missing, f"no floor for {missing}: add their package to FLOORS"


def test_imports_point_down_the_layers():
    found = set()
    for module, imported in all_imports().items():
        for target in imported:
            if floor_of(target) is not None and floor_of(target) > floor_of(module):
                found.add((module, target))
    assert not found, "upward imports (move what they need down, or the importer up): " + \
        "; ".join(f"{a} ({FLOORS[floor_of(a)][0]}) imports {b} ({FLOORS[floor_of(b)][0]})" for a, b in sorted(found))


def test_only_the_cli_parses_command_lines():
    """argparse belongs to tinygen/cli/ (tinygen.cli below it is an upward import, above)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        if module.startswith("tinygen.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) else []
            if "argparse" in names:
                offenders.append(f"{module} imports argparse")
    assert not offenders, offenders


def test_few_top_level_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 10, modules


def test_the_layering_test_sees_upward_imports(tmp_path):
    """The checker itself: a module in ir importing a pass is upward."""
    assert floor_of("tinygen.ir.graph") < floor_of("tinygen.passes.fold_bn") < floor_of("tinygen.cli.build")
    assert floor_of("tinygen.report") < floor_of("tinygen.report.inspect")
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from tinygen.passes import fold_bn\n")
    assert "tinygen.passes.fold_bn" in imports(probe)


def split_imports(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """What `path` imports when it is loaded (its module-level statements, TYPE_CHECKING blocks
    left out) and its imports inside functions (line, module)."""
    at_load, deferred = set(), []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.dump(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for module in _module_of(child):
                    if in_function:
                        deferred.append((child.lineno, module))
                    else:
                        at_load.add(module)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(path.read_text()), False)
    return at_load, deferred


def loaded_with(module: str, at_load: dict[str, set[str]]) -> set[str]:
    """Every tinygen module that importing `module` loads: its packages and, transitively, what
    each of those imports at load."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        parts = m.split(".")
        for k in range(1, len(parts) + 1):
            name = ".".join(parts[:k])
            if name not in seen:
                seen.add(name)
                todo.extend(at_load.get(name, ()))
    return seen


def deferred_imports_already_loaded(paths: list[Path]) -> list[str]:
    table = {module_name(p): split_imports(p) for p in paths}
    at_load = {m: loads for m, (loads, _) in table.items()}
    found = []
    for m, (_, deferred) in sorted(table.items()):
        loaded = loaded_with(m, at_load)
        for line, target in deferred:
            if target in loaded:
                found.append(f"{m}:{line} imports {target} inside a function, but importing {m} loads it "
                             "already: move the import to the top")
    return found


def test_imports_inside_functions_defer_a_load():
    """An import inside a function is for deferring a load that its module does not make (torch,
    onnx, a command's whole stack: `tinygen --help` and a one-line refusal stay quick), never for
    dodging an import cycle; one whose module is loaded with the importer anyway belongs at the top.
    Where a deferred import would close a cycle, the layering is what to fix."""
    found = deferred_imports_already_loaded(sorted(PACKAGE.rglob("*.py")))
    assert not found, "\n".join(found)


def test_the_command_line_loads_no_framework_until_a_command_needs_it():
    """What the imports inside functions defer: `import tinygen.cli` (every `tinygen` command's
    start, and each one-line refusal) loads none of the model frameworks."""
    frameworks = ("torch", "onnx", "onnxruntime", "brevitas", "ray", "matplotlib")
    probe = f"import sys, tinygen.cli; print(' '.join(m for m in {frameworks!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"import tinygen.cli loads {done.stdout.strip()}"


def test_the_deferred_import_check_sees_a_needless_one(tmp_path, monkeypatch):
    """The checker itself, on a probe package: a function-level import of what the module's
    top already loads (directly or through another module) is reported, a real deferral is not."""
    root = tmp_path / "tinygen"
    (root / "heavy").mkdir(parents=True)
    for name, text in {"__init__.py": "", "heavy/__init__.py": "", "heavy/torchy.py": "",
                       "light.py": "X = 1\n",
                       "mid.py": "from tinygen.light import X\n",
                       "user.py": "from tinygen import mid\n\ndef f():\n    from tinygen.light import X\n"
                                  "    from tinygen.heavy.torchy import T\n    return X, T\n"}.items():
        (root / name).write_text(text)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", root)
    found = deferred_imports_already_loaded(sorted(root.rglob("*.py")))
    assert found == ["tinygen.user:4 imports tinygen.light inside a function, but importing tinygen.user "
                     "loads it already: move the import to the top"], found


def test_tests_mirror_the_packages():
    """tests/<folder>/ is a package of tinygen's (or firmware/, whole models in e2e/, the shipped
    examples/, the guide's docs/, the models users' quantization toolchains make in toolchains/);
    at the top only the top-level modules' and the layout's and the suite's own (threads, cache) tests."""
    tests = ROOT / "tests"
    extra = {"firmware", "e2e", "examples", "docs", "data", "toolchains"}
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file() or p.name == "codegen"}
    assert folders - extra <= packages, f"test folders that are no package of tinygen: {sorted(folders - extra - packages)}"
    top = sorted(p.stem for p in tests.glob("test_*.py"))
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {"boards"}
    assert all(name[5:] in modules or name in ("test_layers", "test_import_cycles", "test_packaging",
                                                "test_suite_threads", "test_suite_cache") for name in top), top
    for test in tests.rglob("test_*.py"):
        imported = {n.module for n in ast.walk(ast.parse(test.read_text())) if isinstance(n, ast.ImportFrom) and n.module}
        others = {m for m in imported if m.startswith("test_") and (test.parent / f"{m}.py").is_file() is False
                  and not (tests / f"{m}.py").is_file()}
        assert not others, f"{test.relative_to(ROOT)} imports test modules of another folder: {sorted(others)}"
