"""Packed-multiply kernels (tg_conv2d_u4_s4_s8, tg_conv2d_u2_s2_s8) on the host.

- tinygen.quant.pack_mul lays weight words out as tg_kernels_packed.h says (checked lane by
  lane against the text's formula) and its block bound holds.
- The portable C kernels (host build, ctypes) equal their numpy twins (the s4 / s2
  convolution, tinygen.ref.subbyte) byte for byte over shapes drawn by hypothesis
  (derandomized; test_kernels_subbyte's shapes): odd sizes, in_c not a multiple of the lanes,
  out_c not a multiple of 4, stride 1 and 2, dilation, every padding, asymmetric activations (zero point
  and in_off anywhere the range allows), odd flag on and off, per-channel left shifts; and
  the extreme cases: every weight at the most negative code, every activation at the top of
  its range, fields deeper than several blocks.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_lib import assert_same
from test_kernels import SETTINGS, _requant_arrays
from test_kernels_b1 import with_bias_shift
import test_kernels_subbyte as subbyte
from test_kernels_subbyte import subbyte_geometry

from tinygen.quant.pack_mul import LAYOUTS, flash_bits_per_weight, pack_mul_weights, packed_scratch_bytes, steps, unpack_mul_weights
from tinygen.quant.pack_subbyte import pack_rows
from tinygen.ref import subbyte as ref

STRUCT = "tg_conv2d_packed_params_t"
KINDS = {"u4": 4, "u2": 2}
TWINS = {"u4": ref.conv2d_u4_s4_s8, "u2": ref.conv2d_u2_s2_s8}


def name(kind: str) -> str:
    return f"tg_conv2d_{kind}_s{KINDS[kind]}_s8"


@st.composite
def packed_geometry(draw, kind: str):
    """subbyte_geometry's shapes, with asymmetric activations: x in [lo, lo + 2^bits - 1], the
    zero point inside that range, in_off = -lo."""
    bits = KINDS[kind]
    p = draw(subbyte_geometry("s4"))
    lo = draw(st.sampled_from([0, 0, -128, 128 - (1 << bits), draw(st.integers(-128, 128 - (1 << bits)))]))
    zp = draw(st.integers(lo, lo + (1 << bits) - 1))
    del p["zero_code"]
    return {**p, "input_offset": -zp, "in_off": -lo}


def packed_case(kind: str, p: dict, seed: int, with_bias: bool, extreme: str = ""):
    """(input, s4 / s2 rows, bias, multiplier, shift); every code value occurs in the weights.
    extreme "low_w_top_x": every weight the most negative code, every input at the range's top."""
    bits = KINDS[kind]
    rng = np.random.default_rng(seed)
    k = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    lo_c = -(1 << (bits - 1))
    codes = rng.integers(lo_c, -lo_c, (p["out_c"], k))
    flat = codes.reshape(-1)
    flat[:min(flat.size, 1 << bits)] = np.arange(lo_c, -lo_c)[:flat.size]
    lo = -p["in_off"]
    x = rng.integers(lo, lo + (1 << bits), (p["in_h"], p["in_w"], p["in_c"]))
    if extreme:
        codes[:] = lo_c
        x[:] = lo + (1 << bits) - 1
    b = rng.integers(-20000, 20000, p["out_c"]) if with_bias else None
    m, s = _requant_arrays(rng, p["out_c"])
    s = np.where(s < 0, np.maximum(s, -14), s)
    return x, pack_rows(codes, bits), b, m, s


def run_c(kernels, kind: str, p: dict, x, rows, b, m, s) -> np.ndarray:
    """The portable kernel on the host, through ctypes, with its packed constant."""
    params = kernels._params(STRUCT, p)
    packed = np.ascontiguousarray(pack_mul_weights(p, rows, kind))
    xs = np.ascontiguousarray(np.asarray(x).reshape(-1), dtype=np.int8)
    ms = np.ascontiguousarray(np.asarray(m).reshape(-1), dtype=np.int32)
    ss = np.ascontiguousarray(np.asarray(s).reshape(-1), dtype=np.int8)     # shifts: int8 in flash
    bias = None if b is None else np.ascontiguousarray(np.asarray(b).reshape(-1), dtype=np.int32)
    scratch = np.zeros(packed_scratch_bytes(p, kind) // 4 + 1, dtype=np.uint32)
    out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], dtype=np.int8)

    def ptr(a, t):
        return a.ctypes.data_as(ctypes.POINTER(t))

    getattr(kernels.lib, name(kind))(
        ctypes.byref(params), ptr(xs, ctypes.c_int8), ptr(packed, ctypes.c_uint32),
        None if bias is None else ptr(bias, ctypes.c_int32), ptr(ms, ctypes.c_int32), ptr(ss, ctypes.c_int8),
        ptr(scratch, ctypes.c_int8), ptr(out, ctypes.c_int8))
    return out.reshape(p["out_h"], p["out_w"], p["out_c"])


