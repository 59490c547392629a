"""int16 activations for models tinygen quantizes (--activations int16, TFLite's 16x8 scheme):
passes/activation_widths.py chooses the int16 layers and puts QUANTIZE (requantize) nodes at
the width boundaries; quantize gives int16 tensors symmetric grids (zero point 0, scale
max|x| / 32767), MAC layers int64 biases. The compiled graph's numpy reference equals its C
on the host byte for byte, each int16 layer equals TensorFlow Lite Micro's kernel on the same
quantization, and the int16 model follows the float model more closely than the int8 one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from e2e import assert_bit_exact, build_host
from onnx_lib import mlp_onnx
from tflm_single_op import nodes_equal_tflm
from torch_models import source_of

from tinygen.compiler import compile_source, load_source
from tinygen.errors import UsageError
from tinygen.passes import CompileOptions
from tinygen.passes.activation_widths import parse_activations
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import dequantize, quantize_input, run


class Wide(torch.nn.Module):
    """conv + relu, a residual add, average pooling (int8 only), a depthwise conv, a padded
    strided conv, a multiply by a constant and a fully connected head."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.pool = torch.nn.AvgPool2d(2)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.conv3 = torch.nn.Conv2d(8, 4, 1)
        self.fc = torch.nn.Linear(4 * 4 * 4, 6)

    def forward(self, x):
        y = torch.relu(self.conv1(x))
        y = self.pool(y + self.conv2(y))
        y = self.conv3(torch.relu(self.dw(y))) * 0.5
        return self.fc(torch.flatten(y, 1))


def wide_data(n: int, seed: int) -> np.ndarray:
    """Inputs of wide dynamic range: normal values times log-normal magnitudes (e^N(0, 2))."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 2, 8, 8)) * np.exp(rng.normal(0, 2, (n, 2, 8, 8)))).astype(np.float32)


@pytest.fixture(scope="module")
def source():
    torch.manual_seed(0)
    return source_of(Wide(), wide_data(64, 1), "wide")


class Shapes(torch.nn.Module):
    """sub, pad, strided slice, mul of two activations and a transposed conv, around a ReLU that
    does not fold (int8: no int16 clamp kernel)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 8, 3, padding=1)
        self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)

    def forward(self, x):
        y = self.conv1(x)
        y = torch.nn.functional.pad(y - torch.relu(y), (1, 1, 1, 1))[:, :, 1:9:2, :]
        return self.up(y * y)


def compiled(source, activations: str):
    return compile_source(source, options=CompileOptions(activations=activations))


def test_activations_int16_all(source):
    g = compiled(source, "int16")
    kinds = {n.name: (n.op, n.kernel, g.tensor(n.outputs[0]).dtype) for n in g.nodes}
    wide = sorted(op for op, _, dtype in kinds.values() if dtype == "int16" and op != "requantize")
    # the flatten (a reshape) keeps its input's width
    assert wide == ["add", "conv2d", "conv2d", "conv2d", "depthwise_conv2d", "fully_connected", "mul", "reshape"]
    assert [op for op, _, dtype in kinds.values() if dtype == "int8" and op not in ("requantize", "reshape")] == \
        ["avg_pool2d"]
    # one QUANTIZE into the int8 pooling, one back out of it
    assert sorted(k for op, k, _ in kinds.values() if op == "requantize") == \
        ["tg_requantize_s16_s8", "tg_requantize_s8_s16"]
    assert g.tensor(g.inputs[0]).dtype == g.tensor(g.outputs[0]).dtype == "int16"
    for node in g.nodes:
        if node.op in ("conv2d", "depthwise_conv2d", "fully_connected"):
            assert node.kernel.startswith(f"tg_{node.op}_s16")
            assert g.tensor(node.param("bias")).dtype == "int64"
            assert g.tensor(node.param("weight")).dtype == "int8"
    x = g.tensor(g.inputs[0])
    assert int(x.qparams.zero_point[0]) == 0
    lo, hi = x.calib_range
    assert float(x.qparams.scale[0]) == pytest.approx(max(-lo, hi) / 32767, rel=1e-6)
    mul = next(n for n in g.nodes if n.op == "mul")
    assert g.tensor(mul.param("operand")).dtype == "int16"
    relu = next(n for n in g.nodes if n.source.startswith("conv1"))
    assert (relu.attrs["act_min"], relu.attrs["act_max"]) == (0, 32767)
    assert g.meta["activations"]["int8"] == [n.name for n in g.nodes if n.op == "avg_pool2d"]


