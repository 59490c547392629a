"""A small convolutional autoencoder for scikit-learn's bundled 8x8 digits (no download): two
strided convolutions encode an image into 2x2x16 features, two transposed convolutions
(nn.ConvTranspose2d, with batch norm and ReLU) upsample them back to 8x8, and a last 3x3
convolution with a sigmoid gives the reconstructed image in [0, 1].

    conv 3x3 1->8 /2                 ReLU   4x4
    conv 3x3 8->16 /2                ReLU   2x2
    transposed conv 3x3 16->16 x2    BN ReLU   4x4   (padding 1, output_padding 1)
    transposed conv 4x4 16->8 x2     BN ReLU   8x8   (padding 1)
    conv 3x3 8->1, sigmoid                     8x8

tinygen compiles it with int8 post-training quantization, calibrated on training images
(calibration_data() reads the bundled data set); the batch norms fold into the transposed
convolutions before them, the ReLUs fuse into them.

    python examples/autoencoder/digits_autoencoder.py       # trains (seeded, one thread), saves digits_autoencoder.pt
    tinygen build examples/autoencoder/digits_autoencoder.py --board f746zg
    python examples/autoencoder/digits_autoencoder.py --test-data test.npz
    tinygen hil examples/autoencoder/digits_autoencoder.py --board f746zg --emulate --data test.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

WEIGHTS = Path(__file__).resolve().with_suffix(".pt")
EPOCHS, LR, SEED = 60, 4e-3, 0


class DigitsAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(16), nn.ReLU(),
            nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 1, 3, padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def dataset(seed: int = SEED):
    """(train, test) images [N, 1, 8, 8] in [0, 1]: 1348 / 449, a fixed split."""
    images = (load_digits().images / 16.0).astype(np.float32)[:, None]
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = len(images) // 4
    return images[order[n_test:]], images[order[:n_test]]


def model() -> nn.Module:
    net = DigitsAutoencoder()
    if not WEIGHTS.exists():
        raise FileNotFoundError(f"trained weights {WEIGHTS} are missing: run python {Path(__file__).name}")
    net.load_state_dict(torch.load(WEIGHTS, weights_only=True))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.from_numpy(dataset()[1][:1])


def calibration_data() -> np.ndarray:
    return dataset()[0][:256]


def train(epochs: int = EPOCHS, lr: float = LR) -> nn.Module:
    """Adam on the mean squared error, a cosine learning rate, batch 64; deterministic on one thread."""
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    net = DigitsAutoencoder()
    x = torch.from_numpy(dataset()[0])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(64):
            loss = nn.functional.mse_loss(net(x[idx]), x[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net.eval()


@torch.no_grad()
def test_errors(net: nn.Module) -> tuple[float, float]:
    """(the model's mean squared error on the test images, that of the mean training image)."""
    train_x, test_x = dataset()
    mse = float(nn.functional.mse_loss(net(torch.from_numpy(test_x)), torch.from_numpy(test_x)))
    return mse, float(np.mean((test_x - train_x.mean(axis=0)) ** 2))


def main() -> None:
    ap = argparse.ArgumentParser(description="train the digits autoencoder, or write its test images")
    ap.add_argument("--test-data", type=Path, metavar="NPZ", help="write the test images (key x) here and stop")
    args = ap.parse_args()
    if args.test_data:
        np.savez(args.test_data, x=dataset()[1])
        print(f"wrote {len(dataset()[1])} test images to {args.test_data}")
        return
    t0 = time.perf_counter()
    net = train()
    torch.save(net.state_dict(), WEIGHTS)
    mse, baseline = test_errors(net)
    print(f"trained {EPOCHS} epochs in {time.perf_counter() - t0:.0f} s, saved {WEIGHTS.name} "
          f"({WEIGHTS.stat().st_size / 1024:.0f} KB); test MSE {mse:.4f} (the mean image's: {baseline:.4f})")


if __name__ == "__main__":
    main()
