"""The transposed convolution's kernels (tg_transpose_conv2d_s8 and its DSP and RV32IM
variants, firmware/kernels/conv/): their specs, the phases they compute the output in, the
weights arranged per phase at build time, and the DSP kernel's scratch.

Along one axis (stride s, dilation d, padding before pad, k taps) output index o receives
input index i through tap t where o = i * s - pad + t * d; which taps reach o depends only
on its phase o mod s (firmware/kernels/conv/tg_transpose_conv2d.h, whose tg_tconv_axis
phase_axis mirrors). The optimized kernels compute each phase as a stride-1 convolution from
that phase's weights, packed here phase after phase in the order they read them.

This module does not import tinygen.kernels.table (which appends these specs to KERNELS):
it receives the KernelSpec class.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from tinygen.kernels.rv32 import BLOCK, RV32, _folded_bias, _int32_words
from tinygen.kernels.scratch import _round_up
from tinygen.kernels.spec import _REQUANT

STRUCT = "tg_transpose_conv2d_params_t"
HEADER = "kernels/tg_transpose_conv2d.h"        # the phases; the DSP kernel's buffer size
_PACKED = ("packed", "bias", "multiplier", "shift")


class PhaseAxis(NamedTuple):
    """tg_tconv_axis_t: the taps of one phase along one axis."""

    first: int          # the largest tap reaching the phase, -1 where none does
    count: int
    tap_step: int       # s / gcd(s, d)
    in_step: int        # d / gcd(s, d)

    @property
    def taps(self) -> list[int]:
        """The phase's taps in the kernels' order, the largest first (input index ascending)."""
        return [self.first - j * self.tap_step for j in range(self.count)]


def phase_axis(a: int, k: int, s: int, d: int, pad: int) -> PhaseAxis:
    """tg_tconv_axis: the taps t < k with (a + pad - t * d) divisible by s."""
    g = math.gcd(s, d)
    for t in range(k - 1, -1, -1):
        if (a + pad - t * d) % s == 0:
            return PhaseAxis(t, t // (s // g) + 1, s // g, d // g)
    return PhaseAxis(-1, 0, s // g, d // g)


def phases(p: dict) -> list[tuple[PhaseAxis, PhaseAxis]]:
    """The (rows, columns) taps of every phase, in the kernels' order (phase rows outer)."""
    ys = [phase_axis(a, p["kernel_h"], p["stride_h"], p["dilation_h"], p["pad_top"]) for a in range(p["stride_h"])]
    xs = [phase_axis(a, p["kernel_w"], p["stride_w"], p["dilation_w"], p["pad_left"]) for a in range(p["stride_w"])]
    return [(y, x) for y in ys for x in xs]


class Rows(NamedTuple):
    """tg_tconv_rows_t: the input rows the DSP kernel widens into its ring."""

    groups: int         # (in_c + 3) // 4
    left: int           # columns before input column 0
    width: int          # columns per widened row
    slots: int          # rows in the ring
    taps_h: int         # the most taps of a phase along y