# -- layout -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_pack_mul_weights_layout(kind):
    lay = LAYOUTS[kind]
    p = {"kernel_h": 3, "kernel_w": 1, "in_c": 5, "out_c": 6, "odd": 0, "in_off": 3, "input_offset": -1}
    rng = np.random.default_rng(1)
    codes = rng.integers(-(1 << (lay.bits - 1)), 1 << (lay.bits - 1), (6, 15))
    packed = pack_mul_weights(p, pack_rows(codes, lay.bits), kind)
    words = -(-5 // lay.lanes)
    n = steps(p, kind)
    assert n == 3 * words and packed.size == 8 + 8 * n
    assert np.array_equal(unpack_mul_weights(p, packed, kind), pack_rows(codes, lay.bits))
    assert flash_bits_per_weight(p, kind) == packed.nbytes * 8 / codes.size
    corr = packed[:8].view(np.int32)
    assert corr[:6].tolist() == (-(3 + 1) * codes.sum(axis=1)).tolist() and corr[6:].tolist() == [0, 0]
    for o in range(8):
        for j in range(n):
            word = int(packed[8 + (o // 4) * 4 * n + 4 * j + o % 4])
            tap, t = divmod(j, words)
            for i in range(lay.lanes):
                ch = t * lay.lanes + i
                lane = (word >> lay.weight_shifts[i]) & ((1 << lay.bits) - 1)
                want = codes[o, tap * 5 + ch] + (1 << (lay.bits - 1)) if o < 6 and ch < 5 else 0
                assert lane == want, (o, j, i)


def test_twin_refuses_inputs_out_of_range():
    p = {"in_h": 1, "in_w": 1, "in_c": 1, "out_h": 1, "out_w": 1, "out_c": 1, "kernel_h": 1, "kernel_w": 1,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 0, "pad_left": 0,
         "input_offset": 0, "in_off": 0, "output_offset": 0, "act_min": -128, "act_max": 127, "odd": 0}
    with pytest.raises(ValueError, match=r"x \+ in_off in \[0, 3\]"):
        ref.conv2d_u2_s2_s8(p, np.array([4]), pack_rows(np.zeros((1, 1), int), 2), None, [1 << 30], [0])


# -- C kernels against the twins ----------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_conv2d_packed_host(kernels, kind, data, seed, with_bias):
    p = data.draw(packed_geometry(kind))
    args = packed_case(kind, p, seed, with_bias)
    assert_same(TWINS[kind](p, *args), run_c(kernels, kind, p, *args), name(kind))


@pytest.mark.parametrize("kind", ["u4", "u2", "s4", "s2"])
@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), k=st.integers(1, 8))
def test_conv2d_sub_byte_bias_shift_host(kernels, kind, data, seed, k):
    """bias_shift k > 0 (a float bias finer than one accumulator unit): C == twin, for the
    packed-multiply kernels (u4 / u2) and the unpacking ones (tg_conv2d_s8_s4_s8 / _s2_s8)."""
    packed = kind in KINDS
    p = data.draw(packed_geometry(kind) if packed else subbyte_geometry(kind))
    case = packed_case if packed else subbyte.subbyte_case
    q, args = with_bias_shift(p, k, case(kind, p, seed, True))
    twin, run = (TWINS[kind], run_c) if packed else (subbyte.TWINS[kind], subbyte.run_c)
    assert_same(twin(q, *args), run(kernels, kind, q, *args), f"{kind} bias_shift")


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("odd", [0, 1])
@pytest.mark.parametrize("in_c, k", [(64, 3), (255, 3), (1, 1), (7, 5)])
def test_conv2d_packed_host_extremes(kernels, kind, odd, in_c, k):
    """Every weight the most negative code, every input at the top of its range, zero point at
    the range's bottom (padding adds the most too); in_c 255 x 3x3: 768 words of field for u2, 27
    blocks, deeper than any lane bound allows without the blocks."""
    bits = KINDS[kind]
    p = {"in_h": 5, "in_w": 4, "in_c": in_c, "out_h": 3, "out_w": 2, "out_c": 5, "kernel_h": k, "kernel_w": k,
         "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": k // 2, "pad_left": k // 2,
         "input_offset": 128 - (1 << bits) + 1, "in_off": 128, "output_offset": 3, "act_min": -128, "act_max": 127, "odd": odd}
    p["in_h"], p["in_w"] = 2 * p["out_h"] + k - 2 * (k // 2) - 1, 2 * p["out_w"] + k - 2 * (k // 2) - 1
    x, rows, b, m, s = packed_case(kind, p, in_c, True, extreme="low_w_top_x")
    assert x.max() == -128 + (1 << bits) - 1
    m, s = np.full(5, 1 << 30), np.full(5, -12)
    expected = TWINS[kind](p, x, rows, b, m, s)
    assert_same(expected, run_c(kernels, kind, p, x, rows, b, m, s), f"{name(kind)} extremes")
