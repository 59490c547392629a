"""Data for the digits sweep (examples/sweep/digits.yaml): scikit-learn's bundled 8x8
digits with the fixed split of the low-bit digits models (examples/lowbit/_digits.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lowbit"))
import _digits  # noqa: E402


def test_set():
    """(inputs [449, 1, 8, 8], labels): the accuracy data."""
    return _digits.dataset()[1]


def train_set():
    """(inputs [1348, 1, 8, 8], labels): fine-tuning data."""
    return _digits.dataset()[0]
