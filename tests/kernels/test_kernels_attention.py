"""The normalization and attention kernels (host build) == their numpy twins
(tinygen.ref.attention), byte for byte: tg_layer_norm_s8, tg_rms_norm_s8, tg_batch_matmul_s8,
tg_rsqrt_s8, tg_sub_s8, tg_squared_difference_s8, tg_softmax_causal_s8.

Shapes and quantization are drawn by hypothesis (derandomized); each node is built and its
kernel chosen as the compiler does (tests/attention_lib.py), so the parameters are the
compiler's; tensor contents come from a generator seeded by a drawn integer. The integer
layer norm's inverse square root is also checked against float math over the int32 range.
"""

from __future__ import annotations

import subprocess

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attention_lib import matmul_case, matmul_shapes, op_node
from kernel_lib import KERNEL_INCLUDES, assert_same
from tinygen.kernels.attention import batch_matmul_dsp_scratch, batch_matmul_rv32_scratch
from tinygen.quant import fixedpoint as fp
from tinygen.ref import attention as ref

SETTINGS = settings(derandomize=True, max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

scales = st.floats(0.002, 0.3)
zero_points = st.integers(-100, 100)
seeds = st.integers(0, 2**32 - 1)


def _int8(rng, shape, zp: int, spread: float) -> np.ndarray:
    """int8 values: uniform, or normal around the zero point (narrow rows, constant rows included)."""
    if spread == 0:
        return np.full(shape, zp, np.int8)
    if spread < 0:
        return rng.integers(-128, 128, size=shape).astype(np.int8)
    return np.clip(np.rint(rng.normal(zp, spread, size=shape)), -128, 127).astype(np.int8)


@SETTINGS
@given(rows=st.integers(1, 9), depth=st.integers(1, 300), center=st.booleans(), in_q=st.tuples(scales, zero_points),
       out_q=st.tuples(scales, zero_points), eps=st.sampled_from([1e-5, 1e-6, 1e-3, 0.0]),
       spread=st.sampled_from([-1, 0, 1, 3, 40]), seed=seeds)
def test_layer_norm_s8_equals_twin(kernels, rows, depth, center, in_q, out_q, eps, spread, seed):
    """Layer and RMS norm over drawn rows and widths (constant rows, one value, eps 0 included)."""
    rng = np.random.default_rng(seed)
    params = {"gamma": rng.normal(1.0, 0.5, depth), "beta": rng.normal(0, 0.5, depth)}
    op = "layer_norm" if center else "rms_norm"
    if not center:
        del params["beta"]
    g, node = op_node(op, [(1, rows, depth)], (1, rows, depth), [in_q, out_q], {"eps": eps}, params)
    x = _int8(rng, (rows, depth), in_q[1], spread)
    consts = [g.const(node, r) for r in (("gamma", "beta") if center else ("gamma",))]
    want = getattr(ref, f"{op}_s8")(node.attrs["kparams"], x, *consts)
    assert_same(want, getattr(kernels, f"{op}_s8")(node.attrs["kparams"], x, *consts), node.kernel)


def test_layer_norm_s8_extreme_rows(kernels):
    """Rows at the int8 extremes, a single outlier, the widest row the int32 sums allow."""
    rng = np.random.default_rng(5)
    for depth, row in ((2, [-128, 127]), (7, [-128] * 6 + [127]), (64, [0] * 63 + [127]),
                       (32767, rng.choice([-128, 127], 32767))):
        for op in ("layer_norm", "rms_norm"):
            params = {"gamma": np.full(depth, 2.0)} | ({"beta": np.full(depth, -1.0)} if op == "layer_norm" else {})
            g, node = op_node(op, [(1, 1, depth)], (1, 1, depth), [(0.05, 3), (0.02, -4)], {"eps": 1e-5}, params)
            consts = [g.const(node, r) for r in params]
            x = np.asarray(row, np.int8).reshape(1, depth)
            want = getattr(ref, f"{op}_s8")(node.attrs["kparams"], x, *consts)
            assert_same(want, getattr(kernels, f"{op}_s8")(node.attrs["kparams"], x, *consts), f"{op} {depth}")


def test_inv_sqrt_twin_is_an_inverse_square_root():
    """TFLite's inverse square root (the norms' and RSQRT's) within 2^-19 over the int32 range."""
    x = np.unique(np.concatenate([np.arange(2, 5000), np.geomspace(5000, 2**31 - 1, 20000).astype(np.int64),
                                  [2**27 - 1, 2**27, 2**29 - 1, 2**29, 2**31 - 1]]))
    m, s = ref.inv_sqrt(x)
    assert np.all(s <= 0) and np.all((m > 0) & (m < 2**31))
    rel = m * np.exp2(s.astype(np.float64) - 31) * np.sqrt(x.astype(np.float64)) - 1
    assert np.max(np.abs(rel)) < 2**-19
    assert ref.inv_sqrt(np.array([0, 1]))[0].tolist() == [2**31 - 1, 2**31 - 1]


@SETTINGS
@given(case=matmul_case(), qs=st.lists(st.tuples(scales, zero_points), min_size=3, max_size=3), seed=seeds)
def test_batch_matmul_s8_equals_twin(kernels, case, qs, seed):
    """Every adj_x / adj_y combination, batch dims broadcast either way, ranks 2 to 5."""
    batch_a, batch_b, (rows, cols, depth), adj_x, adj_y = case
    lhs, rhs, out = matmul_shapes(batch_a, batch_b, rows, cols, depth, adj_x, adj_y)
    g, node = op_node("batch_matmul", [lhs, rhs], out, qs, {"adj_x": adj_x, "adj_y": adj_y})
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-128, 128, lhs).astype(np.int8), rng.integers(-128, 128, rhs).astype(np.int8)
    p = node.attrs["kparams"]
    want = ref.batch_matmul_s8(p, a, b)
    assert_same(want, kernels.batch_matmul_s8(p, a, b), "tg_batch_matmul_s8")
    # the twin's strided walk == numpy's broadcasting matmul of the offset operands, requantized
    acc = np.matmul((np.swapaxes(a, -1, -2) if adj_x else a).astype(np.int64) - qs[0][1],
                    (np.swapaxes(b, -1, -2) if adj_y else b).astype(np.int64) - qs[1][1])
    expect = np.clip(fp.multiply_by_quantized_multiplier(acc, p["output_multiplier"], p["output_shift"]) + qs[2][1],
                     -128, 127)
    assert_same(expect.reshape(-1).astype(np.int8), want.reshape(-1), "batch_matmul_s8 vs numpy's matmul")


