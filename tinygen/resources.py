"""Where tinygen's files are: the data directories shipped with it, and the user cache.

`templates/`, `firmware/` and `boards/` sit at the top of the source tree and
are installed as `tinygen/templates` etc. in a wheel. An editable install keeps
them at the top of the checkout, so look in both places.
"""

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the directory `name` ('templates', 'firmware' or 'boards')."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"tinygen's '{name}' directory is missing from the installation "
        f"(looked in {_PACKAGE} and {_PACKAGE.parent}); reinstall tinygen"
    )


def cache_dir() -> Path:
    """$TINYGEN_CACHE_DIR, else $XDG_CACHE_HOME/tinygen, else ~/.cache/tinygen."""
    if os.environ.get("TINYGEN_CACHE_DIR"):
        return Path(os.environ["TINYGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinygen"
