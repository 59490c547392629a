"""Build-time data of tg_fully_connected_shallow_s8_dsp (firmware/kernels/fully_connected): which fully
connected layers it serves and its records.

A layer of depth (in_features) at most MAX_DEPTH whose requantization the folded form
computes exactly (tinygen.kernels.depthwise_dsp.requant_small_ok: multipliers >= 0, right
shifts n = -shift of 1..31, accumulators below 2^30, the rounding sum inside int32; or an ONNX
model's single-rounding pairs, depthwise_dsp.requant_once_ok: n = 0 and r the output zero point). Per
output feature a record of HEAD + 2 * ((depth + 3) // 4) int32: k = 2 * bias, the multiplier m,
r = (1 + 2 * output_offset) << (n - 1), n, then the feature's weights as int16 pairs, per 4
weights w0..w3 the words w0 | w2 << 16 and w1 | w3 << 16 (zero past the depth): the order
SXTAB16 widens the input in.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_dsp import folded_round, requant_folded_ok

MAX_DEPTH = 16      # TG_FC_SHALLOW_MAX_DEPTH
HEAD = 4            # TG_FC_SHALLOW_HEAD


def _requant(p: dict, consts: dict):
    if p["in_features"] > MAX_DEPTH:
        return None
    return requant_folded_ok(p, consts, p["out_features"], p["in_features"])


def fc_shallow_serves(p: dict, consts: dict) -> bool:
    """Whether tg_fully_connected_shallow_s8_dsp computes a layer of these parameters and
    constants (weight, bias or None, multiplier, shift) exactly."""
    return _requant(p, consts) is not None


def fc_shallow_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int32 [out_features * (HEAD + 2 * words)]."""
    q = _requant(p, consts)
    if q is None:
        raise ValueError("tg_fully_connected_shallow_s8_dsp: the layer is too deep or its folded requantization "
                         "is not exact (fc_shallow_serves)")
    bias, multiplier, n = q
    depth, cols = p["in_features"], p["out_features"]
    words = (depth + 3) // 4
    w = np.zeros((cols, words, 4), np.int64)
    w.reshape(cols, -1)[:, :depth] = np.asarray(consts["weight"], np.int64).reshape(cols, depth)
    rec = np.zeros((cols, HEAD + 2 * words), np.int64)
    rec[:, 0] = 2 * bias
    rec[:, 1] = multiplier
    rec[:, 2] = folded_round(p["output_offset"], n)
    rec[:, 3] = n
    rec[:, HEAD::2] = (w[:, :, 0] & 0xFFFF) | (w[:, :, 2] << 16)
    rec[:, HEAD + 1::2] = (w[:, :, 1] & 0xFFFF) | (w[:, :, 3] << 16)
    return rec.astype(np.uint32).view(np.int32).reshape(-1)


__all__ = ["HEAD", "MAX_DEPTH", "fc_shallow_records", "fc_shallow_serves"]
