"""Nested weight bit planes, as firmware/kernels/lowbit/LOWBIT.md ("Nested bit planes") lays them out.

A layer's top codes C (int8 two's complement in [-127, 127], OHWI) are stored once as 8
bit planes, plane-major: ``uint32 [8][O][KH][KW][ceil(I/32)]``, plane j holding bit j of
(uint8)C in the packed-binary weight layout (tinygen.quant.pack_b1): input channel i in
word i // 32, bit i % 32, the bits beyond I zero. Plane 7 is therefore exactly a packed
binary weight array (bit 1 = C < 0 = -1).

The k-bit switch reads the top k planes; its integer weight is floor(C / 2^(8-k)) for
k >= 2 (the two's complement number of the top k bits) and 1 - 2 * (C < 0) for k = 1.

numpy only: the compiler packs with it, the numpy twin (tinygen/ref/bitserial.py) unpacks
with it.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.quant.pack_b1 import pack_bits, unpack_bits

PLANES = 8
CODE_MAX = 127          # top codes lie in [-CODE_MAX, CODE_MAX]
INT8_IN_OFF = 128       # int8 inputs: u = q + 128 in [0, 255]


def _ohwi(codes) -> np.ndarray:
    c = np.asarray(codes)
    if c.ndim == 2:                      # a fully connected layer's [O][I]: a 1x1 convolution
        c = c[:, None, None, :]
    if c.ndim != 4:
        raise ModelError(f"nested weight codes must be OHWI (4 dimensions) or [O][I], got shape {c.shape}")
    return c


def check_switch_bits(k: int) -> None:
    if not 1 <= int(k) <= PLANES:
        raise ModelError(f"a switch of nested weights reads 1 to {PLANES} planes, not {k}",
                         hint="give the switch's weight bit width k in [1, 8]")


def pack_planes(codes) -> np.ndarray:
    """Top codes OHWI (or [O][I]) in [-127, 127] -> uint32 planes [8][O][KH][KW][ceil(I/32)]."""
    c = _ohwi(codes)
    if c.size and (not np.issubdtype(c.dtype, np.integer) or np.abs(c.astype(np.int64)).max() > CODE_MAX):
        raise ModelError(f"nested weight codes must be integers in [-{CODE_MAX}, {CODE_MAX}]",
                         hint="quantize the layer's weights with the nested 8-bit quantizer first")
    byte = c.astype(np.int64) & 0xFF
    return np.stack([pack_bits(np.where((byte >> j) & 1, -1, 1), axis=-1) for j in range(PLANES)])


def unpack_planes(planes, in_c: int) -> np.ndarray:
    """uint32 planes [8][O][KH][KW][words] -> int64 codes [O][KH][KW][in_c] (two's complement)."""
    p = np.asarray(planes, dtype=np.uint32)
    if p.shape[0] != PLANES:
        raise ModelError(f"nested weights hold {PLANES} planes, the array has {p.shape[0]}")
    byte = sum((unpack_bits(p[j], in_c) < 0).astype(np.int64) << j for j in range(PLANES))
    return np.where(byte >= 128, byte - 256, byte)


def switch_weights(codes, k: int) -> np.ndarray:
    """The k-bit switch's integer weights of top codes C: floor(C / 2^(8-k)), or +-1 for k = 1."""
    check_switch_bits(k)
    c = np.asarray(codes, dtype=np.int64)
    return 1 - 2 * (c < 0).astype(np.int64) if k == 1 else c >> (PLANES - k)


def planes_bias_correction(codes, k: int, in_off: int, zp_in: int) -> np.ndarray:
    """The int32 constant per output channel the compiler adds to the switch's bias:
    -(in_off + zp_in) * sum over all taps of W[o], so that the kernel's acc' (every tap, u =
    q + in_off, padded taps holding zp_in + in_off) plus the corrected bias equals LOWBIT.md's
    acc (a = q - zp_in, padded taps 0) plus the bias."""
    w = switch_weights(_ohwi(codes), k)
    corr = -(int(in_off) + int(zp_in)) * w.reshape(w.shape[0], -1).sum(axis=1)
    if corr.size and np.abs(corr).max() >= 2**31:
        raise ModelError(f"the bias correction {int(np.abs(corr).max())} does not fit int32",
                         hint="the layer has too many taps for an int32 accumulator")
    return corr.astype(np.int32)


def planes_input(bits: int, zero_point: int) -> tuple[int, int]:
    """(in_off, a_bits) of a layer input: int8 (bits 8) -> (128, 8), u = q + 128; a uniform
    k-bit input (zero point 0, q in [0, 2^k - 1]) -> (0, k)."""
    if int(bits) == PLANES:
        return INT8_IN_OFF, PLANES
    if not 1 <= int(bits) < PLANES or int(zero_point) != 0:
        raise ModelError(f"the bit-serial kernel reads int8 inputs or uniform k-bit ones with zero point 0, "
                         f"not {bits} bits with zero point {zero_point}")
    return 0, int(bits)
