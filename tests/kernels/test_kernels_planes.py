"""The bit-serial kernel over nested weight bit planes (firmware/kernels/lowbit/tg_kernels_planes.h).

- tinygen.quant.pack_planes lays the planes out as LOWBIT.md says (bit by bit; plane 7 is
  the packed binary weight array of the codes' signs), round-trips, and the switches'
  weights nest (the k-bit weight is the (k+1)-bit one shifted right by one).
- The numpy twin (tinygen.ref.bitserial, the bit-serial formula over the planes) with the
  bias corrected by planes_bias_correction == a plain float64 convolution (torch) of the
  switch's integer weights floor(C / 2^(8-k)) (or +-1) on a = q - zp with zero padding:
  LOWBIT.md's accumulator, then TFLite's requantization. The semantic check.
- The portable C kernel (host build, ctypes) == the twin byte for byte over shapes drawn by
  hypothesis (derandomized): odd sizes, channels 1 to 100 (not multiples of 32 too),
  stride 1 and 2, kernels 1x1 / 3x3 / 3x1 / 2x2, dilation, padding valid and same,
  switches k in {1, 2, 3, 4, 7, 8}, inputs uniform A-bit (A in {1, 2, 4}, zero point 0) and
  int8 (A = 8, in_off 128, any zero point); and fields too large for the stack buffer (the
  word-by-word path). The case builders are shared with tests/kernels/test_kernels_planes_dsp.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_lib import HEADER_PLANES, assert_same
from test_kernels_b1 import SETTINGS, _axis, _float_conv

from tinygen.errors import ModelError
from tinygen.kernels import params as kernel_params
from tinygen.quant import fixedpoint as fp
from tinygen.quant.pack_b1 import pack_binary_weights, words_for
from tinygen.quant.pack_planes import (
    pack_planes, planes_bias_correction, planes_input, switch_weights, unpack_planes)
from tinygen.ref import bitserial as ref
from tinygen.ref.kernels import _requantize_per_channel

CHANNELS = [1, 5, 31, 32, 33, 64, 100]
KERNELS = [(1, 1), (3, 3), (3, 1), (2, 2)]
SWITCHES = [1, 2, 3, 4, 7, 8]
INPUT_BITS = [1, 2, 4, 8]           # 8: int8 inputs (in_off 128), else uniform A-bit ones


def _codes(rng, shape) -> np.ndarray:
    """Top codes in [-127, 127], the extremes and 0 over-represented."""
    c = rng.integers(-127, 128, shape)
    pick = rng.random(shape)
    return np.where(pick < 0.05, -127, np.where(pick > 0.95, 127, np.where(pick < 0.08, 0, c))).astype(np.int8)


def planes_params(geom: dict, k: int, a_bits: int, zp_in: int, output_offset: int = 0,
                  act: tuple[int, int] = (-128, 127)) -> dict:
    """tg_conv2d_planes_params_t's fields, from the builder the compiler calls."""
    return kernel_params.planes_params(geom, k, a_bits, zp_in, output_offset, *act)


def planes_case(p: dict, seed: int) -> tuple:
    """(zp_in, codes, bias before the correction) and the kernel's arrays after p:
    (input, planes, corrected bias or None, multiplier, shift)."""
    rng = np.random.default_rng(seed)
    a, k = p["a_bits"], p["w_bits"]
    zp_in = p["pad_u"] - p["in_off"]
    lo, hi = -p["in_off"], (1 << a) - 1 - p["in_off"]
    x = rng.integers(lo, hi + 1, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
    codes = _codes(rng, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]))
    n = p["out_c"]
    taps = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    scale = np.sqrt(taps) * 2.0 ** (k - 1) * 2.0 ** (a - 1) / 2    # a typical |acc|
    right = -int(np.clip(np.round(np.log2(max(scale, 1.0))), 0, 31))
    shift = np.where(rng.random(n) < 0.1, rng.integers(0, 3, n), np.clip(right + rng.integers(-2, 3, n), -31, 0))
    multiplier = rng.integers(1 << 30, (1 << 31) - 1, n, endpoint=True)
    bias = rng.integers(-int(4 * scale) - 1, int(4 * scale) + 2, n) if rng.random() < 0.8 else None
    corr = planes_bias_correction(codes, k, p["in_off"], zp_in)
    kernel_bias = corr if bias is None else (corr + bias).astype(np.int32)
    return (zp_in, codes, bias), (x, pack_planes(codes), kernel_bias, multiplier.astype(np.int32),
                                  shift.astype(np.int32))


