"""Sub-byte (s4, s2) and power-of-two (p4) weight kernels on the host.

- tinygen.quant.pack_subbyte lays rows out exactly as LOWBIT.md says (checked bit by
  bit against the text's formula), round-trips, and codes pow2 weights both ways.
- The numpy twins (tinygen.ref.subbyte) equal a plain float64 convolution of the decoded
  weights written here tap by tap, then TFLite's requantization.
- The portable C kernels (host build, ctypes) equal the twins byte for byte over shapes
  drawn by hypothesis (derandomized): odd sizes, K odd (row padding), channels 1, 3, 5,
  17, 64, stride 1 and 2, kernels 1x1, 3x3, 5x3 and others, dilation, every padding,
  asymmetric zero points, per-channel shifts with some left shifts, odd flag on and off,
  pow2 with and without zero; every code value occurs in the weights.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_lib import assert_same
from test_kernels import SETTINGS, _axis, _requant_arrays, act_range

from tinygen.errors import ModelError
from tinygen.quant import fixedpoint as fp
from tinygen.quant.pack_subbyte import (
    odd_weights, pack_rows, pow2_codes, pow2_weights, row_stride, unpack_rows)
from tinygen.ref import subbyte as ref

STRUCT = "tg_conv2d_subbyte_params_t"
# kernel -> (bits, signed codes, decode flag it reads)
KINDS = {"s4": (4, True, "odd"), "s2": (2, True, "odd"), "p4": (4, False, "zero_code")}
CHANNELS = [1, 3, 5, 17, 64]


# -- packing ------------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [4, 2])
@pytest.mark.parametrize("k", [1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 75])
def test_pack_rows_layout_bits(bits, k):
    rng = np.random.default_rng(k * bits)
    codes = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (3, k))
    packed = pack_rows(codes, bits)
    stride = 4 * -(-k * bits // 32)
    assert packed.shape == (3, stride) and packed.dtype == np.uint8 and row_stride(k, bits) == stride
    per_byte = 8 // bits
    for o in range(3):
        for e in range(stride * per_byte):
            j, m = divmod(e, per_byte)      # element per_byte*j + m in bits m*bits.. of byte j
            field = (int(packed[o, j]) >> (m * bits)) & ((1 << bits) - 1)
            assert field == (int(codes[o, e]) & ((1 << bits) - 1) if e < k else 0), (o, e)
    assert np.array_equal(unpack_rows(packed, bits, k), codes)
    assert np.array_equal(unpack_rows(packed.reshape(-1), bits, k), codes)


def test_pack_rows_rejects_other_widths():
    with pytest.raises(ValueError, match="2- or 4-bit"):
        pack_rows(np.zeros((1, 4), dtype=int), 3)


@pytest.mark.parametrize("zero", [True, False])
def test_pow2_codes_round_trip(zero):
    codes = np.arange(16)
    w = pow2_weights(codes, 4, zero)
    if zero:
        assert sorted(set(np.abs(w))) == [0, 1, 2, 4, 8, 16, 32, 64]
        keep = codes != 8          # "negative zero" decodes to 0, which codes as 0
        assert w[8] == 0
    else:
        assert sorted(set(np.abs(w))) == [1, 2, 4, 8, 16, 32, 64, 128]
        keep = codes >= 0
    assert np.array_equal(np.sign(w[keep & (codes >= 8)]), -np.ones(np.sum(keep & (codes >= 8))))
    assert np.array_equal(pow2_codes(w[keep], 4, zero), codes[keep])


@pytest.mark.parametrize("bad, zero", [(3, True), (128, True), (0, False), (-256, False), (6, False)])
def test_pow2_codes_reject_other_weights(bad, zero):
    with pytest.raises(ModelError, match="power-of-two code"):
        pow2_codes(np.array([1, bad]), 4, zero)


def test_odd_weights_are_dorefa_levels():
    assert odd_weights(np.arange(-8, 8)).tolist() == list(range(-15, 16, 2))
    assert odd_weights(np.arange(-2, 2)).tolist() == [-3, -1, 1, 3]


# -- cases ----------------------------------------------------------------------------------

@st.composite
def subbyte_geometry(draw, kind: str):
    padding = draw(st.sampled_from(["valid", "same", "1", "2"]))
    kernel_h, kernel_w = draw(st.sampled_from([(1, 1), (3, 3), (5, 3), (1, 3), (2, 2), (3, 1)]))
    stride_h, stride_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dilation_h, dilation_w = draw(st.sampled_from([(1, 1), (1, 1), (2, 1), (2, 2)]))
    in_h, out_h, pad_top = _axis(draw(st.integers(1, 9)), kernel_h, stride_h, dilation_h, padding)
    in_w, out_w, pad_left = _axis(draw(st.integers(1, 9)), kernel_w, stride_w, dilation_w, padding)
    act_min, act_max = draw(act_range())
    flag = draw(st.integers(0, 1))
    return {
        "in_h": in_h, "in_w": in_w, "in_c": draw(st.sampled_from(CHANNELS)),
        "out_h": out_h, "out_w": out_w, "out_c": draw(st.sampled_from(CHANNELS)),
        "kernel_h": kernel_h, "kernel_w": kernel_w,
        "stride_h": stride_h, "stride_w": stride_w,
        "dilation_h": dilation_h, "dilation_w": dilation_w,
        "pad_top": pad_top, "pad_left": pad_left,
        "input_offset": draw(st.integers(-127, 128)),
        "output_offset": draw(st.integers(-128, 127)),
        "act_min": act_min, "act_max": act_max,
        "odd": flag if kind != "p4" else 0,
        "zero_code": flag if kind == "p4" else 0,
    }


def subbyte_case(kind: str, p: dict, seed: int, with_bias: bool):
    """(input, packed weights, bias, multiplier, shift), every code value in the weights."""
    bits, signed, _ = KINDS[kind]
    rng = np.random.default_rng(seed)
    k = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    lo = -(1 << (bits - 1)) if signed else 0
    codes = rng.integers(lo, lo + (1 << bits), (p["out_c"], k))
    flat = codes.reshape(-1)
    flat[:min(flat.size, 1 << bits)] = np.arange(lo, lo + (1 << bits))[:flat.size]
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"]))
    # biases in the accumulators' range: small weights give small sums
    b = rng.integers(-2000, 2000, p["out_c"]) if with_bias else None
    m, s = _requant_arrays(rng, p["out_c"])
    s = np.where(s < 0, np.maximum(s, -12), s)      # outputs spread over the int8 range
    return x, pack_rows(codes, bits), b, m, s


def run_c(kernels, kind: str, p: dict, x, packed, b, m, s) -> np.ndarray:
    """tg_conv2d_s8_<kind>_s8 on the host, through ctypes."""
    params = kernels._params(STRUCT, p)
    arrays = [np.ascontiguousarray(np.asarray(a).reshape(-1), dtype=t)
              for a, t in ((x, np.int8), (packed, np.uint8), (m, np.int32), (s, np.int8))]
    bias = None if b is None else np.ascontiguousarray(np.asarray(b).reshape(-1), dtype=np.int32)
    out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], dtype=np.int8)

    def ptr(a, t):
        return a.ctypes.data_as(ctypes.POINTER(t))

    getattr(kernels.lib, f"tg_conv2d_s8_{kind}_s8")(
        ctypes.byref(params), ptr(arrays[0], ctypes.c_int8), ptr(arrays[1], ctypes.c_uint8),
        None if bias is None else ptr(bias, ctypes.c_int32), ptr(arrays[2], ctypes.c_int32),
        ptr(arrays[3], ctypes.c_int8), ptr(out, ctypes.c_int8))
    return out.reshape(p["out_h"], p["out_w"], p["out_c"])


TWINS = {"s4": ref.conv2d_s8_s4_s8, "s2": ref.conv2d_s8_s2_s8, "p4": ref.conv2d_s8_p4_s8}


def decoded_weights(kind: str, p: dict, packed) -> np.ndarray:
    """The integer weights [out_c, kh, kw, in_c] the packed rows stand for (LOWBIT.md's table)."""
    bits, signed, _ = KINDS[kind]
    codes = unpack_rows(packed, bits, p["kernel_h"] * p["kernel_w"] * p["in_c"], signed=signed)
    if kind == "p4":
        w = pow2_weights(codes, 4, zero=bool(p["zero_code"]))
    else:
        w = odd_weights(codes) if p["odd"] else codes
    return w.reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])


