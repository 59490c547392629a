"""Per-layer specialization of the DSP convolution and fully connected kernels.

A specialized layer calls its kernel's always-inline body (declared in a header)
instead of the out-of-line entry point, with the layer's `static const` parameter
struct and the requantization verdict computed here at build time, so the C
compiler sees shapes, strides, padding, offsets, activation bounds and loop trip
counts as constants: it folds them, drops the dead branches and unrolls. The
generic entry points stay in their .c files (models built with specialization
off call them). On by default; graph.meta["specialize"] = False turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

# tg_mat_mult_quant's bound (tg_mat_mult_s8_dsp.h): sums below 2^30 in magnitude, with
# |x + input_offset| <= 255 and |w| <= 128
_LIMIT = 1 << 30
_MAX_PRODUCT = 255 * 128


@dataclass(frozen=True)
class Inline:
    function: str     # the always-inline body, taking (params, bounded, then the kernel's arguments)
    header: str       # firmware header declaring it (relative to firmware/)
    depth: str        # kparams giving the product's depth, multiplied
    folds: bool = False  # its outputs take TG_REQUANT_FOLDED (tg_mat_mult_outputs)
    pos: bool = False    # its outputs take the POS flag (the sign's ADD left out: sign_add_needed)
    pos_of: str = ""     # the prefix of the kparams whose act_min / output_offset decide it ("add_": the add's)
    once: bool = False   # its folded outputs take the ONCE flag (a single-rounding pair: requant_once)
    uniform: bool = False  # its folded outputs take the UNIFORM flag (one multiplier and shift: requant_uniform)
    # a shared-weight kernel decoding the layer's weights into the arena first (tinygen.kernels.lut_table):
    # the int8 kernel whose body then runs on them (tinygen/codegen/lut_decode.py emits the decode)
    decodes: str = ""


INLINE: dict[str, Inline] = {
    "tg_conv2d_1x1_s8_dsp": Inline("tg_conv2d_1x1_s8_dsp_inline", "kernels/tg_mat_mult_s8_dsp.h", "in_c", True,
                                   True, once=True),
    "tg_conv2d_s8_dsp": Inline("tg_conv2d_s8_dsp_inline", "kernels/tg_conv2d_s8_dsp.h",
                               "kernel_h*kernel_w*in_c", True, True, once=True),
    "tg_fully_connected_s8_dsp": Inline("tg_fully_connected_s8_dsp_inline", "kernels/tg_mat_mult_s8_dsp.h",
                                        "in_features", True, True, once=True),
    # depth <= 16 (tinygen/kernels/fc_shallow_dsp.py): the records carry the requantization
    "tg_fully_connected_shallow_s8_dsp": Inline("tg_fully_connected_shallow_s8_dsp_inline",
                                                "kernels/tg_fully_connected_shallow_s8_dsp.h", "in_features"),
    # the gated layer (tinygen/gating): its kept outputs' sums as the dense layer's, then the gate
    "tg_fully_connected_gated_s8_dsp": Inline("tg_fully_connected_gated_s8_dsp_inline",
                                              "kernels/tg_fully_connected_gated_s8_dsp.h", "in_features", True),
    # one row (tinygen/kernels/fc_batch1_dsp.py): the shared body with the build's verdict
    "tg_fully_connected_batch1_s8_dsp": Inline("tg_fully_connected_batch1_s8_dsp_inline",
                                               "kernels/tg_fully_connected_batch1_s8_dsp.h", "in_features", True, True,
                                               once=True, uniform=True),
    "tg_fully_connected_batch1_lean_s8_dsp": Inline("tg_fully_connected_batch1_lean_s8_dsp_inline",
                                                    "kernels/tg_fully_connected_batch1_s8_dsp.h", "in_features", True,
                                                    True, once=True, uniform=True),
    "tg_fully_connected_batch1_rowpair_s8_dsp": Inline("tg_fully_connected_batch1_rowpair_s8_dsp_inline",
                                                       "kernels/tg_fully_connected_batch1_s8_dsp.h", "in_features",
                                                       True, True, once=True, uniform=True),
    "tg_fully_connected_batch1_rowpair_lean_s8_dsp": Inline("tg_fully_connected_batch1_rowpair_lean_s8_dsp_inline",
                                                            "kernels/tg_fully_connected_batch1_s8_dsp.h",
                                                            "in_features", True, True, once=True, uniform=True),
    "tg_fully_connected_batch1_w16_s8_dsp": Inline("tg_fully_connected_batch1_w16_s8_dsp_inline",
                                                   "kernels/tg_fully_connected_batch1_s8_dsp.h", "in_features", True,
                                                   True, once=True, uniform=True),
    "tg_conv2d_direct_s8_dsp": Inline("tg_conv2d_direct_s8_dsp_inline", "kernels/tg_conv2d_direct_s8_dsp.h",
                                      "kernel_h*kernel_w*in_c", pos=True),
    # the fused add's requantization takes POS (the conv's result before it is not clamped to the add's range)
    "tg_conv2d_add_s8_dsp": Inline("tg_conv2d_add_s8_dsp_inline", "kernels/tg_conv2d_add_s8_dsp.h",
                                   "kernel_h*kernel_w*in_c", pos=True, pos_of="add_"),
    "tg_conv2d_widen_s8_dsp": Inline("tg_conv2d_widen_s8_dsp_inline", "kernels/tg_conv2d_widen_s8_dsp.h",
                                     "kernel_h*kernel_w*in_c", pos=True),
    "tg_conv2d_add_widen_s8_dsp": Inline("tg_conv2d_add_widen_s8_dsp_inline", "kernels/tg_conv2d_widen_s8_dsp.h",
                                         "kernel_h*kernel_w*in_c", pos=True, pos_of="add_"),
    # the same core on shared weights, 4 channels decoded at a time (tinygen.kernels.lut_table)
    "tg_conv2d_widen_lut_s8_dsp": Inline("tg_conv2d_widen_lut_s8_dsp_inline", "kernels/tg_conv2d_widen_lut_s8_dsp.h",
                                         "kernel_h*kernel_w*in_c", pos=True),
    # the same core on entropy-coded weights, each block decoded once (tinygen.kernels.huffman_table)
    "tg_conv2d_widen_huffman_s8_dsp": Inline("tg_conv2d_widen_huffman_s8_dsp_inline",
                                             "kernels/tg_conv2d_widen_huffman_s8_dsp.h", "kernel_h*kernel_w*in_c",
                                             pos=True),
    # pointwise in 3-row blocks (tinygen/kernels/pw_rows3_dsp.py), else tg_conv2d_1x1_s8_dsp's product
    "tg_conv2d_1x1_rows3_s8_dsp": Inline("tg_conv2d_1x1_rows3_s8_dsp_inline", "kernels/tg_mat_mult_rows3_s8_dsp.h",
                                         "in_c", True, True, once=True),
    # im2col conv in 3-pixel blocks (tinygen/kernels/conv_rows3_dsp.py), else tg_conv2d_s8_dsp's body
    "tg_conv2d_rows3_s8_dsp": Inline("tg_conv2d_rows3_s8_dsp_inline", "kernels/tg_conv2d_rows3_s8_dsp.h",
                                     "kernel_h*kernel_w*in_c", True, True, once=True),
    # im2col conv in 4-pixel blocks with int16 weights (tinygen/kernels/rows4_dsp.py), else each output alone
    "tg_conv2d_rows4_w16_s8_dsp": Inline("tg_conv2d_rows4_w16_s8_dsp_inline", "kernels/tg_conv2d_rows4_w16_s8_dsp.h",
                                         "kernel_h*kernel_w*in_c", True, True, once=True),
    # with the fused add: the conv's outputs folded, the add's POS
    "tg_conv2d_add_rows4_w16_s8_dsp": Inline("tg_conv2d_add_rows4_w16_s8_dsp_inline",
                                             "kernels/tg_conv2d_rows4_w16_s8_dsp.h", "kernel_h*kernel_w*in_c", True,
                                             True, pos_of="add_"),
    # the same blocks with row-pair halfwords (tinygen/kernels/pair_halfwords.py)
    "tg_conv2d_rows4_pair_s8_dsp": Inline("tg_conv2d_rows4_pair_s8_dsp_inline", "kernels/tg_conv2d_rows4_w16_s8_dsp.h",
                                          "kernel_h*kernel_w*in_c", True, True, once=True),
    "tg_conv2d_add_rows4_pair_s8_dsp": Inline("tg_conv2d_add_rows4_pair_s8_dsp_inline",
                                              "kernels/tg_conv2d_rows4_w16_s8_dsp.h", "kernel_h*kernel_w*in_c", True,
                                              True, pos_of="add_"),
    # 3x3 stride 1 over a ring of widened input rows (tinygen/kernels/slide_dsp.py)
    "tg_conv2d_slide_pair_s8_dsp": Inline("tg_conv2d_slide_pair_s8_dsp_inline",
                                          "kernels/tg_conv2d_slide_pair_s8_dsp.h", "kernel_h*kernel_w*in_c", True,
                                          True, once=True),
    "tg_conv2d_add_slide_pair_s8_dsp": Inline("tg_conv2d_add_slide_pair_s8_dsp_inline",
                                              "kernels/tg_conv2d_slide_pair_s8_dsp.h", "kernel_h*kernel_w*in_c",
                                              True, True, pos_of="add_"),
    # the RV32IM kernels (tinygen.kernels.rv32): the same (params, bounded, arguments) convention
    "tg_conv2d_s8_rv32": Inline("tg_conv2d_s8_rv32_inline", "kernels/tg_conv2d_s8_rv32.h", "kernel_h*kernel_w*in_c"),
    "tg_conv2d_1x1_s8_rv32": Inline("tg_conv2d_1x1_s8_rv32_inline", "kernels/tg_conv2d_s8_rv32.h",
                                    "kernel_h*kernel_w*in_c"),
    "tg_conv2d_add_s8_rv32": Inline("tg_conv2d_add_s8_rv32_inline", "kernels/tg_conv2d_s8_rv32.h",
                                    "kernel_h*kernel_w*in_c"),
    "tg_fully_connected_s8_rv32": Inline("tg_fully_connected_s8_rv32_inline", "kernels/tg_conv2d_s8_rv32.h",
                                         "in_features"),
    "tg_depthwise_conv2d_s8_rv32": Inline("tg_depthwise_conv2d_s8_rv32_inline",
                                          "kernels/tg_depthwise_conv2d_s8_rv32.h", "kernel_h*kernel_w"),
    # their shared-weight kernels (firmware/kernels/lut/tg_lut_rv32.h): the weights decoded, then the body above
    **{f"tg_{op}_lut_decode_s8_rv32": Inline(f"tg_{op}_lut_decode_s8_rv32_inline", "kernels/tg_lut_rv32.h", depth)
       for op, depth in (("conv2d", "kernel_h*kernel_w*in_c"), ("conv2d_add", "kernel_h*kernel_w*in_c"),
                         ("fully_connected", "in_features"), ("depthwise_conv2d", "kernel_h*kernel_w"))},
}

# The shared-weight (LUT) kernels that decode a layer's weights into the arena and then run an int8
# DSP kernel on them (tinygen.kernels.lut_table): specialized, the decode is a call of its own and
# the int8 kernel's inline body follows with this layer's constants, as in the int8 build.
LUT_DECODES = {
    "tg_conv2d_1x1_rows3_lut_decode_s8_dsp": "tg_conv2d_1x1_rows3_s8_dsp",
    "tg_conv2d_rows3_lut_decode_s8_dsp": "tg_conv2d_rows3_s8_dsp",
    "tg_conv2d_1x1_lut_decode_s8_dsp": "tg_conv2d_1x1_s8_dsp",
    "tg_conv2d_lut_decode_s8_dsp": "tg_conv2d_s8_dsp",
    "tg_fully_connected_lut_decode_s8_dsp": "tg_fully_connected_s8_dsp",
}
INLINE.update({lut: replace(INLINE[int8], decodes=int8) for lut, int8 in LUT_DECODES.items()})
# The same for entropy-coded weights (tinygen.kernels.huffman_table): the layer's codes decoded whole
# into the arena (tinygen/codegen/huffman_decode.py), then the int8 kernel's body, preferred first
HUFFMAN_DECODES = {
    "tg_conv2d_1x1_rows3_huffman_decode_s8_dsp": "tg_conv2d_1x1_rows3_s8_dsp",
    "tg_conv2d_rows3_huffman_decode_s8_dsp": "tg_conv2d_rows3_s8_dsp",
    "tg_conv2d_1x1_huffman_decode_s8_dsp": "tg_conv2d_1x1_s8_dsp",
    "tg_conv2d_huffman_decode_s8_dsp": "tg_conv2d_s8_dsp",
    "tg_fully_connected_huffman_decode_s8_dsp": "tg_fully_connected_s8_dsp",
}
INLINE.update({coded: replace(INLINE[int8], decodes=int8) for coded, int8 in HUFFMAN_DECODES.items()})


def enabled(graph, node=None) -> bool:
    """Whether the graph's DSP conv / FC layers (or this node) are emitted specialized (default
    yes): node.attrs["specialize"] = False keeps one layer on the generic kernel, whose code all
    such layers share (a fit-aware choice trades the specialized code's flash for its speed)."""
    return bool(graph.meta.get("specialize", True)) and (node is None or node.attrs.get("specialize", True))


def depth(inline: Inline, kparams: dict) -> int:
    return int(np.prod([kparams[k] for k in inline.depth.split("*")]))


def requant_bounded(depth: int, bias, multiplier, shift) -> bool:
    """tg_mat_mult_quant's `bounded`, at build time: tg_requantize_bounded serves every
    output (multipliers in [2^30, 2^31), shifts in [-31, -1], and sums_bounded)."""
    m, s = np.asarray(multiplier, np.int64), np.asarray(shift, np.int64)
    return sums_bounded(depth, bias) and bool(np.all(m >= _LIMIT) and np.all((s <= -1) & (s >= -31)))


def sums_bounded(depth: int, bias) -> bool:
    """Whether every sum of a product of this depth stays below 2^30 in magnitude:
    |bias| + depth * 255 * 128 < 2^30 (|x + input_offset| <= 255, |w| <= 128)."""
    if depth >= _LIMIT // _MAX_PRODUCT:
        return False
    return bias is None or bool(np.all(np.abs(np.asarray(bias, np.int64)) < _LIMIT - depth * _MAX_PRODUCT))


def requant_once(multiplier, shift) -> bool:
    """Whether a layer's pairs are all the single-rounding pairs of an ONNX model's default
    rounding (tinygen.frontend.onnx.quantized.single_rounding_multiplier): shift 0 and a
    multiplier in [0, 2^30), so that tg_requantize's result, floor((acc * m + 2^30) / 2^31),
    rounded once and halves upward, is SMMLAR(2 acc, m, 0): one instruction, and with the
    output zero point as SMMLAR's addend, SMMLAR(2 acc, m, output_offset) is the output before
    the clamp (TG_REQUANT_ONCE in tg_mat_mult_s8_dsp.h; 2 acc fits int32 where sums_bounded)."""
    m, s = np.asarray(multiplier, np.int64), np.asarray(shift, np.int64)
    return bool(np.all(s == 0) and np.all((m >= 0) & (m < _LIMIT)))


def folded_serves(depth: int, bias, multiplier, shift, output_offset: int) -> bool:
    """Whether a layer's outputs take the folded form: requant_folded of requant_bounded, or the
    single-rounding pairs (requant_once) with sums_bounded (its ONCE flavour)."""
    if requant_once(multiplier, shift):
        return sums_bounded(depth, bias)
    return requant_folded(requant_bounded(depth, bias, multiplier, shift), shift, output_offset)


def requant_folded(bounded: bool, shift, output_offset: int) -> bool:
    """Whether a bounded layer's output offset folds into its rounding (tg_mat_mult_s8_dsp.h,
    TG_REQUANT_FOLDED): every channel's R = (1 + 2 * output_offset) * 2^(n-1), n = -shift,
    below 2^30 in magnitude, so that SMMLAR's x + R (|x| <= 2^30) stays inside int32."""
    if not bounded:
        return False
    n = -np.asarray(shift, np.int64)
    return bool(np.all(abs(1 + 2 * int(output_offset)) * (np.int64(1) << (n - 1)) < _LIMIT))


# the `bounded` argument of a specialized layer (C: 0, 1, TG_REQUANT_FOLDED), BOUNDED and
# FOLDED with the flag POS (C: TG_REQUANT_POS) where the sign's ADD is left out
GENERAL, BOUNDED, FOLDED = 0, 1, 2
POS = 4
# with FOLDED | POS (C: TG_REQUANT_ONCE): the layer's pairs are single-rounding ones (requant_once);
# its folded outputs take R = the output zero point and n = 0, so that y = SSAT8(SMMLAR(2 acc, m,
# output_offset)), with no sign's ADD (the rounding is floor's, halves upward: tg_requantize's)
ONCE = 8
# with FOLDED (and POS or not; C: TG_REQUANT_UNIFORM): every output has the same multiplier and shift
# (requant_uniform: a layer quantized per tensor), which the batch-1 fully connected kernels read once
UNIFORM = 16


def requant_uniform(multiplier, shift) -> bool:
    """Whether a layer's outputs all share one multiplier and one shift (a layer quantized per tensor)."""
    m, s = np.asarray(multiplier, np.int64).ravel(), np.asarray(shift, np.int64).ravel()
    return m.size > 0 and bool(np.all(m == m[0]) and np.all(s == s[0]))


def sign_add_needed(kparams: dict, prefix: str = "") -> bool:
    """Whether a layer's requantization needs the sign's ADD (TFLite's rounding of ties away
    from zero below zero, + (acc >> 31) in the DSP kernels): not where act_min >= the output
    zero point, as the ADD only lowers an output at an exact tie below zero, to at most the
    zero point minus 1, which the clamp at act_min raises to act_min anyway (ReLU and ReLU6
    with zero point -128: every MLPerf Tiny conv and depthwise layer). prefix: of the keys
    ("add_": a fused add's output)."""
    return int(kparams[prefix + "act_min"]) < int(kparams[prefix + "output_offset"])


def requant_mode(inline: Inline, kparams: dict, bias, multiplier, shift) -> int:
    """The specialized layer's requantization: FOLDED where requant_folded holds and the
    kernel's outputs take it (Inline.folds), else BOUNDED or GENERAL; BOUNDED and FOLDED with
    POS where the kernel takes it (Inline.pos) and the layer needs no sign's ADD; FOLDED | POS |
    ONCE for a layer of single-rounding pairs (requant_once) whose kernel takes it (Inline.once)
    and whose sums stay below 2^30 (GENERAL otherwise, as any layer of such pairs elsewhere); FOLDED
    (with POS or not) with UNIFORM where the kernel takes it (Inline.uniform) and every output has the
    same multiplier and shift (requant_uniform)."""
    if inline.once and requant_once(multiplier, shift) and sums_bounded(depth(inline, kparams), bias):
        return FOLDED | POS | ONCE
    bounded = requant_bounded(depth(inline, kparams), bias, multiplier, shift)
    mode = BOUNDED if bounded else GENERAL
    if inline.folds and requant_folded(bounded, shift, kparams["output_offset"]):
        mode = FOLDED
    if mode != GENERAL and inline.pos and not sign_add_needed(kparams, inline.pos_of):
        mode |= POS
    if mode & FOLDED and not mode & ONCE and inline.uniform and requant_uniform(multiplier, shift):
        mode |= UNIFORM
    return mode


__all__ = ["BOUNDED", "FOLDED", "GENERAL", "HUFFMAN_DECODES", "INLINE", "Inline", "LUT_DECODES", "ONCE", "POS", "UNIFORM", "enabled", "depth", "folded_serves",
           "requant_bounded", "requant_folded", "requant_mode", "requant_once", "requant_uniform", "sign_add_needed", "sums_bounded"]
