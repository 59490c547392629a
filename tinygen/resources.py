"""Where tinygen's files are: the data directories shipped with it, the kernels in their
family folders, and the user cache.

`templates/`, `firmware/` and `boards/` sit at the top of the source tree and
are installed as `tinygen/templates` etc. in a wheel. An editable install keeps
them at the top of the checkout, so look in both places.

The C kernels are grouped by operator family on disk (firmware/kernels/conv/,
depthwise/, fully_connected/, pooling/, elementwise/, layout/, lowbit/, gated/, norm/, matmul/ and
support/ for the requantization and shared helpers and the public header), but a generated
project keeps them in one flat folder, tinygen/kernels/. Kernel specs, codegen and the
generated projects name a kernel file by that flat, logical name, `kernels/<file>`;
`firmware_path` is the one place that turns it into the file on disk.
"""

import os
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
KERNELS = "kernels"     # the kernels' folder, in firmware/ and in a generated project's tinygen/


def data_dir(name: str) -> Path:
    """Return the directory `name` ('templates', 'firmware' or 'boards')."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"tinygen's '{name}' directory is missing from the installation "
        f"(looked in {_PACKAGE} and {_PACKAGE.parent}); reinstall tinygen"
    )


@lru_cache(maxsize=4)
def _kernel_index(kernels: Path) -> dict[str, Path]:
    """File name -> its path in kernels/<family>/, for every file of every family folder."""
    index: dict[str, Path] = {}
    for family in sorted(p for p in kernels.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        for path in sorted(p for p in family.iterdir() if p.is_file()):
            if path.name in index:
                raise RuntimeError(f"two kernel families hold {path.name}: "
                                   f"{index[path.name].parent.name}/ and {family.name}/")
            index[path.name] = path
    return index


def kernel_families() -> list[Path]:
    """The family folders of firmware/kernels/ (the include path of a compile straight from the
    firmware tree), sorted."""
    return sorted({p.parent for p in _kernel_index(data_dir("firmware") / KERNELS).values()})


def kernel_paths(pattern: str = "*") -> list[Path]:
    """Every kernel file (of any family) whose name matches the glob `pattern`, sorted by name."""
    index = _kernel_index(data_dir("firmware") / KERNELS)
    return [index[name] for name in sorted(index) if fnmatchcase(name, pattern)]


def firmware_path(rel: str) -> Path:
    """The file on disk of `rel`, a firmware file named relative to firmware/ as a generated
    project lays it out under tinygen/: a kernel's logical name `kernels/<file>` is
    firmware/kernels/<family>/<file>; any other path is where it says. A kernel file no family
    holds resolves to firmware/kernels/<file>, which does not exist (callers test is_file())."""
    firmware = data_dir("firmware")
    folder, _, name = rel.partition("/")
    if folder == KERNELS and "/" not in name:
        return _kernel_index(firmware / KERNELS).get(name, firmware / rel)
    return firmware / rel


def cache_dir() -> Path:
    """$TINYGEN_CACHE_DIR, else $XDG_CACHE_HOME/tinygen, else ~/.cache/tinygen."""
    if os.environ.get("TINYGEN_CACHE_DIR"):
        return Path(os.environ["TINYGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinygen"
