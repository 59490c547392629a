"""The user's Python files (a model file, a calibration or data module, the MLPerf Tiny runner)
run in this process without writing beside them: no `__pycache__` folder appears in a user's
folder, whatever PYTHONDONTWRITEBYTECODE says, since tinygen writes only what it generated."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType


@contextlib.contextmanager
def no_bytecode():
    """Imports inside write no compiled module (`sys.dont_write_bytecode`), as it was afterwards."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved


@contextlib.contextmanager
def user_code(path: Path):
    """While the block runs the user's file at `path` (or what it defines): its folder first on
    sys.path, so that it imports its neighbours, and no bytecode written."""
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        with no_bytecode():
            yield
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)


def import_file(path: Path, prefix: str) -> ModuleType | None:
    """The module at `path` run under a fresh name (`prefix`, its stem, a random suffix), with its
    folder first on sys.path while it runs so that it imports its neighbours; None where Python
    cannot import such a file. What the module raises is raised."""
    spec = importlib.util.spec_from_file_location(f"{prefix}{path.stem}_{uuid.uuid4().hex[:8]}", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    with user_code(path):
        spec.loader.exec_module(module)
    return module
