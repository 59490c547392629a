"""The numpy reference kernels against PyTorch float ops on dequantized data.

This checks semantics, not rounding: layouts (NHWC activations, OHWI / 1HWC
weights, depthwise channel order), padding and stride/dilation geometry,
count_include_pad, bias and per-channel scales, and the meaning of each op's
parameters. The reference output must be within 1 LSB of the float result
re-quantized (round half away from zero, clamped); the bit-exact rounding is
tested elsewhere (test_kernels.py against C, later against TFLite Micro).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.quant import op_params
from tinygen.quant.fixedpoint import quantize_multiplier
from tinygen.ref import kernels as ref

SETTINGS = settings(derandomize=True, max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def _quantize(y: np.ndarray, scale: float, zp: int) -> np.ndarray:
    q = np.sign(y / scale) * np.floor(np.abs(y / scale) + 0.5) + zp
    return np.clip(q, -128, 127).astype(np.int64)


def _out_qparams(y: np.ndarray) -> tuple[float, int]:
    """An output scale / zero point that spans y's range."""
    lo, hi = min(float(y.min()), 0.0), max(float(y.max()), 0.0)
    scale = float(np.float32(max(hi - lo, 1e-3) / 255.0))
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return scale, zp


def _assert_within_one_lsb(got, expected_q, what: str):
    got = np.asarray(got, dtype=np.int64)
    assert got.shape == expected_q.shape, (got.shape, expected_q.shape)
    err = np.abs(got - expected_q)
    if err.max(initial=0) > 1:
        idx = tuple(int(i) for i in np.argwhere(err > 1)[0])
        raise AssertionError(f"{what}: {int((err > 1).sum())} elements off by more than 1 LSB; "
                             f"first at {idx}: reference {got[idx]}, torch {expected_q[idx]}")


def _nchw(x_hwc: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x_hwc.transpose(2, 0, 1)))[None].double()


def _hwc(y: torch.Tensor) -> np.ndarray:
    return y[0].permute(1, 2, 0).numpy()


def _axis(size, kernel, stride, dilation, padding):
    """(input size, output size, pad before, pad after); 'same' is TFLite's asymmetric padding."""
    eff = (kernel - 1) * dilation + 1
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + eff - size, 0)
        return size, out, total // 2, total - total // 2
    pad = min(int(padding), eff - 1)
    size = max(size, eff - 2 * pad)
    return size, (size + 2 * pad - eff) // stride + 1, pad, pad


# -- convolutions ----------------------------------------------------------------

@st.composite
def conv_case(draw, depthwise: bool):
    padding = draw(st.sampled_from(["0", "1", "same"]))
    kh, kw = draw(st.sampled_from([1, 2, 3, 5])), draw(st.sampled_from([1, 2, 3]))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    in_h, out_h, pt, pb = _axis(draw(st.integers(1, 10)), kh, sh, dh, padding)
    in_w, out_w, pl, pr = _axis(draw(st.integers(1, 10)), kw, sw, dw, padding)
    in_c = draw(st.integers(1, 7))
    dm = draw(st.integers(1, 3)) if depthwise else 1
    out_c = in_c * dm if depthwise else draw(st.integers(1, 7))
    p = {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
         "out_c": out_c, "kernel_h": kh, "kernel_w": kw, "stride_h": sh, "stride_w": sw,
         "dilation_h": dh, "dilation_w": dw, "pad_top": pt, "pad_left": pl,
         "depth_multiplier": dm, "input_offset": 0, "output_offset": 0,
         "act_min": -128, "act_max": 127}
    return p, (pl, pr, pt, pb), draw(seeds), draw(st.booleans())


