"""numpy twins of the binary kernels (firmware/kernels/lowbit/tg_kernels_b1.h), the spec.

One function per C kernel, named like it minus ``tg_``, taking the params struct's
fields as a dict ``p`` and the same arrays as the C function. They follow
firmware/kernels/lowbit/LOWBIT.md literally: packed operands are unpacked to +1 / -1 and the
accumulator is the plain sum of weight times input over every tap, a padded tap
holding the pad value P (binary inputs: p["pad_value"] in {0, +1, -1}; int8 inputs:
the zero point, i.e. 0 after the input offset). int64 arithmetic throughout.

Outputs: int8 outputs requantize like tinygen.ref.kernels.conv2d_s8 (the same
helper); packed-bit outputs are ``bit = acc < thresholds[o]`` (bit 1 = -1), packed with
tinygen.quant.pack_b1.pack_bits.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant.pack_b1 import pack_bits, unpack_bits
from tinygen.ref.common import _conv_windows, _requantize_per_channel

_PAD_VALUES = (0, 1, -1)


def _acc(p: dict, x: np.ndarray, w: np.ndarray, pad_value: int) -> np.ndarray:
    """sum over taps and input channels of w * x (x padded with pad_value): int64 [oh, ow, O]."""
    win = _conv_windows(p, x.astype(np.int64), pad_value)        # [oh, ow, kh, kw, C]
    w = w.astype(np.int64).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    return np.einsum("yxhwc,ohwc->yxo", win, w)


def _binary_input(p: dict, input) -> np.ndarray:
    if p["pad_value"] not in _PAD_VALUES:
        raise ValueError(f"pad_value must be one of {_PAD_VALUES}, got {p['pad_value']}")
    x = np.asarray(input, dtype=np.uint32).reshape(p["in_h"], p["in_w"], -1)
    return unpack_bits(x, p["in_c"])


def _binary_weights(p: dict, weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.uint32).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], -1)
    return unpack_bits(w, p["in_c"])


def _threshold(acc: np.ndarray, thresholds) -> np.ndarray:
    """bit = acc < T[o] (-1 where set), packed along the channels."""
    t = np.asarray(thresholds, dtype=np.int64)
    return pack_bits(np.where(acc < t, -1, 1))


def conv2d_b1_b1_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_b1_b1_s8: packed input [in_h][in_w][words], packed weights
    [out_c][kh][kw][words]; returns int8 [out_h, out_w, out_c]."""
    acc = _acc(p, _binary_input(p, input), _binary_weights(p, weights), p["pad_value"])
    return _requantize_per_channel(acc, bias, multiplier, shift, p)


def conv2d_b1_b1_b1(p: dict, input, weights, thresholds) -> np.ndarray:
    """Mirrors tg_conv2d_b1_b1_b1; returns uint32 [out_h, out_w, ceil(out_c / 32)]."""
    acc = _acc(p, _binary_input(p, input), _binary_weights(p, weights), p["pad_value"])
    return _threshold(acc, thresholds)


def conv2d_s8_b1_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8_b1_s8: int8 input (offset by input_offset, zero-point padding),
    packed binary weights; returns int8 [out_h, out_w, out_c]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["in_h"], p["in_w"], p["in_c"]) + p["input_offset"]
    acc = _acc(p, x, _binary_weights(p, weights), 0)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)


def conv2d_s8_s8_b1(p: dict, input, weights, thresholds) -> np.ndarray:
    """Mirrors tg_conv2d_s8_s8_b1: int8 convolution (OHWI int8 weights, no bias: it is in
    the thresholds), then packed threshold bits [out_h, out_w, ceil(out_c / 32)]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["in_h"], p["in_w"], p["in_c"]) + p["input_offset"]
    acc = _acc(p, x, np.asarray(weights), 0)
    return _threshold(acc, thresholds)


def unpack_b1_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_unpack_b1_s8: packed [pixels][words] -> int8 +1 / -1 [pixels, channels]."""
    x = np.asarray(input, dtype=np.uint32).reshape(p["pixels"], -1)
    return unpack_bits(x, p["channels"])
