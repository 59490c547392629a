"""Numpy twins of the dynamic-inference kernels (firmware/kernels/gated/tg_channel_gate_s8.c,
tg_conv2d_gated_s8*.c, tg_depthwise_conv2d_gated_s8*.c, tg_fully_connected_gated_s8*.c,
tg_exit_select_s8.c), integer-exact, and their float forms for the float interpreter
(calibration).

Gate decisions are defined on the integer saliency so that host and device always agree:
top-k keeps the k largest codes, ties broken by the lowest channel index; a threshold gate
keeps the channels whose saliency reaches threshold_q / 256 of the largest one. A channel
whose saliency is the zero point (real 0) counts as dropped either way: its scale is 0.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.kernels import conv2d_s8, depthwise_conv2d_s8, fully_connected_s8

# a threshold gate's threshold in 1/256 steps (tg_channel_gate_params_t.threshold_q)
THRESHOLD_ONE = 256


def topk_keep(values: np.ndarray, k: int) -> np.ndarray:
    """Boolean [C]: the k largest values, ties to the lowest index (a stable descending sort)."""
    order = np.argsort(-np.asarray(values, dtype=np.float64), kind="stable")
    keep = np.zeros(len(order), dtype=bool)
    keep[order[:k]] = True
    return keep


def threshold_q(threshold: float) -> int:
    """A threshold in [0, 1] as the kernel's integer, in 1/256 steps (rounded half up)."""
    return int(np.floor(float(threshold) * THRESHOLD_ONE + 0.5))


def gate_keep(p: dict, saliency) -> np.ndarray:
    """Boolean [C]: the channels tg_channel_gate_s8 keeps (saliency not at the zero point)."""
    s = np.asarray(saliency, dtype=np.int64).reshape(-1)
    zp = p["zero_point"]
    if p["k"] > 0:
        keep = topk_keep(s, p["k"])
    else:
        top = int(s.max()) - zp
        keep = (s - zp) * THRESHOLD_ONE >= p["threshold_q"] * top
    return keep & (s != zp)


def channel_gate_s8(p: dict, saliency) -> np.ndarray:
    """Mirrors tg_channel_gate_s8: the saliency with the dropped channels at the zero point."""
    s = np.asarray(saliency, dtype=np.int8).reshape(-1)
    return np.where(gate_keep(p, s), s, np.int8(p["zero_point"])).astype(np.int8)


def conv2d_gated_s8(p: dict, input, gate, *rest) -> np.ndarray:
    """Mirrors tg_conv2d_gated_s8: tg_conv2d_s8's result times the gate per channel (TFLite
    MUL arithmetic). A channel with the gate at its zero point multiplies by 0: the kernel
    skips its convolution, and the product is the output zero point clamped, as here.
    rest: [in_gate,] weights, bias, multiplier, shift; an input gate changes nothing (the
    input channels it dropped hold the zero point: the kernel skips them, they add 0)."""
    weights, bias, multiplier, shift = rest[-4:]
    return gate_scale(p, conv2d_s8(p, input, weights, bias, multiplier, shift), gate)


def gate_scale(p: dict, y, gate) -> np.ndarray:
    """A layer's int8 result y [..., C] (zero point p["output_offset"]) times the gate [C],
    TFLite MUL arithmetic (tg_gate_scale in tg_conv2d_gated.h)."""
    y = np.asarray(y, dtype=np.int64)
    g = np.asarray(gate, dtype=np.int64).reshape(-1)
    product = (y - p["output_offset"]) * (g + p["gate_input_offset"])
    out = fp.multiply_by_quantized_multiplier(product, p["gate_multiplier"], p["gate_shift"])
    return np.clip(out + p["gate_output_offset"], p["gate_act_min"], p["gate_act_max"]).astype(np.int8)


