/*
 * The gated fully connected layer for ARMv7E-M (Cortex-M4/M7 DSP extension), shared by
 * tg_fully_connected_gated_s8_dsp (the generic entry point) and the layers specialized at
 * build time (tinygen.kernels.specialize: constant shapes, the requantization mode decided
 * on the layer's constants). numpy twin: tinygen.gating.ref.fully_connected_gated_s8.
 *
 * The work scales with the outputs the gate keeps. The input row is widened to int16 once
 * (tg_widen_rows_s8, offset added), then the gate is scanned once: a dropped output is
 * written as the product with 0 (one store), the kept outputs are taken in pairs (any two,
 * not necessarily adjacent), each pair one pass over the widened row and the two weight
 * rows: per 4 values of depth one LDRD of the row, two weight words, 4 SXTB16 and 4 SMLAD
 * for 8 multiply-accumulates. Each kept output is requantized as tg_fully_connected_s8
 * does and scaled by its gate value (TFLite MUL), bit for bit.
 *
 * Loop order: every read of the input happens before the first write of the output (the
 * row is widened into scratch first); the gate is read while the output is written, so the
 * output must not overlap the gate.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_FULLY_CONNECTED_GATED_S8_DSP_H
#define TG_FULLY_CONNECTED_GATED_S8_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_gated.h"
#include "tg_dsp_s8.h"
#include "tg_mat_mult_s8_dsp.h"

/*
 * One step of tg_fc_gated_dot: 4 values of depth of the widened row (one LDRD: the pairs
 * (x0, x2), (x1, x3)) against 4 weights of each of the cols (1 or 2) rows.
 */
static inline __attribute__((always_inline)) void tg_fc_gated_step(const int32_t **xpp, const int8_t **wap,
                                                                   const int8_t **wbp, int32_t cols,
                                                                   int32_t *a, int32_t *b)
{
    int32_t xa, xb, vw;
    tg_load_pair_post(xpp, &xa, &xb);
    vw = tg_dsp_load_s8x4_post(wap);
    *a = __smlad(xa, __sxtb16(vw), *a);
    *a = __smlad(xb, tg_dsp_sxtb16_odd(vw), *a);
    if (cols == 2) {
        vw = tg_dsp_load_s8x4_post(wbp);
        *b = __smlad(xa, __sxtb16(vw), *b);
        *b = __smlad(xb, tg_dsp_sxtb16_odd(vw), *b);
    }
}

/*
 * acc[j] += the dot product of the widened row x and the weight row w_j (j < cols, cols 1
 * or 2 and a constant after inlining) over depth values (the last depth % 4 in natural
 * order after the groups, as tg_widen_rows_s8 leaves them).
 */
static inline __attribute__((always_inline)) void tg_fc_gated_dot(const int16_t *x, const int8_t *w0,
                                                                  const int8_t *w1, int32_t depth, int32_t cols,
                                                                  int32_t acc[2])
{
    const int32_t *xp = (const int32_t *)__builtin_assume_aligned(x, 8);
    const int8_t *wa = w0, *wb = w1;
    const int32_t body = depth & ~3;
    int32_t a = acc[0], b = acc[1], t, k;
    TG_DOT_PRAGMA(GCC unroll 4)
    for (t = body >> 2; t != 0; --t) {
        tg_fc_gated_step(&xp, &wa, &wb, cols, &a, &b);
    }
    for (k = body; k < depth; ++k) {
        a += x[k] * w0[k];
        if (cols == 2) {
            b += x[k] * w1[k];
        }
    }
    acc[0] = a;
    acc[1] = b;
}

/*
 * Kept output o: its sum (bias included) requantized as tg_fully_connected_s8 does (the
 * mode as tg_mat_mult_outputs takes it: 0 general, 1 bounded, TG_REQUANT_FOLDED), offset
 * and clamped, then times the gate value g (TFLite MUL, tg_gate_scale).
 */
