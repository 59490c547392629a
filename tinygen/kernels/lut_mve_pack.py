"""Build-time constants of the shared-weight (LUT) kernels for Helium
(firmware/kernels/lut/tg_*_lut_decode_s8_mve.c): LUT.md's packed constant, then the records the
int8 MVE kernel reads (tinygen/kernels/mve_pack.py) less its weights, which the kernel decodes
from the packed rows into its scratch; and the scratch sizes.

The records keep their int8 layout: the folded biases are the decoded weights' (the tensor's
data is always the codebook decoded), so the kernels only copy them next to the weights.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Codebook
from tinygen.kernels.mve_pack import (BLOCK, DW_RECORD_WORDS, HEADER_WORDS, STEP, conv2d_add_mve_records,
                                      depthwise_mve_records, mat_mult_mve_records, mat_mult_steps)
from tinygen.quant.pack_lut import layer_rows, pack_lut

REQUANT_WORDS = 16                   # TG_MVE_REQUANT_WORDS: a block's requantization words
DW_REQUANT_WORDS = 4                 # a depthwise channel's record: 4 requantization words, then 16 taps
ADD_TABLE_WORDS = 2 * 256            # tg_conv2d_add_s8_mve's two tables before its records


def _words(a) -> np.ndarray:
    return np.ascontiguousarray(a, np.int32).view(np.uint32)


def _requant(records: np.ndarray, rows: int, depth: int) -> np.ndarray:
    """mat_mult_mve_records less the weights: the header, then each block's 16 words."""
    blocks = -(-rows // BLOCK)
    body = records[HEADER_WORDS:].reshape(blocks, REQUANT_WORDS + STEP * mat_mult_steps(depth))
    return np.concatenate([records[:HEADER_WORDS], body[:, :REQUANT_WORDS].ravel()])


def mat_mult_lut_mve(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_lut_decode_s8_mve's, tg_conv2d_1x1_lut_decode_s8_mve's and
    tg_fully_connected_lut_decode_s8_mve's packed constant: the rows (one per output channel),
    then the product's records without the weights."""
    rows, depth = layer_rows(p)
    return np.concatenate([pack_lut(consts["codebook"], 0),
                           _words(_requant(mat_mult_mve_records(p, consts), rows, depth))])


def conv2d_add_lut_mve(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_add_lut_decode_s8_mve's packed constant: the rows, the add's two tables, then
    the product's records without the weights."""
    rows, depth = layer_rows(p)
    records = conv2d_add_mve_records(p, consts)
    return np.concatenate([pack_lut(consts["codebook"], 0), _words(records[:ADD_TABLE_WORDS]),
                           _words(_requant(records[ADD_TABLE_WORDS:], rows, depth))])


def depthwise_lut_mve(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_lut_decode_s8_mve's packed constant: one row holding each channel's
    kernel_h * kernel_w indices in turn, kernel column then kernel row (the records' tap
    order), then tg_depthwise_conv2d_s8_mve's flags and per channel its 4 requantization words."""
    cb = consts["codebook"]
    by_channel = Codebook(cb.bits, cb.values, np.transpose(cb.indices, (3, 2, 1, 0)),
                          0 if cb.axis is not None else None, cb.source)
    records = depthwise_mve_records(p, consts)
    requant = records[1:].reshape(p["out_c"], DW_RECORD_WORDS)[:, :DW_REQUANT_WORDS]
    return np.concatenate([pack_lut(by_channel, None), _words(records[:1]), _words(requant.ravel())])


def _round16(n: int) -> int:
    return (n + 15) // 16 * 16


def mat_mult_records_bytes(p: dict) -> int:
    """TG_LUT_MVE_RECORDS_BYTES(tg_lut_mve_mat_mult_bytes): the decoded records' share of the scratch."""
    rows, depth = layer_rows(p)
    return _round16(4 * (HEADER_WORDS + -(-rows // BLOCK) * (REQUANT_WORDS + STEP * mat_mult_steps(depth))))


def depthwise_records_bytes(p: dict) -> int:
    """TG_LUT_MVE_RECORDS_BYTES(tg_lut_mve_depthwise_bytes)."""
    return _round16(4 * (1 + DW_RECORD_WORDS * p["out_c"]))


__all__ = ["conv2d_add_lut_mve", "depthwise_lut_mve", "depthwise_records_bytes", "mat_mult_lut_mve",
           "mat_mult_records_bytes"]
