"""tinygen demo: a digits classifier from PyTorch to C, checked end to end.

1. Train a small CNN on scikit-learn's bundled 8x8 digits (no download).
2. Save it as a torch.export program (digits.pt2) with calibration and test data.
3. `tinygen build digits.pt2 --board host --calib calib.npy` → C project + library.
4. Run the whole test set through the compiled C, and compare with the float
   model, the labels and tinygen's integer reference (must be bit-exact).

    python examples/digits_demo.py [--out build/demo] [--epochs 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/demo", help="working directory (default build/demo)")
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    (x_train, y_train), (x_test, y_test) = dataset()
    t0 = time.perf_counter()
    print(f"[1/4] training a digits CNN on {len(x_train)} images ({args.epochs} epochs)...", flush=True)
    net = train(x_train, y_train, args.epochs)
    print(f"      done in {time.perf_counter() - t0:.1f}s")

    print("[2/4] exporting digits.pt2, calib.npy, test.npz", flush=True)
    torch.export.save(torch.export.export(net, (torch.from_numpy(x_train[:1]),)), out / "digits.pt2")
    np.save(out / "calib.npy", x_train[:200])
    np.savez(out / "test.npz", x=x_test, y=y_test)

    print("[3/4] tinygen build digits.pt2 --board host --calib calib.npy", flush=True)
    from tinygen.cli import main as tinygen_main

    rc = tinygen_main(["build", str(out / "digits.pt2"), "--board", "host",
                       "--calib", str(out / "calib.npy"), "-o", str(out / "digits")])
    if rc != 0:
        return rc

    print("[4/4] running the test set through the generated C", flush=True)
    from tinygen.compiler import compile_source, load_source
    from tinygen.ref.interpreter import quantize_input, run
    from tinygen.run.host import HostModel

    source = load_source(out / "digits.pt2")
    graph = compile_source(source, str(out / "calib.npy"))
    host = HostModel(out / "digits")
    xq = quantize_input(graph, source.to_graph_layout(x_test))
    c_out = np.stack([host.invoke(x)[0].ravel() for x in xq])
    ref_out = np.stack([run(graph, x)[graph.outputs[0]].ravel() for x in xq])
    with torch.no_grad():
        float_pred = net(torch.from_numpy(x_test)).argmax(1).numpy()
    c_pred = c_out.argmax(1)
    report = {
        "test_images": int(len(x_test)),
        "float_accuracy": float(np.mean(float_pred == y_test)),
        "int8_c_accuracy": float(np.mean(c_pred == y_test)),
        "top1_agreement_int8_vs_float": float(np.mean(c_pred == float_pred)),
        "c_bit_exact_with_reference": int(np.sum(np.all(c_out == ref_out, axis=1))),
        "weight_bytes": host.manifest["weight_bytes"],
        "arena_bytes": host.manifest["arena_size"],
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    from tinygen.report import table

    print()
    print(table(["", "value"], [
        ["test images", report["test_images"]],
        ["float PyTorch accuracy", f"{report['float_accuracy']:.2%}"],
        ["int8 C accuracy (host)", f"{report['int8_c_accuracy']:.2%}"],
        ["int8 vs float top-1 agreement", f"{report['top1_agreement_int8_vs_float']:.2%}"],
        ["C == reference (bit-exact)", f"{report['c_bit_exact_with_reference']}/{len(x_test)}"],
        ["weights (flash)", f"{report['weight_bytes']} B"],
        ["arena (RAM)", f"{report['arena_bytes']} B"],
    ], "lr"))
    print(f"\nreport: {out / 'report.json'}; C project: {out / 'digits'}")
    return 0 if report["c_bit_exact_with_reference"] == len(x_test) else 1


if __name__ == "__main__":
    sys.exit(main())
