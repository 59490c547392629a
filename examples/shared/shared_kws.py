"""The MLPerf-shaped DS-CNN keyword spotter with weights shared among 2**bits trained
centroids per output channel (tinygen.nn.share_weights): the stem, the four pointwise
convolutions and the linear layer are int8 QConv2d / QLinear whose weights are clustered
from the trained float model (examples/kws/dscnn_kws.pt), then fine-tuned; the depthwise
convolutions stay nn.Conv2d (int8 post-training quantization at compile time).

    python examples/shared/shared_kws.py [--bits 4 3 2] [--epochs 3]
        # needs the KWS corpus (espeak-ng; examples/kws/_kws.py), saves shared<bits>_kws.pt
        # and writes RESULTS-kws.md: float vs shared accuracy and weight bytes per bits
    tinygen build examples/shared/shared4_kws.py --board f746zg
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "kws"))

import _kws  # noqa: E402

from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.nn import ActQuant, WeightQuant, share_weights  # noqa: E402

INT8 = (WeightQuant("int8"), ActQuant("int8"))
PLAN = _kws.Plan(stem=INT8, pointwise=INT8, fc=INT8)
EPOCHS, LR = 3, 5e-4
RESULTS = HERE / "RESULTS-kws.md"


def shared(bits: int) -> torch.nn.Module:
    net = _kws.dscnn(PLAN)
    share_weights(net, bits)
    return net


def model_file_functions(bits: int, model_file: str):
    """model(), example_input() and calibration_data() of shared<bits>_kws.py."""
    return _kws.model_file_functions(lambda: shared(bits), model_file)


def weight_bytes(graph) -> tuple[int, int]:
    """(int8 bytes, stored bytes) of the compiled model's MAC-layer weights."""
    plain = stored = 0
    for node in graph.nodes:
        t = graph.tensor(node.param("weight")) if node.param("weight") else None
        if t is not None:
            plain += t.size
            stored += t.codebook.packed_bytes() if t.codebook is not None else t.nbytes
    return plain, stored


def trained(bits: int, epochs: int) -> tuple[torch.nn.Module, float, float]:
    """(net, accuracy right after clustering, seconds) of one bit width."""
    net = _kws.init_from_float(_kws.dscnn(PLAN))
    x, _ = _kws.dataset("train")
    net.train()
    with torch.no_grad():                       # the int8 input ranges, before clustering's accuracy
        for batch in torch.from_numpy(x[:1024]).split(256):
            net[:-1](batch)
    share_weights(net, bits)
    clustered = _kws.accuracy(net)
    net, seconds = _kws.train(net, epochs, LR)
    return net, clustered, seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bits", type=int, nargs="+", default=[4, 3, 2])
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args(argv)
    float_acc = _kws.accuracy(_kws.load(_kws.dscnn(), _kws.HERE / "dscnn_kws.py"))
    rows = []
    for bits in args.bits:
        net, clustered, seconds = trained(bits, args.epochs)
        file = HERE / f"shared{bits}_kws.py"
        _kws.save(net, file)
        acc = _kws.accuracy(net)
        plain, stored = weight_bytes(compile_source(load_source(file)))
        rows.append(f"| {bits} | {clustered:.2%} | {acc:.2%} | {stored:,} | {plain:,} | {stored / plain:.3f} | {seconds:.0f} |")
        print(rows[-1], flush=True)
    RESULTS.write_text(f"""# Shared weights on the DS-CNN keyword spotter

examples/shared/shared_kws.py: the float DS-CNN (examples/kws/dscnn_kws.pt, eval accuracy
{float_acc:.2%} on the corpus's test clips) with int8 stem, pointwise and linear layers whose
weights share 2**bits centroids per output channel (tinygen.nn.share_weights), fine-tuned
{args.epochs} epochs (one thread, fixed seeds; seconds on a shared 2-core machine). "clustered":
accuracy right after clustering; weight bytes: every MAC layer's weights as the build stores
them (the depthwise layers int8, the shared ones packed indices plus per-channel tables).
Each is saved as shared<bits>_kws.pt beside its model file shared<bits>_kws.py.

| bits | clustered | fine-tuned | weight bytes | int8 bytes | vs int8 | seconds |
|---|---|---|---|---|---|---|
""" + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
