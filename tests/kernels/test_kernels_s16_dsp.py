"""The 16x8 DSP kernels (firmware/kernels/*/tg_*_s16_dsp.c): tg_conv2d_s16_dsp,
tg_conv2d_1x1_s16_dsp, tg_depthwise_conv2d_s16_dsp, tg_depthwise_conv2d_3x3_s16_dsp,
tg_depthwise_conv2d_rows_s16_dsp and tg_fully_connected_s16_dsp.

Host: the packed int16 weights and requantization records (tinygen/kernels/s16_dsp.py; the
records' folded arithmetic against tinygen.ref.int16.requantize_s64), the scratch formulas, the
kernels' place in the choice (ahead of the portable ones where the target has the DSP extension,
never without it; the depthwise one only for windows of fewer than 512 taps, the 3x3 one ahead of
it for 3x3 windows of stride 1).

Stand-ins (slow): called directly on named layers (odd channel counts, padding, stride 2,
dilation, depth multiplier 1, 2 and 3, 3x3 layers narrower than the window, fully connected with
odd in_features and several rows, the largest weights with inputs of -32768, biases near the
+-2^47 TFLite assumes, depths past one int32 run of the DSP sums, narrow activation ranges) and on
drawn ones (hypothesis, derandomized), on the Cortex-M7 and M4 stand-ins, byte for byte equal to
the portable kernels' numpy twins (tinygen.ref.int16).
tests/e2e/test_tflite_s16_standin.py runs whole .tflite models with them against TFLite Micro.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import ROOT
from kernel_lib import assert_same
from standin_lib import needs_qemu
from test_kernels import _axis
from tinygen.kernels.s16_dsp import (REQUANT_RECORD, conv2d_s16_dsp_scratch, depthwise_3x3_s16_dsp_scratch,
                                     depthwise_rows_s16_dsp_scratch, depthwise_rows_s16_dsp_serves,
                                     depthwise_s16_dsp_serves, s16_dsp_depthwise_3x3_packed,
                                     s16_dsp_depthwise_packed, s16_dsp_depthwise_rows_packed,
                                     s16_dsp_depthwise_weights, s16_dsp_packed, s16_dsp_weights,
                                     s16_requant_records)
from tinygen.kernels.table import find_kernels
from tinygen.ref import int16 as ref

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import KERNELS, Call, Kernel, run_calls  # noqa: E402

CONV, CONV_1X1 = "tg_conv2d_s16_dsp", "tg_conv2d_1x1_s16_dsp"
DEPTHWISE, FC = "tg_depthwise_conv2d_s16_dsp", "tg_fully_connected_s16_dsp"
DW3, ROWS = "tg_depthwise_conv2d_3x3_s16_dsp", "tg_depthwise_conv2d_rows_s16_dsp"
_ARGS = ("int16_t", "int16_t")    # input, packed (weights, then the requantization records)


def _out(p: dict) -> int:
    return p["out_h"] * p["out_w"] * p["out_c"] if "out_c" in p else p["rows"] * p["out_features"]


KERNELS[CONV] = Kernel("tg_kernels.h", "tg_conv2d_params_t", _ARGS, "int16_t", _out, None, None,
                       scratch=conv2d_s16_dsp_scratch)
KERNELS[DW3] = Kernel("tg_kernels.h", "tg_conv2d_params_t", _ARGS, "int16_t", _out, None, None,
                      scratch=depthwise_3x3_s16_dsp_scratch)
KERNELS[ROWS] = Kernel("tg_kernels.h", "tg_conv2d_params_t", _ARGS, "int16_t", _out, None, None,
                       scratch=depthwise_rows_s16_dsp_scratch)
for _name in (CONV_1X1, DEPTHWISE):
    KERNELS[_name] = Kernel("tg_kernels.h", "tg_conv2d_params_t", _ARGS, "int16_t", _out, None, None)
KERNELS[FC] = Kernel("tg_kernels.h", "tg_fully_connected_params_t", _ARGS, "int16_t", _out, None, None)

ACT = (-32768, 32767)


def conv_layer(in_hw, in_c, out_c, kernel, stride=(1, 1), padding="same", dilation=(1, 1), act=ACT, dm=0) -> dict:
    """A conv (dm 0) or depthwise (dm >= 1: out_c = in_c * dm) layer's params."""
    in_h, out_h, pad_top = _axis(in_hw[0], kernel[0], stride[0], dilation[0], padding)
    in_w, out_w, pad_left = _axis(in_hw[1], kernel[1], stride[1], dilation[1], padding)
    return {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w,
            "out_c": in_c * dm if dm else out_c, "kernel_h": kernel[0], "kernel_w": kernel[1],
            "stride_h": stride[0], "stride_w": stride[1], "dilation_h": dilation[0], "dilation_w": dilation[1],
            "pad_top": pad_top, "pad_left": pad_left, "depth_multiplier": max(dm, 1), "input_offset": 0,
            "output_offset": 0, "act_min": act[0], "act_max": act[1]}


