"""Shared by the examples' tests."""

import importlib
import sys
from pathlib import Path

import pytest

KWS = Path(__file__).resolve().parents[2] / "examples" / "kws"


@pytest.fixture(scope="module")
def module(request):
    """examples/kws's modules by name: "wake", "detector", "round", "recipes", "export" and "kws"
    (_wake.py, ...), else NAME_kws.py."""
    sys.path.insert(0, str(KWS))
    own = ("wake", "detector", "round", "recipes", "export", "kws")
    yield lambda name: importlib.import_module(f"_{name}" if name in own else f"{name}_kws")
    sys.path.remove(str(KWS))
