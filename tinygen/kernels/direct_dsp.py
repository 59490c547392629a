"""The direct convolutions' constants (tg_conv2d_direct_s8_dsp, tg_conv2d_widen_s8_dsp and
their fused-add forms tg_conv2d_add_s8_dsp, tg_conv2d_add_widen_s8_dsp): the weights laid out
at build time in the order their cores read them (KernelSpec.pack), and the widening
kernels' scratch (one block of 4 output channels' weights as int16)."""

from __future__ import annotations

import numpy as np


def conv2d_direct_dsp_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_direct_s8_dsp's and tg_conv2d_add_s8_dsp's packed weights (KernelSpec.pack):
    int16, per block of 4 output channels (zero channels complete the last block), per
    kernel row of L = kernel_w * in_c elements: for each whole group of 4 elements, each
    channel's values in the order SXTB16 pairs them (w0, w2, w1, w3), channel 0 first; then
    the last L % 4 elements, the 4 channels' values for each."""
    out_c, kh, length = p["out_c"], p["kernel_h"], p["kernel_w"] * p["in_c"]
    w = np.zeros((-(-out_c // 4) * 4, kh, length), dtype=np.int16)
    w[:out_c] = np.asarray(consts["weight"]).reshape(out_c, kh, length)
    blocks = w.reshape(-1, 4, kh, length).transpose(0, 2, 1, 3)         # [block, ky, channel, k]
    body = length & ~3
    groups = blocks[..., :body].reshape(*blocks.shape[:3], body // 4, 4)[..., [0, 2, 1, 3]]
    groups = groups.transpose(0, 1, 3, 2, 4).reshape(*blocks.shape[:2], -1)
    tail = blocks[..., body:].transpose(0, 1, 3, 2).reshape(*blocks.shape[:2], -1)
    return np.concatenate([groups, tail], axis=-1).ravel()


def conv2d_widen_dsp_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_widen_s8_dsp's and tg_conv2d_add_widen_s8_dsp's packed weights
    (KernelSpec.pack): conv2d_direct_dsp_weights' layout kept as int8, each group of 4 values
    (a, b, c, d) stored as (a, c, b, d), so that SXTB16 and SXTB16 ROR #8 of a word give the
    int16 pairs (a, b) and (c, d) of the widened layout."""
    return conv2d_direct_dsp_weights(p, consts).reshape(-1, 4)[:, [0, 2, 1, 3]].astype(np.int8).ravel()


def conv2d_widen_dsp_scratch(p: dict) -> int:
    """tg_conv2d_widen_s8_dsp_buffer_size: one block of 4 channels' weights as int16."""
    return 8 * p["kernel_h"] * p["kernel_w"] * p["in_c"]
