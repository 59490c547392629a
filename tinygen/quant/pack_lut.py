"""The shared-weight constant the LUT kernels read (firmware/kernels/lut/LUT.md): a header,
the tables, then each output channel's row of indices as a bit stream.

    word 0          bits per index (2..6)
    word 1          tables: 1 (one for the tensor) or out_c (one per output channel)
    word 2          words per row
    tables          int8 [tables][2**bits], padded to a whole word
    rows            out_c rows of `words per row` uint32 words: the channel's indices in
                    the order the int8 kernel reads its weights, LSB first, `bits` bits
                    each, the last word's unused bits 0

`row_axis`: where the output channels are in the weight tensor (0 for OHWI convs and
[out, in] fully connected weights); None: the whole tensor is one row in its own order
(depthwise 1HWC weights, as tg_depthwise_conv2d_s8 indexes them: a channel's kh*kw taps
are too few to start each on a word).
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import LUT_HEADER_WORDS as HEADER_WORDS
from tinygen.ir import Codebook, lut_words


def layer_rows(p: dict) -> tuple[int, int]:
    """(rows, indices per row) of a conv's or fully connected layer's constant, from its kparams:
    one row per output channel, its kernel_h * kernel_w * in_c (in_features) weights."""
    if "out_features" in p:
        return p["out_features"], p["in_features"]
    return p["out_c"], p["kernel_h"] * p["kernel_w"] * p["in_c"]


def decoded_bytes(n: int) -> int:
    """TG_LUT_DECODED_BYTES (tg_lut.h): n decoded int8 weights' share of a kernel's scratch,
    rounded up to 8 bytes."""
    return (n + 7) // 8 * 8


def row_words(count: int, bits: int) -> int:
    """Words of one row of `count` indices."""
    return (count * bits + 31) // 32


def _bitstream(rows: np.ndarray, bits: int) -> np.ndarray:
    """[n, count] indices -> [n, row_words] uint32 words, LSB first."""
    n, count = rows.shape
    words = row_words(count, bits)
    out = np.zeros((n, words * 32), np.uint8)
    planes = (rows[:, :, None].astype(np.uint32) >> np.arange(bits, dtype=np.uint32)) & 1
    out[:, :count * bits] = planes.reshape(n, count * bits)
    packed = np.packbits(out.reshape(n, words * 4, 8), axis=-1, bitorder="little").reshape(n, words * 4)
    return packed.view("<u4").reshape(n, words)


def _rows(a: np.ndarray, row_axis: int | None) -> np.ndarray:
    return a.reshape(1, -1) if row_axis is None else np.moveaxis(a, row_axis, 0).reshape(a.shape[row_axis], -1)


def pack_lut(codebook: Codebook, row_axis: int | None) -> np.ndarray:
    """The packed constant (uint32 words) of a weight tensor's codebook."""
    rows = _rows(codebook.indices, row_axis)
    tables = np.ascontiguousarray(codebook.values, np.int8).reshape(-1)
    tables = np.concatenate([tables, np.zeros(-tables.size % 4, np.int8)]).view("<u4")
    header = np.array([codebook.bits, codebook.values.shape[0], row_words(rows.shape[1], codebook.bits)], np.uint32)
    return np.concatenate([header, tables, _bitstream(rows, codebook.bits).reshape(-1)]).astype(np.uint32)


def unpack_lut(packed: np.ndarray, shape: tuple[int, ...], row_axis: int | None,
               table_axis: int | None) -> np.ndarray:
    """The int8 weights of `shape` a packed constant stands for (the kernels' decoding, in
    numpy); `table_axis`: the axis the tables are per slice of, where there are several."""
    packed = np.asarray(packed, np.uint32)
    bits, groups, words = (int(v) for v in packed[:HEADER_WORDS])
    k = 1 << bits
    table_words = (groups * k + 3) // 4
    tables = packed[HEADER_WORDS:HEADER_WORDS + table_words].view(np.int8)[:groups * k].reshape(groups, k)
    n, count = _rows(np.zeros(shape, np.int8), row_axis).shape
    rows = packed[HEADER_WORDS + table_words:lut_words(packed, n)].reshape(n, words)
    bitplane = np.unpackbits(rows.view(np.uint8).reshape(n, words * 4), axis=-1, bitorder="little")
    fields = bitplane[:, :count * bits].reshape(n, count, bits).astype(np.int64)
    idx = (fields << np.arange(bits)).sum(axis=-1)
    if row_axis is None:
        idx = idx.reshape(shape)
    else:
        rest = tuple(d for a, d in enumerate(shape) if a != row_axis)
        idx = np.moveaxis(idx.reshape((n,) + rest), 0, row_axis)
    return Codebook(bits, tables, idx, table_axis if groups > 1 else None).decode()


__all__ = ["HEADER_WORDS", "decoded_bytes", "layer_rows", "lut_words", "pack_lut", "row_words", "unpack_lut"]
