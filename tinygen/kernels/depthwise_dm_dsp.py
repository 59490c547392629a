"""Build-time data of tg_depthwise_conv2d_dm_s8_dsp (firmware/kernels/depthwise), the DSP depthwise
kernel for depth multiplier > 1 with any window: its packed constant and its scratch.

Per output row and input channel the kernel widens the kernel_h input rows its windows read
into a band of int16 (x + input_offset, 0 at padding), column-major, so that a window's taps
are one contiguous run in the order (kx, ky), column by column (phase-major columns when
dilation_w > 1: column x' at x' % dilation_w * phase_cols + x' // dilation_w). It reads the run
as int16 pairs (taps 2i, 2i + 1; an odd count's last pair reads the value after the run) and
multiplies them with the weights of the channel's M = depth_multiplier output channels by SMLAD.
The weights are packed here as int16 pairs (lo | hi << 16) in the run's order, a lone last tap's
pair with weight 0 (which cancels the value after the run): per input channel, per block of
output channels (4 at a time, then 2, then 1: dm_blocks), [pair][channel of the block]. Before
them, HEADER_WORDS words: 1 where the depthwise DSP kernels' small requantization (SMMLAR of the
doubled sum) is exact for every channel (depthwise_dsp.requant_small_ok over the window's taps),
else 0 (TFLite's, as the matrix kernels compute it), then 0.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_dsp import requant_small_ok

HEADER_WORDS = 2        # TG_DWM_HEADER_WORDS: whether the small requantization serves, 0


def dm_phase_cols(p: dict) -> int:
    """Band columns per phase: the span of input columns an output row's windows cover (from
    column -pad_left on), divided among dilation_w phases."""
    d = p["dilation_w"]
    span = (p["out_w"] - 1) * p["stride_w"] + (p["kernel_w"] - 1) * d + 1
    return -(-span // d)


def dm_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_dm_s8_dsp's scratch: the band, kernel_h int16 per column, one more int16
    (an odd window's last pair reads it), rounded up to whole words."""
    values = p["dilation_w"] * dm_phase_cols(p) * p["kernel_h"] + 1
    return 2 * (values + values % 2)


def dm_blocks(multiplier: int) -> list[int]:
    """The widths of the blocks an input channel's output channels are computed in: 4, then 2, then 1."""
    return [4] * (multiplier // 4) + [2] * (multiplier % 4 // 2) + [1] * (multiplier % 2)


def dm_weights(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int32: the header (HEADER_WORDS), then words of two
    int16 weights (lo | hi << 16): per input channel, per block of its output channels
    (dm_blocks), for each pair of the window's taps in (kx, ky) order, the block's channels' words."""
    kh, kw, out_c, m = p["kernel_h"], p["kernel_w"], p["out_c"], p["depth_multiplier"]
    taps = kh * kw
    w = np.zeros((taps + taps % 2, out_c), dtype=np.int64)
    w[:taps] = np.asarray(consts["weight"], dtype=np.int64).reshape(kh, kw, out_c).transpose(1, 0, 2).reshape(taps,
                                                                                                         out_c)
    words = (w[0::2] & 0xFFFF) | (w[1::2] << 16)            # [pair][channel]
    small = requant_small_ok(p, consts, out_c, taps) is not None
    out = [np.array([int(small), 0], dtype=np.int64)]
    for ic in range(p["in_c"]):
        oc = ic * m
        for width in dm_blocks(m):
            out.append(words[:, oc:oc + width].ravel())
            oc += width
    return (np.concatenate(out) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
