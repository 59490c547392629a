"""TFLite TRANSPOSE_CONV from .tflite files written with tests/tflite_builder.py (no TensorFlow):
tinygen's numpy reference, its host C and the f746zg stand-in firmware equal TensorFlow Lite
Micro's host interpreter byte for byte.

Named cases cover the options (SAME and VALID padding, the fused activations, no bias,
per-tensor weights, a transposed convolution between convolutions); a sweep draws the shape
(input size, channels, kernel, strides, padding, output size, bias, activation) from a seeded
generator, compares the reference with TFLM on seeded inputs and the node's C kernels
(portable and the RV32IM kernel built for the host) with the reference. Wrong files get one
clear error each.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import tflite_refs  # noqa: F401  (skips the module when TFLM or LiteRT is absent)
from e2e import ALL_AGREE, assert_device_equals_reference, build_host, diff_layers, first_difference
from standin_lib import needs_qemu
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding
from tflite_builder import ModelBuilder, random_scale, random_zero_point
from tflite_refs import litert_run, tflm_interpreter, tflm_run
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.kernels.transpose_conv import phase_rv32_weights
from tinygen.passes import CompileOptions
from tinygen.ref import interpreter as ref_interp

INPUTS = 20


def transpose_conv(b: ModelBuilder, rng, x: int, in_c: int, out_c: int, kernel, stride, padding: int,
                   out_hw, fused: int = Act.NONE, bias: bool = True, per_channel: bool = True, name: str = "y") -> int:
    """A TRANSPOSE_CONV from activation x: the output-shape input, int8 weights [out_c, kh, kw, in_c]
    (per channel or per tensor), an optional int32 bias; returns the output tensor."""
    shape = b.tensor(f"{name}_shape", [4], "int32", data=np.array([1, *out_hw, out_c], np.int32))
    scales = [random_scale(rng, 0.002, 0.05) for _ in range(out_c if per_channel else 1)]
    w = b.tensor(f"{name}_w", [out_c, *kernel, in_c], scale=scales, zero_point=[0] * len(scales),
                 data=rng.integers(-127, 128, (out_c, *kernel, in_c)), axis=0)
    ins = [shape, w, x]
    if bias:
        ins.append(b.tensor(f"{name}_b", [out_c], "int32", data=rng.integers(-4000, 4000, out_c)))
    y = b.tensor(name, [1, *out_hw, out_c], scale=random_scale(rng), zero_point=random_zero_point(rng))
    b.op("TRANSPOSE_CONV", ins, [y], "TransposeConvOptions", Padding=padding, StrideH=stride[0], StrideW=stride[1],
         FusedActivationFunction=fused)
    return y


def _single(in_hw, in_c, out_c, kernel, stride, padding, out_hw, **kw):
    def build(b, rng):
        x = b.tensor("x", [1, *in_hw, in_c], scale=random_scale(rng), zero_point=random_zero_point(rng))
        return [x], [transpose_conv(b, rng, x, in_c, out_c, kernel, stride, padding, out_hw, **kw)]
    return build


def _between_convs(b, rng):
    """CONV_2D (stride 2) -> TRANSPOSE_CONV (2x upsampling, RELU) -> CONV_2D: an autoencoder's shape."""
    x = b.tensor("x", [1, 8, 8, 3], scale=random_scale(rng), zero_point=random_zero_point(rng))
    tensors = [x]
    for i, (cin, cout, stride, out) in enumerate([(3, 8, 2, 4), (8, 4, 1, 4)]):
        w = b.tensor(f"c{i}_w", [cout, 3, 3, cin], scale=[random_scale(rng, 0.002, 0.05) for _ in range(cout)],
                     zero_point=[0] * cout, data=rng.integers(-127, 128, (cout, 3, 3, cin)), axis=0)
        bias = b.tensor(f"c{i}_b", [cout], "int32", data=rng.integers(-4000, 4000, cout))
        y = b.tensor(f"c{i}", [1, out, out, cout], scale=random_scale(rng), zero_point=random_zero_point(rng))
        b.op("CONV_2D", [tensors[-1], w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=stride,
             StrideW=stride, FusedActivationFunction=Act.RELU)
        tensors.append(y)
        if i == 0:
            tensors.append(transpose_conv(b, rng, y, cout, cout, (3, 3), (1, 1), Padding.SAME, (4, 4), Act.RELU6,
                                          name="t_mid"))
    up = transpose_conv(b, rng, tensors[-1], 4, 2, (4, 4), (2, 2), Padding.SAME, (8, 8), Act.RELU, name="up")
    return [x], [up]


CASES = {
    "same_3x3_s2": _single((4, 5), 6, 5, (3, 3), (2, 2), Padding.SAME, (8, 10)),
    "same_4x4_s2_relu": _single((3, 3), 8, 8, (4, 4), (2, 2), Padding.SAME, (6, 6), fused=Act.RELU),
    "valid_3x3_s2_no_bias": _single((3, 4), 4, 3, (3, 3), (2, 2), Padding.VALID, (7, 9), bias=False),
    "same_2x5_strides_1_3_relu6": _single((5, 3), 5, 7, (2, 5), (1, 3), Padding.SAME, (5, 9), fused=Act.RELU6),
    "valid_per_tensor_relu_n1_to_1": _single((2, 3), 3, 4, (3, 2), (3, 2), Padding.VALID, (6, 6),
                                              fused=Act.RELU_N1_TO_1, per_channel=False),
    "same_odd_output_size": _single((4, 4), 7, 9, (5, 5), (2, 2), Padding.SAME, (7, 9)),
    "between_convs": _between_convs,
}


@functools.lru_cache(maxsize=None)
def model_bytes(name: str) -> bytes:
    b = ModelBuilder(f"tinygen test: {name}")
    inputs, outputs = CASES[name](b, np.random.default_rng(sum(map(ord, name))))
    return b.finish(inputs, outputs)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("tflite_tconv")


_COMPILED: dict = {}


def compiled(name: str, workdir):
    if name not in _COMPILED:
        path = workdir / f"{name}.tflite"
        path.write_bytes(model_bytes(name))
        source = load_source(path)
        _COMPILED[name] = (source, compile_source(source))
    return _COMPILED[name]


@functools.lru_cache(maxsize=None)
def inputs(name: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    shape = tuple(tflm_interpreter(model_bytes(name)).get_input_details(0)["shape"])
    return tuple(rng.integers(-128, 128, size=shape).astype(np.int8) for _ in range(INPUTS))


@functools.lru_cache(maxsize=None)
def tflm_outputs(name: str) -> tuple[np.ndarray, ...]:
    return tflm_run(model_bytes(name), inputs(name))


def assert_equal(what: str, got, want) -> None:
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert np.array_equal(np.asarray(g).ravel(), np.asarray(w).ravel()), \
            f"{what}, input {i}: {first_difference(np.asarray(w), np.asarray(g))}"


@pytest.mark.parametrize("name", CASES)
def test_transpose_conv_s8_reference_equals_tflm(name, workdir):
    _, graph = compiled(name, workdir)
    assert "transpose_conv2d" in [n.op for n in graph.nodes]
    got = [ref_interp.run(graph, x)[graph.outputs[0]] for x in inputs(name)]
    assert_equal(f"{name}: reference vs TFLM", got, tflm_outputs(name))
    assert len({o.tobytes() for o in tflm_outputs(name)}) > INPUTS // 2     # the outputs vary with the input


@pytest.mark.parametrize("name", CASES)
def test_transpose_conv_s8_every_layer_equals_tflm(name, workdir):
    _, graph = compiled(name, workdir)
    interp = tflm_interpreter(model_bytes(name), preserve_all=True)
    index = graph.meta["tflite_tensors"]
    for x in inputs(name)[:3]:
        interp.set_input(x, 0)
        interp.invoke()
        values = ref_interp.run(graph, x, keep_all=True)
        for node in graph.nodes:
            want = interp.GetTensor(index[node.outputs[0]], 0)["tensor_data"]
            got = values[node.outputs[0]]
            assert np.array_equal(got.ravel(), want.ravel()), f"{name}: {node.name}: {first_difference(want, got)}"


@pytest.mark.parametrize("name", CASES)
def test_transpose_conv_s8_host_c_equals_tflm(name, workdir):
    source, graph = compiled(name, workdir)
    host = build_host(source, graph, workdir / f"{name}_host")
    assert_equal(f"{name}: host C vs TFLM", [host.invoke(x)[0] for x in inputs(name)], tflm_outputs(name))
    assert diff_layers(graph, host, inputs(name)[0]) == ALL_AGREE


@needs_qemu
def test_transpose_conv_s8_f746zg_standin_equals_tflm(workdir):
    """The model with convolutions around its transposed convolutions, built for the F746ZG (its
    DSP kernels) and run on the stand-in: TFLM's outputs, and every layer the reference's."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    path = workdir / "between_convs_f746zg.tflite"
    path.write_bytes(model_bytes("between_convs"))
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert {n.kernel for n in graph.nodes if n.op == "transpose_conv2d"} == {"tg_transpose_conv2d_s8_dsp"}
    project = build(source, graph, board, workdir / "between_convs_fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, (x, want) in enumerate(zip(inputs("between_convs")[:5], tflm_outputs("between_convs"))):
            raw, _ = dev.run(x.tobytes())
            assert np.array_equal(np.frombuffer(raw, np.int8), want.ravel()), f"input {i}"
            assert_device_equals_reference(dev, graph, x, f"input {i}")


# LiteRT's Prepare checks that the output size gives back the input size through the padding's
# formula; TFLM's (and tinygen) take the output tensor's size as it is
LITERT_REFUSES = {"same_odd_output_size"}


@pytest.mark.parametrize("name", [n for n in CASES if n not in LITERT_REFUSES])
def test_transpose_conv_s8_litert_ref_equals_tflm(name):
    assert_equal(f"{name}: LiteRT BUILTIN_REF vs TFLM", litert_run(model_bytes(name), inputs(name)), tflm_outputs(name))


@pytest.mark.parametrize("name", sorted(LITERT_REFUSES))
def test_transpose_conv_s8_litert_refuses_what_tflm_computes(name):
    with pytest.raises(RuntimeError, match="computed_input_width|computed_input_height"):
        litert_run(model_bytes(name), inputs(name))


def test_transpose_conv_s8_sweep(kernels, tmp_path):
    """Drawn layers (seeded): reference == TFLM on seeded inputs, and the node's portable C kernel
    and the RV32IM one (built for the host) == the reference."""
    rng = np.random.default_rng(21)
    for k in range(40):
        in_hw = [int(v) for v in rng.integers(1, 7, 2)]
        kernel = [int(v) for v in rng.integers(1, 6, 2)]
        stride = [int(v) for v in rng.integers(1, 4, 2)]
        padding = int(rng.choice([Padding.SAME, Padding.VALID]))
        full = [(i - 1) * s + kk for i, s, kk in zip(in_hw, stride, kernel)]
        natural = [i * s for i, s in zip(in_hw, stride)] if padding == Padding.SAME else full
        out_hw = [max(1, n + int(rng.integers(-1, 2))) if rng.random() < 0.3 else n for n in natural]
        in_c, out_c = (int(v) for v in rng.integers(1, 10, 2))
        b = ModelBuilder()
        x = b.tensor("x", [1, *in_hw, in_c], scale=random_scale(rng), zero_point=random_zero_point(rng))
        y = transpose_conv(b, rng, x, in_c, out_c, kernel, stride, padding, out_hw,
                           fused=int(rng.choice([Act.NONE, Act.RELU, Act.RELU6])), bias=bool(rng.random() < 0.8),
                           per_channel=bool(rng.random() < 0.8))
        data = b.finish([x], [y])
        path = tmp_path / f"sweep_{k}.tflite"
        path.write_bytes(data)
        graph = compile_source(load_source(path))
        (node,) = graph.nodes
        xs = [rng.integers(-128, 128, size=(1, *in_hw, in_c)).astype(np.int8) for _ in range(3)]
        for x_in, want in zip(xs, tflm_run(data, xs)):
            got = ref_interp.run(graph, x_in)[graph.outputs[0]]
            assert np.array_equal(got.ravel(), want.ravel()), f"sweep {k}: reference vs TFLM: {first_difference(want, got)}"
            p = node.attrs["kparams"]
            consts = [graph.const(node, r) for r in ("weight", "bias", "multiplier", "shift")]
            assert np.array_equal(kernels.transpose_conv2d_s8(p, x_in, *consts).ravel(), got.ravel()), f"sweep {k}"
            packed = phase_rv32_weights(p, {"weight": consts[0], "bias": consts[1]})
            assert np.array_equal(kernels.transpose_conv2d_s8_rv32(p, x_in, packed, *consts[1:]).ravel(),
                                  got.ravel()), f"sweep {k} (rv32)"


# -- errors -----------------------------------------------------------------------------------------

def _error(tmp_path, build) -> Exception:
    b = ModelBuilder()
    rng = np.random.default_rng(0)
    inputs_, outputs = build(b, rng)
    path = tmp_path / "bad.tflite"
    path.write_bytes(b.finish(inputs_, outputs))
    with pytest.raises((ModelError, UnsupportedOpError)) as e:
        compile_source(load_source(path))
    assert "\n" not in e.value.message
    return e.value


def test_transpose_conv_output_shape_must_be_a_constant(tmp_path):
    def build(b, rng):
        x = b.tensor("x", [1, 3, 3, 2], scale=0.1, zero_point=0)
        shape = b.tensor("shape", [4], "int32")
        w = b.tensor("w", [2, 3, 3, 2], scale=[0.01, 0.01], zero_point=[0, 0], data=np.ones((2, 3, 3, 2)), axis=0)
        y = b.tensor("y", [1, 6, 6, 2], scale=0.1, zero_point=0)
        b.op("TRANSPOSE_CONV", [shape, w, x], [y], "TransposeConvOptions", Padding=Padding.SAME, StrideH=2, StrideW=2)
        return [x], [y]
    e = _error(tmp_path, build)
    assert "output shape is computed at run time" in e.message and "TRANSPOSE_CONV" in e.message


def test_transpose_conv_output_shape_must_agree(tmp_path):
    def build(b, rng):
        x = b.tensor("x", [1, 3, 3, 2], scale=0.1, zero_point=0)
        y = transpose_conv(b, rng, x, 2, 2, (3, 3), (2, 2), Padding.SAME, (6, 6))
        shape = next(t for t in b.tensors if t.name == "y_shape")
        b.buffers[shape.buffer] = np.array([1, 6, 7, 2], np.int32).tobytes()     # the shape input says 7
        return [x], [y]
    e = _error(tmp_path, build)
    assert "output-shape input says [1, 6, 7, 2]" in e.message and "[1, 6, 6, 2]" in e.message


def test_transpose_conv_grouped_refused(tmp_path):
    def build(b, rng):
        x = b.tensor("x", [1, 3, 3, 4], scale=0.1, zero_point=0)
        shape = b.tensor("shape", [4], "int32", data=np.array([1, 6, 6, 4], np.int32))
        w = b.tensor("w", [4, 3, 3, 2], scale=[0.01] * 4, zero_point=[0] * 4, data=np.ones((4, 3, 3, 2)), axis=0)
        y = b.tensor("y", [1, 6, 6, 4], scale=0.1, zero_point=0)
        b.op("TRANSPOSE_CONV", [shape, w, x], [y], "TransposeConvOptions", Padding=Padding.SAME, StrideH=2, StrideW=2)
        return [x], [y]
    e = _error(tmp_path, build)
    assert isinstance(e, UnsupportedOpError) and "grouped transposed convolution is not supported" in e.message