def dsp_rows(p: dict) -> Rows:
    """tg_tconv_rows: every column the phases' taps read (each column with its right
    neighbour), and the ring's rows."""
    lo, hi = 0, p["in_w"] - 1
    s, d, pad = p["stride_w"], p["dilation_w"], p["pad_left"]
    for a in range(min(s, p["out_w"])):
        ax = phase_axis(a, p["kernel_w"], s, d, pad)
        if ax.count:
            last = a + (p["out_w"] - 1 - a) // s * s
            lo = min(lo, (a + pad - ax.first * d) // s)
            hi = max(hi, (last + pad - ax.first * d) // s + (ax.count - 1) * ax.in_step)
    ys = [phase_axis(a, p["kernel_h"], p["stride_h"], p["dilation_h"], p["pad_top"]) for a in range(p["stride_h"])]
    slots = max([1] + [(y.count - 1) * y.in_step + 1 for y in ys if y.count])
    return Rows(-(-p["in_c"] // 4), -lo, hi - lo + 1, slots, max(y.count for y in ys))


def dsp_scratch(p: dict) -> int:
    """tg_transpose_conv2d_s8_dsp_buffer_size: the channel pairs' requantization records (32
    bytes a pair) and a word per ring slot, rounded up to 8 bytes; a pixel pair's field of the
    longest phase (16 bytes per 4 values); then the ring of widened rows (16 bytes per column
    and group of 4 channels: the column's int16 pairs and its right neighbour's)."""
    r = dsp_rows(p)
    taps_w = max(x.count for _, x in phases(p))
    return (_round_up(32 * (p["out_c"] // 2) + 4 * r.slots, 8) + 16 * r.taps_h * taps_w * r.groups
            + r.slots * r.width * r.groups * 16)


def _phase_weights(p: dict, weights: np.ndarray, y: PhaseAxis, x: PhaseAxis) -> np.ndarray:
    """One phase's weights [out_c, taps_h, taps_w, in_c], taps in the kernels' order."""
    w = np.asarray(weights).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    return w[:, y.taps][:, :, x.taps]


def phase_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_transpose_conv2d_s8_dsp's packed constant (KernelSpec.pack): each phase's weights
    [out_c][taps_h][taps_w][in_c rounded up to 4] in turn, int8, the channels added zero; every
    tap belongs to one phase, so as many bytes as the weights where in_c is a multiple of 4."""
    c4 = -(-p["in_c"] // 4) * 4
    parts = []
    for y, x in phases(p):
        w = _phase_weights(p, consts["weight"], y, x)
        parts.append(np.pad(w, ((0, 0), (0, 0), (0, 0), (0, c4 - p["in_c"]))).ravel())
    return np.concatenate(parts).astype(np.int8)


def phase_rv32_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_transpose_conv2d_s8_rv32's packed constant (KernelSpec.pack), int32 words: phase
    after phase, per block of 4 output channels (zero channels complete the last block) the 4
    biases with the input offset folded over the phase's weights, then the phase's
    taps_h * taps_w * in_c values' weights as int8, the block's 4 channels for each value."""
    out_c = p["out_c"]
    blocks = -(-out_c // BLOCK)
    parts = []
    for y, x in phases(p):
        w = _phase_weights(p, consts["weight"], y, x).reshape(out_c, -1).astype(np.int8)
        depth = w.shape[1]
        padded = np.zeros((blocks * BLOCK, depth), np.int8)
        padded[:out_c] = w
        bias = np.zeros(blocks * BLOCK, np.int64)
        bias[:out_c] = _folded_bias(w, consts.get("bias"), p["input_offset"])
        interleaved = padded.reshape(blocks, BLOCK, depth).transpose(0, 2, 1).reshape(blocks, depth * BLOCK)
        parts.append(np.concatenate([_int32_words(bias.reshape(blocks, BLOCK)), interleaved.view(np.int32)],
                                    axis=1).ravel())
    return np.concatenate(parts)


# tg_transpose_conv2d_s8_dsp's row pointers (TG_TCONV_MAX_TAPS_H): the most taps a phase may have along y
DSP_MAX_TAPS_H = 8


def dsp_serves(graph, node) -> bool:
    """Whether tg_transpose_conv2d_s8_dsp takes the node: no phase with more than
    DSP_MAX_TAPS_H taps along y (a kernel taller than 8 taps per stride); others take the
    portable kernel."""
    _, kh, _, _ = graph.weight_shape(node)
    s, d, pad = node.attrs["stride"][0], node.attrs["dilation"][0], node.attrs["padding"][0]
    return max(phase_axis(a, kh, s, d, pad).count for a in range(s)) <= DSP_MAX_TAPS_H


def transpose_conv_kernels(KernelSpec) -> tuple:
    """The transposed convolution's specs, in order of preference: DSP, RV32IM, portable."""
    def spec(name, requires=frozenset(), **kw):
        return KernelSpec(name, "transpose_conv2d", weight_dtype="int8", weight_bits=8, requires=requires,
                          struct=STRUCT, source=f"kernels/{name}.c", twin="transpose_conv2d_s8", **kw)

    return (
        spec("tg_transpose_conv2d_s8_dsp", frozenset({"dsp"}), const_roles=_PACKED, headers=(HEADER,),
             pack=phase_weights, ref_roles=_REQUANT, scratch=dsp_scratch, accepts=dsp_serves),
        spec("tg_transpose_conv2d_s8_rv32", RV32, const_roles=_PACKED, headers=(HEADER, "kernels/tg_conv2d_s8_rv32.h",
                                                                               "kernels/tg_conv2d_s8.h"),
             pack=phase_rv32_weights, ref_roles=_REQUANT),
        spec("tg_transpose_conv2d_s8", const_roles=_REQUANT),
    )


__all__ = ["DSP_MAX_TAPS_H", "PhaseAxis", "Rows", "dsp_rows", "dsp_serves", "dsp_scratch", "phase_axis", "phase_rv32_weights", "phase_weights", "phases",
           "transpose_conv_kernels"]
