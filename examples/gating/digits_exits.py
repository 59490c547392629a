"""The exits network of examples/gating/_gated_digits.py on scikit-learn's 8x8 digits, trained on
first use (weights cached in build/gating/digits_exits.pt). See examples/gating/README.md.

    tinygen hil examples/gating/digits_exits.py --board host
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _gated_digits


def model() -> torch.nn.Module:
    return _gated_digits.train("exits")


def example_input() -> torch.Tensor:
    return torch.from_numpy(_gated_digits.dataset()[1][0][:1])


def calibration_data() -> torch.Tensor:
    return torch.from_numpy(_gated_digits.dataset()[0][0][:128])
