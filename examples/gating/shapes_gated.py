"""The gated network of examples/gating/_nets.py on the 32x32 shapes, trained on first use
(weights cached in build/gating/gated.pt). See examples/gating/README.md.

    tinygen hil examples/gating/shapes_gated.py --board f746zg --emulate --data build/gating/shapes_test.npz
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _nets


def model() -> torch.nn.Module:
    return _nets.train("gated")


def example_input() -> torch.Tensor:
    return torch.from_numpy(_nets.dataset()[1][0][:1])


def calibration_data() -> torch.Tensor:
    return torch.from_numpy(_nets.dataset()[0][0][:128])
