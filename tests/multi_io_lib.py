"""A model file with two inputs and two outputs, as a user writes it, and data files for it
(tests/test_multi_io_*.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tinygen.compiler import SourceModel
from tinygen.ref.interpreter import quantize_input

if TYPE_CHECKING:
    import torch

# An image and an accelerometer window in; class scores and a regression out. The inputs are
# forward()'s arguments `image` and `imu`; calibration_data() gives one array per input.
TWO_SENSORS = '''
import torch
from torch import nn


class TwoSensors(nn.Module):
    def __init__(self):
        super().__init__()
        self.cam = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                 nn.Flatten())
        self.imu = nn.Sequential(nn.Conv1d(3, 8, 5, padding=2), nn.Hardswish(), nn.AdaptiveAvgPool1d(1),
                                 nn.Flatten())
        self.classes, self.value = nn.Linear(16, 4), nn.Linear(16, 1)

    def forward(self, image, imu):
        z = torch.cat([self.cam(image), self.imu(imu)], dim=1)
        return self.classes(z), torch.sigmoid(self.value(z))


def model():
    torch.manual_seed(0)
    return TwoSensors()


def example_input():
    return torch.randn(1, 3, 8, 8), torch.randn(1, 3, 20)


def calibration_data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(CALIB, 3, 8, 8, generator=g), torch.randn(CALIB, 3, 20, generator=g)
'''
SHAPES = [(3, 8, 8), (3, 20)]           # per sample, the model's own layout
NAMES = ["image", "imu"]


def two_sensors() -> "torch.nn.Module":
    """The model file's model(), without a file."""
    namespace: dict = {"CALIB": 1}
    exec(TWO_SENSORS, namespace)
    return namespace["model"]()


def write_model(folder: Path, calib_samples: int = 32, name: str = "two.py", text: str = TWO_SENSORS) -> Path:
    path = folder / name
    path.write_text(f"CALIB = {calib_samples}\n" + text)
    return path


def float_inputs(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((count,) + s).astype(np.float32) for s in SHAPES]


def write_data(path: Path, count: int, seed: int = 0, keys=("x0", "x1"), classes: int = 4):
    """An .npz for `tinygen hil --data`: one array per input under `keys`, labels in y."""
    xs = float_inputs(count, seed)
    y = np.random.default_rng(seed + 1).integers(0, classes, count)
    np.savez(path, **dict(zip(keys, xs)), y=y)
    return xs, y


def quantized(source: SourceModel, graph, xs: list[np.ndarray]) -> list[tuple[np.ndarray, ...]]:
    """Float inputs (one array per input) → per sample, the int8 inputs the reference takes."""
    q = [quantize_input(graph, source.to_graph_layout(x), k) for k, x in enumerate(xs)]
    return [tuple(a[i] for a in q) for i in range(len(xs[0]))]