def float_conv(p: dict, x, w, b, m, s) -> np.ndarray:
    """The plain convolution, tap by tap in float64, then TFLite's requantization."""
    xo = np.asarray(x, dtype=np.float64) + p["input_offset"]
    acc = np.zeros((p["out_h"], p["out_w"], p["out_c"]))
    for oy in range(p["out_h"]):
        for ox in range(p["out_w"]):
            for ky in range(p["kernel_h"]):
                for kx in range(p["kernel_w"]):
                    iy = oy * p["stride_h"] - p["pad_top"] + ky * p["dilation_h"]
                    ix = ox * p["stride_w"] - p["pad_left"] + kx * p["dilation_w"]
                    if 0 <= iy < p["in_h"] and 0 <= ix < p["in_w"]:
                        acc[oy, ox] += np.asarray(w, dtype=np.float64)[:, ky, kx, :] @ xo[iy, ix]
    acc = acc.astype(np.int64) + (0 if b is None else np.asarray(b, dtype=np.int64))
    out = fp.multiply_by_quantized_multiplier(acc, np.asarray(m, np.int64), np.asarray(s, np.int64))
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"]).astype(np.int8)


# -- twins against the plain convolution --------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_twin_equals_float_conv_of_decoded_weights(kind, data, seed, with_bias):
    p = data.draw(subbyte_geometry(kind))
    x, packed, b, m, s = subbyte_case(kind, p, seed, with_bias)
    expected = float_conv(p, x, decoded_weights(kind, p, packed), b, m, s)
    assert_same(expected, TWINS[kind](p, x, packed, b, m, s), f"{kind} twin")


