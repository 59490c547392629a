"""Brevitas model files for tests/toolchains/test_brevitas.py and test_brevitas_qcdq.py: a DS-CNN,
a CNN with a residual and an MLP, each with int8, 4-bit or binary middle layers (weights and
inputs), written as a tinygen model file (model(), example_input(), calibration_data()). Random init, seeded, then a calibration pass
in training mode (batch norm statistics and Brevitas' activation scales from statistics).
agreement() builds one for the host and compares its outputs with the reference and with
Brevitas' own (the test and benchmarks/brevitas_agreement.py); export() writes Brevitas' own
ONNX exports of one (QCDQ, QONNX)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from e2e import assert_bit_exact, build_host
from tinygen.compiler import compile_source, load_source
from tinygen.frontend.user_module import import_file
from tinygen.ref.interpreter import quantize_input

SAMPLES = 50

MODEL_FILE = '''
import torch
import brevitas.nn as qnn
from brevitas.quant import (Int8WeightPerChannelFloat, Int8WeightPerTensorFixedPoint,
                            SignedBinaryActPerTensorConst, SignedBinaryWeightPerTensorConst)
from torch import nn

ARCH, BITS, ABITS = {arch!r}, {bits!r}, {abits!r}
SHAPE = (1, 64) if ARCH == "mlp" else (1, 1, 12, 12)


def w(bits=BITS, per_channel=False):
    if bits == 1:
        return dict(weight_quant=SignedBinaryWeightPerTensorConst)
    if per_channel:
        return dict(weight_quant=Int8WeightPerChannelFloat)
    return dict(weight_bit_width=bits)


def act(bits=ABITS):
    if bits == 1:
        return qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst)
    return qnn.QuantReLU(bit_width=bits)


def conv(cin, cout, k, bits=BITS, **kw):
    return qnn.QuantConv2d(cin, cout, k, padding=k // 2, bias=bits != 1, **w(bits, per_channel=bits == 8), **kw)


class DSCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = qnn.QuantIdentity()
        self.conv1 = conv(1, 16, 3, bits=8, stride=2)
        self.bn1, self.relu1 = nn.BatchNorm2d(16), qnn.QuantReLU()
        self.dw = conv(16, 16, 3, bits=8, groups=16)
        self.bn2, self.act2 = nn.BatchNorm2d(16), qnn.QuantReLU(bit_width=8 if ABITS == 1 else ABITS)
        self.pw = conv(16, 32, 1, bits=8 if BITS == 1 else BITS)     # int8 in: no binary-output b1 kernel
        self.bn3, self.relu3 = nn.BatchNorm2d(32), act()
        self.pw2 = conv(32, 32, 1)
        self.bn4, self.relu4 = nn.BatchNorm2d(32), qnn.QuantReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head_in = qnn.QuantIdentity()
        self.fc = qnn.QuantLinear(32, 10, bias=True, weight_quant=Int8WeightPerTensorFixedPoint)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(self.inp(x))))
        x = self.act2(self.bn2(self.dw(x)))
        x = self.relu3(self.bn3(self.pw(x)))
        x = self.relu4(self.bn4(self.pw2(x)))
        return self.fc(self.head_in(torch.flatten(self.pool(x), 1)))


class ResCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = qnn.QuantIdentity()
        self.conv1 = conv(1, 32, 3, bits=8)
        self.bn1, self.relu1 = nn.BatchNorm2d(32), qnn.QuantReLU()
        self.conv2 = conv(32, 32, 3, bits=8 if BITS == 1 else BITS)    # int8 in: no binary-output b1 kernel
        self.bn2, self.act2 = nn.BatchNorm2d(32), act()
        self.conv3 = conv(32, 32, 3)
        self.bn3 = nn.BatchNorm2d(32)
        self.relu_out = qnn.QuantReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head_in = qnn.QuantIdentity()
        self.fc = qnn.QuantLinear(32, 10, bias=True)

    def forward(self, x):
        s = self.relu1(self.bn1(self.conv1(self.inp(x))))
        t = self.act2(self.bn2(self.conv2(s)))
        y = self.relu_out(self.bn3(self.conv3(t)) + s)
        return self.fc(self.head_in(torch.flatten(self.pool(y), 1)))


def mlp():
    return nn.Sequential(qnn.QuantIdentity(), qnn.QuantLinear(64, 128, **w(8 if BITS == 1 else BITS)), nn.BatchNorm1d(128),
                         act(), qnn.QuantLinear(128, 128, bias=BITS != 1, **w()), nn.BatchNorm1d(128),
                         qnn.QuantReLU(), qnn.QuantLinear(128, 10, bias=True))


def data(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((n,) + SHAPE[1:], generator=g)


def model():
    torch.manual_seed(0)
    net = {{"dscnn": DSCNN, "rescnn": ResCNN, "mlp": mlp}}[ARCH]()
    net.train()
    with torch.no_grad():               # batch norm statistics, activation scales from statistics
        for k in range(40):
            net(data(32, 100 + k))
    return net.eval()


def example_input():
    return data(1, 7)


def calibration_data():
    return data(64, 8)
'''


def write_model(folder: Path, arch: str, bits: int, abits: int | None = None) -> Path:
    """A Brevitas model file: arch dscnn | rescnn | mlp, middle layers with `bits`-bit weights
    (8, 4, 2 or 1) and `abits`-bit inputs (default `bits`)."""
    abits = bits if abits is None else abits
    path = folder / f"brevitas_{arch}_w{bits}a{abits}.py"
    path.write_text(MODEL_FILE.format(arch=arch, bits=bits, abits=abits))
    return path


def agreement(path: Path, work: Path) -> tuple[dict, np.ndarray, int]:
    """Build the model file for the host (in `work`); check C == reference on SAMPLES inputs and
    return (build report, |C - Brevitas| per output value, samples with the same top-1 class)."""
    source = load_source(path)
    graph = compile_source(source)
    host = build_host(source, graph, work / "build")
    net = import_file(path, "_brevitas_test_").model()
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((SAMPLES,) + tuple(source.input_shape[1:])).astype(np.float32)
    inputs = [quantize_input(graph, source.to_graph_layout(x[None])) for x in xs]
    assert_bit_exact(graph, host, inputs)
    out = graph.tensor(graph.outputs[0]).qparams
    scale, zp = float(out.scale[0]), int(out.zero_point[0])
    diffs, top1 = [], 0
    with torch.no_grad():
        for x, q in zip(xs, inputs):
            y = net(torch.from_numpy(x[None]))
            y = getattr(y, "value", y)             # a QuantTensor's real values
            want = np.clip(np.round(y.numpy().astype(np.float64) / scale) + zp, -128, 127)
            got = host.invoke(q)[0].astype(np.int64).ravel()
            diffs.append(np.abs(got - want.astype(np.int64).ravel()))
            top1 += int(np.argmax(got) == np.argmax(y.numpy().ravel()))
    report = json.loads((work / "build" / "tinygen.json").read_text())
    return report, np.concatenate(diffs), top1


def export(folder: Path, arch: str, bits: int, fmt: str, abits: int | None = None, **kwargs):
    """The Brevitas model file's model() exported by Brevitas as `fmt` ("qcdq":
    export_onnx_qcdq, "qonnx": export_qonnx; kwargs to it, e.g. dynamo; none: Brevitas' defaults),
    its torch.onnx messages silenced; (the .onnx path, the model module: data(), calibration_data())."""
    from brevitas.export import export_onnx_qcdq, export_qonnx

    module = import_file(write_model(folder, arch, bits, abits), f"_{fmt}_{arch}_{bits}_")
    path = folder / f"{arch}_w{bits}_{fmt}.onnx"
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            {"qcdq": export_onnx_qcdq, "qonnx": export_qonnx}[fmt](module.model(), module.example_input(), str(path),
                                                                   **kwargs)
        finally:
            logging.disable(logging.NOTSET)
    return path, module
