"""Binary kernels (firmware/kernels/lowbit/tg_kernels_b1.h) on the host == their numpy twins
(tinygen.ref.binary), byte for byte; the twins == a plain float64 convolution of the
+1 / -1 values (torch), i.e. LOWBIT.md; bit packing round trips.

Geometry is drawn by hypothesis (derandomized): odd sizes, channel counts 1, 5, 31,
32, 33, 64, 100, stride 1 and 2, kernels 1x1 / 3x3 / 5x3 and others, dilation, padding
0 / 1 / 2 with pad value 0 / +1 / -1, asymmetric zero points; thresholds negative,
positive, INT32_MIN and INT32_MAX. Tensor contents come from a numpy generator seeded
by a drawn integer. The case builders are shared with tests/kernels/test_kernels_b1_dsp.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_lib import assert_same

from tinygen.errors import ModelError
from tinygen.quant import fixedpoint as fp
from tinygen.quant.pack_b1 import pack_binary_weights, pack_bits, unpack_bits, words_for
from tinygen.ref import binary as ref
from tinygen.ref.kernels import _requantize_per_channel

SETTINGS = settings(derandomize=True, max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
CHANNELS = [1, 5, 31, 32, 33, 64, 100]
KERNELS = [(1, 1), (3, 3), (5, 3), (3, 1), (2, 2)]


def _axis(size: int, kernel: int, stride: int, dilation: int, pad: int):
    """(input size, output size, leading pad) for a symmetric pad below the effective kernel."""
    eff = (kernel - 1) * dilation + 1
    pad = min(pad, eff - 1)
    size = max(size, eff - 2 * pad)
    return size, (size + 2 * pad - eff) // stride + 1, pad


@st.composite
def geometry(draw, binary_input: bool, max_hw: int = 9, channels=tuple(CHANNELS)):
    kernel_h, kernel_w = draw(st.sampled_from(KERNELS))
    stride_h, stride_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dilation_h, dilation_w = draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2]))
    pad = draw(st.integers(0, 2))
    in_h, out_h, pad_top = _axis(draw(st.integers(1, max_hw)), kernel_h, stride_h, dilation_h, pad)
    in_w, out_w, pad_left = _axis(draw(st.integers(1, max_hw)), kernel_w, stride_w, dilation_w, pad)
    lo = draw(st.integers(-128, 127))
    hi = draw(st.integers(lo, 127))
    act_min, act_max = draw(st.sampled_from([(-128, 127), (lo, hi)]))
    p = {"in_h": in_h, "in_w": in_w, "in_c": draw(st.sampled_from(channels)),
         "out_h": out_h, "out_w": out_w, "out_c": draw(st.sampled_from(channels)),
         "kernel_h": kernel_h, "kernel_w": kernel_w, "stride_h": stride_h, "stride_w": stride_w,
         "dilation_h": dilation_h, "dilation_w": dilation_w, "pad_top": pad_top, "pad_left": pad_left}
    if binary_input:
        p["pad_value"] = draw(st.sampled_from([0, 1, -1]))
    else:
        p["depth_multiplier"] = 1
        p["input_offset"] = draw(st.integers(-127, 128))
    p.update(output_offset=draw(st.integers(-128, 127)), act_min=act_min, act_max=act_max)
    return p


def _signs(rng, shape) -> np.ndarray:
    return np.where(rng.random(shape) < rng.uniform(0.2, 0.8), -1, 1).astype(np.int8)


def _thresholds(rng, n: int, spread: int) -> np.ndarray:
    t = rng.integers(-spread, spread, n, endpoint=True)
    pick = rng.random(n)
    t = np.where(pick < 0.1, fp.INT32_MIN, np.where(pick > 0.9, fp.INT32_MAX, t))
    return t.astype(np.int32)


def _requant(rng, n: int, small_acc: bool):
    multiplier = rng.integers(1 << 30, (1 << 31) - 1, n, endpoint=True)
    right = rng.integers(-9, 1, n) if small_acc else rng.integers(-20, -5, n)
    shift = np.where(rng.random(n) < 0.15, rng.integers(1, 4, n), right)
    bias = rng.integers(-300, 300, n) if small_acc else rng.integers(-20000, 20000, n)
    return (bias if rng.random() < 0.7 else None), multiplier, shift


def binary_input_case(p: dict, seed: int, threshold: bool) -> tuple:
    """Arguments (after p) of tg_conv2d_b1_b1_s8 (threshold False) or _b1_b1_b1 (True)."""
    rng = np.random.default_rng(seed)
    x = pack_bits(_signs(rng, (p["in_h"], p["in_w"], p["in_c"])))
    w = pack_binary_weights(_signs(rng, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])))
    if threshold:
        return x, w, _thresholds(rng, p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"] // 3 + 1)
    return (x, w, *_requant(rng, p["out_c"], small_acc=True))


def int8_input_case(p: dict, seed: int, threshold: bool) -> tuple:
    """Arguments of tg_conv2d_s8_s8_b1 (threshold True) or tg_conv2d_s8_b1_s8 (False)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
    taps = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    if threshold:
        w = rng.integers(-127, 128, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])).astype(np.int8)
        return x, w, _thresholds(rng, p["out_c"], int(64 * 64 * np.sqrt(taps)))
    w = pack_binary_weights(_signs(rng, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])))
    return (x, w, *_requant(rng, p["out_c"], small_acc=False))


