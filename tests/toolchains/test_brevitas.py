"""Brevitas models given as .py files (tinygen/frontend/torch_brevitas.py): built for the host,
their C outputs equal tinygen's numpy reference byte for byte, and agree with the Brevitas
model's own outputs turned into integers on the output grid (within 1 LSB: Brevitas computes
batch norm, the layers' float outputs and their requantization in float); the 4-bit layers run
the 4-bit kernels and store 4-bit weights, the binary ones XNOR / popcount."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("brevitas")

import qonnx_models  # noqa: E402
from brevitas_models import SAMPLES, agreement, export, kernels as _kernels, qonnx_agreement, qonnx_execute  # noqa: E402
from brevitas_models import qonnx_model, write_model  # noqa: E402
from e2e import assert_bit_exact, assert_device_equals_reference, build_host, run_cli  # noqa: E402
from standin_lib import needs_qemu  # noqa: E402
from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.ref.interpreter import quantize_input  # noqa: E402


# the low-bit layers' float bias (batch norm folded in) is added below one accumulator unit
# (bias_shift, passes/quantize_lowbit.py): the DS-CNN's binary 1x1 layer has a unit of 13 output
# LSBs, rounding the bias to it cost up to 15 LSB at the output (docs/lowbit.md, "Brevitas models")
CASES = [pytest.param(arch, bits, marks=[pytest.mark.slow] if arch != "mlp" else [])
         for arch in ("mlp", "dscnn", "rescnn") for bits in (8, 4, 1)]


@pytest.mark.parametrize("arch,bits", CASES)
def test_brevitas_py_host(arch, bits, tmp_path):
    report, diff, top1 = agreement(write_model(tmp_path, arch, bits), tmp_path)
    kernels = _kernels(report)
    print(f"{arch} w{bits}a{bits}: {diff.size} values, {np.sum(diff == 0)} equal, {np.sum(diff <= 1)} within 1 LSB, "
          f"max {diff.max()}, top-1 {top1}/{SAMPLES}; kernels {kernels}")
    # a layer's output rounds once in tinygen (fixed-point requantization of the exact
    # accumulator, batch norm folded) and in float in Brevitas: a code apart now and then,
    # which later layers widen where the grids are coarse (4-bit, binary: a sign near 0);
    # docs/lowbit.md ("Brevitas") has the counts
    assert top1 >= 0.9 * SAMPLES, (top1, np.bincount(diff))
    # the bias rounded to whole accumulator units gave up to 15 LSB (the DS-CNN's low-bit cases)
    assert diff.max() <= 8, np.bincount(diff)
    if bits == 8:
        assert np.mean(diff <= 1) >= 0.95 and diff.max() <= 3, np.bincount(diff)
    if bits == 4:
        assert any("_s4_" in k for k in kernels), kernels
    if bits == 1:
        assert any(k.startswith("tg_conv2d_b1_b1") for k in kernels), kernels
    if bits == 8:
        assert not any("_s4_" in k or "b1" in k for k in kernels), kernels


@needs_qemu
@pytest.mark.parametrize("bits", [4, 1])
def test_brevitas_bias_shift_on_dsp_standin(bits, tmp_path):
    """The MLP's low-bit layers add their float bias finer than one accumulator unit
    (bias_shift): on the Cortex-M7 stand-in the kernels that take it run (the DSP 4-bit
    unpacking kernel does not: its portable twin), built with the shift (no
    -DTG_LOWBIT_BIAS_SHIFT=0), and every layer equals the reference."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions

    source = load_source(write_model(tmp_path, "mlp", bits))
    graph = compile_source(source, None, CompileOptions(features=frozenset(get_board("f746zg").isa_features)))
    shifted = {n.kernel for n in graph.nodes if n.attrs.get("bias_shift")}
    assert shifted == ({"tg_conv2d_s8_s4_s8", "tg_conv2d_u4_s4_s8_dsp"} if bits == 4 else {"tg_conv2d_b1_b1_s8_dsp"})
    project = build(source, graph, get_board("f746zg"), tmp_path / "fw").out_dir
    assert "TG_LOWBIT_BIAS_SHIFT" not in (project / "Makefile").read_text()
    rng = np.random.default_rng(2)
    with open_device(get_board("f746zg"), project, emulate=True) as dev:
        for i in range(3):
            x = rng.standard_normal((1,) + tuple(source.input_shape[1:])).astype(np.float32)
            assert_device_equals_reference(dev, graph, quantize_input(graph, source.to_graph_layout(x)), f"{i}")