def test_activations_int16_per_layer(source):
    g = compiled(source, "int16:conv2,fc")
    wide = sorted(n.source.split(" (")[0] for n in g.nodes
                  if g.tensor(n.outputs[0]).dtype == "int16" and n.op != "requantize")
    assert wide == ["conv2", "fc"]
    assert g.tensor(g.inputs[0]).dtype == "int8" and g.tensor(g.outputs[0]).dtype == "int16"
    # conv1 -> conv2 (int16) and the add (int8) reads conv2's output back as int8; into fc
    assert sum(n.op == "requantize" for n in g.nodes) == 3


def test_activations_int8_unchanged(source):
    a, b = compiled(source, "int8"), compile_source(source)
    assert [(n.name, n.kernel) for n in a.nodes] == [(n.name, n.kernel) for n in b.nodes]
    assert all(t.dtype != "int16" for t in a.activation_tensors())


@pytest.mark.parametrize("spec, message", [("int12", "not a width"), ("int8:conv1", "not a width"),
                                           ("int16:", "names no layer")])
def test_activations_spec_errors(spec, message):
    with pytest.raises(UsageError, match=message):
        parse_activations(spec)


def test_activations_unknown_layer(source):
    with pytest.raises(UsageError, match="does not have: conv9") as e:
        compiled(source, "int16:conv1,conv9")
    assert "conv2" in e.value.hint


@pytest.mark.parametrize("activations", ["int16", "int16:conv2,fc", "int16:conv1,dw,conv3"])
def test_activations_int16_host_bit_exact(source, activations, tmp_path):
    g = compiled(source, activations)
    host = build_host(source, g, tmp_path / "m")
    xs = [quantize_input(g, source.to_graph_layout(x[None])) for x in wide_data(4, 5)]
    assert_bit_exact(g, host, xs)


def test_activations_int16_equals_tflm(source):
    g = compiled(source, "int16")
    xs = [quantize_input(g, source.to_graph_layout(x[None])) for x in wide_data(3, 6)]
    checked = nodes_equal_tflm(g, xs)
    assert sorted(set(checked)) == ["add", "conv2d", "depthwise_conv2d", "fully_connected", "mul", "requantize"]


class Dense(torch.nn.Module):
    """Layers that all have int16 kernels: conv + relu, conv with a residual add, fully connected."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 8 * 8, 6)

    def forward(self, x):
        y = torch.relu(self.conv1(x))
        return self.fc(torch.flatten(y + self.conv2(y), 1))


def test_activations_int16_shape_ops_exact(tmp_path):
    torch.manual_seed(0)
    data = np.random.default_rng(3).standard_normal((16, 2, 8, 8)).astype(np.float32) * 5
    source = source_of(Shapes(), data, "shapes")
    g = compiled(source, "int16")
    assert [n.kernel for n in g.nodes] == [
        "tg_conv2d_s16", "tg_requantize_s16_s8", "tg_clamp_s8", "tg_requantize_s8_s16", "tg_sub_s16",
        "tg_pad_s16", "tg_strided_slice_s16", "tg_mul_s16", "tg_transpose_conv2d_s16"]
    xs = [quantize_input(g, source.to_graph_layout(x[None])) for x in data[:3]]
    assert_bit_exact(g, build_host(source, g, tmp_path / "m"), xs)
    assert sorted(nodes_equal_tflm(g, xs)) == ["conv2d", "mul", "pad", "requantize", "requantize",
                                               "strided_slice", "transpose_conv2d"]


def test_activations_int16_float_onnx(tmp_path):
    """A float ONNX model (two MatMuls around a sigmoid): all int16, the sigmoid TFLite Micro's
    16x8 LOGISTIC (Q0.15 out), exact on the host."""
    source = load_source(mlp_onnx(tmp_path / "m.onnx"))
    data = np.random.default_rng(0).standard_normal((16, *source.input_shape[1:])).astype(np.float32)
    np.save(tmp_path / "calib.npy", data)
    g = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions(activations="int16"))
    assert [n.kernel for n in g.nodes] == ["tg_fully_connected_s16", "tg_logistic_lut_s16", "tg_fully_connected_s16"]
    sigmoid = g.tensor(g.nodes[1].outputs[0]).qparams
    assert (float(sigmoid.scale[0]), int(sigmoid.zero_point[0])) == (1 / 32768, 0)
    xs = [quantize_input(g, source.to_graph_layout(x[None])) for x in data[:3]]
    assert_bit_exact(g, build_host(source, g, tmp_path / "b"), xs)


def _mean_abs_error(source, graph, data: np.ndarray) -> float:
    errors = []
    for x in data:
        feed = source.to_graph_layout(x[None])
        want = run_float(source.graph, feed)[source.graph.outputs[0]]
        out = graph.outputs[0]
        got = dequantize(graph, out, run(graph, quantize_input(graph, feed))[out])
        errors.append(np.abs(got - want).mean())
    return float(np.mean(errors))


def test_activations_int16_follows_float_closer(source):
    """On inputs within the calibrated ranges (the calibration samples themselves: no clipping),
    int16 activations lose far less than int8: every layer int16, and with the int8 pooling."""
    data = wide_data(64, 1)[:32]
    torch.manual_seed(0)
    dense = source_of(Dense(), wide_data(64, 1), "dense")
    e8, e16 = (_mean_abs_error(dense, compiled(dense, a), data) for a in ("int8", "int16"))
    assert e16 < e8 / 4, (e8, e16)
    e8, e16 = (_mean_abs_error(source, compiled(source, a), data) for a in ("int8", "int16"))
    assert e16 < e8, (e8, e16)


class Reduce(torch.nn.Module):
    """PReLU, a gate (sigmoid times tanh), a sum over W, a matmul of two activations (with the
    transposes the layout puts around it), a mean over channels, a concatenation and a softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 8, 3, padding=1)
        self.prelu = torch.nn.PReLU(8)
        self.fc = torch.nn.Linear(8 * 8 + 8 * 8, 6)

    def forward(self, x):
        y = self.prelu(self.conv1(x))
        y = torch.sigmoid(y) * torch.tanh(y)
        s = y.sum(dim=3)
        y = self.fc(torch.cat([torch.flatten(y.mean(dim=1), 1), torch.flatten(torch.matmul(s, s), 1)], 1))
        return torch.softmax(y, dim=1)


