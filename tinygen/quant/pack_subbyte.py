"""Sub-byte weight rows and power-of-two codes, as firmware/kernels/lowbit/LOWBIT.md lays them out.

- Rows (`s4`, `s2`, `p4`): weights OHWI flattened to [O][K] codes, K = KH*KW*I, each row
  packed lowest bits first (4-bit: element 2j in bits 0-3 of byte j, 2j+1 in bits 4-7;
  2-bit: element 4j+m in bits 2m..2m+1 of byte j) and padded with zero codes to a 4-byte
  boundary: row stride = 4 * ceil(K * bits / 32) bytes.
- `uniform` codes are the integer weights themselves in two's complement; `dorefa` codes c
  stand for the odd weight 2c+1 (`odd_weights`).
- `pow2` codes of b bits: the sign in bit b-1 (1 = negative), the exponent field e below it.
  With zero allowed, e = 0 is the weight 0 and e >= 1 is +-2^(e-1); without, +-2^e.

numpy only: the compiler packs with it and the numpy twins (tinygen/ref/subbyte.py) unpack
with it.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.quant.lowbit import WeightQuant, decode_weights, encode_weights

SUBBYTE_BITS = (2, 4)


def _check_bits(bits: int) -> None:
    if bits not in SUBBYTE_BITS:
        raise ValueError(f"sub-byte rows hold 2- or 4-bit codes, not {bits}-bit ones")


def row_stride(k: int, bits: int) -> int:
    """Bytes per packed row of k codes of `bits` bits: whole 32-bit words."""
    _check_bits(bits)
    return 4 * ((k * bits + 31) // 32)


def pack_rows(codes, bits: int) -> np.ndarray:
    """codes [O][K] (signed or unsigned ints; the low `bits` bits are kept) -> uint8 [O][stride]."""
    _check_bits(bits)
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"pack_rows takes codes [O][K], got shape {codes.shape}")
    o, k = codes.shape
    per_byte = 8 // bits
    stride = row_stride(k, bits)
    padded = np.zeros((o, stride * per_byte), dtype=np.uint8)
    padded[:, :k] = codes.astype(np.int64) & ((1 << bits) - 1)
    lanes = padded.reshape(o, stride, per_byte)
    shifts = np.arange(per_byte, dtype=np.uint8) * bits
    return np.bitwise_or.reduce(lanes << shifts, axis=2).astype(np.uint8)


def unpack_rows(packed, bits: int, k: int, signed: bool = True) -> np.ndarray:
    """uint8 [O][stride] (or flat) -> int64 codes [O][K]; signed: two's complement codes."""
    _check_bits(bits)
    stride = row_stride(k, bits)
    rows = np.asarray(packed, dtype=np.uint8).reshape(-1, stride)
    per_byte = 8 // bits
    shifts = np.arange(per_byte, dtype=np.uint8) * bits
    codes = ((rows[:, :, None] >> shifts) & ((1 << bits) - 1)).reshape(rows.shape[0], -1)[:, :k]
    codes = codes.astype(np.int64)
    if signed:
        codes = np.where(codes >= 1 << (bits - 1), codes - (1 << bits), codes)
    return codes


def odd_weights(codes) -> np.ndarray:
    """DoReFa's integer weights 2c + 1 of the two's complement codes c."""
    return 2 * np.asarray(codes, dtype=np.int64) + 1


def pow2_weights(codes, bits: int = 4, zero: bool = True) -> np.ndarray:
    """The integer weights of pow2 codes (sign bit + exponent field, LOWBIT.md): the
    decoding of tinygen.quant.lowbit."""
    return decode_weights(codes, WeightQuant("pow2", bits, zero=zero)).astype(np.int64)


def pow2_codes(weights, bits: int = 4, zero: bool = True) -> np.ndarray:
    """Integer weights (0 or +-powers of two in range) -> their pow2 codes, uint8, by
    tinygen.quant.lowbit's encoding after checking that each weight is a code's value (the
    weight 0, zero allowed, is code 0). Raises ModelError for a weight no code holds."""
    w = np.asarray(weights, dtype=np.int64)
    e_max = (1 << (bits - 1)) - 1
    magnitude = np.abs(w)
    exponent = np.round(np.log2(np.maximum(magnitude, 1))).astype(np.int64)
    ok = (np.left_shift(1, exponent) == magnitude) & (exponent <= (e_max - 1 if zero else e_max))
    ok = np.where(magnitude == 0, zero, ok)
    if not ok.all():
        largest = 1 << (e_max - 1 if zero else e_max)
        raise ModelError(f"weight {int(w[~ok][0])} is not a {bits}-bit power-of-two code "
                         f"({'0 or ' if zero else ''}+-2^k up to {largest})",
                         hint="quantize the weights with the pow2 quantizer (tinygen.nn) before packing")
    return encode_weights(w, WeightQuant("pow2", bits, zero=zero)).astype(np.uint8)


def mve_scratch_bytes(p: dict) -> int:
    """Scratch bytes of tg_conv2d_s8_s4_s8_mve (tg_conv2d_s8_s4_s8_mve_buffer_size): two int8
    receptive fields of K = kernel_h * kernel_w * in_c rounded up to 32, then out_c int32 sums."""
    k = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    return 2 * (-(-k // 32) * 32) + 4 * p["out_c"]


def dsp_scratch_bytes(p: dict, kind: str) -> int:
    """Scratch bytes of tg_conv2d_s8_<kind>_s8_dsp (tg_conv2d_subbyte_dsp_buffer_size):
    [p4: a 256-entry uint32 table] then two int8 receptive fields and their int16 widening,
    each K = kernel_h * kernel_w * in_c rounded up to whole 32-bit words of codes."""
    bits = {"s4": 4, "s2": 2, "p4": 4}[kind]
    per_word = 32 // bits
    k = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    return (1024 if kind == "p4" else 0) + 6 * (-(-k // per_word) * per_word)
