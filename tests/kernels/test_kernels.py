"""C kernels (host build) == numpy twins (tinygen.ref.kernels), byte for byte.

Geometry and quantization parameters are drawn by hypothesis (derandomized);
tensor contents come from a numpy generator seeded by a drawn integer, so every
run checks the same cases.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_lib import assert_same

from tinygen.kernels.lut import hard_swish_table, softmax_exp_table
from tinygen.quant import op_params
from tinygen.quant.fixedpoint import quantize_multiplier
from tinygen.ref import kernels as ref

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _axis(size: int, kernel: int, stride: int, dilation: int, padding: str):
    """(input size, output size, leading pad) along one axis.

    padding: TFLite 'valid' / 'same' (extra padding goes after), or a symmetric
    PyTorch-style pad (capped below the effective kernel). The input size is
    grown when needed so that there is at least one output.
    """
    eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        size = max(size, eff)
        return size, (size - eff) // stride + 1, 0
    if padding == "same":
        out = -(-size // stride)
        return size, out, max((out - 1) * stride + eff - size, 0) // 2
    pad = min(int(padding), eff - 1)
    size = max(size, eff - 2 * pad)
    return size, (size + 2 * pad - eff) // stride + 1, pad


@st.composite
def act_range(draw):
    lo = draw(st.integers(-128, 127))
    hi = draw(st.integers(lo, 127))
    return draw(st.sampled_from([(-128, 127), (lo, hi)]))


@st.composite
def conv_geometry(draw, depthwise: bool):
    padding = draw(st.sampled_from(["valid", "same", "1", "2"]))
    kernel_h = draw(st.sampled_from([1, 2, 3, 4, 5]))
    kernel_w = draw(st.sampled_from([1, 1, 2, 3]))  # kx1 kernels included
    stride_h, stride_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dilation_h, dilation_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    in_h, out_h, pad_top = _axis(draw(st.integers(1, 11)), kernel_h, stride_h, dilation_h, padding)
    in_w, out_w, pad_left = _axis(draw(st.integers(1, 11)), kernel_w, stride_w, dilation_w, padding)
    in_c = draw(st.integers(1, 9))
    depth_multiplier = draw(st.integers(1, 3)) if depthwise else 1
    out_c = in_c * depth_multiplier if depthwise else draw(st.integers(1, 9))
    act_min, act_max = draw(act_range())
    return {
        "in_h": in_h, "in_w": in_w, "in_c": in_c,
        "out_h": out_h, "out_w": out_w, "out_c": out_c,
        "kernel_h": kernel_h, "kernel_w": kernel_w,
        "stride_h": stride_h, "stride_w": stride_w,
        "dilation_h": dilation_h, "dilation_w": dilation_w,
        "pad_top": pad_top, "pad_left": pad_left,
        "depth_multiplier": depth_multiplier,
        "input_offset": draw(st.integers(-127, 128)),
        "output_offset": draw(st.integers(-128, 127)),
        "act_min": act_min, "act_max": act_max,
    }


def _requant_arrays(rng, n: int):
    multiplier = rng.integers(1 << 30, (1 << 31) - 1, n, endpoint=True)
    # mostly realistic right shifts, some left shifts
    shift = np.where(rng.random(n) < 0.2, rng.integers(1, 6, n), rng.integers(-24, 1, n))
    return multiplier, shift


def _conv_case(p, seed: int, with_bias: bool, depthwise: bool):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"]))
    if depthwise:
        w = rng.integers(-127, 128, (1, p["kernel_h"], p["kernel_w"], p["out_c"]))
    else:
        w = rng.integers(-127, 128, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]))
    b = rng.integers(-20000, 20000, p["out_c"]) if with_bias else None
    m, s = _requant_arrays(rng, p["out_c"])
    return x, w, b, m, s


@SETTINGS
@given(p=conv_geometry(depthwise=False), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_conv2d_s8_host(kernels, p, seed, with_bias):
    args = _conv_case(p, seed, with_bias, depthwise=False)
    assert_same(ref.conv2d_s8(p, *args), kernels.conv2d_s8(p, *args), "conv2d_s8")


@SETTINGS
@given(p=conv_geometry(depthwise=True), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_depthwise_conv2d_s8_host(kernels, p, seed, with_bias):
    args = _conv_case(p, seed, with_bias, depthwise=True)
    assert_same(ref.depthwise_conv2d_s8(p, *args), kernels.depthwise_conv2d_s8(p, *args),
                "depthwise_conv2d_s8")


def test_conv2d_s8_host_kws_layer(kernels):
    """Named regression vector: a keyword-spotting sized layer, 49x10x64, 3x3 'same'."""
    p = {"in_h": 49, "in_w": 10, "in_c": 64, "out_h": 49, "out_w": 10, "out_c": 64,
         "kernel_h": 3, "kernel_w": 3, "stride_h": 1, "stride_w": 1,
         "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1, "depth_multiplier": 1,
         "input_offset": 128, "output_offset": -128, "act_min": -128, "act_max": 127}
    args = _conv_case(p, 1234, True, depthwise=False)
    m = np.full(64, 1518500250)
    s = np.full(64, -11)
    args = (*args[:3], m, s)
    expected = ref.conv2d_s8(p, *args)
    assert len(np.unique(expected)) > 100  # a meaningful spread, not all saturated
    assert_same(expected, kernels.conv2d_s8(p, *args), "conv2d_s8 49x10x64")


@SETTINGS
@given(rows=st.integers(1, 4), in_features=st.integers(1, 70), out_features=st.integers(1, 20),
       input_offset=st.integers(-127, 128), output_offset=st.integers(-128, 127),
       act=act_range(), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_fully_connected_s8_host(kernels, rows, in_features, out_features, input_offset,
                                 output_offset, act, seed, with_bias):
    p = {"rows": rows, "in_features": in_features, "out_features": out_features,
         "input_offset": input_offset, "output_offset": output_offset,
         "act_min": act[0], "act_max": act[1]}
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (rows, in_features))
    w = rng.integers(-127, 128, (out_features, in_features))
    b = rng.integers(-20000, 20000, out_features) if with_bias else None
    m, s = _requant_arrays(rng, out_features)
    assert_same(ref.fully_connected_s8(p, x, w, b, m, s),
                kernels.fully_connected_s8(p, x, w, b, m, s), "fully_connected_s8")


@st.composite
def pool_geometry(draw):
    padding = draw(st.sampled_from(["valid", "same", "1"]))
    kernel_h, kernel_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride_h, stride_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if padding == "1":  # PyTorch requires pad <= kernel / 2
        padding = str(min(kernel_h, kernel_w) // 2)
    in_h, out_h, pad_top = _axis(draw(st.integers(1, 12)), kernel_h, stride_h, 1, padding)
    in_w, out_w, pad_left = _axis(draw(st.integers(1, 12)), kernel_w, stride_w, 1, padding)
    act_min, act_max = draw(act_range())
    return {
        "in_h": in_h, "in_w": in_w, "channels": draw(st.integers(1, 9)),
        "out_h": out_h, "out_w": out_w, "kernel_h": kernel_h, "kernel_w": kernel_w,
        "stride_h": stride_h, "stride_w": stride_w, "pad_top": pad_top, "pad_left": pad_left,
        "count_include_pad": draw(st.integers(0, 1)), "zero_point": draw(st.integers(-128, 127)),
        "act_min": act_min, "act_max": act_max,
    }


def _pool_input(p, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, (p["in_h"], p["in_w"], p["channels"]))


@SETTINGS
@given(p=pool_geometry(), seed=st.integers(0, 2**32 - 1))
def test_max_pool2d_s8_host(kernels, p, seed):
    x = _pool_input(p, seed)
    assert_same(ref.max_pool2d_s8(p, x), kernels.max_pool2d_s8(p, x), "max_pool2d_s8")


@SETTINGS
@given(p=pool_geometry(), seed=st.integers(0, 2**32 - 1))
def test_avg_pool2d_s8_host(kernels, p, seed):
    x = _pool_input(p, seed)
    assert_same(ref.avg_pool2d_s8(p, x), kernels.avg_pool2d_s8(p, x), "avg_pool2d_s8")


def _requant_pool(p: dict, ratio: float, zp_out: int) -> dict:
    """tg_avg_pool2d_requant_s8's parameters from a pool geometry, input scale / output scale and zero point."""
    multiplier, shift = quantize_multiplier(ratio)
    rest = {k: v for k, v in p.items() if k not in ("zero_point", "act_min", "act_max")}
    return {**rest, "input_zero_point": p["zero_point"], "output_zero_point": zp_out,
            "multiplier": multiplier, "shift": shift, "act_min": p["act_min"], "act_max": p["act_max"]}


