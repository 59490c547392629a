"""The simpler TFLite operators over drawn shapes (hypothesis, derandomized as the suite's
profile does) and drawn quantizations, each a single-operator .tflite written by
tests/tflite_builder.py: TANH, PRELU (one slope, per channel, broadcast), SUM, SLICE,
STRIDED_SLICE (masks, shrunk axes, negative strides), MIRROR_PAD (both modes) through
tinygen's reference equal TFLite Micro's host interpreter byte for byte on seeded inputs
(every int8 value, where the op is elementwise); GELU, which TFLite Micro has no kernel for,
equals LiteRT's reference kernel (a table TFLite builds at Prepare), and its host C too.
Fixed cases of each (host C, every layer, LiteRT) are in tests/tflite_op_cases.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e import build_host, first_difference
from tflite_builder import ModelBuilder
from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ref import interpreter as ref_interp

import tflite_refs  # noqa: E402  (skips the module when TFLM or LiteRT is absent)

SETTINGS = settings(derandomize=True, max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ALL_INT8 = np.arange(-128, 128, dtype=np.int8)
SCALES = st.floats(0.003, 0.3)
ZERO_POINTS = st.integers(-128, 127)


def shapes(min_rank: int = 2, max_rank: int = 4, max_side: int = 7):
    return st.lists(st.integers(1, max_side), min_size=min_rank - 1, max_size=max_rank - 1).map(lambda s: [1] + s)


def inputs(shape, seed: int, elementwise: bool) -> list[np.ndarray]:
    """Seeded int8 inputs of `shape`; for an elementwise op, every int8 value among them."""
    rng = np.random.default_rng(seed)
    xs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(3)]
    if elementwise:
        n = int(np.prod(shape))
        xs += [np.resize(np.roll(ALL_INT8, k * n), shape).astype(np.int8) for k in range(-(-256 // n))]
    return xs


def compiled(data: bytes, tmp_path, name: str = "m"):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    return compile_source(load_source(path))


def check(b: ModelBuilder, ins, outs, tmp_path, seed: int, elementwise: bool = False, arbiter=tflite_refs.tflm_run):
    data = b.finish(ins, outs)
    graph = compiled(data, tmp_path)
    xs = inputs(b.tensors[ins[0]].shape, seed, elementwise)
    for k, (x, want) in enumerate(zip(xs, arbiter(data, xs))):
        got = ref_interp.run(graph, x)[graph.outputs[0]]
        assert np.array_equal(got.ravel(), want.ravel()), f"input {k}: {first_difference(want, got)}"
    return graph, data, xs


def act(b, name, shape, scale, zp):
    return b.tensor(name, shape, scale=float(np.float32(scale)), zero_point=int(zp))


def ints(b, name, values):
    values = np.asarray(values, np.int32)
    return b.tensor(name, values.shape, "int32", data=values)


# -- elementwise ------------------------------------------------------------------------------

@SETTINGS
@given(shape=shapes(), scale=SCALES, zp=ZERO_POINTS, seed=st.integers(0, 2**31))
def test_tflite_tanh_s8_equals_tflm(tmp_path, shape, scale, zp, seed):
    b = ModelBuilder()
    x, y = act(b, "x", shape, scale, zp), act(b, "y", shape, 1 / 128, 0)
    b.op("TANH", [x], [y])
    graph, _, _ = check(b, [x], [y], tmp_path, seed, elementwise=True)
    assert [n.kernel for n in graph.nodes] == ["tg_lut_s8"]


@SETTINGS
@given(shape=shapes(), qx=st.tuples(SCALES, ZERO_POINTS), qy=st.tuples(SCALES, ZERO_POINTS), approximate=st.booleans(),
       seed=st.integers(0, 2**31))
def test_tflite_gelu_s8_equals_litert(tmp_path, shape, qx, qy, approximate, seed):
    """TFLite Micro has no GELU kernel: LiteRT's reference (BUILTIN_REF) is the arbiter."""
    b = ModelBuilder()
    x, y = act(b, "x", shape, *qx), act(b, "y", shape, *qy)
    b.op("GELU", [x], [y], "GeluOptions", Approximate=approximate)
    graph, _, _ = check(b, [x], [y], tmp_path, seed, elementwise=True, arbiter=tflite_refs.litert_run)
    assert [(n.op, n.kernel, n.attrs["approximate"]) for n in graph.nodes] == [("gelu", "tg_lut_s8", approximate)]


@pytest.mark.parametrize("approximate", [False, True])
def test_tflite_gelu_s8_host_c_equals_litert(tmp_path, approximate):
    b = ModelBuilder()
    x, y = act(b, "x", [1, 16, 16], 0.06, -9), act(b, "y", [1, 16, 16], 0.03, -110)
    b.op("GELU", [x], [y], "GeluOptions", Approximate=approximate)
    data = b.finish([x], [y])
    path = tmp_path / "gelu.tflite"
    path.write_bytes(data)
    source = load_source(path)
    graph = compile_source(source)
    host = build_host(source, graph, tmp_path / "host")
    xs = [ALL_INT8.reshape(1, 16, 16)] + inputs([1, 16, 16], 5, False)
    for k, (x_, want) in enumerate(zip(xs, tflite_refs.litert_run(data, xs))):
        got = host.invoke(x_)[0]
        assert np.array_equal(got.ravel(), want.ravel()), f"input {k}: {first_difference(want, got)}"


