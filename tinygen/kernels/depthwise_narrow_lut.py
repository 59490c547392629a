"""Build-time data of tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp (firmware/kernels/lut):
tg_depthwise_conv2d_3x3_narrow_s8_dsp's layers (tinygen.kernels.depthwise_narrow_dsp) with
shared weights. Its packed constant: the layer's LUT constant (LUT.md, one row), then the
channel count and, per channel, the narrow records' words other than the weights (0, 7, 8, 9:
the doubled bias, the multiplier, R, n | LAST), which the kernel completes in its scratch with
the decoded taps before running the narrow kernel. Its flash for the weights is the LUT
constant's: the other words are the requantization the int8 build's records hold too."""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_narrow_dsp import RECORD_WORDS, narrow_records, narrow_scratch
from tinygen.quant.pack_lut import decoded_bytes, pack_lut

OTHER = (0, 7, 8, 9)     # the words of a record that are not weights


def narrow_lut_pack(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (uint32 words), from the decoded weights' records and the codebook."""
    records = narrow_records(p, consts).view(np.uint32)
    channels = int(records[0])
    if channels != p["out_c"]:
        raise ValueError("tg_depthwise_conv2d_3x3_narrow_s8_dsp does not serve the layer (its accepts says so)")
    other = records[1:].reshape(channels, RECORD_WORDS)[:, OTHER]
    return np.concatenate([pack_lut(consts["codebook"], None), [channels], other.ravel()]).astype(np.uint32)


def narrow_lut_scratch(p: dict) -> int:
    """The completed records (the channel count and RECORD_WORDS words a channel, rounded up to
    8 bytes), then the narrow kernel's scratch (which holds the decoded taps until it runs)."""
    records = decoded_bytes(4 * (1 + RECORD_WORDS * p["out_c"]))
    return records + max(narrow_scratch(p), 9 * p["out_c"])


__all__ = ["OTHER", "narrow_lut_pack", "narrow_lut_scratch"]
