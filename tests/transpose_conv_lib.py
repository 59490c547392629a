"""What the transposed convolution's tests share (tests/kernels, tests/frontend): drawn
layer geometries as tg_transpose_conv2d_params_t's fields, random int8 cases for them, and
the kernel's definition written out as TFLite Micro's reference loops (the check of the
numpy twin that does not share its code)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

FIELDS = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
          "dilation_h", "dilation_w", "pad_top", "pad_left", "input_offset", "output_offset", "act_min", "act_max")


@st.composite
def axis(draw, dilations=(1, 2), max_in: int = 7):
    """(in, out, kernel, stride, dilation, padding before) along one axis: the output from the
    first scattered row on (or later: padding), ending before the last tap's row (cropped) or
    past it (PyTorch's output_padding, rows only the bias reaches)."""
    k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.sampled_from(dilations))
    n = draw(st.integers(1, max_in))
    full = (n - 1) * s + d * (k - 1) + 1
    top = draw(st.integers(0, d * (k - 1) + 1))
    bottom = draw(st.integers(-s, d * (k - 1) + 1))
    out = full - top - bottom
    if out < 1:
        out, bottom = 1, full - top - 1
    if out < 1:
        top, out = 0, 1
    return n, out, k, s, d, top


@st.composite
def tconv_geometry(draw, dilations=(1, 2), max_in: int = 7, channels=st.integers(1, 9)):
    in_h, out_h, kh, sh, dh, top = draw(axis(dilations, max_in))
    in_w, out_w, kw, sw, dw, left = draw(axis(dilations, max_in))
    lo = draw(st.integers(-128, 127))
    act = draw(st.sampled_from([(-128, 127), (lo, draw(st.integers(lo, 127)))]))
    return {"in_h": in_h, "in_w": in_w, "in_c": draw(channels), "out_h": out_h, "out_w": out_w,
            "out_c": draw(channels), "kernel_h": kh, "kernel_w": kw, "stride_h": sh, "stride_w": sw,
            "dilation_h": dh, "dilation_w": dw, "pad_top": top, "pad_left": left,
            "input_offset": draw(st.integers(-127, 128)), "output_offset": draw(st.integers(-128, 127)),
            "act_min": act[0], "act_max": act[1]}


def tconv_case(p: dict, seed: int, with_bias: bool = True, left_shifts: bool = True):
    """(input, weights, bias or None, multiplier, shift): random int8 values, biases up to
    +-20000, multipliers in [2^30, 2^31), shifts mostly right, some left (left_shifts)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
    w = rng.integers(-127, 128, (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])).astype(np.int8)
    b = rng.integers(-20000, 20000, p["out_c"]).astype(np.int32) if with_bias else None
    m = rng.integers(1 << 30, (1 << 31) - 1, p["out_c"], endpoint=True).astype(np.int32)
    right = rng.integers(-16, 0, p["out_c"])
    s = np.where(rng.random(p["out_c"]) < (0.2 if left_shifts else 0.0), rng.integers(0, 4, p["out_c"]), right)
    return x, w, b, m, s.astype(np.int32)


def tflm_loops(p: dict, x, w, b, m, s) -> np.ndarray:
    """TFLite Micro's reference_integer_ops::TransposeConv as its loops read: every input
    element scattered through every tap into an int32 buffer, then bias, requantization
    (TFLite's MultiplyByQuantizedMultiplier, written out), offset and clamp. Slow: small layers."""
    acc = np.zeros((p["out_h"], p["out_w"], p["out_c"]), np.int64)
    for iy in range(p["in_h"]):
        for ix in range(p["in_w"]):
            for ky in range(p["kernel_h"]):
                oy = iy * p["stride_h"] - p["pad_top"] + ky * p["dilation_h"]
                for kx in range(p["kernel_w"]):
                    ox = ix * p["stride_w"] - p["pad_left"] + kx * p["dilation_w"]
                    if 0 <= oy < p["out_h"] and 0 <= ox < p["out_w"]:
                        for c in range(p["out_c"]):
                            for ic in range(p["in_c"]):
                                acc[oy, ox, c] += (int(x[iy, ix, ic]) + p["input_offset"]) * int(w[c, ky, kx, ic])
    out = np.zeros_like(acc)
    for (oy, ox, c), a in np.ndenumerate(acc):
        v = int(a) + (int(b[c]) if b is not None else 0)
        out[oy, ox, c] = min(max(_mbqm(v, int(m[c]), int(s[c])) + p["output_offset"], p["act_min"]), p["act_max"])
    return out.astype(np.int8)


def _mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier: SaturatingRoundingDoublingHighMul(x << left, m), then
    RoundingDivideByPOT(., right), in Python integers (int32 wrap of the left shift)."""
    left, right = max(shift, 0), max(-shift, 0)
    x = ((x << left) + 2**31) % 2**32 - 2**31
    if x == multiplier == -2**31:
        high = 2**31 - 1
    else:
        ab = x * multiplier
        nudge = 2**30 if ab >= 0 else 1 - 2**30
        high = _trunc_div(ab + nudge, 2**31)
    mask = (1 << right) - 1
    remainder, threshold = high & mask, (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if remainder > threshold else 0)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // b
    return q if a >= 0 else -q