def gate_fold(multiplier, shift, g, gate_multiplier: int, gate_shift: int):
    """Mirrors tg_gate_fold (tg_conv2d_gated.h): per channel, the requantization
    (multiplier, shift) times the gate's (gate_multiplier, gate_shift) times g (the gate value
    plus its offset) as one Q31 multiplier and shift. P = multiplier * gate_multiplier (64-bit),
    m1 = (P + 2^30) >> 31 (round half up), Q = m1 * g, then |Q| renormalized to [2^30, 2^31)
    by e bits (a right shift rounds half up; 2^31 after rounding halves, e + 1), the sign of Q
    put back, shift' = shift + gate_shift + e; g == 0, a zero multiplier or shift' < -31 gives
    (0, 0). Returns int64 arrays (multiplier', shift')."""
    m = np.asarray(multiplier, dtype=np.int64).reshape(-1)
    g = np.broadcast_to(np.asarray(g, dtype=np.int64).reshape(-1), m.shape)
    sh = np.broadcast_to(np.asarray(shift, dtype=np.int64).reshape(-1), m.shape)
    out_m, out_s = np.zeros(m.shape, dtype=np.int64), np.zeros(m.shape, dtype=np.int64)
    for c in range(m.size):
        q = ((int(m[c]) * int(gate_multiplier) + (1 << 30)) >> 31) * int(g[c])
        if q == 0:
            continue
        mag, e = abs(q), abs(q).bit_length() - 31
        if e > 0:
            mag = (mag + (1 << (e - 1))) >> e
            if mag == 1 << 31:
                mag, e = mag >> 1, e + 1
        else:
            mag <<= -e
        s = int(sh[c]) + int(gate_shift) + e
        if s >= -31:
            out_m[c], out_s[c] = (mag if q > 0 else -mag), s
    return out_m, out_s


def gate_fold_clamp(p: dict) -> tuple[int, int]:
    """The folded layer's clamp: the gate's, raised to the output zero point (real 0) when
    the convolution's clamp starts at or above its own zero point (a ReLU); the
    convolution's upper clamp is not applied (the result is not saturated twice)."""
    lo, hi = p["gate_act_min"], p["gate_act_max"]
    if p["act_min"] >= p["output_offset"]:
        lo = max(lo, p["gate_output_offset"])
    return lo, hi


def depthwise_conv2d_gated_s8(p: dict, input, gate, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_depthwise_conv2d_gated_s8 (and _dsp): the gate folded into the
    requantization, one rounding per output: channel c's accumulator (bias included) is
    requantized with gate_fold(multiplier_c, shift_c, gate_c + gate_input_offset), offset by
    gate_output_offset and clamped to gate_fold_clamp(p). A dropped channel (gate at its zero
    point) has multiplier 0: the clamped output zero point, not computed."""
    g = np.asarray(gate, dtype=np.int64).reshape(-1) + p["gate_input_offset"]
    m, s = gate_fold(multiplier, shift, g, p["gate_multiplier"], p["gate_shift"])
    lo, hi = gate_fold_clamp(p)
    q = dict(p, output_offset=p["gate_output_offset"], act_min=lo, act_max=hi)
    return depthwise_conv2d_s8(q, input, weights, bias, m, s)


def fully_connected_gated_s8(p: dict, input, gate, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_fully_connected_gated_s8 (and _dsp): tg_fully_connected_s8's result times
    the gate per output feature; a dropped output is the product with 0 (not computed)."""
    return gate_scale(p, fully_connected_s8(p, input, weights, bias, multiplier, shift), gate)


def exit_taken(probs, threshold_code: int) -> bool:
    """Whether an exit answers: its largest int8 probability reaches threshold_code."""
    return int(np.asarray(probs, dtype=np.int64).max()) >= threshold_code


def exit_index(p: dict, *probs) -> int:
    """The exit that answers: the first whose head passes its threshold, else the last."""
    for k, code in enumerate(p["thresholds"]):
        if exit_taken(probs[k], code):
            return k
    return len(probs) - 1


def exit_select_s8(p: dict, *probs) -> np.ndarray:
    """Mirrors the generated early returns (tg_exit_taken_s8 after each head, then the copy)."""
    return np.asarray(probs[exit_index(p, *probs)], dtype=np.int8).copy()


# -- float forms (the float interpreter: calibration) ------------------------------------------

def channel_gate_float(saliency: np.ndarray, mode: str, k: int, threshold: float) -> np.ndarray:
    """The gate on a float batch [N, C] (tinygen.nn's eval forward computes the same)."""
    out = np.zeros_like(saliency)
    for i, s in enumerate(saliency):
        if mode == "topk":
            keep = topk_keep(s, k)
        else:
            keep = s >= threshold * s.max()
        out[i] = np.where(keep & (s != 0), s, 0)
    return out


def exit_select_float(probs: list[np.ndarray], thresholds) -> np.ndarray:
    """Per batch row: the first head whose largest probability reaches its threshold."""
    out = probs[-1].copy()
    for i in range(out.shape[0]):
        for k, thr in enumerate(thresholds):
            if probs[k][i].max() >= thr:
                out[i] = probs[k][i]
                break
    return out
