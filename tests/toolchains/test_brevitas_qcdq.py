"""Brevitas' default ONNX export, `brevitas.export.export_onnx_qcdq(model, x, "m.onnx")` (the
torch.export route, dynamo=True, Brevitas 0.13's default on torch >= 2.9; and dynamo=False), of
the test networks (tests/toolchains/brevitas_models.py: an MLP with BatchNorm1d, a DS-CNN and a
CNN with a residual block, batch norms left in the model, Brevitas' default float biases, the last
layer's output float): `tinygen build m.onnx` takes it as written, its C equals tinygen's reference
byte for byte, and the reference agrees with onnxruntime's execution of the graph as written: the
int8 tensor the float last layer reads within 1 LSB (onnxruntime computes each layer, its float
bias and batch norm in float32 and rounds once; tinygen rounds the requantized accumulator, and a
residual branch twice), the same top-1 on every sample. 4-bit weights (an int8 QuantizeLinear,
a Clip to -7..7, DequantizeLinear) are stored at 4 bits and run the 4-bit kernels (docs/lowbit.md)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

pytest.importorskip("brevitas")

from brevitas_models import export, qcdq_agreement  # noqa: E402
from e2e import run_cli  # noqa: E402
from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.hil.onnx_check import run_onnxruntime  # noqa: E402
from tinygen.ref.interpreter import dequantize, quantize_input, run  # noqa: E402

def _kinds(graph) -> list[str]:
    return [n.attrs.get("weight_format", "int8") for n in graph.nodes if n.param("weight")]


_SLOW = pytest.mark.slow
# (arch, weight bits, dynamo): the default export (dynamo=True on torch 2.13) and the TorchScript one
CASES = [("mlp", 8, None), ("mlp", 8, False), ("mlp", 4, None),
         pytest.param("dscnn", 8, None, marks=_SLOW), pytest.param("rescnn", 8, None, marks=_SLOW),
         pytest.param("rescnn", 4, False, marks=_SLOW), pytest.param("mlp", 2, None, marks=_SLOW)]


@pytest.mark.parametrize("arch,bits,dynamo", CASES)
def test_brevitas_qcdq_host(arch, bits, dynamo, tmp_path):
    path, module = export(tmp_path, arch, bits, "qcdq", 8, **({} if dynamo is None else {"dynamo": dynamo}))
    a, diff, graph, _ = qcdq_agreement(path, module, tmp_path)
    print(f"{arch} w{bits} dynamo={dynamo}: last int8 tensor {diff.size} values, {np.sum(diff == 0)} equal, "
          f"{np.sum(diff <= 1)} within 1 LSB, max {diff.max()}; float outputs {a.exact}/{a.samples} equal, "
          f"largest |difference| {a.max_abs:.3g}; top-1 {a.top1}/{a.samples}; weights {_kinds(graph)}")
    # 2-bit: the float last layer's outputs agree within float32 rounding where its int8 input is
    # equal; one sample's two largest outputs lie closer than one input step's effect
    assert a.top1 >= a.samples - (1 if bits == 2 else 0), a.as_dict()
    # a residual branch (Conv -> BatchNormalization -> Add) is quantized on (twice) the add's scale,
    # then summed: rounded twice where onnxruntime rounds once (docs/onnx.md), within 1 LSB still
    assert diff.max() <= 1, np.bincount(diff)
    mac = [k for k, n in zip(_kinds(graph), [n for n in graph.nodes if n.param("weight")]) if n.op != "fully_connected"
           or graph.tensor(n.outputs[0]).dtype != "float32"]
    if bits in (4, 2):
        assert f"s{bits}" in mac, mac
    else:
        assert set(mac) == {"int8"}, mac


def test_brevitas_qcdq_4bit_weights_half(tmp_path):
    """`tinygen build m.onnx --board host` of the 4-bit export: the 4-bit layers' kernels and
    weights at 4 bits, half the bytes of the int8 export's (the float last layer is the same in both)."""
    reports, packed = {}, {}
    for bits in (8, 4):
        path, _ = export(tmp_path, "mlp", bits, "qcdq", 8)
        out = tmp_path / f"w{bits}"
        rc, _, err = run_cli("build", path, "--board", "host", "-o", out)
        assert rc == 0, err
        reports[bits] = json.loads((out / "tinygen.json").read_text())
        graph = compile_source(load_source(path), None)
        packed[bits] = sum(graph.tensor(n.param("weight")).data.nbytes for n in graph.nodes
                           if n.param("weight") and graph.tensor(n.param("weight")).dtype != "float32")
    kernels = [layer["kernel"] for layer in reports[4]["layers"]]
    assert kernels[:2] == ["tg_conv2d_s8_s4_s8"] * 2, kernels
    assert packed[4] * 2 == packed[8], packed
    ratio = reports[4]["weight_bytes"] / reports[8]["weight_bytes"]
    print(f"weight bytes: int8 {reports[8]['weight_bytes']}, 4-bit {reports[4]['weight_bytes']} ({ratio:.2f}); "
          f"integer weights {packed}")
    assert ratio < 0.7, (reports[4]["weight_bytes"], reports[8]["weight_bytes"])


def test_clip_of_activation_codes_onnx(tmp_path):
    """A Clip between QuantizeLinear and DequantizeLinear clips the integer codes (Brevitas' 4-bit
    activation: uint8 codes to 0..15), not real values: equal to onnxruntime on inputs beyond 15 codes."""
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
             numpy_helper.from_array(np.array(0, np.uint8), "z"), numpy_helper.from_array(np.array(15, np.uint8), "hi")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("Clip", ["q", "z", "hi"], ["c"]),
             helper.make_node("DequantizeLinear", ["c", "s", "z"], ["y"])]
    graph = helper.make_graph(nodes, "clip_codes", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])], inits)
    path = tmp_path / "clip_codes.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    source = load_source(path)
    g = compile_source(source, None)
    x = np.linspace(-1, 4, 16, dtype=np.float32)[None]
    ours = dequantize(g, g.outputs[0], run(g, quantize_input(g, source.to_graph_layout(x)))[g.outputs[0]]).reshape(-1)
    theirs = run_onnxruntime(path, [x])[0].reshape(-1)
    assert theirs.max() == np.float32(1.5) and np.array_equal(ours, theirs), (ours, theirs)
