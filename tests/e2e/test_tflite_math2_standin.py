""".tflite math operators on the f746zg stand-in. One int8 model of ADD_N (three inputs on one
grid), CUMSUM (exclusive along one axis, reversed along another) and LOG_SOFTMAX: every layer the
firmware computes equals the numpy reference byte for byte, and both outputs equal TensorFlow Lite
Micro's host interpreter. One float32 model of the float math operators (ABS, NEG, SQUARE, SQRT,
FLOOR, CEIL, ROUND, FLOOR_DIV, FLOOR_MOD, ADD_N, CUMSUM, REDUCE_MAX / MIN, ARG_MAX / MIN, and
EXP, LOG, COS, SIN, ELU calling newlib's expf, logf, cosf, sinf, expm1f, LOG_SOFTMAX (expf, logf),
L2_NORMALIZATION, L2_POOL_2D, RESIZE_BILINEAR, and the signal library's float SignalRfft and
SignalIrfft): every layer equals the
reference computing with the device's own libm values (tests/libm_probe.py), and the outputs that
call no libm function that differs between libms equal TFLite Micro bit for bit. (The cases
against TFLite Micro on the host: tests/frontend/test_tflite_ops.py, tests/tflite_math2_cases.py.)"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_tflm, first_difference
from libm_probe import DeviceLibm
from tflite.Padding import Padding
from tflite_builder import ModelBuilder
from tflite_op_cases import act, int32s
from tflite_op_cases_wide import f32

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.float32_nonlinear import use_libm
from tinygen.ref.interpreter import run

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]

KERNELS = ["tg_maximum_s8", "tg_minimum_s8", "tg_add_n_s8", "tg_cumsum_s8", "tg_cumsum_s8", "tg_log_softmax_s8"]


def sums_model(rng) -> bytes:
    b = ModelBuilder("sums and log-softmax")
    shape = [1, 5, 6, 12]
    x = act(b, rng, "x", shape)
    q = b.tensors[x]
    grid = {"scale": q.scale, "zero_point": q.zero_point}
    lo = b.tensor("lo", [12], data=rng.integers(-128, 0, 12), **grid)
    hi = b.tensor("hi", [12], data=rng.integers(0, 128, 12), **grid)
    above, below = b.tensor("above", shape, **grid), b.tensor("below", shape, **grid)
    total, rows = act(b, rng, "total", shape), act(b, rng, "rows", shape, scale=0.4)
    columns = act(b, rng, "columns", shape, scale=0.5)
    y = b.tensor("log_probabilities", shape, scale=16 / 256, zero_point=127)
    b.op("MAXIMUM", [x, lo], [above], "MaximumMinimumOptions")
    b.op("MINIMUM", [x, hi], [below], "MaximumMinimumOptions")
    b.op("ADD_N", [x, above, below], [total], "AddNOptions")
    b.op("CUMSUM", [total, int32s(b, "axis1", [1])], [rows], "CumsumOptions", Exclusive=True)
    b.op("CUMSUM", [rows, int32s(b, "axis2", [2])], [columns], "CumsumOptions", Reverse=True)
    b.op("LOG_SOFTMAX", [total], [y], "LogSoftmaxOptions")
    return b.finish([x], [y, columns])


def test_tflite_math2_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(46)
    data = sums_model(rng)
    path = tmp_path / "sums.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted(KERNELS)
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    shape = graph.tensor(graph.inputs[0]).shape
    xs = [rng.integers(-128, 128, shape).astype(np.int8),
          np.clip(np.rint(rng.normal(0, 20, shape)), -128, 127).astype(np.int8)]
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_tflm(dev, graph, interp, x, f"sample {k}")


F32_KERNELS = ["tg_mul_f32", "tg_floor_f32", "tg_mul_f32", "tg_round_f32", "tg_ceil_f32", "tg_neg_f32", "tg_abs_f32",
               "tg_sqrt_f32", "tg_square_f32", "tg_floor_div_f32", "tg_floor_mod_f32", "tg_add_n_f32", "tg_cumsum_f32",
               "tg_reduce_max_f32", "tg_reduce_min_f32", "tg_arg_max_f32_s32", "tg_arg_min_f32_s32", "tg_exp_f32",
               "tg_log_f32", "tg_cos_f32", "tg_sin_f32", "tg_elu_f32", "tg_add_n_f32", "tg_log_softmax_f32",
               "tg_l2_norm_f32", "tg_l2_pool2d_f32", "tg_resize_bilinear_f32", "tg_signal_rfft_f32",
               "tg_signal_irfft_f32"]


def float_math_model(rng) -> bytes:
    b = ModelBuilder("float math operators")
    shape = [1, 4, 5, 6]
    names = ("x", "x4", "floor", "halves", "round", "ceil", "neg", "abs", "sqrt", "square", "div", "mod", "total",
             "running", "exp", "log", "cos", "sin", "elu", "curved", "log_softmax", "unit")
    x, x4, fl, h, r, c, n, a, s, q, d, md, t, cs, e, lg, co, si, u, cv, y, un = (f32(b, name, shape) for name in names)
    pooled, resized = f32(b, "l2_pooled", [1, 2, 3, 6]), f32(b, "resized", [1, 3, 5, 6])
    top, low = f32(b, "top", [1, 1, 5, 6]), f32(b, "low", [1, 4, 5])
    first, last = b.tensor("first_max", [1, 4, 5], "int32"), b.tensor("first_min", [1, 5, 6], "int32")
    scalar = {v: b.tensor(f"c{v}", [1], "float32", data=np.array([v], np.float32)) for v in (4.0, 0.5)}
    divisor = b.tensor("divisor", [6], "float32", data=(rng.choice([-1, 1], 6) * rng.uniform(0.3, 2, 6)).astype(np.float32))
    modulus = b.tensor("modulus", [1, 4, 1, 1], "float32",
                       data=(rng.choice([-1, 1], 4) * rng.uniform(0.3, 2, 4)).reshape(1, 4, 1, 1).astype(np.float32))
    b.op("MUL", [x, scalar[4.0]], [x4], "MulOptions")
    b.op("FLOOR", [x4], [fl])
    b.op("MUL", [fl, scalar[0.5]], [h], "MulOptions")
    b.op("ROUND", [h], [r])
    b.op("CEIL", [x], [c])
    b.op("NEG", [x], [n])
    b.op("ABS", [n], [a], "AbsOptions")
    b.op("SQRT", [a], [s])
    b.op("SQUARE", [x], [q], "SquareOptions")
    b.op("FLOOR_DIV", [x, divisor], [d], "FloorDivOptions")
    b.op("FLOOR_MOD", [x, modulus], [md], "FloorModOptions")
    b.op("ADD_N", [r, c, s, q, d, md], [t], "AddNOptions")
    b.op("CUMSUM", [t, int32s(b, "rows", [2])], [cs], "CumsumOptions", Exclusive=True)
    b.op("REDUCE_MAX", [cs, int32s(b, "over_h", [1])], [top], "ReducerOptions", KeepDims=True)
    b.op("REDUCE_MIN", [cs, int32s(b, "over_c", [3])], [low], "ReducerOptions", KeepDims=False)
    b.op("ARG_MAX", [h, int32s(b, "channels", [3])], [first], "ArgMaxOptions", OutputType=2)
    b.op("ARG_MIN", [h, int32s(b, "heights", [1])], [last], "ArgMinOptions", OutputType=2)
    b.op("EXP", [x], [e], "ExpOptions")
    b.op("LOG", [e], [lg])
    b.op("COS", [x], [co], "CosOptions")
    b.op("SIN", [lg], [si])
    b.op("ELU", [x], [u])
    b.op("ADD_N", [co, si, u], [cv], "AddNOptions")
    b.op("LOG_SOFTMAX", [cv], [y], "LogSoftmaxOptions")
    b.op("L2_NORMALIZATION", [t], [un], "L2NormOptions")
    b.op("L2_POOL_2D", [un], [pooled], "Pool2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2, FilterHeight=2,
         FilterWidth=2)
    b.op("RESIZE_BILINEAR", [pooled, int32s(b, "size", [3, 5])], [resized], "ResizeBilinearOptions",
         HalfPixelCenters=True)
    # the signal library's float real FFT and its inverse on four frames of 30 samples
    rows, bins, back = f32(b, "frames", [4, 30]), f32(b, "bins", [4, 34]), f32(b, "inverse", [4, 32])
    b.op("RESHAPE", [t, int32s(b, "frame_shape", [4, 30])], [rows], "ReshapeOptions")
    b.op("CUSTOM:SignalRfft", [rows], [bins], custom_options={"T": 0, "fft_length": 32})      # T: FLOAT32
    b.op("CUSTOM:SignalIrfft", [bins], [back], custom_options={"T": 0, "fft_length": 32})
    return b.finish([x], [y, top, low, first, last, resized, back])


def test_tflite_math_f32_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(47)
    data = float_math_model(rng)
    path = tmp_path / "float_math.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted(F32_KERNELS)
    xs = [rng.normal(0, 2.0, graph.tensor(graph.inputs[0]).shape).astype(np.float32) for _ in range(2)]
    libm = DeviceLibm(tmp_path / "libm")
    with use_libm(libm.functions()):
        wants = libm.settle(lambda: [run(graph, x, keep_all=True) for x in xs])
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, (x, want) in enumerate(zip(xs, wants)):
            interp.set_input(x, 0)
            interp.invoke()
            for j, got in enumerate(split_outputs(graph, dev.run(input_bytes(x))[0])):
                assert np.array_equal(got.ravel().view(np.uint8), want[graph.outputs[j]].ravel().view(np.uint8)), \
                    f"sample {k}, output {j}"
                if j:       # the outputs of the libm-exact branch: TFLite Micro's own values
                    tflm_out = np.array(interp.get_output(j))
                    assert np.array_equal(got.reshape(tflm_out.shape).view(np.uint8), tflm_out.view(np.uint8)), \
                        f"sample {k}, output {j}: {first_difference(got, tflm_out)}"
            for index, node in enumerate(n for n in graph.nodes if n.kernel):
                layer = np.frombuffer(dev.layer_out(index), np.uint8)
                assert np.array_equal(layer, want[node.outputs[0]].view(np.uint8).ravel()), \
                    f"sample {k}: layer {node.name} ({node.kernel}): {first_difference(layer, want[node.outputs[0]])}"
    assert libm.probe_runs > 0