@st.composite
def broadcast_case(draw):
    shape = [draw(st.integers(1, 5)) for _ in range(draw(st.integers(1, 4)))]
    other = [1 if draw(st.booleans()) else n for n in shape]
    return shape, other[draw(st.integers(0, len(other) - 1)):] if draw(st.booleans()) else other


@SETTINGS
@given(case=broadcast_case(), op=st.sampled_from(["sub", "squared_difference"]), swap=st.booleans(),
       constant=st.booleans(), qs=st.lists(st.tuples(scales, zero_points), min_size=3, max_size=3),
       clamp=st.sampled_from([(-128, 127), (-20, 127), (-128, 30)]), seed=seeds)
def test_sub_and_squared_difference_s8_equal_twin(kernels, case, op, swap, constant, qs, clamp, seed):
    """Same shapes and numpy broadcasting either way; the second operand an activation or a constant."""
    a_shape, b_shape = case[::-1] if swap else case
    out = tuple(np.broadcast_shapes(tuple(a_shape), tuple(b_shape)))
    rng = np.random.default_rng(seed)
    b = rng.integers(-128, 128, b_shape).astype(np.int8)
    attrs = {"act_min": clamp[0], "act_max": clamp[1]} if op == "sub" else {}
    if constant:
        g, node = op_node(op, [a_shape], out, [qs[0], qs[2]], attrs, {"operand": (b, qs[1])})
    else:
        g, node = op_node(op, [a_shape, b_shape], out, qs, attrs)
    a = rng.integers(-128, 128, a_shape).astype(np.int8)
    p = node.attrs["kparams"]
    want = getattr(ref, f"{op}_s8")(p, a, b)
    assert_same(want, getattr(kernels, f"{op}_s8")(p, a, b), node.kernel)