def _conv_vs_torch(p, pads, seed, with_bias, depthwise):
    rng = np.random.default_rng(seed)
    in_scale = float(np.float32(rng.uniform(0.01, 0.1)))
    in_zp = int(rng.integers(-20, 20))
    xq = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"]))
    if depthwise:
        wq = rng.integers(-127, 128, (1, p["kernel_h"], p["kernel_w"], p["out_c"]))
    else:
        wq = rng.integers(-127, 128, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]))
    w_scale = rng.uniform(0.002, 0.02, p["out_c"]).astype(np.float32).astype(np.float64)
    bq = rng.integers(-3000, 3000, p["out_c"]) if with_bias else None

    x = _nchw((xq - in_zp) * in_scale)
    if depthwise:  # 1HWC -> [out_c, 1, kh, kw], groups = in_c
        w = torch.from_numpy(wq[0].transpose(2, 0, 1)[:, None] * w_scale[:, None, None, None])
    else:  # OHWI -> OIHW
        w = torch.from_numpy(wq.transpose(0, 3, 1, 2) * w_scale[:, None, None, None])
    b = None if bq is None else torch.from_numpy(bq * in_scale * w_scale)
    y = F.conv2d(F.pad(x, pads), w, b, stride=(p["stride_h"], p["stride_w"]),
                 dilation=(p["dilation_h"], p["dilation_w"]),
                 groups=p["in_c"] if depthwise else 1)
    y = _hwc(y)[:p["out_h"], :p["out_w"]]
    assert y.shape == (p["out_h"], p["out_w"], p["out_c"])

    out_scale, out_zp = _out_qparams(y)
    mult, shift = zip(*(quantize_multiplier(in_scale * float(ws) / out_scale) for ws in w_scale))
    p = {**p, "input_offset": -in_zp, "output_offset": out_zp}
    fn = ref.depthwise_conv2d_s8 if depthwise else ref.conv2d_s8
    got = fn(p, xq, wq, bq, np.array(mult), np.array(shift))
    _assert_within_one_lsb(got, _quantize(y, out_scale, out_zp), fn.__name__)


@SETTINGS
@given(case=conv_case(depthwise=False))
def test_conv2d_s8_torch(case):
    _conv_vs_torch(*case, depthwise=False)


@SETTINGS
@given(case=conv_case(depthwise=True))
def test_depthwise_conv2d_s8_torch(case):
    _conv_vs_torch(*case, depthwise=True)


@SETTINGS
@given(rows=st.integers(1, 3), in_features=st.integers(1, 50), out_features=st.integers(1, 12),
       seed=seeds, with_bias=st.booleans())
def test_fully_connected_s8_torch(rows, in_features, out_features, seed, with_bias):
    rng = np.random.default_rng(seed)
    in_scale, in_zp = float(np.float32(rng.uniform(0.01, 0.1))), int(rng.integers(-20, 20))
    xq = rng.integers(-128, 128, (rows, in_features))
    wq = rng.integers(-127, 128, (out_features, in_features))
    w_scale = rng.uniform(0.002, 0.02, out_features).astype(np.float32).astype(np.float64)
    bq = rng.integers(-3000, 3000, out_features) if with_bias else None
    y = F.linear(torch.from_numpy((xq - in_zp) * in_scale),
                 torch.from_numpy(wq * w_scale[:, None]),
                 None if bq is None else torch.from_numpy(bq * in_scale * w_scale)).numpy()
    out_scale, out_zp = _out_qparams(y)
    mult, shift = zip(*(quantize_multiplier(in_scale * float(ws) / out_scale) for ws in w_scale))
    p = {"rows": rows, "in_features": in_features, "out_features": out_features,
         "input_offset": -in_zp, "output_offset": out_zp, "act_min": -128, "act_max": 127}
    got = ref.fully_connected_s8(p, xq, wq, bq, np.array(mult), np.array(shift))
    _assert_within_one_lsb(got, _quantize(y, out_scale, out_zp), "fully_connected_s8")


# -- pooling ---------------------------------------------------------------------

@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))  # PyTorch's limit
    in_h, out_h, _, _ = _axis(draw(st.integers(1, 10)), kh, sh, 1, str(ph))
    in_w, out_w, _, _ = _axis(draw(st.integers(1, 10)), kw, sw, 1, str(pw))
    p = {"in_h": in_h, "in_w": in_w, "channels": draw(st.integers(1, 6)),
         "out_h": out_h, "out_w": out_w, "kernel_h": kh, "kernel_w": kw,
         "stride_h": sh, "stride_w": sw, "pad_top": ph, "pad_left": pw,
         "count_include_pad": int(draw(st.booleans())), "zero_point": 0,
         "act_min": -128, "act_max": 127}
    return p, draw(seeds)


