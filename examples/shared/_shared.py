"""Shared by the weight-sharing examples (tinygen.nn.share_weights, Deep Compression's trained
quantization): the digits CNN of examples/lowbit/_digits.py with int8 weights and inputs in
every layer, then each layer's weights shared among 2**bits trained centroids per output
channel.

    1. int8 quantization-aware training, starting from the float baseline's weights
       (examples/lowbit/float_digits.pt)                            -> int8_digits.pt
    2. per bits: share_weights(net, bits) clusters every layer's weights, then the centroids
       (and batch norms) are fine-tuned                             -> shared<bits>_digits.pt

`python examples/shared/shared_digits.py [--bits 4 3 2]` trains and rewrites RESULTS.md:
accuracy (float, int8, clustered before fine-tuning, fine-tuned) and the MAC layers' weight
bytes as the build stores them (int8; shared: packed indices + the per-channel tables).
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lowbit"))

import _digits  # noqa: E402

from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.nn import ActQuant, WeightQuant, share_weights  # noqa: E402

INT8 = _digits.Plan(layers=((WeightQuant("int8"), ActQuant("int8")),) * 4)
INT8_EPOCHS, SHARE_EPOCHS, LR, SHARE_LR = 10, 10, 1e-3, 1e-3
RESULTS = HERE / "RESULTS.md"


def int8_net() -> torch.nn.Module:
    return _digits.digits_net(INT8)


def shared_net(bits: int) -> torch.nn.Module:
    """The shared-weight network's structure (load its weights after)."""
    net = int8_net()
    net.train()
    with torch.no_grad():               # the int8 input ranges must exist before eval
        net(torch.from_numpy(_digits.calibration_data()[:8]))
    share_weights(net, bits)
    return net


def model_for(bits: int, model_file: str) -> torch.nn.Module:
    return _digits.load(shared_net(bits), model_file)


def model_file_functions(bits: int | None, model_file: str):
    """(model, example_input, calibration_data) of a model file: the shared-weight model of
    `bits`, or the int8 starting point (None)."""
    def model():
        return model_for(bits, model_file) if bits else _digits.load(int8_net(), model_file)
    return model, _digits.example_input, _digits.calibration_data


def train_int8() -> torch.nn.Module:
    net = int8_net()
    state = torch.load(_digits.weights_path(_digits.FLOAT_MODEL), weights_only=True)
    net.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)   # + the input ranges
    _digits.train(net, INT8_EPOCHS, LR)
    _digits.save(net, HERE / "int8_digits.py")
    return net


def weight_bytes(model_file: Path) -> tuple[int, int]:
    """(int8 bytes, stored bytes) of the compiled model's MAC-layer weights."""
    graph = compile_source(load_source(model_file))
    plain = stored = 0
    for node in graph.nodes:
        for pset in node.params:
            if "weight" in pset:
                t = graph.tensor(pset["weight"])
                plain += t.size
                stored += t.codebook.packed_bytes() if t.codebook is not None else t.nbytes
    return plain, stored


def run(bits_list: list[int]) -> None:
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    net8 = train_int8()
    rows = [("int8", _digits.accuracy(net8), "", *weight_bytes(HERE / "int8_digits.py"))]
    for bits in bits_list:
        net = copy.deepcopy(net8)
        share_weights(net, bits)
        clustered = _digits.accuracy(net)
        _digits.train(net, SHARE_EPOCHS, SHARE_LR)
        file = HERE / f"shared{bits}_digits.py"
        _digits.save(net, file)
        rows.append((f"shared{bits}", _digits.accuracy(net), f"{clustered:.2%}", *weight_bytes(file)))
        print(f"shared {bits} bits: clustered {clustered:.2%}, fine-tuned {rows[-1][1]:.2%}, "
              f"weights {rows[-1][4]} B of {rows[-1][3]} B int8", flush=True)
    write_results(_digits.float_baseline(), rows, time.perf_counter() - t0)


def write_results(float_acc: float, rows: list, seconds: float) -> None:
    lines = [f"| {name} | {acc:.2%} | {clustered or 'n/a'} | {stored:,} | {stored / plain:.3f} |"
             for name, acc, clustered, plain, stored in rows]
    RESULTS.write_text(f"""# Shared weights on the digits CNN: accuracy and flash

The CNN of examples/lowbit/_digits.py (449 test images), int8 weights and inputs in every
layer (`int8`: quantization-aware training from the float baseline, {INT8_EPOCHS} epochs), then
`tinygen.nn.share_weights(net, bits)` and {SHARE_EPOCHS} epochs of fine-tuning the centroids
(`shared<bits>`). Float baseline (examples/lowbit/float_digits.py): {float_acc:.2%}.
"clustered" is the accuracy right after clustering, before fine-tuning. Weight bytes are the
four MAC layers' weights as the build stores them: int8, or packed indices plus one table of
2**bits int8 codes per output channel (tinygen.ir.Codebook.packed_bytes). Rewritten by
`python examples/shared/shared_digits.py` (one thread, fixed seeds; {seconds:.0f} s here).

| model | test acc | clustered | weight bytes | vs int8 |
|---|---|---|---|---|
""" + "\n".join(lines) + "\n")