@st.composite
def geometry(draw, max_hw: int = 9, channels=tuple(CHANNELS)) -> dict:
    kernel_h, kernel_w = draw(st.sampled_from(KERNELS))
    stride_h, stride_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dilation_h, dilation_w = draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2]))
    pad = draw(st.sampled_from([0, 1, 2]))     # 0: valid; 1 on a 3x3: same
    in_h, out_h, pad_top = _axis(draw(st.integers(1, max_hw)), kernel_h, stride_h, dilation_h, pad)
    in_w, out_w, pad_left = _axis(draw(st.integers(1, max_hw)), kernel_w, stride_w, dilation_w, pad)
    return {"in_h": in_h, "in_w": in_w, "in_c": draw(st.sampled_from(channels)),
            "out_h": out_h, "out_w": out_w, "out_c": draw(st.sampled_from(channels)),
            "kernel_h": kernel_h, "kernel_w": kernel_w, "stride_h": stride_h, "stride_w": stride_w,
            "dilation_h": dilation_h, "dilation_w": dilation_w, "pad_top": pad_top, "pad_left": pad_left}


@st.composite
def params(draw, **kw) -> dict:
    a_bits = draw(st.sampled_from(INPUT_BITS))
    zp_in = draw(st.integers(-128, 127)) if a_bits == 8 else 0
    lo = draw(st.integers(-128, 127))
    act = draw(st.sampled_from([(-128, 127), (lo, draw(st.integers(lo, 127)))]))
    return planes_params(draw(geometry(**kw)), draw(st.sampled_from(SWITCHES)), a_bits, zp_in,
                         draw(st.integers(-128, 127)), act)


# -- packing --------------------------------------------------------------------------------