def fc_layer(rows: int, in_features: int, out_features: int, act=ACT) -> dict:
    return {"rows": rows, "in_features": in_features, "out_features": out_features, "input_offset": 0,
            "output_offset": 0, "act_min": act[0], "act_max": act[1]}


def _shapes(name: str, p: dict) -> tuple[tuple, tuple]:
    """(input shape, weight shape) of a layer for kernel `name`."""
    if name == FC:
        return (p["rows"], p["in_features"]), (p["out_features"], p["in_features"])
    x = (p["in_h"], p["in_w"], p["in_c"])
    if name in (DEPTHWISE, DW3, ROWS):
        return x, (p["kernel_h"], p["kernel_w"], p["out_c"])
    return x, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])


def case(name: str, p: dict, rng, extreme: bool = False, big_bias: bool = False, with_bias: bool = True):
    """Random arguments; `extreme`: weights of -128 / 127 and inputs of -32768 / 32767 (the largest
    products, sums past 2^31 on deep layers); `big_bias`: biases near +-2^47 less the sums' reach."""
    x_shape, w_shape = _shapes(name, p)
    n = p["out_c"] if name in (DEPTHWISE, DW3, ROWS) else w_shape[0]
    if extreme:
        x = np.where(rng.random(x_shape) < 0.9, -32768, 32767).astype(np.int16)
        w = np.where(rng.random(w_shape) < 0.9, -128, 127).astype(np.int8)
    else:
        x = rng.integers(-32768, 32768, x_shape).astype(np.int16)
        w = rng.integers(-128, 128, w_shape).astype(np.int8)
    if big_bias:
        bias = np.where(np.arange(n) % 2, 1, -1) * ((1 << 47) - (1 << 40)) + rng.integers(-1000, 1000, n)
    else:
        bias = rng.integers(-(1 << 30), 1 << 30, n)
    # shifts keep the sums' scale: small multipliers for big sums, as real 16x8 layers have
    shift = rng.integers(-31, -20, n) if (extreme or big_bias) else rng.integers(-24, -12, n)
    return x, w, bias.astype(np.int64) if with_bias else None, rng.integers(1 << 30, (1 << 31) - 1, n).astype(
        np.int32), shift.astype(np.int32)


_TWINS = {CONV: ref.conv2d_s16, CONV_1X1: ref.conv2d_s16, DEPTHWISE: ref.depthwise_conv2d_s16,
          DW3: ref.depthwise_conv2d_s16, ROWS: ref.depthwise_conv2d_s16, FC: ref.fully_connected_s16}


