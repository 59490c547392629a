"""Does a cheap saliency predictor keep the accuracy of the full one? (issue 23)

    .venv/bin/python benchmarks/gating_predictor_accuracy.py [--seeds 0 1 2] [--epochs 20]

Trains on scikit-learn's bundled 8x8 digits (examples/gating/_gated_digits.py: 1400 train,
397 test images), at gate density 0.5, each network from scratch with several seeds, and
prints the float test accuracy (eval mode: the gate is the deployed top-k) per predictor:
- the gated conv net of the digits example (GatedConv2d 1->16, 16->32 /2, 32->32 /2, head),
  its predictors the full linear layer (the example's) or a bottleneck of width r;
- a gated MLP: the flattened image (64) -> GatedLinear(64, 128) -> Linear(128, 10), its
  predictor full (64 -> 128), a bottleneck r, or a bottleneck on the input pooled by g.
The cost side is benchmarks/gating_masked.py. Float accuracy: the int8 model tracks it
(tests/gating/test_gating_predictor.py checks the compiled bottleneck is exact to the reference).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "gating"))

from _gated_digits import DENSITY, LR, Gated, dataset  # noqa: E402
from _nets import fit  # noqa: E402

from tinygen.nn.gating import GatedLinear  # noqa: E402

HIDDEN = 128


class GatedMLP(nn.Module):
    def __init__(self, predictor_hidden: int | None = None, predictor_pool: int = 1):
        super().__init__()
        self.fc = GatedLinear(64, HIDDEN, density=DENSITY, predictor_hidden=predictor_hidden,
                              predictor_pool=predictor_pool)
        self.head = nn.Linear(HIDDEN, 10)

    def forward(self, x):
        z = self.head(self.fc(x.flatten(1)))
        return z if self.training else torch.softmax(z, dim=1)


# (network, predictor label, constructor)
CASES = (
    ("conv", "full", lambda: Gated()),
    ("conv", "bottleneck r=4", lambda: Gated(predictor_hidden=4)),
    ("conv", "bottleneck r=8", lambda: Gated(predictor_hidden=8)),
    ("mlp", "full", lambda: GatedMLP()),
    ("mlp", "bottleneck r=8", lambda: GatedMLP(8)),
    ("mlp", "bottleneck r=4", lambda: GatedMLP(4)),
    ("mlp", "bottleneck r=8, pool 2", lambda: GatedMLP(8, 2)),
    ("mlp", "bottleneck r=8, pool 4", lambda: GatedMLP(8, 4)),
)


def accuracy(net: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((net.eval()(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    (x, y), (xt, yt) = dataset()
    rows = []
    for network, label, make in CASES:
        accs = []
        for seed in args.seeds:
            torch.manual_seed(seed)
            net = make()
            fit(net, lambda xb, yb, net=net: F.cross_entropy(net(xb), yb), x, y, label, lambda _: None, LR,
                args.epochs)
            accs.append(100 * accuracy(net, xt, yt))
        rows.append((network, label, accs))
        print(f"  {network} {label}: " + ", ".join(f"{a:.1f}" for a in accs) + f" (mean {np.mean(accs):.2f} %)",
              flush=True)
    print(f"\n| network | predictor | test accuracy at d = {DENSITY:g}, mean of seeds {args.seeds} | vs full |")
    print("|---|---|---|---|")
    full = {n: np.mean(a) for n, lab, a in rows if lab == "full"}
    for network, label, accs in rows:
        print(f"| {network} | {label} | {np.mean(accs):.2f} % (min {min(accs):.1f}, max {max(accs):.1f}) | "
              f"{np.mean(accs) - full[network]:+.2f} |")


if __name__ == "__main__":
    main()
