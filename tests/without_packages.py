"""Run the `tinygen` command line as if some packages were not installed.

    python tests/without_packages.py torch,onnx -- inspect model.py

Every import of a listed top-level module (and its submodules) fails as it does where the package
is missing (ModuleNotFoundError with .name set); each refused import is appended to the file that
TINYGEN_BLOCKED_LOG names, if set, so a test can tell that a command never tried one.
"""

from __future__ import annotations

import os
import sys
from importlib.abc import MetaPathFinder


class Blocker(MetaPathFinder):
    def __init__(self, modules: set[str], log: str | None):
        self.modules, self.log = modules, log

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in self.modules:
            return None
        if self.log:
            with open(self.log, "a") as f:
                f.write(name + "\n")
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def main() -> int:
    blocked, sep, *args = sys.argv[1:]
    assert sep == "--", "usage: without_packages.py MOD[,MOD...] -- TINYGEN-ARGS"
    for name in list(sys.modules):
        if name.split(".")[0] in blocked.split(","):
            del sys.modules[name]
    sys.meta_path.insert(0, Blocker(set(blocked.split(",")), os.environ.get("TINYGEN_BLOCKED_LOG")))
    sys.argv = ["tinygen", *args]
    from tinygen.__main__ import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