def _call(name: str, p: dict, args) -> tuple[Call, np.ndarray]:
    x, w, bias, mult, shift = args
    pack = {DEPTHWISE: s16_dsp_depthwise_packed, DW3: s16_dsp_depthwise_3x3_packed,
            ROWS: s16_dsp_depthwise_rows_packed}.get(name, s16_dsp_packed)
    packed = pack(p, {"weight": w, "bias": bias, "multiplier": mult, "shift": shift})
    want = _TWINS[name](p, x, w, bias, mult, shift).reshape(-1)
    return Call(name, p, (x, packed)), want


def _pointwise(p: dict) -> bool:
    return (p["kernel_h"], p["kernel_w"], p["stride_h"], p["stride_w"], p["pad_top"], p["pad_left"]) == \
        (1, 1, 1, 1, 0, 0) and (p["in_h"], p["in_w"]) == (p["out_h"], p["out_w"])


# (label, kernel, params, case options)
NAMED = [
    ("conv3x3_c3_c5_same", CONV, conv_layer((7, 9), 3, 5, (3, 3)), {}),
    ("conv3x3_s2_odd", CONV, conv_layer((9, 11), 7, 9, (3, 3), (2, 2)), {}),
    ("conv5x3_dilated_pad2", CONV, conv_layer((10, 12), 4, 6, (5, 3), padding="2", dilation=(2, 3)), {}),
    ("conv3x3_valid_relu", CONV, conv_layer((6, 8), 8, 4, (3, 3), padding="valid", act=(0, 32767)), {}),
    ("conv1x7_no_bias", CONV, conv_layer((1, 20), 5, 3, (1, 7)), {"with_bias": False}),
    ("conv3x3_c64_extreme", CONV, conv_layer((4, 5), 64, 6, (3, 3)), {"extreme": True}),    # depth 576: 3 runs
    ("conv3x3_big_bias", CONV, conv_layer((5, 5), 6, 7, (3, 3)), {"big_bias": True}),
    ("pw_c3_c5", CONV_1X1, conv_layer((5, 7), 3, 5, (1, 1)), {}),
    ("pw_c16_c9_one_pixel", CONV_1X1, conv_layer((1, 1), 16, 9, (1, 1)), {}),
    ("pw_c600_c3_extreme", CONV_1X1, conv_layer((3, 1), 600, 3, (1, 1)), {"extreme": True}),
    ("pw_c33_c7_clamp", CONV_1X1, conv_layer((3, 3), 33, 7, (1, 1), act=(-900, 1200)), {"big_bias": True}),
    ("dw3x3_c5", DEPTHWISE, conv_layer((7, 8), 5, 0, (3, 3), dm=1), {}),
    ("dw3x3_c32_s2", DEPTHWISE, conv_layer((10, 9), 32, 0, (3, 3), (2, 2), dm=1), {}),
    ("dw3x3_c6_dilated", DEPTHWISE, conv_layer((9, 9), 6, 0, (3, 3), padding="2", dilation=(2, 2), dm=1), {}),
    ("dw5x5_c7_valid", DEPTHWISE, conv_layer((8, 9), 7, 0, (5, 5), padding="valid", dm=1), {"with_bias": False}),
    ("dw3x3_c3_x2", DEPTHWISE, conv_layer((6, 7), 3, 0, (3, 3), dm=2), {}),
    ("dw3x5_c2_x3_s2", DEPTHWISE, conv_layer((9, 11), 2, 0, (3, 5), (2, 2), dm=3), {}),
    ("dw9x9_c4_extreme", DEPTHWISE, conv_layer((10, 10), 4, 0, (9, 9), dm=1), {"extreme": True}),
    ("dw3x3_c9_big_bias", DEPTHWISE, conv_layer((5, 6), 9, 0, (3, 3), dm=1), {"big_bias": True}),
    # the 3x3 stride-1 kernel: blocks of 4 pixels and the rest, edges clipped, odd channel counts, rows and
    # columns narrower than the window, only padding around a pixel, the largest products
    ("dw3_c32_same", DW3, conv_layer((20, 40), 32, 0, (3, 3), dm=1), {}),
    ("dw3_c5_same", DW3, conv_layer((7, 9), 5, 0, (3, 3), dm=1), {}),
    ("dw3_c1_valid", DW3, conv_layer((6, 11), 1, 0, (3, 3), padding="valid", dm=1), {"with_bias": False}),
    ("dw3_c7_pad2", DW3, conv_layer((5, 6), 7, 0, (3, 3), padding="2", dm=1), {}),
    ("dw3_c3_one_column", DW3, conv_layer((4, 1), 3, 0, (3, 3), dm=1), {}),
    ("dw3_c2_one_row", DW3, conv_layer((1, 13), 2, 0, (3, 3), dm=1), {}),
    ("dw3_c9_extreme", DW3, conv_layer((6, 10), 9, 0, (3, 3), dm=1), {"extreme": True}),
    ("dw3_c6_big_bias_clamp", DW3, conv_layer((5, 8), 6, 0, (3, 3), dm=1, act=(-700, 900)), {"big_bias": True}),
    # any window and stride, dilation 1: stride 2 and 3 (rows the ring skips), odd widths (the pad
    # column), kx1 and 1xk, 10x4 (KWS), one-column and one-row inputs, windows wider than the input,
    # wider windows than the chosen ones (weight words read, not in registers), the largest products
    ("rows3x3_c7_s2", ROWS, conv_layer((11, 13), 7, 0, (3, 3), (2, 2), dm=1), {}),
    ("rows3x3_c32_s2_valid", ROWS, conv_layer((10, 9), 32, 0, (3, 3), (2, 2), "valid", dm=1), {}),
    ("rows5x5_c6_same", ROWS, conv_layer((9, 10), 6, 0, (5, 5), dm=1), {}),
    ("rows5x5_c5_s2_pad2", ROWS, conv_layer((9, 11), 5, 0, (5, 5), (2, 2), "2", dm=1), {}),
    ("rows3x1_c9", ROWS, conv_layer((8, 7), 9, 0, (3, 1), dm=1), {"with_bias": False}),
    ("rows1x3_c4_s2x1", ROWS, conv_layer((5, 12), 4, 0, (1, 3), (2, 1), dm=1), {}),
    ("rows10x4_c8_kws", ROWS, conv_layer((25, 10), 8, 0, (10, 4), dm=1), {}),
    ("rows2x2_c3_s3", ROWS, conv_layer((10, 11), 3, 0, (2, 2), (3, 3), "valid", dm=1), {}),
    ("rows5x3_c2_one_column", ROWS, conv_layer((6, 1), 2, 0, (5, 3), dm=1), {}),
    ("rows3x5_c3_one_row", ROWS, conv_layer((1, 9), 3, 0, (3, 5), (1, 2), dm=1), {}),
    ("rows7x7_c5_wide", ROWS, conv_layer((8, 9), 5, 0, (7, 7), dm=1), {}),
    ("rows3x3_c3_x2", ROWS, conv_layer((6, 7), 3, 0, (3, 3), dm=2), {}),
    ("rows3x5_c2_x3_s2", ROWS, conv_layer((9, 11), 2, 0, (3, 5), (2, 2), dm=3), {}),
    ("rows9x9_c4_extreme", ROWS, conv_layer((10, 10), 4, 0, (9, 9), dm=1), {"extreme": True}),
    ("rows5x5_c6_big_bias_clamp", ROWS, conv_layer((7, 8), 6, 0, (5, 5), dm=1, act=(-700, 900)), {"big_bias": True}),
    ("fc_1x255x10", FC, fc_layer(1, 255, 10), {}),
    ("fc_1x64x7", FC, fc_layer(1, 64, 7), {}),
    ("fc_3x17x5", FC, fc_layer(3, 17, 5), {"with_bias": False}),
    ("fc_2x1000x6_extreme", FC, fc_layer(2, 1000, 6), {"extreme": True}),
    ("fc_4x33x9_big_bias", FC, fc_layer(4, 33, 9, act=(-5000, 5000)), {"big_bias": True}),
]


