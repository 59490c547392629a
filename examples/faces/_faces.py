"""Shared by the face / non-face examples: data, augmentation, the network, training.

Data: scikit-image's `lfw_subset` (bundled, no download): 200 grayscale 25x25 crops from
Labeled Faces in the Wild, 100 faces then 100 non-faces (crops of the same photographs
without a whole face). A fixed stratified split (seed 0) holds out 60 images (30 + 30) for
testing; the other 140 train, augmented every epoch (horizontal flips, shifts of up to 2
pixels with the edge repeated, brightness x 0.7..1.3 and +-0.08, each image its own).

Every image goes through what the device does to a camera frame: the 25x25 gray frame as
8-bit pixels, shrunk to the model's 24x24 input by the camera front end's area averaging
(tinygen.ref.camera, bit-exact with firmware/vision), pixel p as the real value p / 255
(--pixel-range 0:1). The model's first layer takes exactly that grid (input range fixed to
[0, 1]: int8 input q = p - 128), so the weights are trained on the inputs the device
computes, and `tinygen camera --frames faces_test.npz --format gray --size 25x25` sends the
held-out images as camera frames; faces_perturbed.npz has them under harder conditions
(off centre by up to 4 pixels, exposure x 0.5..1.5, sensor noise), four versions each.

The network, with a (WeightQuant, ActQuant) pair per layer (`act` quantizes the layer's input):

    conv 3x3 1->16          BN [ReLU]      24x24
    conv 3x3 16->32 /2      BN [ReLU]      12x12
    conv 3x3 32->32 /2      BN [ReLU]       6x6
    flatten, linear 1152->2                (logits: non-face, face)
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lowbit"))
import _digits  # noqa: E402  (saving and loading weights: float16 for large tensors)

from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant  # noqa: E402
from tinygen.ref import camera as twin  # noqa: E402
from tinygen.ref.frame_formats import frame_format  # noqa: E402

CLASSES = ("non-face", "face")
FRAME = 25                   # the lfw_subset crops: 25x25 gray frames
SIZE = 24                    # the model's input: 24x24x1
CHANNELS = (1, 16, 32, 32)
STRIDES = (1, 2, 2)
TEST_PER_CLASS = 30
FRAMES_FILE = HERE / "faces_test.npz"
PERTURBED_FILE = HERE / "faces_perturbed.npz"
PERTURBED_COPIES = 4
GRAY = frame_format("gray")
# the camera front end's geometry for a 25x25 gray frame; the identity table keeps pixels
TARGET = twin.Target(SIZE, SIZE, 1, np.arange(256, dtype=np.uint8).view(np.int8)[None], FRAME, FRAME)


@dataclass(frozen=True)
class Plan:
    """Per-layer quantizers of the four layers (three convs, one linear)."""

    layers: tuple[tuple[WeightQuant, ActQuant], ...]
    relu: bool = True
    pad_value: int = 0

    def bits(self) -> tuple[str, str]:
        return (" / ".join(str(w.storage_bits) for w, _ in self.layers),
                " / ".join(str(a.bits) for _, a in self.layers))


def fix_input_range(layer: QConv2d) -> None:
    """The first layer's int8 input grid is the pixels' [0, 1] (scale 1/255, zero point -128:
    q = p - 128 for p / 255), not a range learned from batches."""
    q = layer.input_quant
    with torch.no_grad():
        q.range_min.fill_(0.0)
        q.range_max.fill_(1.0)
        q.observed.fill_(True)
    q.observe = lambda x: None


def face_net(plan: Plan) -> nn.Sequential:
    torch.manual_seed(0)
    mods: list[nn.Module] = []
    for i, stride in enumerate(STRIDES):
        w, a = plan.layers[i]
        pad = plan.pad_value if a.kind == "binary" else 0
        mods += [QConv2d(CHANNELS[i], CHANNELS[i + 1], 3, stride=stride, padding=1, bias=False, weight=w, act=a,
                         pad_value=pad), nn.BatchNorm2d(CHANNELS[i + 1])]
        if plan.relu:
            mods.append(nn.ReLU())
    fix_input_range(mods[0])
    side = SIZE // int(np.prod(STRIDES))
    w, a = plan.layers[-1]
    mods += [nn.Flatten(), QLinear(CHANNELS[-1] * side * side, len(CLASSES), weight=w, act=a)]
    return nn.Sequential(*mods)


def frames_and_labels() -> tuple[np.ndarray, np.ndarray]:
    """The 200 crops as 8-bit gray frames [200, 25, 25] and their labels (1 = face)."""
    import skimage.data

    x = skimage.data.lfw_subset()
    return np.rint(x * 255).astype(np.uint8), np.r_[np.ones(100, np.int64), np.zeros(100, np.int64)]


def split(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices): 30 faces and 30 non-faces held out."""
    rng = np.random.default_rng(seed)
    faces, others = rng.permutation(100), 100 + rng.permutation(100)
    test = np.sort(np.r_[faces[:TEST_PER_CLASS], others[:TEST_PER_CLASS]])
    return np.setdiff1d(np.arange(200), test), test


def model_input(frames: np.ndarray) -> np.ndarray:
    """8-bit frames [N, 25, 25] -> the model's float input [N, 1, 24, 24], as the device makes it."""
    pixels = [twin.resize(f.tobytes(), GRAY, FRAME, FRAME, TARGET) for f in frames]
    return (np.stack(pixels).astype(np.float32) / 255.0).transpose(0, 3, 1, 2)


