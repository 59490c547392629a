"""Build-time constants of the shared-weight (LUT) kernels for RV32IM
(firmware/kernels/lut/tg_*_lut_decode_s8_rv32.c): LUT.md's packed constant, then the folded
biases of the int8 RV32 kernel's constant (tinygen/kernels/rv32.py), which the kernel writes
next to the weights it decodes into its scratch; and the scratch sizes (that constant's bytes).
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.rv32 import BLOCK, conv2d_rv32_weights, depthwise_rv32_records, packed_bytes
from tinygen.quant.pack_lut import layer_rows, pack_lut


def _words(a) -> np.ndarray:
    return np.ascontiguousarray(a, np.int32).view(np.uint32)


def blocks_lut_rv32(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_lut_decode_s8_rv32's, tg_conv2d_add_lut_decode_s8_rv32's and
    tg_fully_connected_lut_decode_s8_rv32's packed constant: the rows (one per output channel),
    then each block's 4 folded biases (conv2d_rv32_weights')."""
    rows, depth = layer_rows(p)
    records = conv2d_rv32_weights(p, consts).reshape(-(-rows // BLOCK), BLOCK + depth)
    return np.concatenate([pack_lut(consts["codebook"], 0), _words(records[:, :BLOCK].ravel())])


def depthwise_lut_rv32(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_lut_decode_s8_rv32's packed constant: LUT.md's one row (the int8
    layout's [tap][channel] order), then each channel's folded bias (depthwise_rv32_records')."""
    records = depthwise_rv32_records(p, consts).reshape(p["out_c"], -1)
    return np.concatenate([pack_lut(consts["codebook"], None), _words(records[:, 0])])


def blocks_bytes(p: dict) -> int:
    """tg_lut_rv32_bytes: the decoded constant's bytes, the kernel's scratch."""
    return packed_bytes(*layer_rows(p))


def depthwise_bytes(p: dict) -> int:
    """tg_lut_rv32_depthwise_bytes."""
    return 4 * p["out_c"] * (1 + -(-p["kernel_h"] * p["kernel_w"] // 4))


__all__ = ["blocks_bytes", "blocks_lut_rv32", "depthwise_bytes", "depthwise_lut_rv32"]