def test_brevitas_4bit_weights_half_of_int8(tmp_path):
    """4-bit weights with 8-bit inputs (Brevitas' weight_bit_width=4): the unpacking kernels and
    4-bit storage, about half the int8 model's weight bytes."""
    sizes = {}
    for bits in (8, 4):
        out = tmp_path / f"w{bits}"
        rc, _, err = run_cli("build", write_model(tmp_path, "mlp", bits, 8), "--board", "host", "-o", out)
        assert rc == 0, err
        report = json.loads((out / "tinygen.json").read_text())
        sizes[bits] = report["weight_bytes"]
        if bits == 4:
            assert _kernels(report)[:2] == ["tg_conv2d_s8_s4_s8"] * 2, _kernels(report)
    assert 0.45 < sizes[4] / sizes[8] < 0.62, sizes


def test_brevitas_float_input_refused(tmp_path):
    """A Brevitas layer reading an unquantized input is refused in one line, before building."""
    path = tmp_path / "float_in.py"
    path.write_text("import torch, brevitas.nn as qnn\n"
                    "def model():\n    return qnn.QuantLinear(8, 4, bias=True).eval()\n"
                    "def example_input():\n    return torch.randn(1, 8)\n")
    rc, _, err = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 1 and "reads a float input" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


def test_brevitas_2bit_weights_host(tmp_path):
    """2-bit weights (weight_bit_width=2) with 8-bit inputs run the 2-bit kernel."""
    report, diff, top1 = agreement(write_model(tmp_path, "mlp", 2, 8), tmp_path)
    assert _kernels(report)[:2] == ["tg_conv2d_s8_s2_s8"] * 2, _kernels(report)
    assert top1 >= 0.9 * SAMPLES and np.mean(diff <= 1) >= 0.95, (top1, np.bincount(diff))


def test_brevitas_signed_4bit_input_refused(tmp_path):
    """A signed 4-bit input grid has no kernel: refused in one line naming the layer."""
    path = tmp_path / "s4_in.py"
    path.write_text("import torch, brevitas.nn as qnn\nfrom torch import nn\n"
                    "def model():\n"
                    "    return nn.Sequential(qnn.QuantIdentity(bit_width=4), qnn.QuantLinear(8, 4, bias=True)).eval()\n"
                    "def example_input():\n    return torch.randn(1, 8)\n")
    rc, _, err = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 1 and "4-bit signed input grid" in err and "QuantLinear" in err and "Traceback" not in err, err


# -- QONNX (Brevitas' export_qonnx format; graphs written in the test: tests/toolchains/qonnx_models.py)

def onnx_input_shape(path):
    import onnx

    return onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim


def _qonnx_reference(path, x: np.ndarray) -> np.ndarray:
    """qonnx's own execution of the graph (its Quant / BipolarQuant semantics)."""
    return qonnx_execute(qonnx_model(path), {"x": x})["y"]