# -- packing ------------------------------------------------------------------------------

@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=2), channels=st.sampled_from(CHANNELS),
       seed=st.integers(0, 2**32 - 1))
def test_pack_bits_layout_and_round_trip(shape, channels, seed):
    v = _signs(np.random.default_rng(seed), (*shape, channels))
    words = pack_bits(v)
    assert words.dtype == np.uint32 and words.shape == (*shape, words_for(channels))
    flat_v, flat_w = v.reshape(-1, channels), words.reshape(-1, words.shape[-1])
    for c in range(channels):       # channel c in word c // 32, bit c % 32, bit 1 = -1
        assert (((flat_w[:, c // 32] >> np.uint32(c % 32)) & 1) == (flat_v[:, c] < 0)).all()
    if channels % 32:               # bits beyond the channels are 0
        assert (flat_w[:, -1] >> np.uint32(channels % 32) == 0).all()
    assert_same(v, unpack_bits(words, channels), "unpack(pack(v))")


def test_pack_bits_along_another_axis_and_weights():
    rng = np.random.default_rng(5)
    v = _signs(rng, (33, 4))
    assert_same(pack_bits(v.T), pack_bits(v, axis=0).T, "axis 0")
    assert_same(v, unpack_bits(pack_bits(v, axis=0), 33, axis=0), "round trip along axis 0")
    w = _signs(rng, (3, 2, 1, 40))
    assert pack_binary_weights(w).shape == (3, 2, 1, 2)


def test_pack_bits_rejects_other_values():
    with pytest.raises(ModelError, match=r"\+1 / -1"):
        pack_bits(np.array([1, 0, -1]))
    with pytest.raises(ModelError, match="OHWI"):
        pack_binary_weights(np.ones((3, 4)))


# -- twins == LOWBIT.md (a float64 convolution of the unpacked values) ----------------------

def _float_conv(p: dict, x: np.ndarray, w: np.ndarray, pad_value: float) -> np.ndarray:
    """Plain float64 convolution (torch) of x [H, W, C] and w OHWI, x padded with pad_value."""
    t = torch.from_numpy(x.astype(np.float64)).permute(2, 0, 1)[None]
    eff_h = (p["kernel_h"] - 1) * p["dilation_h"] + 1
    eff_w = (p["kernel_w"] - 1) * p["dilation_w"] + 1
    bottom = max((p["out_h"] - 1) * p["stride_h"] + eff_h - p["pad_top"] - p["in_h"], 0)
    right = max((p["out_w"] - 1) * p["stride_w"] + eff_w - p["pad_left"] - p["in_w"], 0)
    t = torch.nn.functional.pad(t, (p["pad_left"], right, p["pad_top"], bottom), value=pad_value)
    k = torch.from_numpy(w.astype(np.float64)).permute(0, 3, 1, 2)
    y = torch.nn.functional.conv2d(t, k, stride=(p["stride_h"], p["stride_w"]),
                                   dilation=(p["dilation_h"], p["dilation_w"]))
    return y[0].permute(1, 2, 0).numpy()[: p["out_h"], : p["out_w"]]


@SETTINGS
@given(p=geometry(binary_input=True), seed=st.integers(0, 2**32 - 1))
def test_binary_twins_equal_float_convolution(p, seed):
    x, w, t = binary_input_case(p, seed, threshold=True)
    acc = _float_conv(p, unpack_bits(x, p["in_c"]), unpack_bits(w, p["in_c"]), float(p["pad_value"]))
    assert np.array_equal(acc, np.round(acc))
    acc = acc.astype(np.int64)
    # LOWBIT.md's popcount form of the same accumulator (pad value 0: in-bounds taps only)
    assert_same(pack_bits(np.where(acc < t, -1, 1)), ref.conv2d_b1_b1_b1(p, x, w, t), "b1_b1_b1 twin")
    _, _, bias, m, s = binary_input_case(p, seed, threshold=False)
    assert_same(_requantize_per_channel(acc, bias, m, s, p), ref.conv2d_b1_b1_s8(p, x, w, bias, m, s),
                "b1_b1_s8 twin")


@SETTINGS
@given(p=geometry(binary_input=False), seed=st.integers(0, 2**32 - 1))
def test_int8_input_twins_equal_float_convolution(p, seed):
    x, w8, t = int8_input_case(p, seed, threshold=True)
    acc = _float_conv(p, x.astype(np.int64) + p["input_offset"], w8, 0.0).astype(np.int64)
    assert_same(pack_bits(np.where(acc < t, -1, 1)), ref.conv2d_s8_s8_b1(p, x, w8, t), "s8_s8_b1 twin")
    x, wb, bias, m, s = int8_input_case(p, seed, threshold=False)
    acc = _float_conv(p, x.astype(np.int64) + p["input_offset"], unpack_bits(wb, p["in_c"]), 0.0)
    assert_same(_requantize_per_channel(acc.astype(np.int64), bias, m, s, p),
                ref.conv2d_s8_b1_s8(p, x, wb, bias, m, s), "s8_b1_s8 twin")


def test_popcount_form_of_the_accumulator():
    """LOWBIT.md: acc = n_in - 2 popcount(xor) + P * (sum of the padded taps' weights), on a 3x3
    pad-1 corner output, computed from the packed words against the twin's thresholds."""
    p = {"in_h": 3, "in_w": 3, "in_c": 40, "out_h": 3, "out_w": 3, "out_c": 1, "kernel_h": 3,
         "kernel_w": 3, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
         "pad_top": 1, "pad_left": 1, "output_offset": 0, "act_min": -128, "act_max": 127}
    rng = np.random.default_rng(11)
    x, w = pack_bits(_signs(rng, (3, 3, 40))), pack_binary_weights(_signs(rng, (1, 3, 3, 40)))
    pop = np.vectorize(lambda v: bin(int(v)).count("1"))
    inside = [(ky, kx) for ky in range(3) for kx in range(3) if ky > 0 and kx > 0]  # output (0, 0)
    xor = sum(pop(x[ky - 1, kx - 1] ^ w[0, ky, kx]).sum() for ky, kx in inside)
    padded_w = sum(40 - 2 * pop(w[0, ky, kx]).sum() for ky in range(3) for kx in range(3)
                   if (ky, kx) not in inside)
    for pad_value in (0, 1, -1):
        acc = 40 * len(inside) - 2 * xor + pad_value * padded_w
        q = {**p, "pad_value": pad_value}
        assert ref.conv2d_b1_b1_b1(q, x, w, [acc])[0, 0, 0] == 0          # acc < acc: +1
        assert ref.conv2d_b1_b1_b1(q, x, w, [acc + 1])[0, 0, 0] == 1      # acc < acc + 1: -1


# -- C kernels (host build) == twins --------------------------------------------------------

@SETTINGS
@given(p=geometry(binary_input=True), seed=st.integers(0, 2**32 - 1))
def test_conv2d_b1_b1_s8_host(kernels, p, seed):
    args = binary_input_case(p, seed, threshold=False)
    assert_same(ref.conv2d_b1_b1_s8(p, *args), kernels.conv2d_b1_b1_s8(p, *args), "conv2d_b1_b1_s8")


def with_bias_shift(p: dict, k: int, args: tuple) -> tuple[dict, tuple]:
    """p and (..., bias, multiplier, shift) for bias_shift k: the bias is added to acc * 2^k, the
    shifts lowered by k (as passes/quantize_lowbit.py scales them), the bias spread over 2^k units."""
    *front, bias, multiplier, shift = args
    fine = None if bias is None else np.asarray(bias) * (1 << k) + np.arange(len(multiplier)) % (1 << k)
    return {**p, "bias_shift": k}, (*front, fine, multiplier, np.maximum(np.asarray(shift) - k, -31))


@SETTINGS
@given(p=geometry(binary_input=True), seed=st.integers(0, 2**32 - 1), k=st.integers(1, 12))
def test_conv2d_b1_b1_s8_bias_shift_host(kernels, p, seed, k):
    """bias_shift k > 0 (a float bias finer than one accumulator unit): C == twin."""
    q, args = with_bias_shift(p, k, binary_input_case(p, seed, threshold=False))
    assert_same(ref.conv2d_b1_b1_s8(q, *args), kernels.conv2d_b1_b1_s8(q, *args), "conv2d_b1_b1_s8 bias_shift")


def test_bias_shift_adds_the_bias_below_one_unit():
    """With bias_shift k the twin requantizes acc * 2^k + bias: a bias of 2^k units with the shift
    lowered by k gives the k = 0 output (a left shift stays one: no rounding changes), and a bias
    of half a unit moves an output that k = 0 cannot move."""
    p = {"in_h": 1, "in_w": 1, "in_c": 8, "out_h": 1, "out_w": 1, "out_c": 1, "kernel_h": 1, "kernel_w": 1,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 0, "pad_left": 0,
         "pad_value": 0, "output_offset": 0, "act_min": -128, "act_max": 127}
    x, w = pack_bits(np.ones((1, 1, 8))), pack_binary_weights(np.ones((1, 1, 1, 8)))    # acc = 8
    m = [1 << 30]                                               # x 1/2 x 2^shift
    plain = ref.conv2d_b1_b1_s8(p, x, w, [3], m, [3])           # (8 + 3) * 4 = 44
    assert plain.ravel().tolist() == [44]
    assert ref.conv2d_b1_b1_s8({**p, "bias_shift": 2}, x, w, [12], m, [1]).ravel().tolist() == [44]
    assert ref.conv2d_b1_b1_s8({**p, "bias_shift": 2}, x, w, [14], m, [1]).ravel().tolist() == [46]


@SETTINGS
@given(p=geometry(binary_input=True), seed=st.integers(0, 2**32 - 1))
def test_conv2d_b1_b1_b1_host(kernels, p, seed):
    args = binary_input_case(p, seed, threshold=True)
    expected = ref.conv2d_b1_b1_b1(p, *args)
    assert_same(expected, kernels.conv2d_b1_b1_b1(p, *args), "conv2d_b1_b1_b1")


@SETTINGS
@given(p=geometry(binary_input=False), seed=st.integers(0, 2**32 - 1))
def test_conv2d_s8_b1_s8_host(kernels, p, seed):
    args = int8_input_case(p, seed, threshold=False)
    assert_same(ref.conv2d_s8_b1_s8(p, *args), kernels.conv2d_s8_b1_s8(p, *args), "conv2d_s8_b1_s8")


@SETTINGS
@given(p=geometry(binary_input=False), seed=st.integers(0, 2**32 - 1))
def test_conv2d_s8_s8_b1_host(kernels, p, seed):
    args = int8_input_case(p, seed, threshold=True)
    assert_same(ref.conv2d_s8_s8_b1(p, *args), kernels.conv2d_s8_s8_b1(p, *args), "conv2d_s8_s8_b1")


@SETTINGS
@given(pixels=st.integers(1, 20), channels=st.sampled_from(CHANNELS), seed=st.integers(0, 2**32 - 1))
def test_unpack_b1_s8_host(kernels, pixels, channels, seed):
    p = {"pixels": pixels, "channels": channels}
    x = pack_bits(_signs(np.random.default_rng(seed), (pixels, channels)))
    assert_same(ref.unpack_b1_s8(p, x), kernels.unpack_b1_s8(p, x), "unpack_b1_s8")


def test_threshold_extremes_host(kernels):
    """INT32_MIN thresholds give +1 (bit 0) everywhere, INT32_MAX -1 (bit 1); unused bits stay 0."""
    p = {"in_h": 5, "in_w": 3, "in_c": 33, "out_h": 5, "out_w": 3, "out_c": 37, "kernel_h": 3, "kernel_w": 3,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1,
         "pad_value": -1, "output_offset": 0, "act_min": -128, "act_max": 127}
    x, w, _ = binary_input_case(p, 3, threshold=True)
    t = np.where(np.arange(37) % 2 == 0, fp.INT32_MIN, fp.INT32_MAX).astype(np.int32)
    got = kernels.conv2d_b1_b1_b1(p, x, w, t)
    assert_same(unpack_bits(got, 37), np.broadcast_to(np.where(t == fp.INT32_MIN, 1, -1), (5, 3, 37)), "bits")
    assert (got[..., 1] >> np.uint32(5) == 0).all()
