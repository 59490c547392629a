"""TFLite builtin operators on plain (unquantized) integer tensors (frontend/tflite/ops_plain.py,
firmware/kernels/plain/, numpy twins tinygen/ref/plain.py): three small models built by
tests/tflite_builder.py, each compiled; on seeded random inputs their reference and their host
C equal TFLite Micro (the tflite-micro package) byte for byte, every output. Together they cover
CAST between int8 / int16 / int32 / uint32 and to float32 (wrapping, rounding), int32 ADD, SUB,
MUL, DIV, MINIMUM, MAXIMUM with a constant (first or second, a single value) or a second
activation, fused RELU / RELU6 clamps, wrapping products, quotients of negative numbers,
STRIDED_SLICE and a CONCATENATION of an activation between constant pieces on int32, and a float
MUL by a scalar after a CAST (the audio front ends' tails)."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import build_host, first_difference
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite_builder import ModelBuilder

from tinygen.compiler import compile_source, load_source
from tinygen.errors import UnsupportedOpError
from tinygen.ref import interpreter as ref_interp

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

SAMPLES = 12


def _scalar(b, name, value, dtype="int32"):
    return b.tensor(name, [], dtype, data=np.array(value, dtype))


def _arithmetic():
    """int16 x, int32 y (nonzero) -> the micro-speech int8 tail and more."""
    b = ModelBuilder()
    x, y = b.tensor("x", [40], "int16"), b.tensor("y", [40], "int32")
    t = {n: b.tensor(n, [40], "int32") for n in ("c", "m", "a", "d", "w", "q", "s", "mn", "mx", "r")}
    o8 = b.tensor("o8", [40], "int8")
    b.op("CAST", [x], [t["c"]])
    b.op("MUL", [t["c"], _scalar(b, "k256", 256)], [t["m"]], "MulOptions")
    # TFLite Micro's int32 ADD ignores its fused activation
    b.op("ADD", [_scalar(b, "k333", 333), t["m"]], [t["a"]], "AddOptions", FusedActivationFunction=Act.RELU6)
    b.op("DIV", [t["a"], _scalar(b, "k666", 666)], [t["d"]], "DivOptions")
    b.op("MUL", [t["c"], y], [t["w"]], "MulOptions")                                   # wraps
    b.op("DIV", [t["w"], y], [t["q"]], "DivOptions", FusedActivationFunction=Act.RELU6)
    b.op("SUB", [_scalar(b, "k1000", 1000), t["d"]], [t["s"]], "SubOptions", FusedActivationFunction=Act.RELU)
    b.op("MINIMUM", [t["s"], _scalar(b, "k127", 127)], [t["mn"]])
    b.op("MAXIMUM", [t["w"], t["d"]], [t["mx"]])
    b.op("SUB", [t["mx"], t["a"]], [t["r"]], "SubOptions")
    b.op("CAST", [t["r"]], [o8])                                                      # wraps
    return b.finish([x, y], [o8, t["mn"], t["q"], t["mx"]])


def _moves():
    """uint32 u -> int32, sliced, between constants, back to uint32; int16 and float32 of it."""
    b = ModelBuilder()
    u = b.tensor("u", [257], "uint32")
    i, sl, cc = b.tensor("i", [257], "int32"), b.tensor("sl", [236], "int32"), b.tensor("cc", [257], "int32")
    back, h, f = b.tensor("back", [257], "uint32"), b.tensor("h", [257], "int16"), b.tensor("f", [257], "float32")
    vec = [b.tensor(n, [1], "int32", data=np.array([v], np.int32)) for n, v in (("begin", 5), ("end", 241), ("one", 1))]
    head = b.tensor("head", [5], "int32", data=np.array([0, -1, 7, 2 ** 31 - 1, -2 ** 31], np.int32))
    tail = b.tensor("tail", [16], "int32", data=np.arange(16, dtype=np.int32) * -3)
    b.op("CAST", [u], [i])
    b.op("STRIDED_SLICE", [i, *vec], [sl], "StridedSliceOptions")
    b.op("CONCATENATION", [head, sl, tail], [cc], "ConcatenationOptions", Axis=0)
    b.op("CAST", [cc], [back])
    b.op("CAST", [i], [h])
    b.op("CAST", [u], [f])
    return b.finish([u], [back, h, f])


def _floats():
    """int16 x -> float32 times a scalar; int8 z -> uint32 and int16."""
    b = ModelBuilder()
    x, z = b.tensor("x", [40], "int16"), b.tensor("z", [40], "int8")
    fx, m = b.tensor("fx", [40], "float32"), b.tensor("m", [40], "float32")
    zu, zs = b.tensor("zu", [40], "uint32"), b.tensor("zs", [40], "int16")
    b.op("CAST", [x], [fx])
    b.op("MUL", [fx, _scalar(b, "scale", 0.0390625, "float32")], [m], "MulOptions")
    b.op("CAST", [z], [zu])
    b.op("CAST", [z], [zs])
    return b.finish([x, z], [m, zu, zs])


def _inputs(data: bytes, rng) -> list[np.ndarray]:
    it = runtime.Interpreter.from_bytes(data)
    xs = []
    for k in range(len(it.get_input_details(0)) and 8):
        try:
            d = it.get_input_details(k)
        except Exception:       # noqa: BLE001  (no input k)
            break
        dtype, shape = np.dtype(d["dtype"]), tuple(d["shape"])
        info = np.iinfo(dtype)
        v = rng.integers(info.min, int(info.max) + 1, shape, dtype=np.int64)
        if dtype == np.int32:           # a divisor: never 0 (TFLite Micro's C++ traps)
            v = np.where(v == 0, 1, v // rng.choice([1, 2 ** 16, 2 ** 28], shape))
            v = np.where(v == 0, -1, v)
        xs.append(v.astype(dtype))
    return xs


@pytest.mark.parametrize("build", [_arithmetic, _moves, _floats], ids=["arithmetic", "moves", "floats"])
def test_plain_ops_reference_and_host_c_equal_tflm_tflite(build, tmp_path):
    data = build()
    (tmp_path / "m.tflite").write_bytes(data)
    source = load_source(tmp_path / "m.tflite")
    graph = compile_source(source)
    host = build_host(source, graph, tmp_path / "host")
    tflm = runtime.Interpreter.from_bytes(data)
    rng = np.random.default_rng(45)
    seen = set()
    for k in range(SAMPLES):
        xs = _inputs(data, rng)
        for j, x in enumerate(xs):
            tflm.set_input(x, j)
        tflm.invoke()
        ref = ref_interp.run(graph, xs)
        got = host.invoke(*xs)
        for j, name in enumerate(graph.outputs):
            want = tflm.get_output(j).ravel()
            r, c = ref[name].ravel(), got[j].ravel()
            assert r.dtype == want.dtype and np.array_equal(r.view(np.uint8), want.view(np.uint8)), \
                f"sample {k}, output {j}: reference vs TFLM: {first_difference(r, want)}"
            assert np.array_equal(c.view(np.uint8), want.view(np.uint8)), \
                f"sample {k}, output {j}: host C vs TFLM: {first_difference(c, want)}"
            seen.add((j, want.tobytes()))
    assert len(seen) == SAMPLES * len(graph.outputs)       # every output varies with the input


def test_plain_concat_of_two_activations_refused_tflite(tmp_path):
    b = ModelBuilder()
    x = b.tensor("x", [4], "int32")
    y, out = b.tensor("y", [4], "int32"), b.tensor("out", [8], "int32")
    b.op("MUL", [x, x], [y], "MulOptions")
    b.op("CONCATENATION", [x, y], [out], "ConcatenationOptions", Axis=0)
    (tmp_path / "m.tflite").write_bytes(b.finish([x], [out]))
    with pytest.raises(UnsupportedOpError, match="one activation between constant pieces"):
        compile_source(load_source(tmp_path / "m.tflite"))