@SETTINGS
@given(p=pool_geometry(), ratio=st.floats(2.0 ** -15, 255.0), zp_out=st.integers(-128, 127),
       seed=st.integers(0, 2**32 - 1))
def test_avg_pool2d_requant_s8_host(kernels, p, ratio, zp_out, seed):
    q = _requant_pool(p, float(np.float32(ratio)), zp_out)
    x = _pool_input(p, seed)
    assert_same(ref.avg_pool2d_requant_s8(q, x), kernels.avg_pool2d_requant_s8(q, x), "avg_pool2d_requant_s8")


@SETTINGS
@given(p=pool_geometry(), seed=st.integers(0, 2**32 - 1))
def test_avg_pool2d_requant_s8_on_the_same_grid_rounds_halves_to_even(p, seed):
    """Input and output on one grid: each output is the exact average of the window's in-bounds
    values (the kernel's area with count_include_pad) rounded half to even, as onnxruntime's
    nearbyintf rounds an exact half."""
    q = _requant_pool({**p, "act_min": -128, "act_max": 127}, 1.0, p["zero_point"])
    x = _pool_input(p, seed)
    got = ref.avg_pool2d_requant_s8(q, x)
    for oy, ox in np.ndindex(p["out_h"], p["out_w"]):
        y0, x0 = oy * p["stride_h"] - p["pad_top"], ox * p["stride_w"] - p["pad_left"]
        window = x[max(y0, 0):max(y0 + p["kernel_h"], 0), max(x0, 0):max(x0 + p["kernel_w"], 0)]
        count = p["kernel_h"] * p["kernel_w"] if p["count_include_pad"] else window.shape[0] * window.shape[1]
        for c in range(p["channels"]):
            average = Fraction(int((window[:, :, c] - p["zero_point"]).sum()), max(count, 1))
            expected = round(average) + p["zero_point"]       # Python rounds halves to even
            assert got[oy, ox, c] == max(-128, min(127, expected)), (oy, ox, c)


