"""Bit packing of binary (+1 / -1) tensors, as firmware/kernels/lowbit/LOWBIT.md fixes it.

Channels (the last axis) go into 32-bit words: channel c in word c // 32, bit c % 32
(LSB = lowest channel); bit 1 is -1, bit 0 is +1; the bits beyond the channel count in
the last word are 0. Activations are packed [H][W][ceil(C/32)], binary weights OHWI
[O][KH][KW][ceil(I/32)] (a fully connected layer is a 1x1 convolution on a 1x1 image).
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError

BITS_PER_WORD = 32


def words_for(channels: int) -> int:
    """32-bit words holding `channels` packed bits."""
    return -(-int(channels) // BITS_PER_WORD)


def pack_bits(values, axis: int = -1) -> np.ndarray:
    """+1 / -1 values -> uint32 words: the channels along `axis` become words along `axis`."""
    v = np.moveaxis(np.asarray(values), axis, -1)
    if v.size and not np.isin(v, (-1, 1)).all():
        bad = v[~np.isin(v, (-1, 1))].reshape(-1)[:3].tolist()
        raise ModelError(f"pack_bits takes +1 / -1 values only, got {bad}",
                         hint="apply sign (x >= 0 gives +1) before packing")
    channels = v.shape[-1]
    n = words_for(channels)
    bits = np.zeros(v.shape[:-1] + (n * BITS_PER_WORD,), dtype=np.uint64)
    bits[..., :channels] = v < 0
    bits = bits.reshape(v.shape[:-1] + (n, BITS_PER_WORD))
    weights = np.uint64(1) << np.arange(BITS_PER_WORD, dtype=np.uint64)
    return np.moveaxis((bits * weights).sum(axis=-1).astype(np.uint32), -1, axis)


def unpack_bits(words, channels: int, axis: int = -1) -> np.ndarray:
    """uint32 words along `axis` -> int8 +1 / -1 values, `channels` of them along that axis."""
    w = np.moveaxis(np.asarray(words, dtype=np.uint32), axis, -1)
    if w.shape[-1] != words_for(channels):
        raise ModelError(f"{channels} channels take {words_for(channels)} words, the array has {w.shape[-1]}")
    shifts = np.arange(BITS_PER_WORD, dtype=np.uint32)
    bits = (w[..., :, None] >> shifts) & np.uint32(1)
    bits = bits.reshape(w.shape[:-1] + (-1,))[..., :channels]
    return np.moveaxis((1 - 2 * bits.astype(np.int8)).astype(np.int8), -1, axis)


def pack_binary_weights(weights) -> np.ndarray:
    """+1 / -1 weights OHWI [O][KH][KW][I] -> uint32 [O][KH][KW][ceil(I/32)]."""
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ModelError(f"binary weights must be OHWI (4 dimensions), got shape {w.shape}",
                         hint="a fully connected layer's [O][I] weights are [O][1][1][I]")
    return pack_bits(w, axis=-1)


def pack_byte_masks(p: dict, words) -> np.ndarray:
    """Packed binary weights [O][KH][KW][ceil(I/32)] -> tg_conv2d_s8_b1x8_s8_dsp's constant
    (uint32): int32 corr[O4] = -(128 + zero point) * the channel's sum of weights, then per
    group of 4 output channels and per 4 weights of the flattened row the 4 channels' mask
    words (byte 0xFF where the weight is +1, 0 where -1 or beyond K = KH*KW*I)."""
    o, kh, kw, c = p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"]
    w = unpack_bits(np.asarray(words, dtype=np.uint32).reshape(o, kh, kw, -1), c).reshape(o, -1).astype(np.int64)
    k, o4 = kh * kw * c, -(-o // 4) * 4
    n = -(-k // 4)
    corr = np.zeros(o4, np.int64)
    corr[:o] = -(128 - p["input_offset"]) * w.sum(axis=1)
    masks = np.zeros((o4, 4 * n), np.uint32)
    masks[:o, :k] = np.where(w > 0, 0xFF, 0)
    mwords = (masks.reshape(o4, n, 4) << np.array([0, 8, 16, 24], np.uint32)).sum(axis=2).astype(np.uint32)
    groups = mwords.reshape(o4 // 4, 4, n).transpose(0, 2, 1).reshape(-1)
    return np.concatenate([corr.astype(np.int32).view(np.uint32), groups])


# TG_B1X8_FIELD_BYTES: the largest receptive field tg_conv2d_s8_b1x8_s8_dsp takes (a stack buffer)
B1X8_FIELD_BYTES = 1152


def byte_masks_fit(p: dict) -> bool:
    """Whether a layer's receptive field fits tg_conv2d_s8_b1x8_s8_dsp's stack buffer."""
    return p["kernel_h"] * p["kernel_w"] * p["in_c"] <= B1X8_FIELD_BYTES
