"""int16 (16x8) operators beyond the per-case checks of test_tflite_ops.py: every int16 input
value through LOGISTIC and TANH at drawn input scales (the power-of-two scales TFLite Micro
takes without a multiplier among them), SOFTMAX at drawn scales and betas, and MEAN / SUM /
CONCATENATION / TRANSPOSE over drawn shapes, the numpy reference equal to TensorFlow Lite
Micro's host interpreter; and what the importer refuses on int16, said in one line."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import first_difference
from tflite_builder import ModelBuilder, random_scale
from tflite_op_cases import int32s

from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ref import interpreter as ref_interp

tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16).reshape(1, 256, 256)
SWEEP_MODELS = 12


def s16(b: ModelBuilder, name: str, shape, scale: float) -> int:
    return b.tensor(name, shape, "int16", scale=scale, zero_point=0)


def check_model(data: bytes, path, xs) -> object:
    """Compile `data`; the reference equals TFLM on every input in xs. Returns the graph."""
    path.write_bytes(data)
    graph = compile_source(load_source(path))
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 22)
    for x in xs:
        interp.set_input(x, 0)
        interp.invoke()
        want = interp.get_output(0)
        got = ref_interp.run(graph, x)[graph.outputs[0]]
        assert np.array_equal(got.ravel(), want.ravel()), \
            f"{path.stem}: reference vs TFLM: {first_difference(got, want)}"
    return graph


@pytest.mark.parametrize("opname", ["LOGISTIC", "TANH"])
def test_tflite_sigmoid_sweep_s16(opname, tmp_path):
    """All 65536 inputs at power-of-two input scales (2^-12; TANH also 2^-11) and drawn ones."""
    rng = np.random.default_rng(sum(map(ord, opname)))
    scales = [2.0 ** -12, 2.0 ** -11, 2.0 ** -14] + [random_scale(rng, 1e-5, 2e-3) for _ in range(SWEEP_MODELS)]
    for k, scale in enumerate(scales):
        b = ModelBuilder()
        x, y = s16(b, "x", [1, 256, 256], scale), s16(b, "y", [1, 256, 256], 1 / 32768)
        b.op(opname, [x], [y])
        graph = check_model(b.finish([x], [y]), tmp_path / f"{opname}_{k}.tflite", [ALL_INT16])
        assert [n.kernel for n in graph.nodes] == [f"tg_{opname.lower()}_lut_s16"]


def test_tflite_reduce_concat_transpose_sweep_s16(tmp_path):
    """MEAN or SUM over drawn adjacent axes, then a concatenation with the input's slice and a
    transpose, on drawn int16 scales (zero points 0)."""
    rng = np.random.default_rng(16)
    for k in range(SWEEP_MODELS):
        shape = [1, *(int(n) for n in rng.integers(1, 6, size=2)), int(rng.integers(2, 9))]
        first = int(rng.integers(1, 3))
        axes = list(range(first, first + int(rng.integers(1, 3))))
        reduced = [1 if d in axes else n for d, n in enumerate(shape)]
        b = ModelBuilder()
        x = s16(b, "x", shape, random_scale(rng, 2e-5, 2e-3))
        r = s16(b, "reduced", reduced, random_scale(rng, 2e-5, 2e-3))
        opname = ["MEAN", "SUM"][k % 2]
        b.op(opname, [x, int32s(b, "axes", axes)], [r], "ReducerOptions", KeepDims=True)
        sl = s16(b, "slice", reduced, random_scale(rng, 2e-5, 2e-3))
        b.op("SLICE", [x, int32s(b, "begin", [0] * 4), int32s(b, "size", reduced)], [sl])
        c = s16(b, "joined", reduced[:3] + [2 * reduced[3]], random_scale(rng, 2e-5, 2e-3))
        b.op("CONCATENATION", [r, sl], [c], "ConcatenationOptions", Axis=3)
        perm = [0, *(int(p) + 1 for p in rng.permutation(3))]
        y = s16(b, "y", [b.tensors[c].shape[p] for p in perm], 1e-3)
        b.op("TRANSPOSE", [c, int32s(b, "perm", perm)], [y])
        xs = [rng.integers(-32768, 32768, size=shape).astype(np.int16) for _ in range(3)]
        check_model(b.finish([x], [y]), tmp_path / f"reduce_{k}.tflite", xs)


def test_tflite_softmax_sweep_s16(tmp_path):
    """int16 SOFTMAX at drawn input scales, betas and row lengths: TFLite Micro's LUTs, rebuilt
    by tinygen, give its bytes."""
    rng = np.random.default_rng(1616)
    for k in range(SWEEP_MODELS):
        depth = int(rng.integers(1, 80))
        b = ModelBuilder()
        x = s16(b, "x", [4, depth], random_scale(rng, 2e-5, 3e-3))
        y = s16(b, "y", [4, depth], 1 / 32768)
        b.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=float(rng.choice([1.0, rng.uniform(0.05, 3)])))
        xs = [rng.integers(-32768, 32768, size=(4, depth)).astype(np.int16),
              np.rint(rng.normal(0, rng.uniform(100, 8000), (4, depth))).clip(-32768, 32767).astype(np.int16)]
        graph = check_model(b.finish([x], [y]), tmp_path / f"softmax_{k}.tflite", xs)
        assert [n.kernel for n in graph.nodes] == ["tg_softmax_s16"]


def test_tflite_softmax_s16_tables_shared(tmp_path):
    """Two int16 softmax layers read one copy of TFLite's LUTs in flash (their packed constants
    are equal, so the kernels share one)."""
    b = ModelBuilder()
    x, s1, y = s16(b, "x", [2, 20], 3e-4), s16(b, "s1", [2, 20], 1 / 32768), s16(b, "y", [2, 20], 1 / 32768)
    b.op("SOFTMAX", [x], [s1], "SoftmaxOptions", Beta=1.0)
    b.op("SOFTMAX", [s1], [y], "SoftmaxOptions", Beta=4.0)
    rng = np.random.default_rng(3)
    graph = check_model(b.finish([x], [y]), tmp_path / "two_softmax.tflite",
                        [rng.integers(-32768, 32768, (2, 20)).astype(np.int16) for _ in range(3)])
    packed = {n.param("packed") for n in graph.nodes}
    assert len(packed) == 1 and None not in packed
    assert sum(t.name.endswith("_packed") for t in graph.tensors.values()) == 1


def _refused(tmp_path, build, error=UnsupportedOpError) -> str:
    """The one-line message (the hint aside) of the error compiling the model `build` makes."""
    b = ModelBuilder()
    ins, outs = build(b)
    path = tmp_path / "refused.tflite"
    path.write_bytes(b.finish(ins, outs))
    with pytest.raises(error) as e:
        compile_source(load_source(path))
    assert "\n" not in e.value.args[0]
    return e.value.args[0]


def test_tflite_sigmoid_s16_refuses_other_output_grid(tmp_path):
    def build(b):
        x, y = s16(b, "x", [1, 8], 2.0 ** -12), s16(b, "y", [1, 8], 1 / 256)
        b.op("LOGISTIC", [x], [y])
        return [x], [y]
    assert "operator 0 (LOGISTIC" in (msg := _refused(tmp_path, build)) and "1/32768" in msg


def test_tflite_concat_s16_refuses_zero_point(tmp_path):
    def build(b):
        x = s16(b, "x", [1, 4], 1e-3)
        r = b.tensor("r", [1, 4], "int16", scale=1e-3, zero_point=5)
        y = s16(b, "y", [1, 8], 1e-3)
        b.op("RELU", [x], [r])
        b.op("CONCATENATION", [x, r], [y], "ConcatenationOptions", Axis=1)
        return [x], [y]
    assert "operator 1 (CONCATENATION" in (msg := _refused(tmp_path, build)) and "zero points 0" in msg


def test_tflite_s16_refuses_ops_tflm_refuses(tmp_path):
    """HARD_SWISH and MIRROR_PAD have no int16 kernel in TFLite Micro (it fails them at invoke):
    refused by name and position, all at once."""
    def build(b):
        x, h = s16(b, "x", [1, 4, 6], 1e-3), s16(b, "swish", [1, 4, 6], 1e-3)
        y = s16(b, "y", [1, 6, 8], 1e-3)
        b.op("HARD_SWISH", [x], [h])
        b.op("MIRROR_PAD", [h, int32s(b, "paddings", [[0, 0], [1, 1], [1, 1]])], [y], "MirrorPadOptions", Mode=0)
        return [x], [y]
    msg = _refused(tmp_path, build, ModelError)
    assert "int16" in msg and "HARD_SWISH (operator 0)" in msg and "MIRROR_PAD (operator 1)" in msg, msg


@pytest.mark.parametrize("opname", ["BATCH_MATMUL", "SQUARED_DIFFERENCE", "RSQRT", "TANH"])
def test_tflite_s16_refuses_zero_points(opname, tmp_path):
    """The 16x8 kernels TFLite Micro runs only on zero points 0 refuse another, naming the op."""
    def build(b):
        x = b.tensor("x", [1, 4, 4], "int16", scale=2.0 ** -12, zero_point=3)
        y = s16(b, "y", [1, 4, 4], 1 / 32768 if opname == "TANH" else 1e-3)
        b.op(opname, [x, x] if opname in ("BATCH_MATMUL", "SQUARED_DIFFERENCE") else [x], [y],
             "BatchMatMulOptions" if opname == "BATCH_MATMUL" else None)
        return [x], [y]
    msg = _refused(tmp_path, build)
    assert f"operator 0 ({opname}" in msg and "zero points 0" in msg, msg