scales = st.floats(1e-3, 0.5).map(lambda s: float(np.float32(s)))


@SETTINGS
@given(size=st.integers(1, 300), s1=scales, s2=scales, so=scales,
       z1=st.integers(-128, 127), z2=st.integers(-128, 127), zo=st.integers(-128, 127),
       act=act_range(), seed=st.integers(0, 2**32 - 1))
def test_add_s8_host(kernels, size, s1, s2, so, z1, z2, zo, act, seed):
    p = op_params.add_params(size, s1, z1, s2, z2, so, zo, *act)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-128, 128, size), rng.integers(-128, 128, size)
    assert_same(ref.add_s8(p, a, b), kernels.add_s8(p, a, b), "add_s8")


@SETTINGS
@given(rows=st.integers(1, 4), depth=st.integers(1, 300),
       in_scale=st.floats(1e-3, 2.0).map(lambda s: float(np.float32(s))),
       beta=st.sampled_from([1.0, 0.5, 2.0, 1e-3, 1e4]), spread=st.integers(0, 255),
       seed=st.integers(0, 2**32 - 1))
def test_softmax_s8_host(kernels, rows, depth, in_scale, beta, spread, seed):
    p = op_params.softmax_params(rows, depth, in_scale, beta)
    rng = np.random.default_rng(seed)
    lo = rng.integers(-128, 128 - spread)
    x = rng.integers(lo, lo + spread + 1, (rows, depth))
    assert_same(ref.softmax_s8(p, x), kernels.softmax_s8(p, x), "softmax_s8")


@SETTINGS
@given(rows=st.integers(1, 4), depth=st.integers(1, 300),
       in_scale=st.floats(1e-3, 2.0).map(lambda s: float(np.float32(s))),
       codes=st.sampled_from([254, 255, 256, 127, 1000, 1 << 24, 1]), zp=st.integers(-128, 127),
       spread=st.integers(0, 255), seed=st.integers(0, 2**32 - 1))
def test_softmax_scaled_s8_host(kernels, rows, depth, in_scale, codes, zp, spread, seed):
    p = {**op_params.softmax_params(rows, depth, in_scale, 1.0), "output_multiplier": codes, "output_zero_point": zp}
    rng = np.random.default_rng(seed)
    lo = rng.integers(-128, 128 - spread)
    x = rng.integers(lo, lo + spread + 1, (rows, depth))
    table = softmax_exp_table(p, {})
    assert_same(ref.softmax_scaled_s8(p, x), kernels.softmax_scaled_s8(p, x, table), "softmax_scaled_s8")


