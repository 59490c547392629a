"""Build-time data of tg_depthwise_conv2d_dm_s8_dsp (firmware/kernels/depthwise), the DSP depthwise
kernel for depth multiplier > 1 with any window: its packed weights and its scratch.

A window row's taps pair up as SXTB16 splits an int8 word: for each whole group of 4 columns
k..k+3 the pairs (k, k+2) and (k+1, k+3), then the last kernel_w % 4 columns as (k, k+1) and a
lone last one with 0 (dm_tap_pairs). The kernel gathers each output pixel's window of one input
channel into the scratch as int16 tap pairs in that order, row by row, and multiplies it with
the weights of the channel's M = depth_multiplier output channels, packed here as int16 pairs
(lo | hi << 16) in the same order: per input channel, per block of output channels (4 at a time,
then 2, then 1: dm_blocks), pair-major, [pair][channel of the block].
"""

from __future__ import annotations

import numpy as np


def dm_tap_pairs(kernel_w: int) -> list[tuple[int, int | None]]:
    """The column pairs of a window row, in the order the kernel gathers them (tg_dwm_row_inside):
    (k, k + 2), (k + 1, k + 3) per whole group of 4, then (k, k + 1), then (k, None) for a lone last one."""
    pairs: list[tuple[int, int | None]] = []
    body = kernel_w & ~3
    for k in range(0, body, 4):
        pairs += [(k, k + 2), (k + 1, k + 3)]
    for k in range(body, kernel_w - 1, 2):
        pairs.append((k, k + 1))
    if (kernel_w - body) % 2:
        pairs.append((kernel_w - 1, None))
    return pairs


def dm_words(p: dict) -> int:
    """Tap-pair words of a window (tg_dwm_row_words per row, kernel_h rows)."""
    return p["kernel_h"] * len(dm_tap_pairs(p["kernel_w"]))


def dm_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_dm_s8_dsp's scratch: one window's tap-pair words."""
    return 4 * dm_words(p)


def dm_blocks(multiplier: int) -> list[int]:
    """The widths of the blocks an input channel's output channels are computed in: 4, then 2, then 1."""
    return [4] * (multiplier // 4) + [2] * (multiplier % 4 // 2) + [1] * (multiplier % 2)


def dm_weights(p: dict, consts: dict) -> np.ndarray:
    """The packed weights (KernelSpec.pack), int32 words of two int16 weights (lo | hi << 16):
    per input channel, per block of its output channels (dm_blocks), for each window row and
    tap pair of the row (dm_tap_pairs), the block's channels' words."""
    kh, kw, out_c, m = p["kernel_h"], p["kernel_w"], p["out_c"], p["depth_multiplier"]
    w = np.asarray(consts["weight"], dtype=np.int64).reshape(kh, kw, out_c)
    padded = np.concatenate([w, np.zeros((kh, 1, out_c), dtype=np.int64)], axis=1)   # column kw: 0
    pairs = dm_tap_pairs(kw)
    lo = padded[:, [a for a, _ in pairs]]
    hi = padded[:, [kw if b is None else b for _, b in pairs]]
    words = ((lo & 0xFFFF) | (hi << 16)).reshape(-1, out_c)           # [row * pair][channel]
    out = []
    for ic in range(p["in_c"]):
        oc = ic * m
        for width in dm_blocks(m):
            out.append(words[:, oc:oc + width].ravel())
            oc += width
    return (np.concatenate(out) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
