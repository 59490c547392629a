"""tinygen demo: a digits classifier from PyTorch to a Cortex-M7 firmware, run on its stand-in.

1. Load the trained weights of a small CNN for scikit-learn's bundled 8x8 digits
   (digits_demo.npz beside this file, its sha256 checked; --train trains it again here).
2. Save it as a torch.export program (digits.pt2) with calibration and test data.
3. `tinygen build digits.pt2 --board f746zg`: C project + firmware for the
   Nucleo-F746ZG, with flash and RAM checked against the real part.
4. `tinygen hil digits.pt2 --board f746zg --emulate --data test.npz`: the whole
   test set through the firmware on the QEMU Cortex-M7 stand-in, over the same
   serial protocol a real board speaks; every output compared with tinygen's
   integer reference (must be bit-exact), accuracy, executed instructions per
   inference and per layer, memory and an energy estimate.

    python examples/digits_demo.py [--out build/demo] [--board f746zg] [--train [--epochs 20] [--save-weights F]]

The weights ship because training is not the same on every CPU: it is seeded and runs on one
thread, but torch's float kernels (ATen, oneDNN, MKL) differ by vector width and cache sizes:
three machines trained three networks (model hashes 83858d59, 2e702642 on an AVX2-only CPU,
fae8c23b, the shipped one, on an AVX-512 VNNI Xeon). Loading them gives the same network, model
hash and figure on every x86-64 CPU; --train retrains on this one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from tinygen.errors import ModelError

WEIGHTS = Path(__file__).with_suffix(".npz")   # DigitsNet's state dict: --train --epochs 20 --save-weights
WEIGHTS_SHA256 = "1974cf72f7670a380b4f94a666544cb6993ac23cdb7a0719fc4135b8e6a941d6"


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),                                   # 8x8 -> 4x4
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(32, 10))

    def forward(self, x):
        return torch.softmax(self.classifier(self.features(x)), dim=1)


def dataset(seed: int = 0):
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]     # [N, 1, 8, 8] in [0, 1]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = len(x) // 4
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])


def train(x, y, epochs: int) -> nn.Module:
    """The same weights on every machine: seeded, and on one thread (torch splits its sums by the
    thread count, so a 2-core and an 8-core machine trained different networks)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(x, y, epochs)
    finally:
        torch.set_num_threads(threads)


def _train(x, y, epochs: int) -> nn.Module:
    torch.manual_seed(0)
    net = DigitsNet()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(xt)).split(64):
            loss = nn.functional.nll_loss(torch.log(net(xt[idx]).clamp_min(1e-7)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


def save_weights(net: nn.Module, path: Path) -> str:
    """Write the state dict as float32/int64 arrays (no pickle); its sha256, to record in WEIGHTS_SHA256."""
    np.savez(path, **{k: v.numpy() for k, v in net.state_dict().items()})
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_weights(path: Path = WEIGHTS, sha256: str = WEIGHTS_SHA256) -> nn.Module:
    """The shipped network: DigitsNet with the weights at `path`, refused unless its sha256 is `sha256`."""
    if not path.is_file():
        raise ModelError(f"{path}: the trained weights are missing",
                         hint="restore them (git checkout) or train here: digits_demo.py --train")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ModelError(f"{path}: sha256 {digest[:16]}... is not the recorded {sha256[:16]}... (damaged or "
                         "replaced): restore it (git checkout) or train here with --train")
    net = DigitsNet()
    with np.load(path, allow_pickle=False) as arrays:
        net.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files})
    return net.eval()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/demo", help="working directory (default build/demo)")
    ap.add_argument("--train", action="store_true",
                    help="train the network on this CPU instead of loading the shipped weights (the result may "
                         "differ by CPU: torch's kernels differ by vector width)")
    ap.add_argument("--epochs", type=int, default=20, help="with --train: epochs (default 20, as shipped)")
    ap.add_argument("--save-weights", type=Path, metavar="FILE",
                    help="with --train: write the trained weights to FILE and print its sha256")
    ap.add_argument("--weights", type=Path, default=WEIGHTS, help=argparse.SUPPRESS)   # tests: another file
    ap.add_argument("--board", default="f746zg", help="board whose stand-in runs the demo (default f746zg)")
    args = ap.parse_args(argv)
    if args.save_weights and not args.train:
        ap.error("--save-weights needs --train")
    out = Path(args.out)
    (x_train, y_train), (x_test, y_test) = dataset()
    t0 = time.perf_counter()
    if args.train:
        print(f"[1/4] training a digits CNN on {len(x_train)} images ({args.epochs} epochs) on this CPU; the "
              "network may differ from the shipped one (torch's kernels differ by vector width)...", flush=True)
        net = train(x_train, y_train, args.epochs)
        if args.save_weights:
            print(f"      wrote {args.save_weights}, sha256 {save_weights(net, args.save_weights)}")
    else:
        print(f"[1/4] loading the trained digits CNN ({args.weights.name}, sha256 checked)", flush=True)
        try:
            net = load_weights(args.weights)
        except ModelError as e:
            print(f"digits_demo: error: {e.message}" + (f"\n  hint: {e.hint}" if e.hint else ""), file=sys.stderr)
            return 1
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        float_acc = float(np.mean(net(torch.from_numpy(x_test)).argmax(1).numpy() == y_test))
    print(f"      done in {time.perf_counter() - t0:.1f}s; float PyTorch accuracy {float_acc:.2%} "
          f"on {len(x_test)} test images")

    print("[2/4] exporting digits.pt2, calib.npy, test.npz", flush=True)
    torch.export.save(torch.export.export(net, (torch.from_numpy(x_train[:1]),)), out / "digits.pt2")
    np.save(out / "calib.npy", x_train[:200])
    np.savez(out / "test.npz", x=x_test, y=y_test)

    from tinygen.cli import main as tinygen_main

    common = [str(out / "digits.pt2"), "--board", args.board, "--calib", str(out / "calib.npy"),
              "-o", str(out / "digits")]
    print(f"[3/4] tinygen build digits.pt2 --board {args.board}", flush=True)
    rc = tinygen_main(["build", *common])
    if rc != 0:
        return rc

    print(f"[4/4] tinygen hil digits.pt2 --board {args.board} --emulate --data test.npz", flush=True)
    report = out / "report.json"
    rc = tinygen_main(["hil", *common, "--emulate", "--data", str(out / "test.npz"),
                       "--json", str(report), "--plot", str(out / "layers.png")])
    if rc == 0:
        summary = json.loads(report.read_text())
        print(f"\nfloat PyTorch accuracy {float_acc:.2%}, int8 firmware accuracy "
              f"{summary['accuracy']:.2%}; {summary['bit_exact']}/{summary['samples']} outputs bit-exact "
              f"with the reference")
        print(f"report: {report}; per-layer plot: {out / 'layers.png'}; firmware project: {out / 'digits'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