@SETTINGS
@given(in_q=st.tuples(st.floats(0.001, 0.05), zero_points), out_q=st.tuples(st.floats(0.005, 0.5), zero_points))
def test_rsqrt_s8_equals_twin_on_every_input(kernels, in_q, out_q):
    g, node = op_node("rsqrt", [(2, 128)], (2, 128), [in_q, out_q])
    x = np.arange(-128, 128, dtype=np.int8)
    p = node.attrs["kparams"]
    want = ref.rsqrt_s8(p, x)
    assert_same(want, kernels.rsqrt_s8(p, x), "tg_rsqrt_s8")
    assert (want[x <= in_q[1]] == 127).all()


@SETTINGS
@given(batch=st.integers(1, 4), rows=st.integers(1, 12), cols=st.integers(1, 40), scale=st.floats(0.005, 0.5),
       seed=seeds)
def test_softmax_causal_s8_equals_twin(kernels, batch, rows, cols, scale, seed):
    """Square and non-square score matrices: row i keeps its first i + 1 columns."""
    g, node = op_node("softmax", [(1, batch, rows, cols)], (1, batch, rows, cols), [(scale, 0), (1 / 256, -128)],
                      {"axis": 3, "beta": 1.0, "causal": True})
    assert node.kernel == "tg_softmax_causal_s8"
    x = np.random.default_rng(seed).integers(-128, 128, (batch * rows, cols)).astype(np.int8)
    p = node.attrs["kparams"]
    want = ref.softmax_causal_s8(p, x)
    assert_same(want, kernels.softmax_causal_s8(p, x), "tg_softmax_causal_s8")
    masked = np.arange(cols)[None, :] > (np.arange(batch * rows) % rows)[:, None]
    assert (want[masked] == -128).all()


def test_batch_matmul_scratch_formulas_equal_c_buffer_sizes(tmp_path):
    """tinygen.kernels.attention's scratch formulas == tg_batch_matmul_s8_dsp_buffer_size and
    tg_batch_matmul_s8_rv32_buffer_size (tg_kernels.h) over every layout of drawn shapes."""
    cases = []
    for depth, rows, cols in ((1, 1, 1), (3, 5, 2), (16, 8, 8), (8, 8, 16), (17, 3, 9), (64, 1, 33)):
        for adj_x in (False, True):
            for adj_y in (False, True):
                _, node = op_node("batch_matmul", [(rows, depth)[::-1 if adj_x else 1], (depth, cols)[::-1 if adj_y else 1]],
                                  (rows, cols), [(0.1, 0)] * 3, {"adj_x": adj_x, "adj_y": adj_y})
                cases.append(node.attrs["kparams"])
    fields = ("depth", "cols", "lhs_depth_stride", "rhs_depth_stride", "rhs_col_stride")
    body = "\n".join(f'    {{ tg_batch_matmul_params_t p = {{0}}; {" ".join(f"p.{f} = {c[f]};" for f in fields)} '
                     f'printf("%ld %ld\\n", (long)tg_batch_matmul_s8_dsp_buffer_size(&p), '
                     f'(long)tg_batch_matmul_s8_rv32_buffer_size(&p)); }}' for c in cases)
    src = tmp_path / "size.c"
    src.write_text(f'#include <stdio.h>\n#include "tg_kernels.h"\nint main(void)\n{{\n{body}\n    return 0;\n}}\n')
    exe = tmp_path / "size"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", *KERNEL_INCLUDES, str(src), "-o", str(exe)],
                   check=True)
    got = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split("\n")
    assert [tuple(int(v) for v in line.split()) for line in got if line] == [
        (batch_matmul_dsp_scratch(c), batch_matmul_rv32_scratch(c)) for c in cases]