# within 1 LSB at least: the binary layer's accumulator unit (s_in x s_w, its inputs +-1 of
# scale 0.2) is coarser than its calibrated output grid; its float bias is added below one unit
# (bias_shift), as qonnx adds it in float (rounded to whole units: 395/500 within 1 LSB, now all equal)
@pytest.mark.parametrize("make,kernels,within", [
    (lambda d: qonnx_models.mlp(d, binary=False), ["tg_conv2d_s8_s4_s8", "tg_conv2d_u4_s4_s8"], 0.95),
    (lambda d: qonnx_models.mlp(d, binary=True), ["tg_conv2d_s8_s8_b1", "tg_conv2d_b1_b1_s8"], 0.95),
    (qonnx_models.cnn, ["tg_conv2d_s8", "tg_conv2d_u4_s4_s8"], 0.95),
], ids=["mlp-w4a4", "mlp-binary", "cnn-w4a4"])
def test_qonnx_host(make, kernels, within, tmp_path):
    """QONNX graphs build for the host, run the 4-bit / binary kernels, equal tinygen's reference
    byte for byte, and agree with qonnx's execution (which computes in float) mostly within 1 LSB."""
    pytest.importorskip("qonnx")
    path = make(tmp_path)
    rng = np.random.default_rng(3)
    shape = [d.dim_value for d in onnx_input_shape(path)]
    calib = tmp_path / "calib.npy"
    np.save(calib, rng.standard_normal([64] + shape[1:]).astype(np.float32))
    source = load_source(path)
    graph = compile_source(source, str(calib))
    host = build_host(source, graph, tmp_path / "build")
    report = json.loads((tmp_path / "build" / "tinygen.json").read_text())
    assert _kernels(report) == kernels
    xs = rng.standard_normal([SAMPLES] + shape[1:]).astype(np.float32)
    inputs = [quantize_input(graph, source.to_graph_layout(x[None])) for x in xs]
    assert_bit_exact(graph, host, inputs)
    out = graph.tensor(graph.outputs[0]).qparams
    diffs = []
    for x, q in zip(xs, inputs):
        want = np.clip(np.round(_qonnx_reference(path, x[None]) / float(out.scale[0])) + int(out.zero_point[0]), -128, 127)
        got = host.invoke(q)[0].reshape(want.shape) if want.ndim == 2 else \
            host.invoke(q)[0].reshape(want.shape[0], want.shape[2], want.shape[3], want.shape[1]).transpose(0, 3, 1, 2)
        diffs.append(np.abs(got.astype(np.int64) - want.astype(np.int64)).ravel())
    diff = np.concatenate(diffs)
    print(f"{path.stem}: {diff.size} values, {np.sum(diff == 0)} equal, {np.sum(diff <= 1)} within 1 LSB, max {diff.max()}")
    # qonnx computes in float: a hidden 4-bit / binary code a step apart now and then, which the
    # next layer widens
    assert np.mean(diff <= 1) >= within and diff.max() <= 8, np.bincount(diff)


# -- QONNX from Brevitas' own export_qonnx (its default, dynamo=True on torch 2.13: the weights and the
# batch norms' parameters come as graph inputs with initializers)

# (arch, bits, first layers' kernels, share of output bytes within 1 LSB of qonnx's execution, top-1 of 50):
# the MLPs equal qonnx on every value (the low-bit layers' float bias added finer than one
# accumulator unit: bias_shift); the CNNs round their float batch norms, residual sums and pools
# where qonnx computes in float
_SLOW = pytest.mark.slow
REAL = [pytest.param("mlp", 8, ["tg_fully_connected_s8"] * 2, 1.0, 48, id="mlp-w8"),
        pytest.param("mlp", 4, ["tg_conv2d_s8_s4_s8", "tg_conv2d_u4_s4_s8"], 1.0, 48, id="mlp-w4"),
        pytest.param("mlp", 1, ["tg_conv2d_s8_s8_b1", "tg_conv2d_b1_b1_s8"], 1.0, 49, id="mlp-w1"),
        # the residual sum is quantized on a calibrated grid, the global pooling onto its QuantIdentity's
        pytest.param("rescnn", 8, ["tg_conv2d_s8"] * 2, 1.0, 50, marks=_SLOW, id="rescnn-w8"),
        pytest.param("dscnn", 8, ["tg_conv2d_s8", "tg_depthwise_conv2d_s8"], 0.95, 48, marks=_SLOW, id="dscnn-w8"),
        pytest.param("rescnn", 4, ["tg_conv2d_s8", "tg_conv2d_s8_s4_s8"], 0.99, 50, marks=_SLOW, id="rescnn-w4")]


@pytest.mark.parametrize("arch,bits,kernels,within,top1", REAL)
def test_qonnx_brevitas_export_host(arch, bits, kernels, within, top1, tmp_path):
    """Brevitas' export_qonnx of the test networks builds for the host (4-bit weights at 4 bits,
    binary ones on XNOR / popcount), C equals the reference, and the reference agrees with qonnx's
    execution of the graph (qonnx.core.onnx_exec)."""
    pytest.importorskip("qonnx")
    path, module = export(tmp_path, arch, bits, "qonnx")
    report, diff, same = qonnx_agreement(path, module, tmp_path)
    assert _kernels(report)[:2] == kernels, _kernels(report)
    print(f"{arch} w{bits}: {diff.size} values, {np.sum(diff == 0)} equal, {np.sum(diff <= 1)} within 1 LSB, "
          f"max {diff.max()}, top-1 {same}/{SAMPLES}")
    assert np.mean(diff <= 1) >= within and same >= top1, (np.bincount(diff), same)