@st.composite
def drawn_layer(draw) -> tuple[str, dict]:
    name = draw(st.sampled_from([CONV, CONV, CONV_1X1, DEPTHWISE, DEPTHWISE, FC, DW3, ROWS]))
    if name == FC:
        return name, fc_layer(draw(st.integers(1, 5)), draw(st.integers(1, 90)), draw(st.integers(1, 13)))
    if name == DW3:
        return name, conv_layer((draw(st.integers(1, 9)), draw(st.integers(1, 14))), draw(st.integers(1, 11)), 0,
                                (3, 3), padding=draw(st.sampled_from(["valid", "same", "1", "2"])),
                                act=draw(st.sampled_from([ACT, (0, 32767), (-3000, 2000)])), dm=1)
    if name == ROWS:
        return name, conv_layer((draw(st.integers(1, 10)), draw(st.integers(1, 12))), draw(st.integers(1, 11)), 0,
                                (draw(st.integers(1, 6)), draw(st.integers(1, 8))),
                                (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                                padding=draw(st.sampled_from(["valid", "same", "1", "2"])),
                                act=draw(st.sampled_from([ACT, (0, 32767), (-3000, 2000)])),
                                dm=draw(st.sampled_from([1, 1, 2, 3])))
    if name == CONV_1X1:
        return name, conv_layer((draw(st.integers(1, 6)), draw(st.integers(1, 6))), draw(st.integers(1, 40)),
                                draw(st.integers(1, 11)), (1, 1))
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2, 3])))
    padding = draw(st.sampled_from(["valid", "same", "1", "2"]))
    hw = (draw(st.integers(1, 10)), draw(st.integers(1, 10)))
    act = draw(st.sampled_from([ACT, ACT, (0, 32767), (-3000, 2000)]))
    if name == DEPTHWISE:
        return name, conv_layer(hw, draw(st.integers(1, 11)), 0, kernel, stride, padding, dilation, act,
                                dm=draw(st.sampled_from([1, 1, 2, 3])))
    return name, conv_layer(hw, draw(st.integers(1, 9)), draw(st.integers(1, 9)), kernel, stride, padding, dilation,
                            act)