def _pool_input(p, seed):
    rng = np.random.default_rng(seed)
    scale, zp = float(np.float32(rng.uniform(0.01, 0.1))), int(rng.integers(-60, 60))
    xq = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["channels"]))
    return xq, scale, zp, _nchw((xq - zp) * scale)


@SETTINGS
@given(case=pool_case())
def test_max_pool2d_s8_torch(case):
    p, seed = case
    xq, scale, zp, x = _pool_input(p, seed)
    y = _hwc(F.max_pool2d(x, (p["kernel_h"], p["kernel_w"]), (p["stride_h"], p["stride_w"]),
                          (p["pad_top"], p["pad_left"])))
    _assert_within_one_lsb(ref.max_pool2d_s8(p, xq), _quantize(y, scale, zp), "max_pool2d_s8")


@SETTINGS
@given(case=pool_case())
def test_avg_pool2d_s8_torch(case):
    p, seed = case
    xq, scale, zp, x = _pool_input(p, seed)
    p = {**p, "zero_point": zp}
    y = _hwc(F.avg_pool2d(x, (p["kernel_h"], p["kernel_w"]), (p["stride_h"], p["stride_w"]),
                          (p["pad_top"], p["pad_left"]),
                          count_include_pad=bool(p["count_include_pad"])))
    _assert_within_one_lsb(ref.avg_pool2d_s8(p, xq), _quantize(y, scale, zp), "avg_pool2d_s8")


# -- elementwise -------------------------------------------------------------------

scales = st.floats(0.005, 0.2).map(lambda s: float(np.float32(s)))


@SETTINGS
@given(size=st.integers(1, 200), s1=scales, s2=scales, z1=st.integers(-100, 100),
       z2=st.integers(-100, 100), seed=seeds)
def test_add_s8_torch(size, s1, s2, z1, z2, seed):
    rng = np.random.default_rng(seed)
    aq, bq = rng.integers(-128, 128, size), rng.integers(-128, 128, size)
    y = (torch.from_numpy((aq - z1) * s1) + torch.from_numpy((bq - z2) * s2)).numpy()
    so, zo = _out_qparams(y)
    p = op_params.add_params(size, s1, z1, s2, z2, so, zo, -128, 127)
    _assert_within_one_lsb(ref.add_s8(p, aq, bq), _quantize(y, so, zo), "add_s8")


@SETTINGS
@given(rows=st.integers(1, 3), depth=st.integers(1, 100),
       in_scale=st.floats(0.01, 0.5).map(lambda s: float(np.float32(s))),
       beta=st.sampled_from([1.0, 0.5, 2.0]), seed=seeds)
def test_softmax_s8_torch(rows, depth, in_scale, beta, seed):
    rng = np.random.default_rng(seed)
    xq = rng.integers(-128, 128, (rows, depth))
    y = torch.softmax(torch.from_numpy(xq * in_scale * beta), dim=-1).numpy()
    p = op_params.softmax_params(rows, depth, in_scale, beta)
    expected = _quantize(y, op_params.SOFTMAX_OUTPUT_SCALE, op_params.SOFTMAX_OUTPUT_ZERO_POINT)
    _assert_within_one_lsb(ref.softmax_s8(p, xq), expected, "softmax_s8")


@pytest.mark.parametrize("in_scale", [0.01, 0.03125, 0.05, 0.1, 0.3])
@pytest.mark.parametrize("in_zp", [-128, -10, 0, 37, 127])
def test_logistic_s8_torch(in_scale, in_zp):
    xq = np.arange(-128, 128)
    y = torch.sigmoid(torch.from_numpy((xq - in_zp) * float(np.float32(in_scale)))).numpy()
    p = op_params.logistic_params(xq.size, in_scale, in_zp)
    expected = _quantize(y, op_params.LOGISTIC_OUTPUT_SCALE, op_params.LOGISTIC_OUTPUT_ZERO_POINT)
    _assert_within_one_lsb(ref.logistic_s8(p, xq), expected, "logistic_s8")


def test_transpose_s8_torch():
    xq = np.random.default_rng(0).integers(-128, 128, (2, 3, 4, 5))
    for perm in ([0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0]):
        y = torch.from_numpy(xq).permute(*perm).numpy()
        np.testing.assert_array_equal(ref.transpose_s8({"in_shape": [2, 3, 4, 5], "perm": perm}, xq), y)