def augment(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flips, shifts of up to 2 pixels (edges repeated), brightness; 8-bit frames out."""
    out = np.empty_like(frames)
    for i, f in enumerate(frames):
        g = f[:, ::-1] if rng.random() < 0.5 else f
        dy, dx = rng.integers(-2, 3, size=2)
        g = np.pad(g, 2, mode="edge")[2 + dy:2 + dy + FRAME, 2 + dx:2 + dx + FRAME]
        g = g.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-20, 20)
        out[i] = np.clip(np.rint(g), 0, 255).astype(np.uint8)
    return out


def dataset():
    """((train frames, labels), (test frames, labels)): 8-bit 25x25 frames."""
    frames, labels = frames_and_labels()
    train, test = split()
    return (frames[train], labels[train]), (frames[test], labels[test])


def example_input() -> torch.Tensor:
    return torch.from_numpy(model_input(dataset()[1][0][:1]))


def calibration_data() -> np.ndarray:
    return model_input(dataset()[0][0][:64])


def perturbed(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Harder camera conditions than training's: the face up to 4 pixels off centre (edges
    repeated), exposure x 0.5..1.5, sensor noise (sigma 12 levels)."""
    out = np.empty_like(frames)
    for i, f in enumerate(frames):
        dy, dx = rng.integers(-4, 5, size=2)
        g = np.pad(f, 4, mode="edge")[4 + dy:4 + dy + FRAME, 4 + dx:4 + dx + FRAME].astype(np.float32)
        g = g * rng.uniform(0.5, 1.5) + rng.normal(0.0, 12.0, g.shape)
        out[i] = np.clip(np.rint(g), 0, 255).astype(np.uint8)
    return out


def perturbed_test() -> tuple[np.ndarray, np.ndarray]:
    """The 60 held-out images, each in PERTURBED_COPIES perturbed versions (seed 123)."""
    _, (frames, labels) = dataset()
    rng = np.random.default_rng(123)
    return (np.concatenate([perturbed(frames, rng) for _ in range(PERTURBED_COPIES)]),
            np.tile(labels, PERTURBED_COPIES))


def write_frames() -> tuple[Path, Path]:
    """The held-out images as 25x25 gray camera frames: faces_test.npz (frames [60, 625], y,
    names) and faces_perturbed.npz (the same under harder conditions, 240 frames)."""
    _, (frames, labels) = dataset()
    _, test = split()
    np.savez(FRAMES_FILE, frames=frames.reshape(len(frames), -1), y=labels,
             names=np.array([f"lfw_subset[{i}]" for i in test]))
    hard, hard_labels = perturbed_test()
    np.savez(PERTURBED_FILE, frames=hard.reshape(len(hard), -1), y=hard_labels,
             names=np.array([f"lfw_subset[{i}]~{k}" for k in range(PERTURBED_COPIES) for i in test]))
    return FRAMES_FILE, PERTURBED_FILE


def batches(epoch_rng: np.random.Generator, frames: np.ndarray, labels: np.ndarray, size: int = 32):
    order = epoch_rng.permutation(len(frames))
    x = torch.from_numpy(model_input(augment(frames[order], epoch_rng)))
    y = torch.from_numpy(labels[order])
    return list(zip(x.split(size), y.split(size)))


def train(net: nn.Module, epochs: int, lr: float) -> nn.Module:
    """Adam with a cosine learning rate, batch 32, augmented every epoch; one thread, fixed seeds."""
    torch.set_num_threads(1)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    (frames, labels), _ = dataset()
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    net.train()
    for _ in range(epochs):
        for x, y in batches(rng, frames, labels):
            loss = nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net.eval()


@torch.no_grad()
def accuracy(net: nn.Module, hard: bool = False) -> float:
    """Eval-mode accuracy (the integer semantics the compiled code computes) on the 60 held-out
    images, or with `hard` on their 240 perturbed versions."""
    frames, labels = perturbed_test() if hard else dataset()[1]
    net.eval()
    return float((net(torch.from_numpy(model_input(frames))).argmax(1).numpy() == labels).mean())


def save(net: nn.Module, model_file: str | Path) -> Path:
    return _digits.save(net, model_file)


def load(net: nn.Module, model_file: str | Path) -> nn.Module:
    net = _digits.load(net, model_file)
    fix_input_range(next(m for m in net.modules() if isinstance(m, QConv2d)))
    return net


def entry_points(plan: Plan, model_file: str):
    """(model, example_input, calibration_data): the functions a tinygen model file defines,
    for a model file that only states its Plan."""
    return (lambda: load(face_net(plan), model_file)), example_input, calibration_data


def run(name: str, plan: Plan, model_file: str, epochs: int, lr: float) -> float:
    """Train, save, evaluate on the held-out images; returns the accuracy."""
    t0 = time.perf_counter()
    net = train(face_net(plan), epochs, lr)
    path = save(net, model_file)
    net = load(face_net(plan), model_file)
    acc, hard = accuracy(net), accuracy(net, hard=True)
    wbits, abits = plan.bits()
    print(f"{name}: {epochs} epochs in {time.perf_counter() - t0:.0f} s on one thread, saved {path.name} "
          f"({path.stat().st_size / 1024:.0f} KB); held-out accuracy {acc:.2%}, perturbed {hard:.2%} "
          f"(weight bits {wbits}, input bits {abits})")
    write_frames()
    return acc
