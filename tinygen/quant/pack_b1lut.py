"""Weights of tg_conv2d_s8_b1lut_s8_dsp: binary weights x int8 activations by table lookup
(firmware/kernels/lowbit/LOWBIT.md, "Binary weights by table lookup").

Per pair of output pixels and per chunk of 64 inputs of the flattened receptive field (16
groups of 4), the kernel builds a table of 256 int32 entries in scratch: entry 16 j + m holds,
in its two int16 halves (pixel 0 low, pixel 1 high), the sum of u = x + 128 over the inputs i
of group j whose bit i of m is 0, i.e. whose weight is +1 (b1's bit 1 = -1). A channel's
index byte for group j is 16 j + its 4 weight bits there: one byte addresses the chunk's
table directly, and a lookup adds the two pixels' P (the sum of u where the weight is +1)
over 4 weights. sum w (x - zp) = 2 P - U - (128 + zp) sum w, U the field's sum of u.

The constant (uint32): a word `bounded` and 3 zero words, then O4 = out_c rounded up to 4
channel records of 4 words (tg_pair_chan_t: cb = corr + bias, 2 m, 2^(n-1) + zp 2^n, n, as
tg_requant_pair_dsp.h's tg_pair_channels computes them at run time for the other pair
kernels; corr = -(128 + zero point) * the channel's sum of weights), then per chunk and per
output channel 16 index bytes (4 words); the groups beyond K = KH*KW*I have weight bits 0
(their u are 0). The records are compile-time constants in flash so that the kernel's
scratch holds only the table, the sums and the fields.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant.pack_b1 import unpack_bits

CHUNK = 64          # TG_B1LUT_CHUNK: inputs per table (16 groups of 4)


def chunks(p: dict) -> int:
    """Tables per pixel pair: ceil(K / 64)."""
    return -(-p["kernel_h"] * p["kernel_w"] * p["in_c"] // CHUNK)


def lut_scratch_bytes(p: dict) -> int:
    """tg_conv2d_s8_b1lut_s8_dsp_buffer_size: the table (1 KB), two pixels' P (int32 per
    channel) and their fields (64 bytes per chunk each)."""
    return 4 * 256 + 8 * p["out_c"] + 2 * CHUNK * chunks(p)


def _wrap32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def pair_records(p: dict, corr, bias, multiplier, shift) -> tuple[int, np.ndarray]:
    """(bounded, int32 [O4][4] records): tg_requant_pair_dsp.h's tg_pair_channels at compile
    time, with the kernel's bound on |2 P - U| (255 K)."""
    o, k = p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]
    max_sum = 255 * k if k < (1 << 30) // 255 else 1 << 30
    limit = (1 << 30) - max_sum if max_sum < (1 << 30) else 0
    zp, o4 = int(p["output_offset"]), -(-o // 4) * 4
    records = np.zeros((o4, 4), np.int64)
    bounded = 1
    for c in range(o4):
        cb, m, n, wraps = 0, 1 << 30, 1, False
        if c < o:
            total = int(corr[c]) + (int(bias[c]) if bias is not None else 0)
            cb, wraps = _wrap32(total), _wrap32(total) != total
            m, n = int(multiplier[c]), -int(shift[c])
        ok = not wraps and m >= (1 << 30) and 1 <= n <= 22 and -limit < cb < limit
        records[c] = (cb, _wrap32(m << 1), (1 << (n - 1)) + zp * (1 << n) if ok else 0, n if ok else 1)
        bounded &= ok
    return int(bounded), records


def pack_lut_indices(p: dict, words, bias, multiplier, shift) -> np.ndarray:
    """Packed binary weights [O][KH][KW][ceil(I/32)] and the requantization (bias may be
    None) -> the kernel's constant (uint32)."""
    o, kh, kw, c = p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]
    w = unpack_bits(np.asarray(words, dtype=np.uint32).reshape(o, kh, kw, -1), c).reshape(o, -1).astype(np.int64)
    k, n = kh * kw * c, chunks(p)
    corr = -(128 - p["input_offset"]) * w.sum(axis=1)
    bounded, records = pair_records(p, corr, bias, multiplier, shift)
    bits = np.zeros((o, n * CHUNK), np.int64)
    bits[:, :k] = w < 0
    nibbles = (bits.reshape(o, n, 16, 4) << np.arange(4)).sum(axis=3)           # [o][chunk][group]
    index = (nibbles + 16 * np.arange(16)).astype(np.uint8).transpose(1, 0, 2)  # [chunk][o][16]
    head = np.array([bounded, 0, 0, 0], np.uint32)
    return np.concatenate([head, records.astype(np.int32).reshape(-1).view(np.uint32),
                           np.ascontiguousarray(index).reshape(-1).view("<u4")])


def unpack_lut_indices(p: dict, packed) -> np.ndarray:
    """The +1 / -1 weights [O][KH][KW][I] a constant holds (tests, the benchmark's twin)."""
    o, kh, kw, c = p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]
    o4, n = -(-o // 4) * 4, chunks(p)
    index = np.asarray(packed, np.uint32)[4 + 4 * o4:].view(np.uint8).reshape(n, o, 16).transpose(1, 0, 2)
    bits = (((index & 15)[..., None] >> np.arange(4)) & 1).reshape(o, -1)[:, :kh * kw * c]
    return np.where(bits > 0, -1, 1).reshape(o, kh, kw, c)


__all__ = ["CHUNK", "chunks", "lut_scratch_bytes", "pack_lut_indices", "pair_records", "unpack_lut_indices"]
