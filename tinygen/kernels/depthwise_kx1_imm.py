"""Build-time data of tg_depthwise_conv2d_kx1_imm_s8_dsp (firmware/kernels/depthwise): which layers it
serves, its scratch, its packed records and the per-layer code the generated model expands
(TG_DW_KX1_IMM_DEFINE in tg_depthwise_conv2d_kx1_imm_s8_dsp.h).

It serves the one-axis depthwise layers (depthwise_kx1_dsp.kx1_geometry) of stride 1 with 2
or 3 taps (any dilation) or 4 or 5 taps (dilation * channels <= 255) and of stride 2 with 4
or 5 taps (dilation 1), without an
activation clamp beyond int8 (act_min -128, act_max 127), with at most 255 channels. The
input is copied into scratch with its padding rows, at stride 1 dilation-phase major (phase
r's samples r, r + d, .. in consecutive rows), so that a call's samples are `channels` bytes
apart: post-indexed LDRSB, whose immediate is 8 bits (no copy where imm_direct holds). Its
outputs are dilation * channels
apart (the output step): post-indexed STRB up to 255, else STRB at [out, #slot * step] over
the unrolled 8 outputs and one ADD (7 * step <= 4095, 8 * step an ADD immediate: up to 585,
512 for temporal_k3_dilated4). The steps, the outputs per call and the common shift below
are assembler immediates: the model code instantiates the loops per layer.

Two requantizations (MODE_COMMON, MODE_SIGN):

MODE_COMMON, where the output zero point is -128 (a ReLU-type layer: the clamp at
act_min = -128 >= the zero point makes TFLite's sign correction irrelevant, see
test_raw_k3_sign_add_left_out_only_where_act_min_reaches_the_zero_point). With n_c = -shift_c,
one layer-wide shift S = max n_c + 1 and e_c = S - n_c in 1..7, channel c's weights and
folded bias are scaled by 2^(e_c + 1) and
    y = SSAT8(SMMLA(sum_c, M_c, B_c) >> S),   B_c = 2^(e_c - 1) + 2^(S - 1) + zp * 2^S,
equals floor((a + 2^30 + 2^(n-1) * 2^31) / 2^(31 + n)) + zp (a = acc * M), TFLite's
requantization without the sign correction: 3 instructions per output with the store
(tests/kernels/test_kernels_dsp_depthwise_kx1_imm.py checks the identity exhaustively).

MODE_SIGN, any zero point: the weights doubled, SMMLAR(sum, M, R) with
R = (1 + 2 * zp) << (n - 1), the sign's ADD, ASR by n (a register: the channels' shifts may
differ), SSAT (tg_depthwise_conv2d_kx1_raw_s8_dsp's arithmetic): 5 per output.

The packed constant, int32: word 0 the channel count, then per channel (lo | hi << 16 the
scaled weights' int16 pairs, w[i] = 0 outside 0..k-1; fbias = 2^(e+1) * (bias +
input_offset * sum w), e = 0 in MODE_SIGN), in the order the loops' LDM takes them:
    stride 1, MODE_COMMON: W01 = (w0 w1), W12 = (w1 w2), fbias, M, B
    stride 1, MODE_SIGN:   W01, W12, fbias, M, R, n
    stride 1, 4 or 5 taps: [n (MODE_SIGN)], W01, W12, W34 = (w3 w4), fbias, M, B or R, W23 = (w2 w3)
    stride 2, MODE_COMMON: W0 = (w0 w1), W1 = (w2 w3), W2 = (w4 0), fbias, M, B
    stride 2, MODE_SIGN:   n, W0, W1, W2, fbias, M, R
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_dsp import requant_small_ok
from tinygen.kernels.depthwise_kx1_dsp import kx1_geometry

IMM_KERNEL = "tg_depthwise_conv2d_kx1_imm_s8_dsp"
MODE_SIGN, MODE_COMMON = 0, 1
MAX_STEP = 255          # post-indexed LDRSB / STRB immediates
MAX_E = 7               # weights * 2^(e+1) stay int16: -128 * 256 = -32768
# pairs (stride 1: 2 or 3 taps, 4 or 5 taps) or outputs (stride 2) per loop iteration
UNROLL = {(1, False): 4, (1, True): 3, (2, True): 6}
# loop iterations: MODE_SIGN keeps (loops - 1) << 8 | n in one register (ORR's immediate),
# MODE_COMMON loops - 1 (MOVW's)
MAX_LOOPS = {MODE_SIGN: 256, MODE_COMMON: 65536}
_INT32 = 1 << 31


def _pairs(lo, hi) -> np.ndarray:
    return (np.asarray(lo, np.int64) & 0xFFFF) | (np.asarray(hi, np.int64) << 16)


def out_step(p: dict, g: dict) -> int:
    """Bytes between a call's consecutive outputs (its samples are in_c apart in the copy)."""
    return p["in_c"] * (g["dilation"] if g["stride"] == 1 else 1)


