"""The data-movement operators where TFLite Micro is not the whole answer
(tests/tflite_shape_cases.py has the cases it answers): a padded SPACE_TO_BATCH_ND (TFLite
Micro pads with a value it never sets: tinygen pads with the zero point, as LiteRT does) alone
and in a dilated convolution, an embedding lookup from int32 token ids in range, and the
refusals of what TFLite Micro refuses too."""

from __future__ import annotations

import numpy as np
import pytest

from e2e import build_host, first_difference
from tflite_builder import ModelBuilder
from tflite_op_cases import act, int32s
from tflite_shape_cases import dilated, like
from tinygen.compiler import compile_source, load_source
from tinygen.errors import TinygenError
from tinygen.ref import interpreter as ref_interp

import tflite_refs  # noqa: E402  (skips the module when TFLM or LiteRT is absent)


def _compile(data: bytes, tmp_path, name: str):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    source = load_source(path)
    return source, compile_source(source)


def _reference(graph, xs) -> list[np.ndarray]:
    return [ref_interp.run(graph, x)[graph.outputs[0]] for x in xs]


def _int8_inputs(shape, n: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(45)
    return [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(n)]


def test_space_to_batch_padded_s8_pads_zero_point(tmp_path):
    rng = np.random.default_rng(1)
    b = ModelBuilder()
    x = act(b, rng, "x", [1, 5, 7, 3], zp=-17)
    y = like(b, x, "y", [4, 3, 4, 3])
    b.op("SPACE_TO_BATCH_ND", [x, int32s(b, "block", [2, 2]), int32s(b, "pads", [[1, 0], [0, 1]])], [y],
         "SpaceToBatchNDOptions")
    data = b.finish([x], [y])
    _, graph = _compile(data, tmp_path, "s2b")
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_pad_s8", "tg_strided_copy"]
    xs = _int8_inputs((1, 5, 7, 3))
    got, litert = _reference(graph, xs), tflite_refs.litert_run(data, xs)
    tflm = tflite_refs.tflm_run(data, xs)
    # where the padding lands: the positions whose value does not follow the input
    padded = np.ones((1, 5, 7, 3), np.int8)
    probe = tflite_refs.litert_run(data, [padded])[0] != 1
    for g, lite, micro in zip(got, litert, tflm):
        assert np.array_equal(g.ravel(), lite.ravel()), first_difference(g, lite)
        assert np.array_equal(g[~probe], micro[~probe]) and np.all(g[probe] == -17)


def test_dilated_conv_same_s8_is_one_convolution(tmp_path):
    """Keras' dilation_rate=2 with padding='same' as TensorFlow exports it: the padded three
    ops compile to one conv2d of dilation 2, equal to LiteRT (TFLite Micro's padding is unset)."""
    rng = np.random.default_rng(2)
    b = ModelBuilder()
    x = act(b, rng, "x", [1, 9, 9, 4])
    y = dilated(b, rng, x, "y", 6, 2, [[2, 3], [2, 3]], [[0, 1], [0, 1]])
    data = b.finish([x], [y])
    source, graph = _compile(data, tmp_path, "dilated")
    (node,) = graph.nodes
    assert node.kernel == "tg_conv2d_s8" and node.attrs["dilation"] == (2, 2)
    assert node.attrs["padding"] == (2, 2, 2, 2)
    xs = _int8_inputs((1, 9, 9, 4))
    for g, lite in zip(_reference(graph, xs), tflite_refs.litert_run(data, xs)):
        assert np.array_equal(g.ravel(), lite.ravel()), first_difference(g, lite)


def test_embedding_lookup_int32_ids_s8_equals_tflm(tmp_path):
    """int32 token ids in, an int8 table in flash: the reference and the host C equal TFLite
    Micro on ids in range (out of range TFLite Micro reads past its table)."""
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    ids = b.tensor("ids", [5], "int32")
    table = b.tensor("table", [11, 2, 3], scale=0.02, zero_point=4, data=rng.integers(-128, 128, (11, 2, 3)))
    y = b.tensor("y", [5, 2, 3], scale=0.02, zero_point=4)
    b.op("EMBEDDING_LOOKUP", [ids, table], [y])
    data = b.finish([ids], [y])
    source, graph = _compile(data, tmp_path, "embedding")
    assert [n.kernel for n in graph.nodes] == ["tg_gather"]
    assert graph.tensor(graph.inputs[0]).dtype == "int32"
    xs = [rng.integers(0, 11, 5).astype(np.int32) for _ in range(6)]
    host = build_host(source, graph, tmp_path / "host")
    for x, want in zip(xs, tflite_refs.tflm_run(data, xs)):
        got = ref_interp.run(graph, x)[graph.outputs[0]]
        assert np.array_equal(got.ravel(), want.ravel()), first_difference(got, want)
        assert np.array_equal(host.invoke(x)[0].ravel(), want.ravel())


def _depth_to_space_s16(b, rng):
    from tflite_op_cases_wide import s16
    x = s16(b, rng, "x", [1, 2, 2, 8])
    y = like(b, x, "y", [1, 4, 4, 2])
    b.op("DEPTH_TO_SPACE", [x], [y], "DepthToSpaceOptions", BlockSize=2)
    return x, y, np.int16


def _reverse_apart(b, rng):
    x = act(b, rng, "x", [1, 3, 4, 5])
    y = like(b, x, "y", [1, 3, 4, 5])
    b.op("REVERSE_V2", [x, int32s(b, "axes", [1, 3])], [y], "ReverseV2Options")
    return x, y, np.int8


@pytest.mark.parametrize("build, says", [(_depth_to_space_s16, "DEPTH_TO_SPACE on INT16"),
                                         (_reverse_apart, "not neighbours")])
def test_tflite_move_refused_as_tflm_does(build, says, tmp_path):
    b = ModelBuilder()
    x, y, dtype = build(b, np.random.default_rng(4))
    data = b.finish([x], [y])
    with pytest.raises(TinygenError, match=says):
        _compile(data, tmp_path, "refused")
    with pytest.raises(RuntimeError):           # TFLite Micro refuses it too
        tflite_refs.tflm_run(data, [np.zeros(b.tensors[x].shape, dtype)])


def test_resize_nearest_irregular_refused(tmp_path):
    rng = np.random.default_rng(6)
    b = ModelBuilder()
    x = act(b, rng, "x", [1, 4, 4, 2])
    y = like(b, x, "y", [1, 6, 6, 2])
    b.op("RESIZE_NEAREST_NEIGHBOR", [x, int32s(b, "size", [6, 6])], [y], "ResizeNearestNeighborOptions")
    data = b.finish([x], [y])
    with pytest.raises(TinygenError, match="whole factors"):
        _compile(data, tmp_path, "resize")


def test_dynamic_update_slice_start_input_s16_equals_tflm(tmp_path):
    """The start indices as a second model input (a cache position): clamped as TFLite Micro
    clamps them, the reference and the host C equal it, starts out of range included."""
    from tflite_op_cases_wide import s16
    rng = np.random.default_rng(7)
    b = ModelBuilder()
    x, start = s16(b, rng, "x", [4, 6]), b.tensor("start", [2], "int32")
    piece = like(b, x, "piece", [2, 3])
    b.op("STRIDED_SLICE", [x, int32s(b, "begin", [1, 2]), int32s(b, "end", [3, 5]), int32s(b, "step", [1, 1])],
         [piece], "StridedSliceOptions")
    y = like(b, x, "y", [4, 6])
    b.op("DYNAMIC_UPDATE_SLICE", [x, piece, start], [y])
    data = b.finish([x, start], [y])
    source, graph = _compile(data, tmp_path, "update")
    assert [n.kernel for n in graph.nodes] == ["tg_strided_slice_s16", "tg_dynamic_update_slice"]
    host = build_host(source, graph, tmp_path / "host")
    interp = tflite_refs.tflm_interpreter(data)
    for at in ([0, 0], [3, 1], [-2, 9], [1, 4]):
        xs = (rng.integers(-32768, 32768, (4, 6)).astype(np.int16), np.asarray(at, np.int32))
        interp.set_input(xs[0], 0)
        interp.set_input(xs[1], 1)
        interp.invoke()
        want = interp.get_output(0)
        got = ref_interp.run(graph, list(xs))[graph.outputs[0]]
        assert np.array_equal(got, want), first_difference(got, want)
        assert np.array_equal(host.invoke(*xs)[0].reshape(want.shape), want)


def test_float_moves_quantized_from_calib_s8(tmp_path):
    """A float model of moves quantized by tinygen (--calib): one grid for all its tensors, so
    the int8 output is TFLite Micro's float output quantized on it, exactly."""
    from tflite_shape_cases import resize, reverse
    b = ModelBuilder()
    x, deep = b.tensor("x", [1, 4, 6, 8], "float32"), b.tensor("deep", [1, 2, 3, 32], "float32")
    b.op("SPACE_TO_DEPTH", [x], [deep], "SpaceToDepthOptions", BlockSize=2)
    y = reverse(b, resize(b, deep, "up", [1, 4, 6, 32]), "y", [1, 2])
    data = b.finish([x], [y])
    (tmp_path / "moves.tflite").write_bytes(data)
    rng = np.random.default_rng(8)
    np.save(tmp_path / "calib.npy", rng.normal(0, 1, (16, 4, 6, 8)).astype(np.float32))
    graph = compile_source(load_source(tmp_path / "moves.tflite"), calib=str(tmp_path / "calib.npy"))
    assert [n.kernel for n in graph.nodes] == ["tg_strided_copy"] * 3
    xs = [rng.normal(0, 1, (1, 4, 6, 8)).astype(np.float32) for _ in range(3)]
    for x, want in zip(xs, tflite_refs.tflm_run(data, xs)):
        got = ref_interp.run(graph, ref_interp.quantize_input(graph, x))[graph.outputs[0]]
        assert np.array_equal(got, ref_interp.quantize_input(graph, want))
