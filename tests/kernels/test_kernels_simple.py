"""The simpler operators' portable kernels on the host (tg_lut_s8, tg_tanh_s8, tg_prelu_s8,
tg_mean_s8 summing, tg_strided_slice_s8, tg_mirror_pad_s8) equal their numpy twins over drawn
shapes and quantizations (hypothesis, derandomized), with the parameters the builders of
tinygen/kernels/params_simple.py give an IR node (their dimension merging included); the
copying twins equal numpy's own slicing and padding, and the twins of the arithmetic equal
the real functions within their rounding."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_lib import assert_same

from tinygen.ir import Graph, Kind, Node, QParams, Tensor
from tinygen.kernels.params import kernel_params, struct_fields
from tinygen.quant import op_params
from tinygen.ref import kernels as ref_s8
from tinygen.ref.lookup import by_uint8, lut_s8, tanh_s8
from tinygen.ref.prelu import prelu_s8
from tinygen.ref.slicing import MIRROR_PAD_MODES, mirror_pad_s8, strided_slice_s8

SETTINGS = settings(derandomize=True, max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NUMPY_MODES = {"reflect": "reflect", "symmetric": "symmetric", "replicate": "edge", "circular": "wrap"}


def node_params(op: str, shape, out_shape, attrs: dict, params: dict | None = None, qs=None) -> dict:
    """kernel_params of one quantized node `op` from an int8 input of `shape`; params: role ->
    (int8 data, (scale, zero point)); qs: the input's and output's (scale, zero point)."""
    (si, zi), (so, zo) = qs or ((0.05, 0), (0.05, 0))
    g = Graph("t")
    g.add_tensor(Tensor("x", tuple(shape), "int8", Kind.INPUT, qparams=QParams(np.float32(si), zi)))
    g.add_tensor(Tensor("y", tuple(out_shape), "int8", Kind.OUTPUT, qparams=QParams(np.float32(so), zo)))
    pset = {}
    for role, (data, (s, z)) in (params or {}).items():
        c = g.add_const(role, np.asarray(data, np.int8), "int8")
        c.qparams = QParams(np.float32(s), z)
        pset[role] = role
    node = Node("n", op, ["x"], ["y"], dict(attrs), [pset])
    g.nodes.append(node)
    g.inputs, g.outputs = ["x"], ["y"]
    return kernel_params(g, node)


def _x(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, shape).astype(np.int8)


# -- the table kernel and tanh -----------------------------------------------------------------------

@SETTINGS
@given(size=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_lut_s8_host(kernels, size, seed):
    """Any table, any size (the four-at-a-time loop and its tail)."""
    rng = np.random.default_rng(seed)
    x, table = _x(seed, size), rng.integers(-128, 128, 256).astype(np.int8)
    expected = lut_s8({"size": size}, x, table)
    assert_same(expected, table[x.astype(np.uint8)], "lut_s8 vs numpy")
    assert_same(expected, kernels.lut_s8({"size": size}, x, table), "tg_lut_s8")


def test_by_uint8_is_tflites_table_order():
    values = np.arange(-128, 128)
    table = by_uint8(values)
    assert table[0] == 0 and table[127] == 127 and table[128] == -128 and table[255] == -1
    assert_same(lut_s8({"size": 256}, values.astype(np.int8), table), values.astype(np.int8), "identity table")


@SETTINGS
@given(scale=st.floats(2e-3, 0.5), zp=st.integers(-128, 127), size=st.integers(1, 40), seed=st.integers(0, 2**31))
def test_tanh_s8_host(kernels, scale, zp, size, seed):
    """Every int8 input and a drawn tail: the C kernel equals its twin, and the twin is tanh
    of the dequantized input within one output step (1/128) plus its input's rounding."""
    p = op_params.tanh_params(256 + size, np.float32(scale), zp)
    x = np.concatenate([np.arange(-128, 128), _x(seed, size)]).astype(np.int8)
    expected = tanh_s8(p, x)
    assert_same(expected, kernels.tanh_s8(p, x), "tg_tanh_s8")
    real = np.tanh(np.float64(np.float32(scale)) * (x.astype(np.float64) - zp))
    assert np.max(np.abs(expected / 128.0 - np.clip(real, -1, 127 / 128))) <= 1 / 128 + 1e-9