def _add_immediate(v: int) -> bool:
    """Thumb-2 ADD r, r, #v: ADDW (0..4095) or a modified immediate (8 bits shifted)."""
    return 0 <= v <= 4095 or any(v >> k < 256 and (v >> k) << k == v for k in range(25))


def out_step_ok(step: int) -> bool:
    """Post-indexed STRB, or offsets over 8 outputs and one ADD."""
    return step <= MAX_STEP or (7 * step <= 4095 and _add_immediate(8 * step))


def imm_shape_ok(p: dict, g: dict | None) -> bool:
    """The geometry and clamp the loops serve (the constants aside)."""
    if g is None or (p["act_min"], p["act_max"]) != (-128, 127) or not 1 <= p["in_c"] <= MAX_STEP:
        return False
    if g["stride"] == 1:
        ok = g["kernel"] in (2, 3) or (g["kernel"] in (4, 5) and out_step(p, g) <= MAX_STEP)
    else:
        ok = g["stride"] == 2 and g["kernel"] in (4, 5) and g["dilation"] == 1
    return ok and out_step_ok(out_step(p, g)) and _loops_ok(g, MODE_COMMON)


def _loops_ok(g: dict, mode: int) -> bool:
    return all(loops(g, n) <= MAX_LOOPS[mode] for n in imm_calls(g))


