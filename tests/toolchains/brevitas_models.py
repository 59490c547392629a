"""Brevitas model files for tests/toolchains/test_brevitas.py and test_brevitas_qcdq.py: a DS-CNN,
a CNN with a residual and an MLP, each with int8, 4-bit or binary middle layers (weights and
inputs), written as a tinygen model file (model(), example_input(), calibration_data()). Random init, seeded, then a calibration pass
in training mode (batch norm statistics and Brevitas' activation scales from statistics).
agreement() builds one for the host and compares its outputs with the reference and with
Brevitas' own (the test and benchmarks/brevitas_agreement.py); export() writes Brevitas' own
ONNX exports of one (QCDQ, QONNX); qcdq_agreement() and qonnx_agreement() compare such an export's
build with onnxruntime's / qonnx's execution of it (the tests and benchmarks/brevitas_qcdq_agreement.py,
benchmarks/qonnx_agreement.py)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from e2e import assert_bit_exact, build_host
from tinygen.compiler import compile_source, load_source
from tinygen.frontend.user_module import import_file
from tinygen.hil.onnx_check import Agreement, compare_outputs, run_onnxruntime
from tinygen.ir import Graph
from tinygen.ref.interpreter import quantize_input, run

SAMPLES = 50
ARCH_NAMES = {"mlp": "MLP", "dscnn": "DS-CNN", "rescnn": "residual CNN"}

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


def agreement_row(diff: np.ndarray, top1: int, samples: int, **keys) -> dict:
    """A benchmark's row (keys, then the counts of values equal / within 1 LSB in `diff`, its largest
    value, samples with the same top-1), printed as one line."""
    row = {**keys, "values": int(diff.size), "equal": int(np.sum(diff == 0)), "within_1_lsb": int(np.sum(diff <= 1)),
           "max_lsb": int(diff.max()), "top1_same": int(top1), "samples": samples}
    n = row["values"]
    print(f"{row['model']:34s} {row.get('export', ''):13s} equal {row['equal']:5d}/{n}  within 1 LSB "
          f"{row['within_1_lsb']:5d}/{n}  max {row['max_lsb']}  same top-1 {top1}/{samples}  {row.get('kernels', '')}",
          flush=True)
    return row


def kernels(report: dict) -> list[str]:
    """The kernel of each layer of a build report (tinygen.json)."""
    return [layer["kernel"] for layer in report["layers"]]


def last_quantized(path: Path, x: np.ndarray) -> np.ndarray:
    """onnxruntime's last QuantizeLinear of an activation (what the float last layer reads), on
    tinygen's int8 grid, [N, -1] in ONNX's order."""
    model = onnx.load(str(path))
    consts = {i.name: i for i in model.graph.initializer}
    node = [n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] not in consts][-1]
    model.graph.output.append(onnx.helper.make_tensor_value_info(node.output[0], consts[node.input[2]].data_type,
                                                                 None))
    probe = path.with_name(path.stem + "_probe.onnx")
    onnx.save(model, str(probe), save_as_external_data=False)
    out = run_onnxruntime(probe, [x])[-1]
    return (out.astype(np.int64) - (128 if out.dtype == np.uint8 else 0)).reshape(len(x), -1)


def qcdq_agreement(path: Path, module, work: Path) -> tuple[Agreement, np.ndarray, Graph, dict]:
    """Build a QCDQ export for the host in `work` (C == reference on a few inputs); (compare_outputs'
    agreement on SAMPLES inputs, |reference - onnxruntime| of the int8 tensor the float last layer
    reads, the graph, the build report)."""
    source = load_source(path)
    graph = compile_source(source, None)
    x = module.data(SAMPLES, 5).numpy()
    q = quantize_input(graph, source.to_graph_layout(x))
    host = build_host(source, graph, work / "host")
    assert_bit_exact(graph, host, [q[i:i + 1] for i in range(4)])
    runs = [run(graph, q[i:i + 1], keep_all=True) for i in range(SAMPLES)]
    a = compare_outputs(graph, run_onnxruntime(path, [x]), [[r[o] for o in graph.outputs] for r in runs])
    tail = next(n for n in graph.nodes if n.op == "requantize" and graph.tensor(n.outputs[0]).dtype == "float32")
    ours = np.stack([r[tail.inputs[0]].reshape(-1) for r in runs]).astype(np.int64)
    report = json.loads((work / "host" / "tinygen.json").read_text())
    return a, np.abs(ours - last_quantized(path, x)).ravel(), graph, report


def qonnx_model(path: Path):
    """qonnx's ModelWrapper of an .onnx file, shapes inferred."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes

    return ModelWrapper(str(path)).transform(InferShapes())


def qonnx_execute(model, feed: dict) -> dict:
    """qonnx's own execution of a ModelWrapper (qonnx.core.onnx_exec)."""
    from qonnx.core.onnx_exec import execute_onnx

    return execute_onnx(model, feed)


def qonnx_agreement(path: Path, module, work: Path) -> tuple[dict, np.ndarray, int]:
    """Build a QONNX export for the host in `work`, calibrating with the model's calibration_data()
    (C == reference on a few inputs); (build report, |reference - qonnx| per output value on the
    output grid over SAMPLES inputs, samples with the same top-1 class)."""
    np.save(work / "calib.npy", module.calibration_data().numpy())
    source = load_source(path)
    graph = compile_source(source, str(work / "calib.npy"))
    host = build_host(source, graph, work / "build")
    report = json.loads((work / "build" / "tinygen.json").read_text())
    xs = module.data(SAMPLES, 5).numpy()
    inputs = [quantize_input(graph, source.to_graph_layout(x[None])) for x in xs]
    assert_bit_exact(graph, host, inputs[:4])
    out = graph.tensor(graph.outputs[0]).qparams
    wrapper = qonnx_model(path)
    name_in, name_out = wrapper.graph.input[0].name, wrapper.graph.output[0].name
    diffs, same = [], 0
    for x, q in zip(xs, inputs):
        theirs = qonnx_execute(wrapper, {name_in: x[None]})[name_out]
        want = np.clip(np.round(theirs / float(out.scale[0])) + int(out.zero_point[0]), -128, 127).astype(np.int64)
        got = run(graph, q)[graph.outputs[0]].reshape(want.shape).astype(np.int64)
        diffs.append(np.abs(got - want).ravel())
        same += int(np.argmax(got) == np.argmax(theirs))
    return report, np.concatenate(diffs), same