def test_activations_int16_reduce_ops_exact(tmp_path):
    """--activations int16 makes them int16 (nothing goes back to int8; the sigmoid, tanh and
    softmax write Q0.15), bit-exact on the host and equal to TFLite Micro's kernels layer by layer."""
    torch.manual_seed(0)
    data = wide_data(32, 7)
    source = source_of(Reduce(), data, "reduce")
    g = compiled(source, "int16")
    assert all(g.tensor(n.outputs[0]).dtype == "int16" for n in g.nodes)
    kernels = {n.kernel for n in g.nodes if n.kernel}
    assert {"tg_prelu_s16", "tg_logistic_lut_s16", "tg_tanh_lut_s16", "tg_mean_s16", "tg_transpose_s16",
            "tg_batch_matmul_s16", "tg_concat_s16", "tg_softmax_s16"} <= kernels
    xs = [quantize_input(g, source.to_graph_layout(x[None])) for x in data[:3]]
    assert_bit_exact(g, build_host(source, g, tmp_path / "m"), xs)
    checked = nodes_equal_tflm(g, xs)
    assert {"prelu", "logistic", "tanh", "mul", "sum", "mean", "transpose", "batch_matmul", "concat",
            "softmax"} <= set(checked), checked



class Attend(torch.nn.Module):
    """Single-head attention on [1, 8, 16]: q, k, v chunked from one projection, q @ k^T / 4,
    softmax, @ v, an output projection."""

    def __init__(self):
        super().__init__()
        self.qkv, self.out = torch.nn.Linear(16, 48), torch.nn.Linear(16, 16)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.out(torch.softmax(q @ k.transpose(-2, -1) / 4.0, dim=-1) @ v)


def test_activations_int16_attention_exact(tmp_path):
    """Attention at int16 throughout (chunks tg_slice_s16, the softmax tg_softmax_s16 in Q0.15),
    bit-exact on the host and equal to TFLite Micro's kernels layer by layer."""
    torch.manual_seed(0)
    data = np.random.default_rng(8).standard_normal((16, 8, 16)).astype(np.float32)
    source = source_of(Attend(), data, "attend")
    g = compiled(source, "int16")
    assert all(g.tensor(n.outputs[0]).dtype == "int16" for n in g.nodes)
    assert {"tg_slice_s16", "tg_batch_matmul_s16", "tg_softmax_s16"} <= {n.kernel for n in g.nodes}
    xs = [quantize_input(g, source.to_graph_layout(x[None])) for x in data[:3]]
    assert_bit_exact(g, build_host(source, g, tmp_path / "m"), xs)
    assert {"slice", "batch_matmul", "softmax"} <= set(nodes_equal_tflm(g, xs))