def imm_calls(g: dict) -> list[int]:
    """The outputs per call, longest first, each length once: stride 1 one call per dilation
    phase (ceil and floor of out / d), stride 2 one call."""
    if g["stride"] != 1:
        return [g["out"]]
    d = min(g["dilation"], g["out"])
    return sorted({-(-(g["out"] - r) // g["dilation"]) for r in range(d)}, reverse=True)


def loops(g: dict, outputs: int) -> int:
    """Iterations of a call's unrolled loop."""
    per = UNROLL[g["stride"], g["kernel"] > 3]
    return (outputs // 2 if g["stride"] == 1 else outputs) // per


def imm_rows(g: dict) -> int:
    """Rows of the padded copy (tg_dw_kx1_imm_rows). Dilation 1 or stride 2: the input's, and
    every position the loads reach (stride 1: two past the last output's first tap; stride 2:
    X_{t+2} of the last output t). Dilated: d phases of phase_rows each."""
    if g["stride"] == 1 and g["dilation"] > 1:
        return g["dilation"] * phase_rows(g)
    reach = 2 * g["out"] + 4 if g["stride"] == 2 else g["out"] + _past(g)
    return max(reach, g["pad"] + g["len"])


def _past(g: dict) -> int:
    """Samples a stride-1 call reads past its outputs: X_m+1 (2 or 3 taps) or X_m+2 (4 or 5)."""
    return 4 if g["kernel"] > 3 else 2


def phase_rows(g: dict) -> int:
    """Rows of a dilation phase in the copy: its samples up to _past beyond its last output."""
    return -(-g["out"] // g["dilation"]) + _past(g)


def imm_direct(g: dict) -> bool:
    """Whether the loops read the input itself, with no copy (tg_dw_kx1_imm_direct): no padding,
    not dilated at stride 1, and every position the loads reach inside the input (the "valid"
    temporal layers of streaming keyword spotters: their samples are `channels` bytes apart
    in the input already)."""
    return g["pad"] == 0 and not (g["stride"] == 1 and g["dilation"] > 1) and imm_rows(g) <= g["len"]


def imm_scratch(p: dict) -> int:
    """Scratch bytes: the padded copy of the input, its input rows word aligned (up to 3
    bytes before), rounded up to 16 (tg_dw_kx1_imm_rows); 0 where the loops read the input
    itself (imm_direct) or the kernel cannot serve."""
    g = kx1_geometry(p)
    if not imm_shape_ok(p, g) or imm_direct(g):
        return 0
    return (imm_rows(g) * p["in_c"] + 3 + 15) // 16 * 16


def common_shift(n: np.ndarray) -> tuple[int, np.ndarray] | None:
    """MODE_COMMON's layer shift S and per-channel e = S - n (1..MAX_E), or None."""
    s = int(n.max()) + 1
    e = s - n
    return (s, e) if int(e.max()) <= MAX_E else None


def imm_plan(p: dict, consts: dict) -> dict | None:
    """mode, shift S (MODE_COMMON), per-channel e, bias, multiplier, n, weights [C, k]; None
    where the kernel does not serve the layer."""
    g = kx1_geometry(p)
    if not imm_shape_ok(p, g):
        return None
    c, k = p["in_c"], g["kernel"]
    q = requant_small_ok(p, consts, c, k)
    if q is None:
        return None
    bias, multiplier, n = q
    w = np.asarray(consts["weight"], dtype=np.int64).reshape(k, c).T
    common = common_shift(n) if p["output_offset"] == -128 else None
    mode, s, e = (MODE_COMMON, *common) if common else (MODE_SIGN, 0, np.zeros(c, np.int64))
    if not _loops_ok(g, mode):
        return None
    scale = np.int64(2) << e                                        # 2^(e+1)
    fbias = scale * (bias + p["input_offset"] * w.sum(axis=1))
    # every partial sum of the loops (fbias, then raw int8 inputs times the scaled weights)
    if (np.abs(fbias) + 128 * np.abs(w * scale[:, None]).sum(axis=1) >= _INT32).any():
        return None
    if mode == MODE_COMMON:
        b = (np.int64(1) << (e - 1)) + (1 << (s - 1)) + p["output_offset"] * (np.int64(1) << s)
        top = (np.abs(fbias) + 128 * np.abs(w * scale[:, None]).sum(axis=1)) * multiplier >> 32
        if s > 31 or (top + 1 + np.abs(b) >= _INT32).any():     # SMMLA's result stays int32
            return None
    else:
        b = (1 + 2 * p["output_offset"]) << (n - 1)                # R (requant_small_ok's bound)
    return dict(mode=mode, shift=s, e=e, weights=w * scale[:, None], fbias=fbias, multiplier=multiplier,
                b=b, n=n, geometry=g)


def imm_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int32; the single word 0 where the kernel does
    not serve the layer."""
    plan = imm_plan(p, consts)
    if plan is None:
        return np.zeros(1, dtype=np.int32)
    w, c = plan["weights"], p["in_c"]
    taps = np.zeros((c, 6), np.int64)
    taps[:, :w.shape[1]] = w
    common = plan["mode"] == MODE_COMMON
    req = [plan["fbias"], plan["multiplier"], plan["b"]]
    if plan["geometry"]["stride"] == 1 and w.shape[1] <= 3:
        cols = [_pairs(taps[:, 0], taps[:, 1]), _pairs(taps[:, 1], taps[:, 2])] + req
        cols += [] if common else [plan["n"]]
    elif plan["geometry"]["stride"] == 1:
        cols = [_pairs(taps[:, 0], taps[:, 1]), _pairs(taps[:, 1], taps[:, 2]), _pairs(taps[:, 3], taps[:, 4])]
        cols += req + [_pairs(taps[:, 2], taps[:, 3])]
        cols = cols if common else [plan["n"]] + cols
    else:
        cols = [_pairs(taps[:, 0], taps[:, 1]), _pairs(taps[:, 2], taps[:, 3]), _pairs(taps[:, 4], 0)] + req
        cols = cols if common else [plan["n"]] + cols
    words = np.concatenate([[c], np.stack(cols, axis=1).ravel()])
    return (words & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def imm_serves(p: dict, consts: dict) -> bool:
    return imm_plan(p, consts) is not None


def imm_defines(name: str, p: dict, consts: dict) -> list[tuple[str, tuple[int, ...]]]:
    """The per-layer loops the model code defines: (function name, TG_DW_KX1_IMM_DEFINE's
    arguments after the name: stride, taps, mode, sample step, output step, shift, outputs),
    longest call first."""
    plan = imm_plan(p, consts)
    g = plan["geometry"]
    return [(f"{name}_imm{k}", (g["stride"], g["kernel"], plan["mode"], p["in_c"], out_step(p, g), plan["shift"], n))
            for k, n in enumerate(imm_calls(g))]


def imm_code_bytes(p: dict, consts: dict) -> int:
    """An upper bound of the per-layer code's flash (tinygen.build.memory.code_estimate): 4
    bytes per instruction of each definition: the unrolled loop and the longest remainder
    (stride 1: 4 + 3 pairs of 13 / 17 instructions in MODE_COMMON / MODE_SIGN, 3 + 2 of 15 / 20
    with 4 or 5 taps, the odd output, the ADD and the loop's 2; stride 2: 6 + 5 outputs of 9 /
    11 and the loop's 2), and 28 for the entry, the exit and the per-channel set-up."""
    plan = imm_plan(p, consts)
    if plan is None:
        return 0
    common = plan["mode"] == MODE_COMMON
    if plan["geometry"]["stride"] == 1 and plan["geometry"]["kernel"] > 3:
        pair = 15 if common else 20
        body = 5 * pair + (pair // 2 + 1) + 3
    elif plan["geometry"]["stride"] == 1:
        pair = 13 if common else 17
        body = 7 * pair + (pair // 2 + 1) + 3
    else:
        body = 11 * (9 if common else 11) + 2
    return 4 * len(imm_calls(plan["geometry"])) * (body + 28)
