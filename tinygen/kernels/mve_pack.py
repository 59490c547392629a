"""Build-time constants of the Helium (MVE) kernels (firmware/kernels/*/tg_*_mve.c): the
records they read instead of the IR's weights, biases, multipliers and shifts, and their
scratch sizes.

Every record folds the input offset into the bias (bias + input_offset * sum of the
channel's weights), so that the kernels multiply int8 inputs by int8 weights (VMLADAVA.S8,
16 products a step), and splits each shift into the right shift as a negative lane amount
(VRSHL) and the left shift (VSHL): tinygen/kernels/spec.py's KernelSpec.pack contract, the
layouts the C headers describe.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp

BLOCK = 4            # TG_MVE_BLOCK: output channels per block of the matrix product
STEP = 16            # TG_MVE_STEP: depth per VMLADAVA step
FLAG_LEFT = 1        # TG_MVE_LEFT: some channel shifts left
HEADER_WORDS = 2     # flags, steps


def _words(values) -> np.ndarray:
    """int64 values as int32 words, wrapping modulo 2^32 (the kernels' int32 arithmetic)."""
    return (np.asarray(values, np.int64) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def requant_lanes(bias, multiplier, shift) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per channel: bias (as given), multiplier, -right shift (0 or negative), left shift
    (0 or positive), tg_requant_mve.h's lane constants."""
    s = np.asarray(shift, np.int64).ravel()
    return (np.asarray(bias, np.int64).ravel(), np.asarray(multiplier, np.int64).ravel(),
            np.minimum(s, 0), np.maximum(s, 0))


def folded_bias(weights: np.ndarray, bias, input_offset: int) -> np.ndarray:
    """Per output channel (weights [channels, depth]): bias + input_offset * sum of its weights."""
    b = np.zeros(len(weights), np.int64) if bias is None else np.asarray(bias, np.int64).ravel()
    return b + int(input_offset) * weights.astype(np.int64).sum(axis=1)


def mat_mult_steps(depth: int) -> int:
    return -(-depth // STEP)


def mat_mult_mve_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant of tg_conv2d_1x1_s8_mve, tg_conv2d_s8_mve, tg_conv2d_add_s8_mve and
    tg_fully_connected_s8_mve (tg_mat_mult_s8_mve.h), int32 words: flags and steps, then per
    block of 4 output channels (zero channels completing the last) the folded biases,
    multipliers, -right and left shifts, and its weights step by step, each channel's 16
    weights per step (zeros past the depth)."""
    out_c = p["out_features"] if "out_features" in p else p["out_c"]
    w = np.asarray(consts["weight"], np.int8).reshape(out_c, -1)
    depth = w.shape[1]
    steps = mat_mult_steps(depth)
    blocks = -(-out_c // BLOCK)
    padded = np.zeros((blocks * BLOCK, steps * STEP), np.int8)
    padded[:out_c, :depth] = w
    lanes = np.zeros((4, blocks * BLOCK), np.int64)
    bias, mult, rshift, lshift = requant_lanes(folded_bias(w, consts.get("bias"), p["input_offset"]),
                                               consts["multiplier"], consts["shift"])
    for i, values in enumerate((bias, mult, rshift, lshift)):
        lanes[i, :out_c] = values
    requant = _words(lanes.reshape(4, blocks, BLOCK).transpose(1, 0, 2).reshape(blocks, 4 * BLOCK))
    # [block][channel][step][16] -> [block][step][channel][16], as int32 words (little-endian bytes)
    weights = padded.reshape(blocks, BLOCK, steps, STEP).transpose(0, 2, 1, 3).reshape(blocks, -1).view(np.int32)
    flags = FLAG_LEFT if np.any(lshift > 0) else 0
    return np.concatenate([np.array([flags, steps], np.int32),
                           np.concatenate([requant, weights], axis=1).ravel()])


DW_RECORD_WORDS = 8  # TG_DW_MVE_RECORD_WORDS


def depthwise_mve_serves(p: dict) -> bool:
    """tg_depthwise_conv2d_s8_mve's layers: depth multiplier 1, dilation 1, a window of at most
    16 taps (one VMLADAVA per output), input column steps of at most 127 bytes (VLDRB's
    post-increment), scratch planes of at most 4369 bytes and at most 9362 channels (the
    16-bit offsets of the scatters: 16 channels' planes in the row, 8 pixels' outputs)."""
    taps = p["kernel_h"] * p["kernel_w"]
    return (p["depth_multiplier"] == 1 and p["dilation_h"] == p["dilation_w"] == 1 and taps <= STEP
            and p["stride_w"] * p["kernel_h"] <= 127 and 15 * depthwise_mve_plane(p) <= 0xFFFF
            and 7 * p["out_c"] <= 0xFFFF)


def depthwise_mve_plane(p: dict) -> int:
    """tg_dw_mve_plane: one channel's bytes in the scratch row (its window columns' kernel rows,
    16 bytes of slack, rounded up to 16)."""
    wp = (p["out_w"] - 1) * p["stride_w"] + p["kernel_w"]
    return -(-(wp * p["kernel_h"] + STEP) // STEP) * STEP


def depthwise_mve_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_s8_mve's scratch: one output row's planes, and the 8-pixel groups'
    reads past the last one (7 column steps)."""
    return p["out_c"] * depthwise_mve_plane(p) + 7 * p["stride_w"] * p["kernel_h"]


def depthwise_mve_records(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_s8_mve's packed constant, int32 words: flags, then per channel its
    folded bias, multiplier, -right and left shifts and 16 weights in the row's tap order
    (kernel column, then kernel row; zeros past the window)."""
    kh, kw, channels = p["kernel_h"], p["kernel_w"], p["out_c"]
    w = np.asarray(consts["weight"], np.int8).reshape(kh, kw, channels)
    taps = np.zeros((channels, STEP), np.int8)
    taps[:, :kh * kw] = w.transpose(2, 1, 0).reshape(channels, kh * kw)    # [c][kx][ky]
    bias, mult, rshift, lshift = requant_lanes(folded_bias(taps, consts.get("bias"), p["input_offset"]),
                                               consts["multiplier"], consts["shift"])
    records = np.concatenate([_words(np.stack([bias, mult, rshift, lshift], axis=1)), taps.view(np.int32)], axis=1)
    flags = FLAG_LEFT if np.any(lshift > 0) else 0
    return np.concatenate([np.array([flags], np.int32), records.ravel()])


# tg_conv2d_s8_mve.h: the receptive fields gathered per pass fill TG_CONV_MVE_BYTES, 2 to
# TG_CONV_MVE_MAX_ROWS of them
CONV_BYTES = 4096
CONV_MAX_ROWS = 32


def conv2d_mve_rows(stride: int, pixels: int) -> int:
    """tg_conv_mve_rows: receptive fields per pass for fields `stride` bytes apart."""
    return min(max(2, min(CONV_MAX_ROWS, CONV_BYTES // stride)), pixels)


def _field_stride(p: dict) -> int:
    return STEP * mat_mult_steps(p["kernel_h"] * p["kernel_w"] * p["in_c"])


def conv2d_mve_scratch(p: dict) -> int:
    """tg_conv2d_s8_mve's scratch: the fields of one pass, each padded to whole steps, and one
    step of slack for the last field's copies."""
    stride = _field_stride(p)
    return conv2d_mve_rows(stride, p["out_h"] * p["out_w"]) * stride + STEP


def conv2d_add_mve_scratch(p: dict) -> int:
    """tg_conv2d_add_s8_mve's scratch: tg_conv2d_s8_mve's, then one pass's int8 convolution."""
    rows = conv2d_mve_rows(_field_stride(p), p["out_h"] * p["out_w"])
    return conv2d_mve_scratch(p) + rows * p["out_c"]


def add_mve_tables(p: dict, prefix1: str = "input1_", prefix2: str = "input2_", shift_key: str = "left_shift") -> np.ndarray:
    """tg_add_s8_mve.h's tables, int32 words: for each operand, its scaled value
    MultiplyByQuantizedMultiplierSmallerThanOneExp((x + offset) << left_shift, multiplier, shift)
    for the 256 int8 values x, indexed by x's byte (0..127, then -128..-1)."""
    x = np.arange(256).astype(np.uint8).view(np.int8).astype(np.int64)
    tables = [fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (x + p[prefix + "offset"]) << p[shift_key], p[prefix + "multiplier"], p[prefix + "shift"])
        for prefix in (prefix1, prefix2)]
    return _words(np.concatenate(tables))


def add_mve_records(p: dict, consts: dict) -> np.ndarray:
    """tg_add_s8_mve's packed constant: the two operands' tables."""
    return add_mve_tables(p)


def conv2d_add_mve_records(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_add_s8_mve's packed constant: the add's tables for the convolution's int8 result
    and the skip operand, then the product's records (mat_mult_mve_records)."""
    return np.concatenate([add_mve_tables(p, "conv_", "skip_", "add_left_shift"), mat_mult_mve_records(p, consts)])


__all__ = ["BLOCK", "CONV_BYTES", "CONV_MAX_ROWS", "DW_RECORD_WORDS", "FLAG_LEFT", "HEADER_WORDS", "STEP", "add_mve_records", "add_mve_tables", "conv2d_add_mve_records", "conv2d_add_mve_scratch",
           "conv2d_mve_rows", "conv2d_mve_scratch", "depthwise_mve_plane",
           "depthwise_mve_records", "depthwise_mve_scratch", "depthwise_mve_serves", "folded_bias",
           "mat_mult_mve_records", "mat_mult_steps", "requant_lanes"]
