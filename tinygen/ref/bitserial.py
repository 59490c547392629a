"""numpy twin of the bit-serial kernels over nested weight bit planes
(firmware/kernels/lowbit/tg_kernels_planes.h), the spec.

It follows firmware/kernels/lowbit/LOWBIT.md ("Nested bit planes") literally, from the planes and
the input's bit planes: acc' = sum_t coef_t sum_m 2^m popcount(p_t AND u_m) over every tap
(padded taps holding pad_u), k = 1 adding sum_m 2^m popcount(u_m); then the int8
requantization of tinygen.ref.kernels. int64 arithmetic throughout. ``p`` holds the fields
of tg_conv2d_planes_params_t.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant.pack_b1 import unpack_bits
from tinygen.quant.pack_planes import PLANES, check_switch_bits
from tinygen.ref.common import _conv_windows, _requantize_per_channel


def plane_coefficient(k: int, t: int) -> int:
    """The weight of the k-bit switch's plane t in W: 2^t, the top plane -2^(k-1); k = 1: -2
    (W = 1 - 2 p_0, the 1 added as the field's sum of u)."""
    if t < k - 1:
        return 1 << t
    return -2 if k == 1 else -(1 << t)


def _u(p: dict, input) -> tuple[np.ndarray, int]:
    """u = q + in_off [in_h, in_w, in_c] and pad_u, checked to lie in [0, 2^a_bits - 1]."""
    a = p["a_bits"]
    if not 1 <= a <= 8:
        raise ValueError(f"a_bits must be in [1, 8], got {a}")
    u = np.asarray(input, dtype=np.int64).reshape(p["in_h"], p["in_w"], p["in_c"]) + p["in_off"]
    for what, v in (("input + in_off", u), ("pad_u", np.int64(p["pad_u"]))):
        if np.any(v < 0) or np.any(v >= 1 << a):
            raise ValueError(f"{what} leaves [0, {(1 << a) - 1}] (a_bits {a}): the producer's range "
                             f"does not fit in_off {p['in_off']} / a_bits {a}")
    return u, int(p["pad_u"])


def conv2d_s8_planes_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8_planes_s8: int8 input, weights = all 8 planes
    [8][out_c][kh][kw][words] (the switch reads the top w_bits); returns int8 [out_h, out_w, out_c]."""
    k = p["w_bits"]
    check_switch_bits(k)
    u, pad_u = _u(p, input)
    win = _conv_windows(p, u, pad_u)                                   # [oh, ow, kh, kw, C]
    planes = np.asarray(weights, dtype=np.uint32).reshape(PLANES, p["out_c"], p["kernel_h"], p["kernel_w"], -1)
    bits = [(unpack_bits(planes[PLANES - k + t], p["in_c"]) < 0).astype(np.int64) for t in range(k)]
    acc = np.zeros((p["out_h"], p["out_w"], p["out_c"]), dtype=np.int64)
    for m in range(p["a_bits"]):
        u_m = (win >> m) & 1
        if k == 1:
            acc += (u_m.sum(axis=(2, 3, 4)) << m)[..., None]
        for t in range(k):
            acc += plane_coefficient(k, t) * (np.einsum("yxhwc,ohwc->yxo", u_m, bits[t]) << m)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)
