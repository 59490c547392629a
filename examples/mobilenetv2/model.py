"""MobileNetV2 (Sandler et al., 2018), width 0.35, 96x96x3 input, 2 classes, in plain torch.

The standard configuration scaled by 0.35, channels rounded to multiples of 8 as in the
paper's reference code: a 3x3 stride-2 stem of 16 channels, seventeen inverted residual
blocks (expand 1x1 + ReLU6, depthwise 3x3 stride 1/2 + ReLU6, linear 1x1 projection; a
residual add where the stride is 1 and the channels match), a 1x1 conv to 1280 channels
(kept at 1280 for widths below 1), global average pooling and a linear classifier.

Untrained: deterministic (seeded) weights, batch-norm affine parameters as after training
(examples/models/_untrained.py) and batch-norm statistics measured on the photographs. Calibration uses real photographs, scikit-image's bundled
pictures (examples/camera/photos.csv), not noise. It is the issue-18 target: too big for the
Nucleo-F446RE's 128 KiB of RAM untiled; see README.md beside this file.

    tinygen build examples/mobilenetv2/model.py --board f446re
"""

import csv
import functools
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from _untrained import randomize_batchnorm  # noqa: E402  (examples/models/_untrained.py)

WIDTH = 0.35
SIZE = 96
CLASSES = ("no-person", "person")
# (expansion t, channels c, repeats n, first stride s), the paper's Table 2
BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
          (6, 320, 1, 1))
STEM, LAST = 32, 1280
# per-channel normalization of the RGB input (ImageNet's)
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def make_divisible(v: float, divisor: int = 8) -> int:
    """The reference code's rounding: nearest multiple of 8, never more than 10% below v."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, relu: bool = True) -> list[nn.Module]:
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return layers + [nn.ReLU6()] if relu else layers


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers = conv_bn(cin, hidden, 1) if expand != 1 else []
        layers += conv_bn(hidden, hidden, 3, stride, groups=hidden)          # depthwise
        layers += conv_bn(hidden, cout, 1, relu=False)                       # linear projection
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    def __init__(self, width: float = WIDTH, classes: int = len(CLASSES)):
        super().__init__()
        cin = make_divisible(STEM * width)
        layers: list[nn.Module] = [nn.Sequential(*conv_bn(3, cin, 3, 2))]
        for t, c, n, s in BLOCKS:
            cout = make_divisible(c * width)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        last = make_divisible(LAST * width) if width > 1.0 else LAST
        layers.append(nn.Sequential(*conv_bn(cin, last, 1)))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def model() -> nn.Module:
    """Seeded weights; batch-norm affine parameters drawn as after training and its statistics
    measured on the calibration photographs (one pass in training mode), so that activations
    keep their scale through the 52 layers instead of fading to the classifier's bias."""
    torch.manual_seed(0)
    net = MobileNetV2()
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None                  # cumulative average over the pass
        net.train()(torch.from_numpy(calibration_data()))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.from_numpy(calibration_data()[:1])


def photographs() -> list[np.ndarray]:
    """scikit-image's bundled photographs listed in examples/camera/photos.csv, as RGB uint8."""
    import skimage.data

    lines = (Path(__file__).resolve().parents[1] / "camera" / "photos.csv").read_text().splitlines()
    names = [row["photo"] for row in csv.DictReader(line for line in lines if line and not line.startswith("#"))]
    out = []
    for name in names:
        image = getattr(skimage.data, name)()
        image = image[0] if isinstance(image, tuple) else image     # stereo_motorcycle: (left, right, disparity)
        out.append(np.stack([image] * 3, -1) if image.ndim == 2 else image[..., :3])
    return out


def _square(image: np.ndarray, frac: float, dy: float, dx: float) -> np.ndarray:
    """A square crop (side frac of the short side, offset dy/dx in [0, 1]) shrunk to SIZE x SIZE."""
    from skimage.transform import resize

    h, w = image.shape[:2]
    side = int(min(h, w) * frac)
    y, x = int((h - side) * dy), int((w - side) * dx)
    crop = image[y:y + side, x:x + side].astype(np.float32) / 255.0
    return resize(crop, (SIZE, SIZE), anti_aliasing=True).astype(np.float32)


def calibration_data() -> np.ndarray:
    """48 crops of the photographs (full square centre, corners, a flip), normalized, NCHW."""
    return _calibration_crops().copy()


@functools.lru_cache(maxsize=1)
def _calibration_crops() -> np.ndarray:
    """calibration_data(), computed once per import: model(), example_input() and the loader
    each ask for it, and the crops' resizing takes seconds."""
    crops = []
    for image in photographs():
        for frac, dy, dx, flip in ((1.0, 0.5, 0.5, False), (0.7, 0.0, 0.0, False), (0.7, 1.0, 1.0, False),
                                   (0.8, 0.5, 0.5, True)):
            c = _square(image, frac, dy, dx)
            crops.append(c[:, ::-1] if flip else c)
    x = (np.stack(crops) - MEAN) / STD
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)).astype(np.float32)