@SETTINGS
@given(integer_bits=st.sampled_from([1, 2, 3, 4, 5, 6]), seed=st.integers(0, 2**31))
def test_tanh_q0_int32_host(kernels, integer_bits, seed):
    """gemmlowp's tanh in C == its twin on edges and random int32, and == tanh."""
    from tinygen.ref.gemmlowp import _one_minus_x_over_one_plus_x_for_x_in_0_1, _tanh_q0

    rng = np.random.default_rng(seed)
    edges = [-2**31, -2**31 + 1, -1, 0, 1, 2**31 - 1, 1 << (31 - integer_bits), -(1 << (31 - integer_bits))]
    a = np.concatenate([edges, rng.integers(-2**31, 2**31, 5000)])
    expected = _tanh_q0(a, integer_bits)
    assert_same(expected, kernels.tanh_q0(a, integer_bits), "tg_tanh_q0")
    ok = a != -2**31            # -INT32_MIN wraps, as in gemmlowp
    real = np.tanh(a[ok] / 2.0 ** (31 - integer_bits))
    assert np.max(np.abs(expected[ok] / 2.0**31 - real)) < 2e-7
    b = np.concatenate([[0, 1, 1 << 30, 2**31 - 2, 2**31 - 1], rng.integers(0, 2**31 - 1, 5000)])
    assert_same(_one_minus_x_over_one_plus_x_for_x_in_0_1(b), kernels.one_minus_x_over_one_plus_x(b),
                "tg_one_minus_x_over_one_plus_x_for_x_in_0_1")


# -- PReLU ---------------------------------------------------------------------------------------

QUANT = st.tuples(st.floats(0.005, 0.2), st.integers(-100, 100))


@SETTINGS
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=4), per_channel=st.booleans(), qx=QUANT, qy=QUANT,
       qa=st.tuples(st.floats(0.001, 0.05), st.integers(-128, 127)), seed=st.integers(0, 2**31))
def test_prelu_s8_host(kernels, shape, per_channel, qx, qy, qa, seed):
    shape = [1] + shape[1:] if len(shape) > 2 else shape
    a_shape = [1] * (len(shape) - 1) + [shape[-1] if per_channel else 1]
    alpha = _x(seed + 1, a_shape)
    p = struct_fields("tg_prelu_params_t", node_params("prelu", shape, shape, {}, {"alpha": (alpha, qa)}, (qx, qy)))
    x = _x(seed, shape)
    expected = prelu_s8(p, x, alpha)
    assert_same(expected.reshape(-1), kernels.prelu_s8(p, x, alpha).reshape(-1), "tg_prelu_s8")
    # the twin is TFLite's arithmetic: within one step of the real PReLU of the int8 values
    sx, zx = qx
    sa, za = qa
    real = np.float32(sx) * (x.astype(np.float64) - zx)
    slope = np.float32(sa) * (np.broadcast_to(alpha, shape).astype(np.float64) - za)
    want = np.where(real >= 0, real, real * slope) / np.float32(qy[0]) + qy[1]
    assert np.all(np.abs(expected.reshape(shape) - np.clip(want, -128, 127)) <= 1.0 + 1e-6)


# -- SUM (tg_mean_s8 with SUM's parameters) ----------------------------------------------------------

@SETTINGS
@given(shape=st.lists(st.integers(1, 7), min_size=2, max_size=4), data=st.data(), qx=QUANT, qy=QUANT,
       seed=st.integers(0, 2**31))