@SETTINGS
@given(shape=shapes(), alpha_kind=st.sampled_from(["one", "channel", "full", "row"]),
       qx=st.tuples(SCALES, ZERO_POINTS), qy=st.tuples(SCALES, ZERO_POINTS),
       qa=st.tuples(st.floats(0.001, 0.05), ZERO_POINTS), seed=st.integers(0, 2**31))
def test_tflite_prelu_s8_equals_tflm(tmp_path, shape, alpha_kind, qx, qy, qa, seed):
    """One slope (a table), one per channel, one per element, one per row (broadcast)."""
    a_shape = {"one": [1], "channel": shape[-1:], "full": shape[1:],
               "row": shape[1:-1] + [1] if len(shape) > 2 else [1]}[alpha_kind]
    b = ModelBuilder()
    x, y = act(b, "x", shape, *qx), act(b, "y", shape, *qy)
    alpha = b.tensor("alpha", a_shape, scale=float(np.float32(qa[0])), zero_point=qa[1],
                     data=np.random.default_rng(seed).integers(-128, 128, a_shape))
    b.op("PRELU", [x, alpha], [y])
    one = int(np.prod(a_shape)) == 1
    graph, _, _ = check(b, [x], [y], tmp_path, seed, elementwise=one)
    assert [n.kernel for n in graph.nodes] == ["tg_lut_s8" if one else "tg_prelu_s8"]


# -- SUM -----------------------------------------------------------------------------------------

@SETTINGS
@given(shape=shapes(2, 4, 9), data=st.data(), keep=st.booleans(), qx=st.tuples(SCALES, ZERO_POINTS),
       out_scale=st.floats(0.05, 3.0), out_zp=ZERO_POINTS, seed=st.integers(0, 2**31))
def test_tflite_sum_s8_equals_tflm(tmp_path, shape, data, keep, qx, out_scale, out_zp, seed):
    """Adjacent axes (negative ones too), kept or dropped."""
    rank = len(shape)
    start = data.draw(st.integers(0, rank - 1))
    axes = list(range(start, data.draw(st.integers(start + 1, rank))))
    written = [a - rank if data.draw(st.booleans()) else a for a in axes]
    out = [1 if d in axes else n for d, n in enumerate(shape) if keep or d not in axes]
    b = ModelBuilder()
    x, y = act(b, "x", shape, *qx), act(b, "y", out or [1], out_scale, out_zp)
    b.op("SUM", [x, ints(b, "axes", written)], [y], "ReducerOptions", KeepDims=keep)
    if not out:
        return                      # a sum of everything leaves a scalar: TFLite writes [], not [1]
    graph, _, _ = check(b, [x], [y], tmp_path, seed)
    assert [n.kernel for n in graph.nodes] == ["tg_mean_s8"]


# -- SLICE, STRIDED_SLICE ------------------------------------------------------------------------

@SETTINGS
@given(shape=shapes(), data=st.data(), q=st.tuples(SCALES, ZERO_POINTS), seed=st.integers(0, 2**31))
def test_tflite_slice_s8_equals_tflm(tmp_path, shape, data, q, seed):
    begins = [data.draw(st.integers(0, n - 1)) for n in shape]
    sizes = [data.draw(st.sampled_from([-1, data.draw(st.integers(1, n - b))])) for n, b in zip(shape, begins)]
    out = [n - b if s == -1 else s for n, b, s in zip(shape, begins, sizes)]
    b = ModelBuilder()
    x, y = act(b, "x", shape, *q), act(b, "y", out, *q)
    b.op("SLICE", [x, ints(b, "begin", begins), ints(b, "size", sizes)], [y], "SliceOptions")
    graph, _, _ = check(b, [x], [y], tmp_path, seed)
    assert [n.kernel for n in graph.nodes] == ["tg_strided_slice_s8"]


@st.composite
def strided(draw):
    """A shape, per axis a non-empty range (start, stop, stride; negative strides too) written
    in one of the forms TFLite reads as it (a negative index, an index past the end, a begin or
    end mask), some axes shrunk, and the output's shape."""
    shape = draw(shapes())
    begin, end, stride, out = [], [], [], []
    begin_mask = end_mask = shrink = 0
    for axis, n in enumerate(shape):
        s = draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
        start = draw(st.integers(0, n - 1))
        stop = draw(st.integers(start + 1, n)) if s > 0 else draw(st.integers(-1, start - 1))
        b = draw(st.sampled_from([start, start - n]))
        if start == (0 if s > 0 else n - 1) and draw(st.booleans()):
            begin_mask |= 1 << axis
        if stop == (n if s > 0 else -1):
            e = draw(st.sampled_from([n + 2, "mask"] if s > 0 else [-n - 1, "mask"]))
            if e == "mask":
                end_mask, e = end_mask | 1 << axis, 0
        else:
            e = draw(st.sampled_from([stop, stop - n]))
        if s == 1 and draw(st.integers(0, 3)) == 0:
            shrink |= 1 << axis
            begin_mask &= ~(1 << axis)
        else:
            out.append(len(range(start, stop, s)))
        begin.append(b)
        end.append(e)
        stride.append(s)
    return shape, begin, end, stride, begin_mask, end_mask, shrink, out


