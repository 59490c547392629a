"""Weights of the packed-multiply kernels (firmware/kernels/lowbit/tg_kernels_packed.h, LOWBIT.md).

The kernels tg_conv2d_u4_s4_s8 and tg_conv2d_u2_s2_s8 multiply a word of P activations by a
word of P weight codes laid out so that one field of the product holds the P products' sum:
u4, 3 lanes 14 bits apart (activations at bits 0, 14, 28, weights reversed: 28, 14, 0), one
32x32 -> 64-bit UMLAL, the sum in bits 28..41; u2, 2 lanes per int16 half 13 bits apart
(activations at bits 0, 13 | 16, 29, weights at 13, 0 | 29, 16), one SMLAD, the sum in bits
13..25. Codes are stored
unsigned, c + 2^(bits-1), so that no lane borrows; the kernel subtracts 2^(bits-1) times the
sum of the activations. Per tap the in_c channels fill ceil(in_c / P) words, the last one
zero beyond in_c.

The packed constant (uint32): corr[O4] (int32: -pad_u * the sum of the channel's integer
weights over every tap, pad_u = in_off + zero point), then per group of 4 output channels
and per field word j, the 4 channels' weight words; O4 = out_c rounded up to 4, the extra
channels' words zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.quant.pack_subbyte import odd_weights, pack_rows, unpack_rows


@dataclass(frozen=True)
class MulLayout:
    bits: int       # weight and activation bits at most
    act_shifts: tuple[int, ...]     # bit position of activation lane i in a field word
    weight_shifts: tuple[int, ...]  # bit position of weight lane i in a weight word
    field: int      # the products' sum is bits field .. field + width - 1 of the sum
    width: int
    block: int      # words summed before a field is read

    @property
    def lanes(self) -> int:
        return len(self.act_shifts)

    def check(self) -> None:
        """No field can carry into the next within a block (tg_kernels_packed.h's bound), and
        every lane fits its word."""
        top = (1 << self.bits) - 1
        assert self.lanes * self.block * top * top < 1 << self.width
        assert max(self.act_shifts + self.weight_shifts) + self.bits <= 32


# the C constants TG_PACKED_U4_* / TG_PACKED_U2_*
LAYOUTS = {"u4": MulLayout(4, (0, 14, 28), (28, 14, 0), 28, 14, 24),
           "u2": MulLayout(2, (0, 13, 16, 29), (13, 0, 29, 16), 13, 13, 224)}


def steps(p: dict, kind: str) -> int:
    """Words of one pixel's packed field (tg_conv2d_packed_steps)."""
    lanes = LAYOUTS[kind].lanes
    return p["kernel_h"] * p["kernel_w"] * -(-p["in_c"] // lanes)


def packed_scratch_bytes(p: dict, kind: str, dsp: bool = False) -> int:
    """tg_conv2d_packed_buffer_size: one pixel's packed field; the u2 DSP kernel's
    (tg_conv2d_u2_s2_s8_dsp_buffer_size): a pixel pair's fields, and 6 words per channel
    (of out_c rounded up to 4) for its constants and the pair's sums."""
    if dsp and kind == "u2":
        return 4 * (2 * steps(p, kind) + 6 * 4 * -(-p["out_c"] // 4))
    return 4 * steps(p, kind)


def flash_bits_per_weight(p: dict, kind: str) -> float:
    """Flash bits per weight of the packed constant (weight words and corr), the figure a
    fit-aware kernel choice sets against the kernel's instructions."""
    o4 = -(-p["out_c"] // 4) * 4
    return 32 * (o4 + o4 * steps(p, kind)) / (p["out_c"] * p["kernel_h"] * p["kernel_w"] * p["in_c"])


def integer_weights(p: dict, rows, bits: int) -> np.ndarray:
    """s4 / s2 rows -> (codes, integer weights) [out_c][kh][kw][in_c] (2c + 1 with odd)."""
    shape = (p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    codes = unpack_rows(rows, bits, shape[1] * shape[2] * shape[3]).reshape(shape)
    return codes, (odd_weights(codes) if p["odd"] else codes)


def pack_mul_weights(p: dict, rows, kind: str) -> np.ndarray:
    """The packed constant of a layer whose weights are s4 / s2 rows (pack_subbyte)."""
    lay = LAYOUTS[kind]
    codes, w = integer_weights(p, rows, lay.bits)
    o, kh, kw, c = codes.shape
    o4, words = -(-o // 4) * 4, -(-c // lay.lanes)
    pad_u = p["in_off"] - p["input_offset"]
    corr = np.zeros(o4, np.int64)
    corr[:o] = -pad_u * w.reshape(o, -1).sum(axis=1)
    lanes = np.zeros((o4, kh, kw, words * lay.lanes), np.uint64)
    lanes[:o, :, :, :c] = codes + (1 << (lay.bits - 1))
    lanes = lanes.reshape(o4, kh * kw * words, lay.lanes)
    shifts = np.array(lay.weight_shifts, np.uint64)
    wordv = (lanes << shifts).sum(axis=2).astype(np.uint32)             # [o4][steps]
    groups = wordv.reshape(o4 // 4, 4, -1).transpose(0, 2, 1).reshape(-1)
    return np.concatenate([corr.astype(np.int32).view(np.uint32), groups])


def unpack_mul_weights(p: dict, packed, kind: str) -> np.ndarray:
    """The s4 / s2 rows a packed constant was built from (pack_mul_weights' inverse)."""
    lay = LAYOUTS[kind]
    o, c = p["out_c"], p["in_c"]
    o4, n = -(-o // 4) * 4, steps(p, kind)
    words = np.asarray(packed, np.uint32)[o4:].reshape(o4 // 4, n, 4).transpose(0, 2, 1).reshape(o4, n)
    shifts = np.array(lay.weight_shifts, np.uint64)
    lanes = (words[:, :, None].astype(np.uint64) >> shifts) & ((1 << lay.bits) - 1)
    lanes = lanes.reshape(o4, p["kernel_h"] * p["kernel_w"], -1)[:o, :, :c].astype(np.int64)
    return pack_rows((lanes - (1 << (lay.bits - 1))).reshape(o, -1), lay.bits)


for _lay in LAYOUTS.values():
    _lay.check()

__all__ = ["LAYOUTS", "MulLayout", "flash_bits_per_weight", "integer_weights", "pack_mul_weights", "packed_scratch_bytes", "steps", "unpack_mul_weights"]