def test_sum_s8_host(kernels, shape, data, qx, qy, seed):
    rank = len(shape)
    start = data.draw(st.integers(0, rank - 1))
    stop = data.draw(st.integers(start + 1, rank))
    axes = tuple(range(start, stop))
    out = tuple(1 if d in axes else n for d, n in enumerate(shape))
    p = node_params("sum", shape, out, {"axes": axes, "keep_dims": True}, qs=(qx, qy))
    x = _x(seed, shape)
    expected = ref_s8.mean_s8(p, x)
    assert_same(expected, kernels.mean_s8(p, x), "tg_mean_s8 summing")
    total = (x.astype(np.int64) - qx[1]).sum(axis=axes).reshape(-1) * np.float64(np.float32(qx[0]))
    want = np.clip(total / np.float64(np.float32(qy[0])) + qy[1], -128, 127)
    # TFLite's requantization rounds twice (its high multiply, then the shift): up to one step
    assert np.all(np.abs(expected.reshape(-1) - want) <= 1.0 + 1e-6)


# -- strided slice, mirror padding ------------------------------------------------------------------

@st.composite
def slicing(draw):
    """A shape of rank 2..4 (batch 1) and, per axis after the batch, (begin, stride, count)
    with strides of either sign."""
    rank = draw(st.integers(2, 4))
    shape = [1] + [draw(st.integers(1, 7)) for _ in range(rank - 1)]
    begins, strides, counts = [0], [1], [1]
    for n in shape[1:]:
        stride = draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
        begin = draw(st.integers(0, n - 1))
        room = (n - begin) if stride > 0 else begin + 1
        counts.append(draw(st.integers(1, -(-room // abs(stride)))))
        begins.append(begin)
        strides.append(stride)
    return shape, begins, strides, counts


@SETTINGS
@given(case=slicing(), seed=st.integers(0, 2**31))
def test_strided_slice_s8_host(kernels, case, seed):
    shape, begins, strides, counts = case
    p = node_params("strided_slice", shape, counts, {"begin": tuple(begins), "strides": tuple(strides)})
    x = _x(seed, shape)
    index = tuple(b + s * np.arange(c) for b, s, c in zip(begins, strides, counts))
    want = x[np.ix_(*index)]
    expected = strided_slice_s8(p, x)
    assert_same(expected.reshape(-1), want.reshape(-1), "strided_slice_s8 vs numpy")
    assert_same(expected.reshape(-1), kernels.strided_slice_s8(p, x).reshape(-1), "tg_strided_slice_s8")


def test_strided_slice_merges_whole_dimensions():
    """A slice of one axis of a 4-D tensor is one dimension of steps: the whole inner
    dimensions join their run."""
    p = node_params("strided_slice", (1, 6, 5, 8), (1, 3, 5, 8), {"begin": (0, 1, 0, 0), "strides": (1, 2, 1, 1)})
    assert p["out_shape"] == [1, 1, 3, 40] and p["step"] == [0, 0, 80, 1] and p["offset"] == 40


@SETTINGS
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=4), mode=st.sampled_from(sorted(MIRROR_PAD_MODES)),
       data=st.data(), seed=st.integers(0, 2**31))
def test_mirror_pad_s8_host(kernels, shape, mode, data, seed):
    shape = [1] + shape[1:]
    limit = {"reflect": -1, "symmetric": 0, "replicate": 8, "circular": 0}[mode]
    paddings = [(0, 0)] + [tuple(data.draw(st.integers(0, max(0, n + limit if mode != "replicate" else 4)))
                                 for _ in range(2)) for n in shape[1:]]
    out = [n + b + a for n, (b, a) in zip(shape, paddings)]
    p = node_params("mirror_pad", shape, out, {"paddings": tuple(paddings), "mode": mode})
    x = _x(seed, shape)
    expected = mirror_pad_s8(p, x)
    assert_same(expected.reshape(-1), np.pad(x, paddings, mode=NUMPY_MODES[mode]).reshape(-1),
                f"mirror_pad_s8 ({mode}) vs numpy")
    assert_same(expected.reshape(-1), kernels.mirror_pad_s8(p, x).reshape(-1), f"tg_mirror_pad_s8 ({mode})")
    assert math.prod(p["out_shape"]) == expected.size
