"""Weights of tg_conv2d_s8_b1lut_s8_dsp: binary weights x int8 activations by table lookup
(firmware/kernels/LOWBIT.md, "Binary weights by table lookup").

Per pair of output pixels and per chunk of 64 inputs of the flattened receptive field (16
groups of 4), the kernel builds a table of 256 int32 entries in scratch: entry 16 j + m holds,
in its two int16 halves (pixel 0 low, pixel 1 high), the sum of u = x + 128 over the inputs i
of group j whose bit i of m is 0, i.e. whose weight is +1 (b1's bit 1 = -1). A channel's
index byte for group j is 16 j + its 4 weight bits there: one byte addresses the chunk's
table directly, and a lookup adds the two pixels' P (the sum of u where the weight is +1)
over 4 weights. sum w (x - zp) = 2 P - U - (128 + zp) sum w, U the field's sum of u.

The constant (uint32): int32 corr[O4] = -(128 + zero point) * the channel's sum of weights
(O4 = out_c rounded up to 4), then per chunk and per output channel 16 index bytes (4 words);
the groups beyond K = KH*KW*I have weight bits 0 (their u are 0).
"""

from __future__ import annotations

import numpy as np

from tinygen.quant.pack_b1 import unpack_bits

CHUNK = 64          # TG_B1LUT_CHUNK: inputs per table (16 groups of 4)


def chunks(p: dict) -> int:
    """Tables per pixel pair: ceil(K / 64)."""
    return -(-p["kernel_h"] * p["kernel_w"] * p["in_c"] // CHUNK)


def lut_scratch_bytes(p: dict) -> int:
    """tg_conv2d_s8_b1lut_s8_dsp_buffer_size: the table (1 KB), 4 words of constants per
    channel (out_c rounded up to 4), two pixels' P (int32 per channel) and their fields (64
    bytes per chunk each)."""
    return 4 * 256 + 16 * -(-p["out_c"] // 4) * 4 + 8 * p["out_c"] + 2 * CHUNK * chunks(p)


def pack_lut_indices(p: dict, words) -> np.ndarray:
    """Packed binary weights [O][KH][KW][ceil(I/32)] -> the kernel's constant (uint32)."""
    o, kh, kw, c = p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]
    w = unpack_bits(np.asarray(words, dtype=np.uint32).reshape(o, kh, kw, -1), c).reshape(o, -1).astype(np.int64)
    k, o4, n = kh * kw * c, -(-o // 4) * 4, chunks(p)
    corr = np.zeros(o4, np.int64)
    corr[:o] = -(128 - p["input_offset"]) * w.sum(axis=1)
    bits = np.zeros((o, n * CHUNK), np.int64)
    bits[:, :k] = w < 0
    nibbles = (bits.reshape(o, n, 16, 4) << np.arange(4)).sum(axis=3)           # [o][chunk][group]
    index = (nibbles + 16 * np.arange(16)).astype(np.uint8).transpose(1, 0, 2)  # [chunk][o][16]
    return np.concatenate([corr.astype(np.int32).view(np.uint32), np.ascontiguousarray(index).reshape(-1).view("<u4")])


def unpack_lut_indices(p: dict, packed) -> np.ndarray:
    """The +1 / -1 weights [O][KH][KW][I] a constant holds (tests, the benchmark's twin)."""
    o, kh, kw, c = p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]
    o4, n = -(-o // 4) * 4, chunks(p)
    index = np.asarray(packed, np.uint32)[o4:].view(np.uint8).reshape(n, o, 16).transpose(1, 0, 2)
    bits = (((index & 15)[..., None] >> np.arange(4)) & 1).reshape(o, -1)[:, :kh * kw * c]
    return np.where(bits > 0, -1, 1).reshape(o, kh, kw, c)


__all__ = ["CHUNK", "chunks", "lut_scratch_bytes", "pack_lut_indices", "unpack_lut_indices"]