@SETTINGS
@given(depth=st.integers(1, 300), in_scale=st.floats(1e-3, 2.0).map(lambda s: float(np.float32(s))),
       seed=st.integers(0, 2**32 - 1))
def test_softmax_scaled_s8_on_256ths_is_tflites(depth, in_scale, seed):
    """256 codes per unit at zero point -128 is TFLite's output grid: the scaled softmax's one
    rounding is then tg_softmax_s8's shift, byte for byte."""
    p = op_params.softmax_params(3, depth, in_scale, 1.0)
    x = np.random.default_rng(seed).integers(-128, 128, (3, depth))
    assert_same(ref.softmax_s8(p, x),
                ref.softmax_scaled_s8({**p, "output_multiplier": 256, "output_zero_point": -128}, x), "softmax")


@SETTINGS
@given(in_scale=st.floats(1e-3, 1.0).map(lambda s: float(np.float32(s))),
       zp=st.integers(-128, 127))
def test_logistic_s8_host(kernels, in_scale, zp):
    p = op_params.logistic_params(256, in_scale, zp)
    x = np.arange(-128, 128)  # every input value
    assert_same(ref.logistic_s8(p, x), kernels.logistic_s8(p, x), "logistic_s8")


# scales whose hard swish parameters tg_hard_swish_s8 serves (tinygen/kernels/params_elementwise.py)
_HARD_SWISH_SCALES = dict(in_scale=st.floats(1e-3, 0.2).map(lambda s: float(np.float32(s))),
                          ratio=st.floats(0.3, 4.0), zi=st.integers(-128, 127), zo=st.integers(-128, 127))


@SETTINGS
@given(**_HARD_SWISH_SCALES)
def test_hard_swish_s8_host(kernels, in_scale, ratio, zi, zo):
    p = op_params.hard_swish_params(256, in_scale, zi, in_scale * ratio, zo)
    x = np.arange(-128, 128)  # every input value
    assert_same(ref.hard_swish_s8(p, x), kernels.hard_swish_s8(p, x), "hard_swish_s8")


@SETTINGS
@given(**_HARD_SWISH_SCALES, size=st.integers(1, 700), seed=st.integers(0, 2**32 - 1))
def test_hard_swish_lut_s8_host(kernels, in_scale, ratio, zi, zo, size, seed):
    """The table kernel gives the portable kernel's bytes: its table is the twin's output at
    every int8 input."""
    p = op_params.hard_swish_params(size, in_scale, zi, in_scale * ratio, zo)
    table = hard_swish_table(p, {})
    x = np.random.default_rng(seed).integers(-128, 128, size)
    assert_same(ref.hard_swish_s8(p, x), kernels.hard_swish_lut_s8(p, x, table), "hard_swish_lut_s8")


@SETTINGS
@given(outer=st.integers(1, 5), copy_sizes=st.lists(st.integers(0, 12), min_size=1, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_concat_s8_host(kernels, outer, copy_sizes, seed):
    p = {"outer": outer, "num_inputs": len(copy_sizes), "copy_sizes": copy_sizes}
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(-128, 128, outer * n) for n in copy_sizes]
    assert_same(ref.concat_s8(p, inputs), kernels.concat_s8(p, inputs), "concat_s8")


@SETTINGS
@given(in_shape=st.lists(st.integers(1, 5), min_size=4, max_size=4),
       perm=st.permutations([0, 1, 2, 3]), seed=st.integers(0, 2**32 - 1))
def test_transpose_s8_host(kernels, in_shape, perm, seed):
    p = {"in_shape": in_shape, "perm": perm}
    x = np.random.default_rng(seed).integers(-128, 128, in_shape)
    expected = ref.transpose_s8(p, x)
    assert_same(expected, np.transpose(x, perm).astype(np.int8), "transpose_s8 vs numpy")
    assert_same(expected, kernels.transpose_s8(p, x), "transpose_s8")


@SETTINGS
@given(size=st.integers(1, 300), act=act_range(), seed=st.integers(0, 2**32 - 1))
def test_clamp_s8_host(kernels, size, act, seed):
    p = {"size": size, "act_min": act[0], "act_max": act[1]}
    x = np.random.default_rng(seed).integers(-128, 128, size)
    assert_same(ref.clamp_s8(p, x), kernels.clamp_s8(p, x), "clamp_s8")