static inline __attribute__((always_inline)) int8_t tg_fc_gated_out(const tg_fully_connected_gated_params_t *p,
                                                                     int32_t mode, int32_t acc, int32_t multiplier,
                                                                     int32_t shift, int32_t g)
{
    int32_t y;
    if (mode == TG_REQUANT_FOLDED) {
        /* tg_mat_mult_outputs_folded: the output offset folded into the rounding */
        const int32_t n = -shift, r = (int32_t)((uint32_t)(1 + 2 * p->output_offset) << (n - 1));
        y = tg_ssat8((tg_dsp_smmlar(acc + acc, multiplier, r) + (acc >> 31)) >> n);
    } else {
        y = (mode ? tg_requantize_bounded(acc, multiplier, shift) : tg_requantize_fast(acc, multiplier, shift)) +
            p->output_offset;
        y = tg_ssat8(y);
    }
    y = y < p->act_min ? p->act_min : y;
    y = y > p->act_max ? p->act_max : y;
    return tg_gate_scale_fast(y - p->output_offset, g + p->gate_input_offset, p->gate_multiplier, p->gate_shift,
                              p->gate_output_offset, p->gate_act_min, p->gate_act_max);
}

/* The sums of the kept outputs o0 and (cols == 2) o1, then their outputs. */
static inline __attribute__((always_inline)) void tg_fc_gated_outputs(
    const tg_fully_connected_gated_params_t *p, int32_t mode, const int16_t *x, const int8_t *gate,
    const int8_t *weights, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int32_t o0,
    int32_t o1, int32_t cols, int8_t *output)
{
    const int32_t depth = p->in_features;
    int32_t acc[2] = {bias != NULL ? bias[o0] : 0, cols == 2 && bias != NULL ? bias[o1] : 0};
    tg_fc_gated_dot(x, &weights[o0 * depth], &weights[o1 * depth], depth, cols, acc);
    output[o0] = tg_fc_gated_out(p, mode, acc[0], multiplier[o0], shift[o0], gate[o0]);
    if (cols == 2) {
        output[o1] = tg_fc_gated_out(p, mode, acc[1], multiplier[o1], shift[o1], gate[o1]);
    }
}

/*
 * The layer with the requantization mode given (a constant after inlining); input: int8
 * [rows][in_features]; gate: int8 [out_features]; weights: int8 [out_features][in_features];
 * bias (may be NULL), multiplier (>= 0), shift: [out_features]; scratch:
 * tg_fully_connected_gated_s8_dsp_buffer_size(p) bytes, 8-byte aligned; output: int8
 * [rows][out_features], not overlapping the gate.
 */
static inline __attribute__((always_inline)) void tg_fully_connected_gated_s8_dsp_inline(
    const tg_fully_connected_gated_params_t *p, int32_t mode, const int8_t *input, const int8_t *gate,
    const int8_t *weights, const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch,
    int8_t *output)
{
    const int32_t n = p->out_features, depth = p->in_features, gate_zero = -p->gate_input_offset;
    int16_t *const x = (int16_t *)(void *)scratch;
    int32_t dropped = p->gate_output_offset, r, o, pending;

    dropped = dropped < p->gate_act_min ? p->gate_act_min : dropped;
    dropped = dropped > p->gate_act_max ? p->gate_act_max : dropped;
    for (r = 0; r < p->rows; ++r, input += depth, output += n) {
        tg_widen_rows_s8(input, input, 1, depth, p->input_offset, x);
        pending = -1;       /* a kept output waiting for its partner */
        for (o = 0; o < n; ++o) {
            if (gate[o] == gate_zero) {
                output[o] = (int8_t)dropped;
            } else if (pending < 0) {
                pending = o;
            } else {
                tg_fc_gated_outputs(p, mode, x, gate, weights, bias, multiplier, shift, pending, o, 2, output);
                pending = -1;
            }
        }
        if (pending >= 0) {     /* the last of an odd count */
            tg_fc_gated_outputs(p, mode, x, gate, weights, bias, multiplier, shift, pending, pending, 1, output);
        }
    }
}

#endif /* TG_FULLY_CONNECTED_GATED_S8_DSP_H */
