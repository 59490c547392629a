"""The normalization and attention operators from .tflite (BATCH_MATMUL, SUB,
SQUARED_DIFFERENCE, RSQRT, TRANSPOSE; MEAN, ADD and MUL as a converter writes a layer norm
out) equal TensorFlow Lite Micro's host interpreter byte for byte:

- single operators over shapes and quantizations drawn by hypothesis (derandomized) and
  seeded inputs, the .tflite written by tests/tflite_builder.py with the node's own shapes
  and quantization (tests/attention_lib.py): tinygen's numpy reference == TFLM, and the
  chosen C kernel == the reference (host build through ctypes);
- whole models through tinygen's .tflite frontend (tests/tflite_attention_cases.py: the
  decomposed layer norm, attention heads, transposes): the reference, every layer and the
  host C build == TFLM on seeded inputs.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attention_lib import matmul_case, matmul_shapes, op_node, tflite_op, tflm_outputs
from e2e import ALL_AGREE, build_host, diff_layers, first_difference
from kernel_lib import assert_same
from tflite_builder import ModelBuilder, random_scale, random_zero_point
from tinygen.compiler import compile_source, load_source
from tinygen.ref import interpreter as ref_interp

import tflite_refs  # noqa: E402  (skips the module when TFLM or LiteRT is absent)
from tflite_attention_cases import CASES  # noqa: E402

SETTINGS = settings(derandomize=True, max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
INPUTS = 5                  # seeded inputs per drawn operator
CASE_INPUTS = 30            # per whole-model case

scales = st.floats(0.003, 0.2)
zero_points = st.integers(-60, 60)
qparams = st.tuples(scales, zero_points)


def _check_op(kernels, op, in_shapes, out_shape, qs, attrs, seed, const_operand=None, low=None):
    """TFLM == the reference == the C kernel on INPUTS seeded inputs (values >= low)."""
    params = {"operand": const_operand} if const_operand is not None else None
    g, node = op_node(op, in_shapes, out_shape, qs, attrs, params)
    model = tflite_op(op, in_shapes, out_shape, qs, attrs, const_operand)
    rng = np.random.default_rng(seed)
    feeds = [[rng.integers(-128 if low is None else low, 128, s).astype(np.int8) for s in in_shapes]
             for _ in range(INPUTS)]
    for xs, want in zip(feeds, tflm_outputs(model, feeds)):
        got = ref_interp.run(g, xs)["out"]
        assert np.array_equal(got.ravel(), want.ravel()), f"{op} reference vs TFLM: {first_difference(got, want)}"
        operands = xs + ([g.tensor(node.param("operand")).data] if const_operand is not None else [])
        c_out = getattr(kernels, node.kernel[len("tg_"):])(node.attrs["kparams"], *operands)
        assert_same(got.reshape(-1), np.asarray(c_out).reshape(-1), node.kernel)


@SETTINGS
@given(case=matmul_case(10), qs=st.lists(qparams, min_size=3, max_size=3), seed=st.integers(0, 2**31))
def test_batch_matmul_s8_equals_tflm(kernels, case, qs, seed):
    batch_a, batch_b, (rows, cols, depth), adj_x, adj_y = case
    if len(batch_a) + 2 < 2 or max(len(batch_a), len(batch_b)) + 2 > 5:
        return
    lhs, rhs, out = matmul_shapes(batch_a, batch_b, rows, cols, depth, adj_x, adj_y)
    _check_op(kernels, "batch_matmul", [lhs, rhs], out, qs, {"adj_x": adj_x, "adj_y": adj_y}, seed)


@st.composite
def broadcast_case(draw):
    shape = [draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 4)))]
    other = [1 if draw(st.booleans()) else n for n in shape]
    other = other[draw(st.integers(0, len(other) - 1)):] if draw(st.booleans()) else other
    return (other, shape) if draw(st.booleans()) else (shape, other)


@SETTINGS
@given(case=broadcast_case(), op=st.sampled_from(["sub", "squared_difference"]), constant=st.booleans(),
       qs=st.lists(qparams, min_size=3, max_size=3), relu=st.booleans(), seed=st.integers(0, 2**31))
def test_sub_and_squared_difference_s8_equal_tflm(kernels, case, op, constant, qs, relu, seed):
    a, b = case
    out = tuple(np.broadcast_shapes(tuple(a), tuple(b)))
    attrs = {}
    if op == "sub":
        zp = int(qs[2][1])
        attrs = {"fused": 1 if relu else 0, "act_min": max(-128, zp) if relu else -128, "act_max": 127}
    if constant:
        values = np.random.default_rng(seed + 1).integers(-128, 128, b).astype(np.int8)
        _check_op(kernels, op, [a], out, [qs[0], qs[2]], attrs, seed, const_operand=(values, qs[1]))
    else:
        _check_op(kernels, op, [a, b], out, qs, attrs, seed)


@SETTINGS
@given(in_q=st.tuples(st.floats(0.002, 0.05), zero_points), out_q=st.tuples(st.floats(0.005, 0.5), zero_points),
       seed=st.integers(0, 2**31))
def test_rsqrt_s8_equals_tflm(kernels, in_q, out_q, seed):
    """Every input at or above the zero point (TFLM refuses the others; tinygen gives 127)."""
    _check_op(kernels, "rsqrt", [(4, 64)], (4, 64), [in_q, out_q], {}, seed, low=in_q[1])


@st.composite
def transpose_case(draw):
    shape = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(2, 5)))]     # TFLM: up to 5
    perm = draw(st.permutations(range(len(shape))))
    return shape, list(perm)


@SETTINGS
@given(case=transpose_case(), q=qparams, seed=st.integers(0, 2**31))
def test_transpose_s8_from_tflite_equals_tflm(case, q, seed, tmp_path):
    """Ranks 2 to 5 (TFLM's) through tinygen's .tflite frontend: dims of size 1 dropped and
    dims that move together merged to at most 4; a transpose that needs more is refused with
    one line."""
    shape, perm = case
    b = ModelBuilder()
    x = b.tensor("x", shape, scale=q[0], zero_point=q[1])
    y = b.tensor("y", [shape[p] for p in perm], scale=q[0], zero_point=q[1])
    b.op("TRANSPOSE", [x, b.tensor("perm", [len(perm)], "int32", data=np.asarray(perm, np.int32))], [y],
         "TransposeOptions")
    data = b.finish([x], [y])
    path = tmp_path / f"transpose_{seed}.tflite"
    path.write_bytes(data)
    try:
        graph = compile_source(load_source(path))
    except Exception as e:                  # more than 4 groups of dims move
        assert "moves more than 4 groups" in str(e), str(e)
        return
    rng = np.random.default_rng(seed)
    feeds = [[rng.integers(-128, 128, shape).astype(np.int8)] for _ in range(3)]
    for xs, want in zip(feeds, tflm_outputs(data, feeds)):
        got = ref_interp.run(graph, xs[0])[graph.outputs[0]]
        assert np.array_equal(got.ravel(), want.ravel()), first_difference(got, want)


# -- whole models through the .tflite frontend ---------------------------------------------------


@functools.lru_cache(maxsize=None)
def model_bytes(name: str) -> bytes:
    b = ModelBuilder(f"tinygen test: {name}")
    inputs, outputs = CASES[name].build(b, np.random.default_rng(zlib.crc32(name.encode())))
    return b.finish(inputs, outputs)


@functools.lru_cache(maxsize=None)
def case_inputs(name: str) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    detail = tflite_refs.tflm_interpreter(model_bytes(name)).get_input_details(0)
    shape, zp = tuple(detail["shape"]), int(detail["quantization_parameters"]["zero_points"][0])
    return tuple(rng.integers(-128, 128, shape).astype(np.int8) if k % 2 else
                 np.clip(np.rint(rng.normal(zp, rng.uniform(5, 60), shape)), -128, 127).astype(np.int8)
                 for k in range(CASE_INPUTS))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    work = tmp_path_factory.mktemp("tflite_attention")
    cache = {}

    def get(name: str):
        if name not in cache:
            path = work / f"{name}.tflite"
            path.write_bytes(model_bytes(name))
            source = load_source(path)
            cache[name] = (source, compile_source(source), work)
        return cache[name]
    return get


@pytest.mark.parametrize("name", CASES)
def test_tflite_attention_case_reference_equals_tflm(name, compiled):
    _, graph, _ = compiled(name)
    assert [n.kernel for n in graph.nodes if n.kernel] == list(CASES[name].kernels)
    want = tflite_refs.tflm_run(model_bytes(name), case_inputs(name))
    got = [ref_interp.run(graph, x)[graph.outputs[0]] for x in case_inputs(name)]
    for k, (g, w) in enumerate(zip(got, want)):
        assert np.array_equal(g.ravel(), w.ravel()), f"{name} input {k}: {first_difference(g, w)}"
    assert len({w.tobytes() for w in want}) > CASE_INPUTS // 2        # the outputs vary with the input
    interp = tflite_refs.tflm_interpreter(model_bytes(name), preserve_all=True)
    index = graph.meta["tflite_tensors"]
    for x in case_inputs(name)[:3]:                                   # every layer
        interp.set_input(x, 0)
        interp.invoke()
        values = ref_interp.run(graph, x, keep_all=True)
        for node in (n for n in graph.nodes if n.outputs[0] in index):     # (not tinygen's own reshapes)
            layer = interp.GetTensor(index[node.outputs[0]], 0)["tensor_data"]
            assert np.array_equal(values[node.outputs[0]].ravel(), layer.ravel()), \
                f"{name}: layer {node.name} ({node.source}): {first_difference(values[node.outputs[0]], layer)}"


@pytest.mark.parametrize("name", CASES)
def test_tflite_attention_case_host_c_equals_tflm(name, compiled):
    source, graph, work = compiled(name)
    host = build_host(source, graph, work / f"{name}_host")
    want = tflite_refs.tflm_run(model_bytes(name), case_inputs(name))
    for k, (x, w) in enumerate(zip(case_inputs(name), want)):
        got = host.invoke(x)[0]
        assert np.array_equal(got.ravel(), w.ravel()), f"{name} input {k}: {first_difference(got, w)}"
    assert diff_layers(graph, host, case_inputs(name)[0]) == ALL_AGREE


def test_tflite_batch_matmul_constant_operand_refused(tmp_path):
    """One clear line: a constant operand belongs in FULLY_CONNECTED."""
    from tinygen.errors import UnsupportedOpError

    b = ModelBuilder()
    rng = np.random.default_rng(0)
    x = b.tensor("x", [1, 4, 6], scale=random_scale(rng), zero_point=random_zero_point(rng))
    w = b.tensor("w", [6, 3], scale=0.02, zero_point=0, data=rng.integers(-127, 128, (6, 3)))
    y = b.tensor("y", [1, 4, 3], scale=random_scale(rng), zero_point=0)
    b.op("BATCH_MATMUL", [x, w], [y], "BatchMatMulOptions", AdjX=False, AdjY=False)
    path = tmp_path / "const.tflite"
    path.write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match="operator 0 \\(BATCH_MATMUL.*constant operand") as e:
        load_source(path)
    assert "FULLY_CONNECTED" in str(e.value)
