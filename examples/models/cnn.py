"""A plain CNN for 28x28 grayscale digits (MNIST-sized).

conv-BN-ReLU-maxpool twice, then a fully connected classifier with softmax.
The flatten of a 16x7x7 feature map follows PyTorch's NCHW order; tinygen
keeps that order exactly (a transpose the compiler later folds into the
fully connected weights).

    tinygen build examples/models/cnn.py --board host
"""

import numpy as np
import torch
from torch import nn

from _untrained import randomize_batchnorm  # sibling file in examples/models/


class SmallCNN(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),                                    # 28x28 -> 14x14
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),                                    # 14x14 -> 7x7
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 7 * 7, classes), nn.Softmax(dim=1),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def model() -> nn.Module:
    torch.manual_seed(0)
    net = SmallCNN()
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.rand(1, 1, 28, 28)


def calibration_data() -> np.ndarray:
    """64 digit-like images: a few bright blurred strokes on black, in [0, 1]."""
    rng = np.random.default_rng(2)
    images = np.zeros((64, 1, 28, 28), np.float32)
    yy, xx = np.mgrid[0:28, 0:28]
    for img in images:
        for _ in range(rng.integers(2, 5)):                    # strokes
            (y0, x0), (y1, x1) = rng.uniform(5, 23, (2, 2))
            for t in np.linspace(0, 1, 12):
                cy, cx = y0 + t * (y1 - y0), x0 + t * (x1 - x0)
                img[0] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 2.0)
    return np.clip(images, 0, 1)