@SETTINGS
@given(case=strided(), q=st.tuples(SCALES, ZERO_POINTS), seed=st.integers(0, 2**31))
def test_tflite_strided_slice_s8_equals_tflm(tmp_path, case, q, seed):
    if not case[-1]:
        return                      # every axis shrunk: a scalar
    shape, begin, end, stride, begin_mask, end_mask, shrink, out = case
    b = ModelBuilder()
    x, y = act(b, "x", shape, *q), act(b, "y", out, *q)
    b.op("STRIDED_SLICE", [x, ints(b, "begin", begin), ints(b, "end", end), ints(b, "strides", stride)], [y],
         "StridedSliceOptions", BeginMask=begin_mask, EndMask=end_mask, ShrinkAxisMask=shrink)
    graph, _, _ = check(b, [x], [y], tmp_path, seed)
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_strided_slice_s8"]


# -- MIRROR_PAD --------------------------------------------------------------------------------

@SETTINGS
@given(shape=shapes(), mode=st.sampled_from([0, 1]), data=st.data(), q=st.tuples(SCALES, ZERO_POINTS),
       seed=st.integers(0, 2**31))
def test_tflite_mirror_pad_s8_equals_tflm(tmp_path, shape, mode, data, q, seed):
    """REFLECT pads up to n - 1 (the edge left out), SYMMETRIC up to n (the edge repeated)."""
    pads = [[data.draw(st.integers(0, n - 1 + mode)) for _ in range(2)] for n in shape]
    out = [n + a + c for n, (a, c) in zip(shape, pads)]
    b = ModelBuilder()
    x, y = act(b, "x", shape, *q), act(b, "y", out, *q)
    b.op("MIRROR_PAD", [x, ints(b, "paddings", pads)], [y], "MirrorPadOptions", Mode=mode)
    graph, _, _ = check(b, [x], [y], tmp_path, seed)
    assert [n.kernel for n in graph.nodes] == ["tg_mirror_pad_s8"]


# -- what is refused: one clear line each ---------------------------------------------------------

def _refused(build, tmp_path) -> str:
    b = ModelBuilder()
    ins, outs = build(b)
    with pytest.raises((UnsupportedOpError, ModelError)) as e:
        compiled(b.finish(ins, outs), tmp_path)
    return str(e.value)


def test_tflite_simple_ops_refusals(tmp_path):
    def tanh_wrong_output(b):
        x, y = act(b, "x", [1, 4], 0.1, 0), act(b, "y", [1, 4], 0.02, 5)
        b.op("TANH", [x], [y])
        return [x], [y]

    def reflect_too_far(b):
        x, y = act(b, "x", [1, 3, 2], 0.1, 0), act(b, "y", [1, 6, 2], 0.1, 0)
        b.op("MIRROR_PAD", [x, ints(b, "p", [[0, 0], [3, 0], [0, 0]])], [y], "MirrorPadOptions", Mode=0)
        return [x], [y]

    def ellipsis(b):
        x, y = act(b, "x", [1, 4, 4], 0.1, 0), act(b, "y", [1, 4, 2], 0.1, 0)
        b.op("STRIDED_SLICE", [x, ints(b, "b", [0, 0, 0]), ints(b, "e", [1, 4, 2]), ints(b, "s", [1, 1, 1])], [y],
             "StridedSliceOptions", EllipsisMask=1)
        return [x], [y]

    def prelu_computed_alpha(b):
        x, a, y = act(b, "x", [1, 4], 0.1, 0), act(b, "a", [1, 4], 0.1, 0), act(b, "y", [1, 4], 0.1, 0)
        b.op("RELU", [x], [a])
        b.op("PRELU", [x, a], [y])
        return [x], [y]

    def wrong_shape(b):
        x, y = act(b, "x", [1, 6, 4], 0.1, 0), act(b, "y", [1, 3, 4], 0.1, 0)
        b.op("STRIDED_SLICE", [x, ints(b, "b", [0, 0, 0]), ints(b, "e", [1, 6, 4]), ints(b, "s", [1, 1, 1])], [y],
             "StridedSliceOptions")
        return [x], [y]

    for build, words in [(tanh_wrong_output, ["TANH", "scale 1/128 and zero point 0"]),
                         (reflect_too_far, ["MIRROR_PAD", "REFLECT padding of 3", "at most 2"]),
                         (ellipsis, ["STRIDED_SLICE", "ellipsis mask", "re-convert"]),
                         (prelu_computed_alpha, ["PRELU", "alpha must be a constant"]),
                         (wrong_shape, ["STRIDED_SLICE", "output shape [1, 3, 4] in the file", "[1, 6, 4]"])]:
        text = _refused(build, tmp_path)
        assert all(w in text for w in words), text
