"""The optional packages: which pip extra brings each, and the one-line refusal when one is missing.

`pip install tinygen` brings numpy and jinja2 only: enough to build a .tflite model once the
`tflite` extra is there. Each model format and each capability that needs a third-party package
names it here, with the extra of pyproject.toml's [project.optional-dependencies] that installs it:

    require("torch", "a PyTorch model (.py, .pt2)")   # the module, or MissingPackageError
    missing_package(error)                           # a ModuleNotFoundError -> MissingPackageError

The command line turns any MissingPackageError into `tinygen CMD: error: ...` and exit status 1,
and maps a ModuleNotFoundError of a module named here the same way (tinygen.cli.main), so a
missing package never ends in a traceback wherever it is imported.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tinygen.errors import TinygenError

# top-level module -> (the package pip installs, the extra that brings it, what needs it)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "torch": ("torch", "torch", "PyTorch models (.py, .pt2)"),
    "tflite": ("tflite", "tflite", ".tflite models"),
    "flatbuffers": ("flatbuffers", "tflite", ".tflite models"),
    "tflite_micro": ("tflite-micro", "tflite", "TFLite Micro's reference runs of .tflite models"),
    "onnx": ("onnx", "onnx", ".onnx models"),
    "onnxruntime": ("onnxruntime", "onnx", "onnxruntime's reference runs of .onnx models"),
    "brevitas": ("brevitas", "brevitas", "Brevitas models (a .py whose model() is a brevitas.nn module)"),
    "serial": ("pyserial", "hil", "serial links (a board's port, an emulated board's socket)"),
    "matplotlib": ("matplotlib", "hil", "plots (--plot)"),
    "PIL": ("pillow", "hil", "camera frames from image files"),
    "tqdm": ("tqdm", "hil", "progress bars"),
    "yaml": ("PyYAML", "sweep", "sweep files and the MLPerf Tiny runner's settings"),
    "optuna": ("optuna", "sweep", "the sweeps' Optuna samplers"),
    "ray": ("ray", "ray", "sweeps on a Ray cluster (--ray)"),
    "sklearn": ("scikit-learn", "examples", "the examples' scikit-learn data sets"),
    "scipy": ("scipy", "examples", "synthesized keyword corpora"),
    "skimage": ("scikit-image", "examples", "the examples' bundled photographs"),
}


class MissingPackageError(TinygenError):
    """An optional package that the command needs is not installed (exit status 1)."""


def install_line(module: str) -> str:
    """The pip command that installs `module`'s extra."""
    return f"pip install 'tinygen[{PACKAGES[module][1]}]'"


def missing_error(module: str, needed_for: str | None = None) -> MissingPackageError:
    """The one-line refusal: what needs the package, its name and the pip command."""
    package, _, purpose = PACKAGES[module]
    return MissingPackageError(f"{needed_for or purpose} need the {package} package, which is not installed: "
                               f"{install_line(module)}")


def require(module: str, needed_for: str | None = None) -> ModuleType:
    """Import the optional package `module` (a key of PACKAGES) or refuse in one line."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] != module:
            raise               # the package is there; something it imports is not
        raise missing_error(module, needed_for) from None


def missing_package(error: ModuleNotFoundError) -> MissingPackageError | None:
    """A ModuleNotFoundError for a package named in PACKAGES as its one-line refusal; None for any
    other module (a bug, or a user's model importing something: its own traceback says more)."""
    top = (error.name or "").split(".")[0]
    return missing_error(top) if top in PACKAGES else None


__all__ = ["PACKAGES", "MissingPackageError", "install_line", "missing_error", "missing_package", "require"]
