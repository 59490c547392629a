"""Locate the data directories shipped with tinygen.

`templates/`, `firmware/` and `boards/` sit at the top of the source tree and
are installed as `tinygen/templates` etc. in a wheel. An editable install keeps
them at the top of the checkout, so look in both places.
"""

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
