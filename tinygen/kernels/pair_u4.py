"""Build-time data of the pixel-pair 4-bit kernels (tg_conv2d_pair_u4_s4_s8 and its _dsp
variant, firmware/kernels/lowbit/tg_kernels_pair.h): their scratch size, their packed constant
(per-channel requantization records, then the weight words of channel pairs) and whether the
records serve a layer.

The weight words are tinygen.quant.pack_mul's u4 words (3 codes c + 8 per word, lanes at bits
28, 14, 0), regrouped by 2 output channels instead of 4. A record is k = 2 (bias - pad_u *
sum of the channel's integer weights), the multiplier m, r = (1 + 2 * (output_offset -
act_min)) << (n - 1) and n = -shift: the kernel's requantization is exact only where the 3x3 depthwise path's is
(tinygen.kernels.depthwise_dsp.requant_small_ok: multipliers >= 0, n in 1..31, accumulators
below 2^30, the rounding sum inside int32), so pair_serves checks that per layer.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_dsp import requant_small_ok
from tinygen.quant.pack_mul import integer_weights, pack_mul_weights, packed_scratch_bytes, steps

RECORD_WORDS = 4            # TG_PAIR_RECORD_WORDS


def pair_uses_ring(p: dict) -> bool:
    """tg_pair_uses_ring: in_off 0 and every input pixel read by 4 or more output pixels."""
    return p["in_off"] == 0 and p["kernel_h"] * p["kernel_w"] >= 4 * p.get("stride_h", 1) * p.get("stride_w", 1)


def pair_scratch_bytes(p: dict) -> int:
    """tg_conv2d_pair_buffer_size: the pair's interleaved field (two fields of one pixel), and
    where in_off is not 0 a third (the two fields are packed behind, then interleaved); with the
    input ring (pair_uses_ring) the ring behind the two fields instead: the rows one output
    pixel reads (at most in_h), each pixel as ceil(in_c / 3) field words and their sum."""
    field = packed_scratch_bytes(p, "u4")
    if p["in_off"] != 0:
        return 3 * field
    if not pair_uses_ring(p):
        return 2 * field
    rows = min((p["kernel_h"] - 1) * p.get("dilation_h", 1) + 1, p["in_h"])
    return 2 * field + 4 * rows * p["in_w"] * (-(-p["in_c"] // 3) + 1)


def _taps(p: dict) -> int:
    return p["kernel_h"] * p["kernel_w"] * p["in_c"]


def _requant(p: dict, consts: dict):
    """requant_small_ok with the clamp's bottom folded into r: its check of r's size made with
    output_offset - act_min in place of the output offset."""
    return requant_small_ok({**p, "output_offset": p["output_offset"] - p["act_min"]}, consts, p["out_c"], _taps(p))


def pair_serves(p: dict, consts: dict) -> bool:
    """Whether the records' requantization is exact for a layer of these params and constants
    (weight, bias or None, multiplier, shift)."""
    return _requant(p, consts) is not None


def pair_records(p: dict, consts: dict) -> np.ndarray:
    """int64 [O2][RECORD_WORDS]: k, m, r, n per output channel (O2 = out_c rounded up to 2, the
    extra channel's record zero). ValueError where the requantization would not be exact."""
    o = p["out_c"]
    q = _requant(p, consts)
    if q is None:
        raise ValueError("tg_conv2d_pair_u4_s4_s8: the folded requantization is not exact for these "
                         "multipliers, shifts and biases (pair_serves)")
    bias, multiplier, n = q
    _, w = integer_weights(p, consts["weight"], 4)
    pad_u = p["in_off"] - p["input_offset"]
    rec = np.zeros((o + o % 2, RECORD_WORDS), np.int64)
    rec[:o, 0] = 2 * (bias - pad_u * w.reshape(o, -1).sum(axis=1))
    rec[:o, 1] = multiplier
    rec[:o, 2] = (1 + 2 * (p["output_offset"] - p["act_min"])) << (n - 1)
    rec[:o, 3] = n
    return rec


def pair_weight_words(p: dict, rows) -> np.ndarray:
    """uint32 [O2 / 2][steps][2]: per channel pair and field word, the two channels' u4 words."""
    o, n = p["out_c"], steps(p, "u4")
    o4 = -(-o // 4) * 4
    groups = pack_mul_weights(p, rows, "u4")[o4:].reshape(o4 // 4, n, 4)
    per_channel = groups.transpose(0, 2, 1).reshape(o4, n)[:o + o % 2]
    return per_channel.reshape(-1, 2, n).transpose(0, 2, 1)


def pack_pair_u4(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), uint32: the records, then the weight words."""
    rec = pair_records(p, consts)
    words = pair_weight_words(p, consts["weight"])
    return np.concatenate([(rec.ravel() & 0xFFFFFFFF).astype(np.uint32), words.ravel()])


__all__ = ["RECORD_WORDS", "pack_pair_u4", "pair_records", "pair_scratch_bytes", "pair_serves", "pair_uses_ring",
           "pair_weight_words"]