@pytest.mark.parametrize("in_c", [1, 5, 32, 33, 70])
def test_pack_planes_layout_bits(in_c):
    rng = np.random.default_rng(in_c)
    codes = _codes(rng, (3, 2, 1, in_c))
    planes = pack_planes(codes)
    words = words_for(in_c)
    assert planes.shape == (8, 3, 2, 1, words) and planes.dtype == np.uint32
    for j in range(8):              # plane j: bit j of (uint8)C, channel i in word i // 32, bit i % 32
        for idx in np.ndindex(3, 2, 1):
            for i in range(32 * words):
                bit = (int(planes[(j, *idx, i // 32)]) >> (i % 32)) & 1
                assert bit == ((int(codes[(*idx, i)]) & 0xFF) >> j & 1 if i < in_c else 0), (j, idx, i)
    assert_same(codes.astype(np.int64), unpack_planes(planes, in_c), "unpack(pack(codes))")
    # plane 7 is the packed binary weight array of sign(C) (C < 0: -1)
    assert_same(pack_binary_weights(np.where(codes < 0, -1, 1)), planes[7], "plane 7")


def test_pack_planes_fully_connected_and_errors():
    codes = np.arange(-60, 60, dtype=np.int8).reshape(4, 30)
    assert pack_planes(codes).shape == (8, 4, 1, 1, 1)
    with pytest.raises(ModelError, match=r"\[-127, 127\]"):
        pack_planes(np.full((1, 1, 1, 3), -128))
    with pytest.raises(ModelError, match="OHWI"):
        pack_planes(np.zeros(3, dtype=np.int8))
    with pytest.raises(ModelError, match="1 to 8 planes"):
        switch_weights(codes, 9)
    with pytest.raises(ModelError, match="zero point 0"):
        planes_input(4, 3)


def test_switch_weights_nest():
    c = np.arange(-127, 128)
    for k in range(2, 9):
        w = switch_weights(c, k)
        assert_same(np.floor(c / 2.0 ** (8 - k)).astype(np.int64), w, f"k={k}")
        assert w.min() >= -(1 << (k - 1)) and w.max() <= (1 << (k - 1)) - 1
        if k < 8:
            assert_same(w, switch_weights(c, k + 1) >> 1, f"k={k} is k+1's top bits")
    assert_same(np.where(c < 0, -1, 1), switch_weights(c, 1), "k=1")
    assert_same(switch_weights(c, 8), c.astype(np.int64), "k=8 is the codes")


def test_bias_correction_value():
    codes = np.array([[[[3, -4]]], [[[-127, 127]]]], dtype=np.int8)
    # k = 8: W = C; int8 input zp -5: -(128 - 5) * sum W
    assert planes_bias_correction(codes, 8, 128, -5).tolist() == [123, 0]
    # k = 2: W = floor(C / 64) = [0, -1], [-2, 1]; uniform input (in_off 0, zp 0): no correction
    assert planes_bias_correction(codes, 2, 0, 0).tolist() == [0, 0]
    assert planes_bias_correction(codes, 2, 128, 0).tolist() == [128, 128]


# -- the twin == LOWBIT.md's accumulator on the switch's integer weights --------------------

@SETTINGS
@given(p=params(), seed=st.integers(0, 2**32 - 1))
def test_planes_twin_equals_integer_convolution(p, seed):
    (zp_in, codes, bias), (x, planes, kernel_bias, m, s) = planes_case(p, seed)
    a = x.astype(np.int64) - zp_in
    acc = _float_conv(p, a, switch_weights(codes, p["w_bits"]), 0.0)
    assert np.array_equal(acc, np.round(acc))
    want = _requantize_per_channel(acc.astype(np.int64), bias, m, s, p)
    assert_same(want, ref.conv2d_s8_planes_s8(p, x, planes, kernel_bias, m, s), "planes twin")


def test_planes_twin_rejects_inputs_outside_the_bits():
    p = planes_params({"in_h": 1, "in_w": 1, "in_c": 2, "out_h": 1, "out_w": 1, "out_c": 1, "kernel_h": 1,
                       "kernel_w": 1, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
                       "pad_top": 0, "pad_left": 0}, 4, 2, 0)
    planes = pack_planes(np.ones((1, 1, 1, 2), dtype=np.int8))
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        ref.conv2d_s8_planes_s8(p, np.array([1, 4], np.int8), planes, None, [1 << 30], [0])


# -- the portable C kernel (host build) == the twin -------------------------------------------

@SETTINGS
@given(p=params(), seed=st.integers(0, 2**32 - 1))
def test_conv2d_s8_planes_s8_host(kernels, p, seed):
    _, args = planes_case(p, seed)
    assert_same(ref.conv2d_s8_planes_s8(p, *args), kernels.conv2d_s8_planes_s8(p, *args), "conv2d_s8_planes_s8")


# the stack buffer's words, from the header
FIELD_WORDS = int(re.search(r"#define TG_PLANES_FIELD_WORDS (\d+)", HEADER_PLANES.read_text()).group(1))
LARGE_FIELDS = [  # a_bits * kernel_h * kernel_w * words > TG_PLANES_FIELD_WORDS: word by word
    ({"in_h": 4, "in_w": 5, "in_c": 170, "out_h": 4, "out_w": 5, "out_c": 3, "kernel_h": 3, "kernel_w": 3,
      "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1}, 8, 8, -7),
    ({"in_h": 1, "in_w": 1, "in_c": 1700, "out_h": 1, "out_w": 1, "out_c": 5, "kernel_h": 1, "kernel_w": 1,
      "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 0, "pad_left": 0}, 1, 8, 20),
    ({"in_h": 5, "in_w": 3, "in_c": 400, "out_h": 3, "out_w": 2, "out_c": 4, "kernel_h": 3, "kernel_w": 3,
      "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1}, 3, 4, 0),
]


@pytest.mark.parametrize("geom,k,a_bits,zp_in", LARGE_FIELDS)
def test_conv2d_s8_planes_s8_large_field_host(kernels, geom, k, a_bits, zp_in):
    p = planes_params(geom, k, a_bits, zp_in, output_offset=3)
    words = a_bits * p["kernel_h"] * p["kernel_w"] * words_for(p["in_c"])
    assert words > FIELD_WORDS, "the case must take the word-by-word path"
    _, args = planes_case(p, 7)
    assert_same(ref.conv2d_s8_planes_s8(p, *args), kernels.conv2d_s8_planes_s8(p, *args), "large field")


def test_conv2d_s8_planes_s8_extreme_accumulator_host(kernels):
    """Every code -127 or 127, every u 0 or 255: the largest |acc'| terms of each switch."""
    geom = {"in_h": 3, "in_w": 3, "in_c": 64, "out_h": 3, "out_w": 3, "out_c": 2, "kernel_h": 3, "kernel_w": 3,
            "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1}
    codes = np.stack([np.full((3, 3, 64), -127), np.full((3, 3, 64), 127)]).astype(np.int8)
    x = np.full((3, 3, 64), 127, dtype=np.int8)
    for k in (1, 2, 8):
        p = planes_params(geom, k, 8, -128)
        bias = planes_bias_correction(codes, k, 128, -128)
        args = (x, pack_planes(codes), bias, np.full(2, 1 << 30, np.int32), np.full(2, -12, np.int32))
        want = ref.conv2d_s8_planes_s8(p, *args)
        assert len(set(want.reshape(-1).tolist())) > 1 and fp.INT32_MAX > 9 * 64 * 255 * 127
        assert_same(want, kernels.conv2d_s8_planes_s8(p, *args), f"k={k}")
