"""ONNX models for the tests: four networks (a KWS-shaped CNN with depthwise layers, an MLP of
MatMul + Add + Sigmoid written with onnx.helper, a residual block, a MobileNet-style block
with HardSwish) as float .onnx files (torch.onnx.export or onnx.helper), and each quantized by
onnxruntime's quantize_static into QDQ and QOperator form; seeded, so every run writes the
same files.

    paths = onnx_model(tmp, "kws", "qdq")        # -> Path of the .onnx
    x = onnx_inputs("kws", 20, seed=1)           # float inputs in the model's layout
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

FORMS = ("float", "qdq", "qoperator")
MODELS = ("kws", "mlp", "residual", "mobilenet")
SHAPES = {"kws": (1, 1, 25, 10), "mlp": (1, 32), "residual": (1, 8, 8, 8), "mobilenet": (1, 8, 8, 8)}
CALIB_SAMPLES = 32


class KwsNet(nn.Module):
    """DS-CNN shaped: a strided conv, two depthwise-separable blocks, global pooling, a classifier."""

    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(1, 16, (5, 3), stride=(2, 1), padding=(2, 1)), nn.BatchNorm2d(16), nn.ReLU()]
        for _ in range(2):
            layers += [nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16), nn.ReLU(),
                       nn.Conv2d(16, 16, 1), nn.BatchNorm2d(16), nn.ReLU()]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(16, 12)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class ResidualNet(nn.Module):
    """A ResNet basic block (conv-bn-relu-conv-bn + identity, relu), pooled, classified."""

    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.c2, self.b2 = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = torch.relu(self.b2(self.c2(y)) + x)
        return self.fc(torch.flatten(nn.functional.max_pool2d(y, 2), 1))


class MobileNetBlock(nn.Module):
    """An inverted residual with HardSwish (MobileNetV3): expand 1x1, depthwise 3x3, project 1x1, + input."""

    def __init__(self):
        super().__init__()
        self.expand = nn.Sequential(nn.Conv2d(8, 24, 1), nn.BatchNorm2d(24), nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(24, 24, 3, padding=1, groups=24), nn.BatchNorm2d(24), nn.Hardswish())
        self.project = nn.Sequential(nn.Conv2d(24, 8, 1), nn.BatchNorm2d(8))
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        y = self.project(self.dw(self.expand(x))) + x
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


NETS = {"kws": KwsNet, "residual": ResidualNet, "mobilenet": MobileNetBlock}
# HardSwish is an ONNX operator from opset 14 on (opset 13 exports HardSigmoid * x)
OPSETS = {"kws": 13, "residual": 13, "mobilenet": 14}


def perturbed(net_class, seed: int) -> nn.Module:
    """A net of `net_class` with seeded weights and batch-norm statistics that are not the identity, in eval mode."""
    torch.manual_seed(seed)
    net = net_class()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.6, 1.4)
            m.bias.data.uniform_(-0.2, 0.2)
    return net.eval()


def _perturbed(name: str, seed: int) -> nn.Module:
    return perturbed(NETS[name], seed)


def export_torch(net: nn.Module, shape, path: Path, opset: int = 13) -> Path:
    """torch.onnx.export (the TorchScript exporter: no onnxscript needed), batch 1, eval mode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(shape),), str(path), dynamo=False, opset_version=opset,
                          input_names=["x"], output_names=["y"])
    return path


def mlp_onnx(path: Path, seed: int = 0) -> Path:
    """x[1, 32] -> MatMul + Add -> Sigmoid -> MatMul + Add -> y[1, 10], written with onnx.helper."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 0.3, (32, 24)).astype(np.float32)
    b1 = rng.normal(0, 0.1, 24).astype(np.float32)
    w2 = rng.normal(0, 0.4, (24, 10)).astype(np.float32)
    b2 = rng.normal(0, 0.1, 10).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"]), helper.make_node("Add", ["h0", "b1"], ["h1"]),
             helper.make_node("Sigmoid", ["h1"], ["h2"]), helper.make_node("MatMul", ["h2", "w2"], ["h3"]),
             helper.make_node("Add", ["h3", "b2"], ["y"])]
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def onnx_inputs(name: str, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count,) + SHAPES[name][1:]).astype(np.float32)


def quantize(float_path: Path, out: Path, form: str, calib: np.ndarray, per_channel: bool = True,
             activation: str = "uint8", weights: str = "int8", symmetric_activations: bool = False,
             reduce_range: bool | None = None) -> Path:
    """onnxruntime's quantize_static in QDQ or QOperator form. QOperator weights take 7 bits
    (reduce_range): onnxruntime runs QLinearConv / QLinearMatMul / QGemm with its u8s8 integer
    kernels even with graph optimizations off, and on an x86-64 CPU without VNNI those sum
    pairs of uint8 x int8 products in int16 with saturation (full-range weights: up to 255 LSB
    off on QEMU's Haswell); 7-bit weights cannot saturate, so the comparison is the same on
    every CPU, as onnxruntime's documentation advises for such CPUs (reduce_range=False: full
    range, for tests that need it)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"x": x[None]} for x in calib])

        def get_next(self):
            return next(self.items, None)

    types = {"uint8": QuantType.QUInt8, "int8": QuantType.QInt8}
    logging.disable(logging.WARNING)        # "consider pre-processing": the models need none
    try:
        quantize_static(str(float_path), str(out), Reader(),
                        quant_format=QuantFormat.QDQ if form == "qdq" else QuantFormat.QOperator,
                        per_channel=per_channel, activation_type=types[activation], weight_type=types[weights],
                        reduce_range=form == "qoperator" if reduce_range is None else reduce_range,
                        extra_options={"ActivationSymmetric": symmetric_activations})
    finally:
        logging.disable(logging.NOTSET)
    return out


def onnx_model(tmp: Path, name: str, form: str, seed: int = 0, **quant) -> Path:
    """Model `name` in `form` (float, qdq, qoperator) under tmp; the float file is written once."""
    tmp = Path(tmp)
    float_path = tmp / f"{name}.onnx"
    if not float_path.exists():
        if name == "mlp":
            mlp_onnx(float_path, seed)
        else:
            export_torch(_perturbed(name, seed), SHAPES[name], float_path, OPSETS[name])
    if form == "float":
        return float_path
    tag = "_".join(f"{k}-{v}" for k, v in sorted(quant.items()))
    out = tmp / f"{name}_{form}{'_' + tag if tag else ''}.onnx"
    if not out.exists():
        quantize(float_path, out, form, onnx_inputs(name, CALIB_SAMPLES, seed + 100), **quant)
    return out
