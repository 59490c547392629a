"""Integer-exact numpy twins of the sub-byte and power-of-two weight kernels
(firmware/kernels/lowbit/tg_kernels_subbyte.h): one per C kernel, named like it minus ``tg_``.

Each decodes the packed weight rows (tinygen.quant.pack_subbyte) to their integer
weights and runs the int8 convolution twin on them: the kernels compute exactly an int8
convolution whose weights are the decoded ones (LOWBIT.md). ``p`` holds the fields of
tg_conv2d_subbyte_params_t; a fully connected layer is a 1x1 convolution on a 1x1 image.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant.pack_subbyte import odd_weights, pow2_weights, unpack_rows
from tinygen.ref.kernels import conv2d_s8


def _depth(p: dict) -> int:
    return p["kernel_h"] * p["kernel_w"] * p["in_c"]


def _decoded(p: dict, weights, bits: int) -> np.ndarray:
    """s4 / s2 rows -> integer weights [out_c, kh, kw, in_c]: the codes, or 2c + 1 with odd."""
    if p["zero_code"] != 0:
        raise ValueError("zero_code is a p4 field; s4 / s2 kernels take zero_code = 0")
    codes = unpack_rows(weights, bits, _depth(p)).reshape(p["out_c"], -1)
    w = odd_weights(codes) if p["odd"] else codes
    return w.reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])


def conv2d_s8_s4_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8_s4_s8: weights 4-bit rows; returns int8 [out_h, out_w, out_c]."""
    return conv2d_s8(p, input, _decoded(p, weights, 4), bias, multiplier, shift)


def conv2d_s8_s2_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8_s2_s8: weights 2-bit rows; returns int8 [out_h, out_w, out_c]."""
    return conv2d_s8(p, input, _decoded(p, weights, 2), bias, multiplier, shift)


def conv2d_s8_p4_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8_p4_s8: weights 4-bit pow2 code rows (zero_code: e = 0 is the
    weight 0); returns int8 [out_h, out_w, out_c]."""
    if p["odd"] != 0:
        raise ValueError("odd is an s4 / s2 field; the p4 kernel takes odd = 0")
    codes = unpack_rows(weights, 4, _depth(p), signed=False)
    w = pow2_weights(codes, 4, zero=bool(p["zero_code"]))
    return conv2d_s8(p, input, w.reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]),
                     bias, multiplier, shift)


def _packed(p: dict, input, weights, bias, multiplier, shift, bits: int) -> np.ndarray:
    """The packed-multiply kernels: the s4 / s2 convolution, for inputs whose u = x + in_off
    (and the padding's, in_off + zero point) lie in [0, 2^bits - 1]."""
    top = (1 << bits) - 1
    u = np.asarray(input, dtype=np.int64) + p["in_off"]
    pad_u = p["in_off"] - p["input_offset"]
    if u.size and (u.min() < 0 or u.max() > top) or not 0 <= pad_u <= top:
        raise ValueError(f"tg_conv2d_u{bits}_s{bits}_s8 takes inputs with x + in_off in [0, {top}] "
                         f"(in_off {p['in_off']}, zero point {-p['input_offset']})")
    return conv2d_s8(p, input, _decoded({**p, "zero_code": 0}, weights, bits), bias, multiplier, shift)


def conv2d_u4_s4_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_u4_s4_s8 (weights: the s4 rows the packed constant is built from)."""
    return _packed(p, input, weights, bias, multiplier, shift, 4)


def conv2d_u2_s2_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_u2_s2_s8 (weights: the s2 rows the packed constant is built from)."""
    return _packed(p, input, weights, bias, multiplier, shift, 2)
