"""The pixel-pair 4-bit kernel (tg_conv2d_pair_u4_s4_s8) on the host, and its constant.

- tinygen.kernels.pair_u4 lays records and weight words out as tg_kernels_pair.h says
  (checked word by word and lane by lane against the text's formulas), refuses layers whose
  folded requantization would not be exact, and sizes scratch as the C does.
- The portable C kernel (host build, ctypes) equals its numpy twin (tinygen.ref.subbyte's
  conv2d_u4_s4_s8 on the s4 rows) byte for byte over shapes drawn by hypothesis (derandomized;
  test_kernels_packed's shapes: odd sizes, odd pixel counts, in_c not a multiple of 3, out_c
  odd, stride, dilation, every padding, asymmetric activations, odd flag on and off), and on
  the extremes: every weight at the most negative (and at the most positive) code with every
  input at the top of its range, fields of many blocks, and the deepest field the
  requantization allows.
"""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES, assert_same, parse_structs
from test_kernels import SETTINGS
from standin_lib import STRICT
from test_kernels_packed import STRUCT, packed_case, packed_geometry

from tinygen.kernels.depthwise_dsp import _MAX_PRODUCT
from tinygen.kernels.pair_u4 import RECORD_WORDS, pack_pair_u4, pair_scratch_bytes, pair_serves, pair_uses_ring
from tinygen.quant.pack_mul import steps
from tinygen.quant.pack_subbyte import pack_rows
from tinygen.ref.subbyte import conv2d_u4_s4_s8
from tinygen.resources import firmware_path

NAME = "tg_conv2d_pair_u4_s4_s8"


def pair_case(p: dict, seed: int, with_bias: bool, extreme: str = ""):
    """test_kernels_packed's u4 case with right shifts only (the records' requantization needs
    them): (input, s4 rows, bias, multiplier, shift). extreme "low_w_top_x" / "high_w_top_x":
    every weight the most negative / positive code, every input at the top of its range."""
    x, rows, b, m, s = packed_case("u4", p, seed, with_bias, extreme="low_w_top_x" if extreme else "")
    if extreme == "high_w_top_x":
        rows = pack_rows(np.full((p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]), 7), 4)
    s = np.where(s < 0, s, -1 - (s + seed) % 14)
    return x, rows, b, m, s


def consts_of(rows, b, m, s) -> dict:
    return {"weight": rows, "bias": b, "multiplier": m, "shift": s}


def run_c(kernels, p: dict, x, rows, b, m, s, guard: bool = False) -> np.ndarray:
    """The portable kernel on the host, through ctypes, with its packed constant. guard: the
    scratch exactly pair_scratch_bytes, then 16 guard words that must stay untouched."""
    params = kernels._params(STRUCT, p)
    packed = np.ascontiguousarray(pack_pair_u4(p, consts_of(rows, b, m, s)))
    xs = np.ascontiguousarray(np.asarray(x).reshape(-1), dtype=np.int8)
    size = pair_scratch_bytes(p) // 4
    scratch = np.zeros(size + (16 if guard else 1), dtype=np.uint32)
    scratch[size:] = 0xA5A5A5A5
    out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], dtype=np.int8)

    def ptr(a, t):
        return a.ctypes.data_as(ctypes.POINTER(t))

    getattr(kernels.lib, NAME)(ctypes.byref(params), ptr(xs, ctypes.c_int8), ptr(packed, ctypes.c_uint32),
                               ptr(scratch, ctypes.c_int8), ptr(out, ctypes.c_int8))
    assert not guard or (scratch[size:] == 0xA5A5A5A5).all(), "the kernel wrote past its scratch"
    return out.reshape(p["out_h"], p["out_w"], p["out_c"])


# -- the constant ---------------------------------------------------------------------------