def drawn_cases(n: int) -> list[tuple[str, dict]]:
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(layer=drawn_layer())
    def draw(layer):
        cases.append(layer)

    draw()
    return cases


def test_s16_dsp_packs_weights_as_int16_rows_padded_to_even():
    """conv: [out_c][kh * kw * in_c rounded up to even] int16, the pad 0; depthwise: [taps][out_c even]."""
    p = conv_layer((5, 5), 3, 2, (3, 3))               # depth 27 -> 28
    w = np.arange(-27, 27).reshape(2, 3, 3, 3).astype(np.int8)
    packed = s16_dsp_weights(p, {"weight": w}).reshape(2, 28)
    assert packed.dtype == np.int16
    assert packed[:, :27].tolist() == w.reshape(2, 27).tolist() and packed[:, 27].tolist() == [0, 0]
    assert s16_dsp_weights(fc_layer(1, 4, 3), {"weight": np.ones((3, 4), np.int8)}).shape == (12,)
    d = conv_layer((5, 5), 3, 0, (2, 2), dm=1)
    wd = np.array([[[-128, 5, 127], [1, 2, 3]], [[4, 5, 6], [7, 8, 9]]], np.int8)
    packed = s16_dsp_depthwise_weights(d, {"weight": wd}).reshape(4, 4)
    assert packed[:, :3].tolist() == wd.reshape(4, 3).tolist() and not packed[:, 3].any()
    assert conv2d_s16_dsp_scratch(p) == 2 * 2 * 28
    # the 3x3 kernel: per channel w00 w01, w10 w11, w20 w21, w02 w12, w22 0, then its record
    d3 = conv_layer((4, 5), 2, 0, (3, 3), dm=1)
    w3 = np.arange(18).reshape(3, 3, 2).astype(np.int8) - 9
    q3 = {"weight": w3, "bias": np.array([5, -7]), "multiplier": np.array([1 << 30, 1 << 30]),
          "shift": np.array([-9, -20])}
    packed = s16_dsp_depthwise_3x3_packed(d3, q3).reshape(2, 10 + REQUANT_RECORD)
    for c in range(2):
        assert packed[c, :10].tolist() == [*w3[0, :2, c], *w3[1, :2, c], *w3[2, :2, c], w3[0, 2, c], w3[1, 2, c],
                                           w3[2, 2, c], 0]
    assert (packed[:, 10:] == s16_requant_records(q3, 2)).all()
    assert depthwise_3x3_s16_dsp_scratch(d3) == 3 * 4 * 2 * ((5 + 1) // 2 + 1)
    # the rows kernel: per channel its kernel rows padded to an even width with 0, then its record
    d5 = conv_layer((6, 7), 2, 0, (2, 3), (1, 2), dm=1)
    w5 = np.arange(12).reshape(2, 3, 2).astype(np.int8) - 6
    packed = s16_dsp_depthwise_rows_packed(d5, {**q3, "weight": w5}).reshape(2, 8 + REQUANT_RECORD)
    for c in range(2):
        assert packed[c, :8].tolist() == [*w5[0, :, c], 0, *w5[1, :, c], 0]
    assert (packed[:, 8:] == s16_requant_records(q3, 2)).all()
    assert depthwise_rows_s16_dsp_scratch(d5) == 4 * (2 * 2 * ((3 * 2 + 3 + 2) // 2) + 4)     # out_w 4


def _record_requant(acc: int, record: np.ndarray) -> int:
    """What tg_s16_requant_s32 / _s64 compute from a record (tg_mat_mult_s16_dsp.h), in Python ints."""
    words = [int(v) for v in record.view(np.uint32)]
    offset, mult, rshift = words[0] | words[1] << 32, words[2] - ((words[2] >> 31) << 32), words[3]
    hi = ((offset + acc * mult) % (1 << 64)) >> 32
    return (hi - ((hi >> 31) << 32)) >> rshift


def test_s16_dsp_requant_records_equal_requantize_s64():
    """The records' folded requantization equals tinygen.ref.int16.requantize_s64 of acc + bias, cast
    to int32 as tg_requantize_s64 does, over shifts -31..-1 (every multiplier: reduced * 2^k fits
    int32) and 0..14 with multipliers small enough, multipliers at the edges (0, 2^30, 0x7FFF0000
    and up, negated) and sums from 0 to past the +-2^47 TFLite assumes; records that cannot be
    formed (reduced * 2^k past int32, total shift < 1) are refused."""
    rng = np.random.default_rng(5)
    shifts = np.arange(-31, 0)
    mults = np.array([0, 1 << 30, 0x7FFF0000 - 1, 0x7FFF0000, (1 << 31) - 1, -(1 << 30), 0x40008000, 1234567890])
    m = np.concatenate([np.resize(mults, shifts.size * 4), [0, 1 << 16, -(1 << 16), 0x7FFF]])
    sh = np.concatenate([np.repeat(shifts, 4), [14, 13, 12, 0]])
    bias = rng.integers(-(1 << 46), 1 << 46, m.size)
    records = s16_requant_records({"bias": bias, "multiplier": m, "shift": sh}, m.size)
    assert records.shape == (m.size, REQUANT_RECORD) and records.dtype == np.int16
    for acc in [0, 1, -1, 1 << 30, -(1 << 31), (1 << 31) - 1, *rng.integers(-(1 << 40), 1 << 40, 6)]:
        want = ref.requantize_s64(np.int64(acc) + bias, m, sh)
        want = ((want.astype(np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)     # the int32 cast
        got = [_record_requant(int(acc), records[i]) for i in range(m.size)]
        assert got == want.tolist(), acc
    for mult, shift in ((1 << 30, 0), (1 << 30, 14), (0, 15)):
        one = {"bias": None, "multiplier": np.array([mult]), "shift": np.array([shift])}
        assert s16_requant_records(one, 1) is None


def test_s16_dsp_kernels_come_first_with_the_dsp_extension_only():
    def names(op, variants, features):
        return [k.name for k in find_kernels(op, "int16", "int8", 8, features, variants)]

    assert names("conv2d", ("1x1", None), {"dsp"})[:3] == [CONV_1X1, "tg_conv2d_s16", CONV]
    assert names("conv2d", (None,), {"dsp"}) == [CONV, "tg_conv2d_s16"]
    assert names("depthwise_conv2d", ("depth_multiplier_n", None), {"dsp"})[:2] == [ROWS, DEPTHWISE]
    assert names("depthwise_conv2d", ("depth_multiplier_1", None), {"dsp"})[:3] == [DW3, ROWS, DEPTHWISE]
    assert names("fully_connected", (None,), {"dsp"}) == [FC, "tg_fully_connected_s16"]
    for op, variants in (("conv2d", ("1x1", None)), ("depthwise_conv2d", ("depth_multiplier_1", None)),
                         ("fully_connected", (None,))):
        assert not any(n.endswith("_dsp") for n in names(op, variants, set()))
    assert depthwise_s16_dsp_serves(conv_layer((30, 30), 1, 0, (22, 23), dm=1))          # 506 taps
    assert not depthwise_s16_dsp_serves(conv_layer((30, 30), 1, 0, (16, 32), dm=1))      # 512 taps
    # the rows kernel: dilation 1, any stride and height, windows up to 8 wide at depth multiplier 1,
    # any above
    assert depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (5, 5), (2, 2), dm=1))
    assert depthwise_rows_s16_dsp_serves(conv_layer((49, 10), 4, 0, (10, 4), dm=1))
    assert depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (3, 6), (3, 1), dm=1))
    assert depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (7, 7), dm=1))
    assert not depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (3, 9), dm=1))
    assert depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (3, 9), dm=2))
    assert depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (3, 3), dm=2))
    assert depthwise_rows_s16_dsp_serves(conv_layer((49, 40), 1, 0, (10, 8), (2, 2), dm=8))     # micro-speech
    assert not depthwise_rows_s16_dsp_serves(conv_layer((49, 40), 1, 0, (10, 8), (2, 2), dilation=(1, 2), dm=8))
    assert not depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (3, 3), dilation=(1, 2), dm=1))
    assert not depthwise_rows_s16_dsp_serves(conv_layer((30, 30), 4, 0, (3, 3), dilation=(2, 1), dm=1))


def _run(board_name: str, cases, rng, tmp_path) -> None:
    built = [_call(name, p, case(name, p, rng, **options)) for name, p, options in cases]
    calls = run_calls(board_name, [c for c, _ in built], tmp_path)
    for (name, p, _), call, (_, want) in zip(cases, calls, built):
        assert_same(want, call.result, f"{name} on {board_name}, p={p}")


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_s16_dsp_named_shapes_standin(board_name, tmp_path):
    assert all(_pointwise(p) for _, name, p, _ in NAMED if name == CONV_1X1)
    _run(board_name, [(name, p, options) for _, name, p, options in NAMED], np.random.default_rng(16), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_s16_dsp_drawn_shapes_standin(board_name, tmp_path):
    cases = drawn_cases(80)
    assert len({name for name, _ in cases}) == 6
    cases = [(CONV_1X1 if name == CONV_1X1 and _pointwise(p) else (CONV if name == CONV_1X1 else name), p,
              {"with_bias": i % 6 != 5}) for i, (name, p) in enumerate(cases)]
    _run(board_name, cases, np.random.default_rng(61), tmp_path)