def test_twins_reject_the_other_kinds_flag():
    p = {"in_h": 1, "in_w": 1, "in_c": 1, "out_h": 1, "out_w": 1, "out_c": 1, "kernel_h": 1, "kernel_w": 1,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 0, "pad_left": 0,
         "input_offset": 0, "output_offset": 0, "act_min": -128, "act_max": 127, "odd": 1, "zero_code": 1}
    args = (np.zeros(1), np.zeros(4, np.uint8), None, [1 << 30], [0])
    with pytest.raises(ValueError, match="zero_code"):
        ref.conv2d_s8_s4_s8(p, *args)
    with pytest.raises(ValueError, match="odd"):
        ref.conv2d_s8_p4_s8(p, *args)


# -- C kernels against the twins --------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_conv2d_subbyte_host(kernels, kind, data, seed, with_bias):
    p = data.draw(subbyte_geometry(kind))
    args = subbyte_case(kind, p, seed, with_bias)
    assert_same(TWINS[kind](p, *args), run_c(kernels, kind, p, *args), f"tg_conv2d_s8_{kind}_s8")


def fc_params(in_features: int, out_features: int, kind: str, flag: int) -> dict:
    """A fully connected layer as a 1x1 convolution on a 1x1 image."""
    return {"in_h": 1, "in_w": 1, "in_c": in_features, "out_h": 1, "out_w": 1, "out_c": out_features,
            "kernel_h": 1, "kernel_w": 1, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
            "pad_top": 0, "pad_left": 0, "input_offset": 7, "output_offset": -3, "act_min": -128,
            "act_max": 127, "odd": flag if kind != "p4" else 0, "zero_code": flag if kind == "p4" else 0}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("flag", [0, 1])
@pytest.mark.parametrize("in_features", [1, 7, 31, 64, 257])
def test_fully_connected_subbyte_host(kernels, kind, flag, in_features):
    p = fc_params(in_features, 10, kind, flag)
    args = subbyte_case(kind, p, in_features, True)
    expected = TWINS[kind](p, *args)
    assert_same(expected, run_c(kernels, kind, p, *args), f"{kind} fully connected")


@pytest.mark.parametrize("kind", list(KINDS))
def test_conv2d_subbyte_host_64ch_layer(kernels, kind):
    """Named regression vector: 3x3 'same' 64 -> 64 on 12x10, odd / zero flag on."""
    p = {"in_h": 12, "in_w": 10, "in_c": 64, "out_h": 12, "out_w": 10, "out_c": 64,
         "kernel_h": 3, "kernel_w": 3, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
         "pad_top": 1, "pad_left": 1, "input_offset": 128, "output_offset": -128,
         "act_min": -128, "act_max": 127, "odd": int(kind != "p4"), "zero_code": int(kind == "p4")}
    x, packed, b, _, _ = subbyte_case(kind, p, 99, True)
    m, s = np.full(64, 1518500250), np.full(64, -6 if kind == "p4" else -3)
    expected = TWINS[kind](p, x, packed, b, m, s)
    assert len(np.unique(expected)) > 100, "a meaningful spread, not all saturated"
    assert_same(expected, run_c(kernels, kind, p, x, packed, b, m, s), f"{kind} 12x10x64")