@pytest.mark.parametrize("odd", [0, 1])
def test_pair_constant_layout(odd):
    p = {"kernel_h": 3, "kernel_w": 1, "in_c": 5, "out_c": 5, "odd": odd, "in_off": 3, "input_offset": -1,
         "output_offset": -7, "act_min": -9}
    rng = np.random.default_rng(odd)
    codes = rng.integers(-8, 8, (5, 15))
    b, m, s = rng.integers(-500, 500, 5), rng.integers(1 << 30, 1 << 31, 5), -rng.integers(1, 20, 5)
    packed = pack_pair_u4(p, consts_of(pack_rows(codes, 4), b, m, s))
    n = steps(p, "u4")
    assert n == 3 * 2 and packed.dtype == np.uint32 and packed.size == 6 * RECORD_WORDS + 3 * n * 2
    rec = packed[:6 * RECORD_WORDS].view(np.int32).reshape(6, RECORD_WORDS)
    w = 2 * codes + 1 if odd else codes
    for o in range(5):
        assert rec[o].tolist() == [2 * (b[o] - (3 + 1) * w[o].sum()), m[o], (1 + 2 * (-7 + 9)) << (-s[o] - 1), -s[o]]
    assert rec[5].tolist() == [0, 0, 0, 0]
    words = packed[6 * RECORD_WORDS:]
    for o in range(6):
        for j in range(n):
            word = int(words[(o // 2) * 2 * n + 2 * j + o % 2])
            tap, t = divmod(j, 2)
            for lane, at in enumerate((28, 14, 0)):
                ch = 3 * t + lane
                want = codes[o, tap * 5 + ch] + 8 if o < 5 and ch < 5 else 0
                assert (word >> at) & 15 == want, (o, j, lane)


def test_pair_serves_only_exact_requantization():
    p = {"kernel_h": 3, "kernel_w": 3, "in_c": 64, "out_c": 2, "output_offset": 5, "act_min": -6}
    ok = {"weight": None, "bias": np.array([100, -100]), "multiplier": np.array([1 << 30, (1 << 31) - 1]),
          "shift": np.array([-1, -20])}
    assert pair_serves(p, ok)
    assert pair_serves(p, {**ok, "bias": None})
    assert not pair_serves(p, {**ok, "shift": np.array([-3, 0])})          # no right shift
    assert not pair_serves(p, {**ok, "shift": np.array([-3, 2])})          # a left shift
    assert not pair_serves(p, {**ok, "multiplier": np.array([-(1 << 30), 1 << 30])})
    assert not pair_serves(p, {**ok, "shift": np.array([-31, -4])})        # r = 23 * 2^30 overflows
    assert pair_serves({**p, "act_min": 5}, {**ok, "shift": np.array([-30, -4])})   # r = 2^29
    assert not pair_serves(p, {**ok, "shift": np.array([-30, -4])})        # r = 23 * 2^29
    assert not pair_serves(p, {**ok, "bias": np.array([1 << 30, 0])})      # |accumulator| >= 2^30
    deep = {**p, "kernel_h": 1, "kernel_w": 1, "in_c": (1 << 30) // _MAX_PRODUCT}
    assert pair_serves(deep, ok) and not pair_serves({**deep, "in_c": deep["in_c"] + 1}, ok)
    rows = pack_rows(np.zeros((2, 576), int), 4)
    with pytest.raises(ValueError, match="not exact"):
        pack_pair_u4({**p, "odd": 0, "in_off": 0, "input_offset": 0},
                     consts_of(rows, ok["bias"], ok["multiplier"], np.array([0, -1])))


def test_pair_scratch_matches_c(tmp_path):
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_kernels_pair.h"\n'
                    "int32_t tgt_size(const tg_conv2d_packed_params_t *p) { return tg_conv2d_pair_buffer_size(p); }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", *KERNEL_INCLUDES, str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    fields = dict(parse_structs(firmware_path("kernels/tg_kernels_packed.h").read_text()))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields[STRUCT]})
    for kh, kw, c, in_off, sh, dh, in_h in [(1, 1, 1, 0, 1, 1, 4), (1, 1, 7, 3, 1, 1, 4), (3, 3, 3, 0, 2, 1, 5),
                                            (5, 3, 17, 128, 1, 1, 6), (3, 3, 32, 0, 2, 1, 8), (3, 3, 64, 1, 1, 1, 4),
                                            (3, 3, 32, 0, 1, 1, 8), (5, 3, 7, 0, 1, 2, 6), (3, 3, 5, 0, 1, 2, 2),
                                            (2, 2, 4, 0, 1, 1, 3)]:
        p = {"kernel_h": kh, "kernel_w": kw, "in_c": c, "in_off": in_off, "stride_h": sh, "stride_w": sh,
             "dilation_h": dh, "dilation_w": 1, "in_h": in_h, "in_w": 5}
        got = lib.tgt_size(ctypes.byref(cls(**p)))
        fields = 4 * kh * kw * -(-c // 3)
        ring = pair_uses_ring(p)
        assert ring == (in_off == 0 and kh * kw >= 4 * sh * sh)
        rows = min((kh - 1) * dh + 1, in_h)
        assert got == pair_scratch_bytes(p) == (3 * fields if in_off else
                                                2 * fields + (4 * rows * 5 * (-(-c // 3) + 1) if ring else 0))


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_conv2d_pair_u4_host_ring(kernels, data, seed):
    """The input ring (in_off 0, stride 1, kernels of 4 taps or more; dilation, inputs shorter
    than the ring, odd pixel counts whose pairs straddle rows): equal to the twin, and the
    kernel writes nothing past pair_scratch_bytes (guard words behind the scratch)."""
    p = data.draw(packed_geometry("u4"))
    kh, kw = data.draw(st.sampled_from([(3, 3), (5, 3), (2, 2), (3, 5)]))
    p = {**p, "kernel_h": kh, "kernel_w": kw, "stride_h": 1, "stride_w": 1, "in_off": 0,
         "input_offset": -data.draw(st.integers(0, 15)), "pad_top": data.draw(st.integers(0, kh - 1)),
         "pad_left": data.draw(st.integers(0, kw - 1))}
    p["out_h"] = p["in_h"] + 2 * p["pad_top"] - (kh - 1) * p["dilation_h"]
    p["out_w"] = p["in_w"] + 2 * p["pad_left"] - (kw - 1) * p["dilation_w"]
    if p["out_h"] < 1 or p["out_w"] < 1:
        p["in_h"] += (kh - 1) * p["dilation_h"]
        p["in_w"] += (kw - 1) * p["dilation_w"]
        p["out_h"] = p["in_h"] + 2 * p["pad_top"] - (kh - 1) * p["dilation_h"]
        p["out_w"] = p["in_w"] + 2 * p["pad_left"] - (kw - 1) * p["dilation_w"]
    assert pair_uses_ring(p)
    args = pair_case(p, seed, True)
    assert_same(conv2d_u4_s4_s8(p, *args), run_c(kernels, p, *args, guard=True), NAME)


# -- the portable C kernel against the twin ---------------------------------------------------

@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_conv2d_pair_u4_host(kernels, data, seed, with_bias):
    p = data.draw(packed_geometry("u4"))
    args = pair_case(p, seed, with_bias)
    assert pair_serves(p, consts_of(*args[1:]))
    assert_same(conv2d_u4_s4_s8(p, *args), run_c(kernels, p, *args), NAME)


def extreme_params(in_c: int, k: int, out_h: int, out_w: int, odd: int, in_off: int = 128, stride: int = 2) -> dict:
    """Stride 2 (or `stride`; stride 1 with in_off 0 takes the input ring) 'same' padding, out_c
    odd. in_off 128: the zero point at the bottom of a range that starts at -128 (padded taps
    hold u = 0, in-bounds ones up to 15); in_off 0 (the compiler's uniform inputs, packed in
    place): inputs in [0, 15], the zero point 15 (padded taps hold u = 15 too)."""
    p = {"in_c": in_c, "out_h": out_h, "out_w": out_w, "out_c": 5, "kernel_h": k, "kernel_w": k, "stride_h": stride,
         "stride_w": stride, "dilation_h": 1, "dilation_w": 1, "pad_top": k // 2, "pad_left": k // 2,
         "input_offset": 128 if in_off else -15, "in_off": in_off, "output_offset": 3, "act_min": -128,
         "act_max": 127, "odd": odd}
    p["in_h"], p["in_w"] = (stride * n + k - 2 * (k // 2) - 1 for n in (out_h, out_w))
    return p


@pytest.mark.parametrize("stride", [2, 1])
@pytest.mark.parametrize("in_off", [0, 128])
@pytest.mark.parametrize("extreme", ["low_w_top_x", "high_w_top_x"])
@pytest.mark.parametrize("odd", [0, 1])
@pytest.mark.parametrize("in_c, k, out_h, out_w", [(64, 3, 3, 2), (255, 3, 3, 3), (1, 1, 1, 1), (7, 5, 2, 3),
                                                   (32, 3, 4, 4)])
def test_conv2d_pair_u4_host_extremes(kernels, stride, in_off, extreme, odd, in_c, k, out_h, out_w):
    """in_c 255 x 3x3: 765 field words, 32 blocks; the largest field sum a block allows
    (weights 7: codes 15, inputs 15); 1 and 9 output pixels (pairs with themselves); stride 1
    with in_off 0 and k > 1, 5x5 stride 2 with in_off 0: the input ring."""
    p = extreme_params(in_c, k, out_h, out_w, odd, in_off, stride)
    assert pair_uses_ring(p) == (in_off == 0 and k * k >= 4 * stride * stride)
    x, rows, b, m, s = pair_case(p, in_c, True, extreme=extreme)
    assert x.max() == -in_off + 15
    m, s = np.full(5, 1 << 30), np.full(5, -12)
    assert_same(conv2d_u4_s4_s8(p, x, rows, b, m, s), run_c(kernels, p, x, rows, b, m, s), f"{NAME} {extreme}")


def test_conv2d_pair_u4_host_deepest(kernels):
    """The deepest field the folded requantization allows without a bias (pair_serves: kernel
    taps x in_c x 255 x 128 + |bias| < 2^30): 1x1 over 32,896 channels (10,966 field words,
    457 blocks), random codes and inputs around the zero point, a scale (2^-7) that shows any error in the sum."""
    in_c = ((1 << 30) - 1) // _MAX_PRODUCT
    p = {**extreme_params(in_c, 1, 1, 2, 0), "in_h": 1, "in_w": 2, "stride_h": 1, "stride_w": 1, "out_c": 3,
         "pad_top": 0, "pad_left": 0, "input_offset": 120}      # zero point -120: x - zp in [-8, 7]
    rng = np.random.default_rng(7)
    x = rng.integers(-128, -128 + 16, (1, 2, in_c))
    rows = pack_rows(rng.integers(-8, 8, (3, in_c)), 4)
    b, m, s = np.zeros(3, np.int64), np.full(3, (1 << 31) - 1), np.array([-7, -8, -8])
    assert pair_serves(p, consts_of(rows, b, m, s))
    assert not pair_serves({**p, "in_c": in_c + 1}, consts_of(rows, b, m, s))
    want = conv2d_u4_s4_s8(p, x, rows, b, m, s)
    assert np.abs(want.astype(int) - 3).max() < 120, "the outputs saturate: choose another scale"
    assert_same(want, run_c(kernels, p, x, rows, b, m, s), f"{NAME} deepest")
