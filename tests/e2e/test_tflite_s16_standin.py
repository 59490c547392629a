""".tflite models with int16 activations (TFLite's 16x8 quantization) on the f746zg stand-in:
int16 in, LEAKY_RELU, ADD, PAD, STRIDED_SLICE, SUB of a constant, QUANTIZE to int8 and back to
int16, PRELU, TANH, LOGISTIC, CONCATENATION, TRANSPOSE, MEAN, SQUARED_DIFFERENCE, RSQRT,
BATCH_MATMUL and SOFTMAX, and three outputs of the two types; and the multiply-accumulate layers (CONV_2D,
DEPTHWISE_CONV_2D, TRANSPOSE_CONV, MUL, FULLY_CONNECTED: int8 weights, int64 biases), and depthwise layers of
other windows, strides and depth multipliers. Every
layer the firmware computes equals the numpy reference byte for byte, and the outputs equal
TensorFlow Lite Micro's host interpreter (the single-operator cases against TFLite Micro on
the host: tests/frontend/test_tflite_ops.py, the s16_* cases)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_tflm, run_cli
from tflite_builder import ModelBuilder
from tflite.Padding import Padding
from tflite_op_cases import act, int32s, s16, s16_weights

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]


def s16_model(rng) -> bytes:
    b = ModelBuilder("int16 activations")
    x, r = s16(b, rng, "x", [1, 2, 20, 8]), s16(b, rng, "leaky", [1, 2, 20, 8])
    s, p = s16(b, rng, "sum", [1, 2, 20, 8]), s16(b, rng, "padded", [1, 4, 22, 8])
    t, d = s16(b, rng, "sliced", [1, 3, 21, 8]), s16(b, rng, "diff", [1, 3, 21, 8])
    q8, y = act(b, rng, "narrow", [1, 3, 21, 8]), s16(b, rng, "wide", [1, 3, 21, 8])
    b.tensors[p].scale = b.tensors[t].scale = b.tensors[s].scale
    c = b.tensor("c", [8], "int16", scale=2e-4, zero_point=0, data=rng.integers(-32768, 32768, 8))
    b.op("LEAKY_RELU", [x], [r], "LeakyReluOptions", Alpha=0.25)
    b.op("ADD", [x, r], [s], "AddOptions")
    b.op("PAD", [s, int32s(b, "paddings", [[0, 0], [1, 1], [1, 1], [0, 0]])], [p])
    b.op("STRIDED_SLICE", [p, int32s(b, "begin", [0, 1, 0, 0]), int32s(b, "end", [1, 4, 21, 8]),
                           int32s(b, "strides", [1, 1, 1, 1])], [t], "StridedSliceOptions")
    b.op("SUB", [t, c], [d], "SubOptions")
    b.op("QUANTIZE", [d], [q8])
    b.op("QUANTIZE", [q8], [y])
    # TFLite Micro's table functions, copies and reductions on int16: TANH and LOGISTIC (Q0.15),
    # their CONCATENATION (the values copied whatever the scales), TRANSPOSE, MEAN, SOFTMAX
    # (through PRELU), their CONCATENATION (the values copied whatever the scales), TRANSPOSE,
    # MEAN, a layer norm's SQUARED_DIFFERENCE and RSQRT, BATCH_MATMUL, SOFTMAX
    pr = s16(b, rng, "prelu", [1, 3, 21, 8])
    th = s16(b, rng, "tanh", [1, 3, 21, 8], scale=1 / 32768)
    lg = s16(b, rng, "logistic", [1, 3, 21, 8], scale=1 / 32768)
    cat, tr = s16(b, rng, "joined", [1, 3, 21, 16], 1 / 32768), s16(b, rng, "moved", [1, 16, 3, 21], 1 / 32768)
    mn, sq = s16(b, rng, "mean", [1, 16], scale=1 / 32768), s16(b, rng, "variance", [1, 16], scale=1e-4)
    rs, sq4 = s16(b, rng, "rsqrt", [1, 16], scale=0.01), s16(b, rng, "square", [4, 4], scale=0.01)
    bm, flat = s16(b, rng, "product", [4, 4], scale=0.5), s16(b, rng, "flat", [1, 16], scale=0.5)
    sm = s16(b, rng, "softmax", [1, 16], scale=1 / 32768)
    alpha = b.tensor("alpha", [8], scale=0.01, zero_point=3, data=rng.integers(-128, 128, 8))
    mu = b.tensor("mu", [16], "int16", scale=2e-4, zero_point=0, data=rng.integers(-3000, 3000, 16))
    b.op("PRELU", [d, alpha], [pr])
    b.op("TANH", [pr], [th])
    b.op("LOGISTIC", [d], [lg])
    b.op("CONCATENATION", [th, lg], [cat], "ConcatenationOptions", Axis=3)
    b.op("TRANSPOSE", [cat, int32s(b, "perm", [0, 3, 1, 2])], [tr])
    b.op("MEAN", [tr, int32s(b, "axes", [2, 3])], [mn], "ReducerOptions", KeepDims=False)
    b.op("SQUARED_DIFFERENCE", [mn, mu], [sq])
    b.op("RSQRT", [sq], [rs])
    b.op("RESHAPE", [rs, int32s(b, "square_shape", [4, 4])], [sq4])
    b.tensors[sq4].scale = b.tensors[rs].scale
    b.op("BATCH_MATMUL", [sq4, sq4], [bm], "BatchMatMulOptions", AdjX=False, AdjY=True)
    b.op("RESHAPE", [bm, int32s(b, "flat_shape", [1, 16])], [flat])
    b.tensors[flat].scale = b.tensors[bm].scale
    b.op("SOFTMAX", [flat], [sm], "SoftmaxOptions", Beta=0.0005)
    return b.finish([x], [y, q8, sm])


def s16_mac_model(rng) -> bytes:
    b = ModelBuilder("int16 multiply-accumulate layers")
    x = s16(b, rng, "x", [1, 6, 10, 8], scale=1e-3)
    c, d = s16(b, rng, "conv", [1, 6, 10, 12], scale=0.01), s16(b, rng, "dw", [1, 6, 10, 12], scale=0.02)
    t, m = s16(b, rng, "up", [1, 13, 21, 4], scale=0.05), s16(b, rng, "squared", [1, 13, 21, 4], scale=20.0)
    flat, y = s16(b, rng, "flat", [1, 1092], scale=20.0), s16(b, rng, "y", [1, 10], scale=1000.0)
    b.tensors[flat].scale = b.tensors[m].scale
    for op, inputs, out, options, fields in (
            ("CONV_2D", [x, *s16_weights(b, rng, "w_conv", [12, 3, 3, 8], 0)], c, "Conv2DOptions",
             dict(Padding=Padding.SAME, StrideH=1, StrideW=1, DilationHFactor=1, DilationWFactor=1)),
            ("DEPTHWISE_CONV_2D", [c, *s16_weights(b, rng, "w_dw", [1, 3, 3, 12], 3)], d, "DepthwiseConv2DOptions",
             dict(Padding=Padding.SAME, StrideH=1, StrideW=1, DepthMultiplier=1, DilationHFactor=1,
                  DilationWFactor=1)),
            ("TRANSPOSE_CONV", [int32s(b, "up_shape", [1, 13, 21, 4]), s16_weights(b, rng, "w_up", [4, 3, 3, 12], 0)[0],
                                d, s16_weights(b, rng, "b_up", [4, 1], 0)[1]], t, "TransposeConvOptions",
             dict(Padding=Padding.VALID, StrideH=2, StrideW=2)),
            ("MUL", [t, t], m, "MulOptions", {}),
            ("RESHAPE", [m, int32s(b, "flat_shape", [1, 1092])], flat, None, {}),
            ("FULLY_CONNECTED", [flat, *s16_weights(b, rng, "w_fc", [10, 1092], 0)], y, "FullyConnectedOptions", {})):
        b.op(op, inputs, [out], options, **fields)
    return b.finish([x], [y])


def s16_depthwise_model(rng) -> bytes:
    """The 16x8 depthwise shapes other than 3x3 stride 1: 5x5 stride 2 and 3x1 with depth
    multiplier 2 (the rows kernel), 3x3 dilated with depth multiplier 4 (the general one; its
    output the arena's peak, so that the rows kernel's scratch does not raise it and
    tinygen.passes.lower_peak keeps it)."""
    b = ModelBuilder("int16 depthwise layers")
    x = s16(b, rng, "x", [1, 20, 11, 6], scale=1e-3)
    a, c = s16(b, rng, "dw5", [1, 10, 6, 6], scale=0.02), s16(b, rng, "dw31", [1, 8, 6, 12], scale=0.05)
    y = s16(b, rng, "y", [1, 8, 6, 48], scale=0.2)
    for name, inputs, out, kernel, stride, padding, dm, dilation in (
            ("w_dw5", x, a, (5, 5), 2, Padding.SAME, 1, 1), ("w_dw31", a, c, (3, 1), 1, Padding.VALID, 2, 1),
            ("w_dw3d", c, y, (3, 3), 1, Padding.SAME, 4, 2)):
        w = s16_weights(b, rng, name, [1, *kernel, b.tensors[inputs].shape[3] * dm], 3)
        b.op("DEPTHWISE_CONV_2D", [inputs, *w], [out], "DepthwiseConv2DOptions",
             Padding=padding, StrideH=stride, StrideW=stride, DepthMultiplier=dm, DilationHFactor=dilation,
             DilationWFactor=dilation)
    return b.finish([x], [y])


def s16_boundary_model(rng) -> bytes:
    """TFLite Micro's keyword-spotting test model's boundary: int16 features in, QUANTIZE to
    int8, a layer, SOFTMAX into int16, QUANTIZE into a quantized int32 output."""
    b = ModelBuilder("int16 and int32 ends")
    x, q = s16(b, rng, "features", [1, 96], scale=0.000625), act(b, rng, "narrow", [1, 96], 0.06, -128)
    h = act(b, rng, "scores", [1, 12], 0.07, 2)
    p = b.tensor("probabilities", [1, 12], "int16", scale=1.5259022e-05, zero_point=-32768)
    y = b.tensor("y", [1, 12], "int32", scale=3.051851e-05, zero_point=0)
    w = b.tensor("w", [12, 96], scale=0.01, zero_point=0, data=rng.integers(-127, 128, (12, 96)))
    bias = b.tensor("bias", [12], "int32", data=rng.integers(-2000, 2000, 12))
    b.op("QUANTIZE", [x], [q])
    b.op("FULLY_CONNECTED", [q, w, bias], [h], "FullyConnectedOptions")
    b.op("SOFTMAX", [h], [p], "SoftmaxOptions", Beta=1.0)
    b.op("QUANTIZE", [p], [y])
    return b.finish([x], [y])


MODELS = {
    "elementwise": (s16_model, ["int16", "int16", "int8", "int16"],
                    ["tg_leaky_relu_s16", "tg_add_s16", "tg_pad_s16", "tg_strided_slice_s16", "tg_sub_s16",
                     "tg_prelu_s16", "tg_tanh_lut_s16", "tg_requantize_s16_s8", "tg_logistic_lut_s16", "tg_concat_s16",
                     "tg_transpose_s16", "tg_mean_s16", "tg_squared_difference_s16", "tg_rsqrt_s16",
                     "tg_batch_matmul_s16", "tg_softmax_s16", "tg_requantize_s8_s16"]),
    "boundary": (s16_boundary_model, ["int16", "int32"],
                 ["tg_requantize_s16_s8", "tg_fully_connected_batch1_rowpair_lean_s8_dsp", "tg_softmax_s8_s16",
                  "tg_requantize_s16_s32"]),
    "mac": (s16_mac_model, ["int16", "int16"],
            ["tg_conv2d_s16_dsp", "tg_depthwise_conv2d_3x3_s16_dsp", "tg_transpose_conv2d_s16", "tg_mul_s16",
             "tg_fully_connected_s16_dsp"]),
    "depthwise": (s16_depthwise_model, ["int16", "int16"],
                  ["tg_depthwise_conv2d_rows_s16_dsp", "tg_depthwise_conv2d_rows_s16_dsp",
                   "tg_depthwise_conv2d_s16_dsp"]),
}


@pytest.mark.parametrize("name", MODELS)
def test_tflite_s16_equal_tflm_on_f746zg_standin(name, tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(16)
    make, dtypes, kernels = MODELS[name]
    data = make(rng)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert [graph.tensor(n).dtype for n in graph.inputs + graph.outputs] == dtypes
    assert [n.kernel for n in graph.nodes if n.kernel] == kernels
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    shape = graph.tensor(graph.inputs[0]).shape
    xs = [rng.integers(-32768, 32768, shape).astype(np.int16),
          np.clip(rng.normal(0, 900, shape), -32768, 32767).astype(np.int16)]
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_tflm(dev, graph, interp, x, f"sample {k}")


def test_tflite_s16_hil_host_checks_tflm(tmp_path):
    """`tinygen hil` on a 16x8 model: int16 samples quantized from the data, the host's outputs
    bit-exact with the reference, and its own check against TFLite Micro equal."""
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(17)
    path = tmp_path / "s16.tflite"
    path.write_bytes(s16_model(rng))
    np.savez(tmp_path / "data.npz", x=rng.uniform(-20, 20, (6, 2, 20, 8)).astype(np.float32))
    rc, _, stderr = run_cli("hil", path, "--board", "host", "--data", tmp_path / "data.npz", "-q", "-o",
                            tmp_path / "host", "--json", tmp_path / "report.json")
    assert rc == 0, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["samples"] == report["bit_exact"] == 6
    assert report["tflite_micro"]["equal"] and report["tflite_micro"]["input"] == "int16", report["tflite_micro"]
    assert [o["samples_equal"] for o in report["tflite_micro"]["outputs"]] == [6, 6, 6]
