/*
 * tinygen int8 matrix multiply for ARMv7E-M (Cortex-M4/M7 DSP extension),
 * shared by tg_conv2d_1x1_s8_dsp, tg_conv2d_s8_dsp (on its im2col rows) and
 * tg_fully_connected_s8_dsp: a pointwise convolution, a convolution's
 * receptive fields and a fully connected layer are the same product.
 *
 *   output[r][o] = clamp(requant(bias[o] + sum_k (input[r][k] + input_offset) * weights[o][k]))
 *
 * with TFLite's requantization (tg_requantize_fast, equal to tg_requantize for
 * the non-negative multipliers of conv and FC): the results equal the portable
 * kernels' bit for bit.
 *
 * Loop order (the memory planner relies on it for in-place planning): for each
 * block of 2 rows in increasing order, the block's input rows are read (widened
 * into the scratch buffer) and then all output channels of the block's rows are
 * written; the last row of an odd count likewise. A block reads only its own
 * input rows and writes only its own output rows. A product of a single row
 * (rows == 1) takes no scratch: its reads and writes interleave.
 *
 * Per block, both input rows are widened once to int16 with the input offset
 * added (SXTAB16: x + offset lies in [-255, 255]), in the order SXTB16 splits a
 * weight word: for each 4 bytes x0..x3 the pairs (x0, x2), (x1, x3). A weight
 * word w0..w3 is widened by SXTB16 into (w0, w2) and, with an 8-bit rotation,
 * (w1, w3), so two SMLAD (two 16x16 products and a 32-bit add each) take the 4
 * products. The block loop computes 2 rows x 2 output channels: per 4 bytes of
 * depth, 4 input words (LDRD pairs), 2 weight words, 4 SXTB16 and 8 SMLAD for 16
 * multiply-accumulates. All sums are int32 as in TFLite.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7): the kernel table
 * selects these kernels only for boards listing the "dsp" ISA feature.
 */
#ifndef TG_MAT_MULT_S8_DSP_H
#define TG_MAT_MULT_S8_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_dot_s16_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_mat_mult_pairs_s8_dsp.h"
#include "tg_requant.h"

/* Quantization of the product: see tg_conv2d_params_t. */
typedef struct {
    int32_t input_offset;   /* -input zero point, in [-127, 128] */
    int32_t output_offset;  /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;
    /* 1: every output meets tg_requantize_bounded's preconditions (tg_mat_mult_quant) */
    int32_t bounded;
} tg_mat_mult_quant_t;

/*
 * The quantization of a product of depth (the weights' row length) by cols
 * channels, with `bounded` set when tg_requantize_bounded serves every output:
 * multipliers in [2^30, 2^31), shifts in [-31, -1], and
 * |bias| + depth * 255 * 128 < 2^30 (|x + input_offset| <= 255, |w| <= 128),
 * which bounds every sum. Checked once per call, in cols steps.
 */
static inline tg_mat_mult_quant_t tg_mat_mult_quant(int32_t input_offset, int32_t output_offset,
                                                    int32_t act_min, int32_t act_max, int32_t depth,
                                                    int32_t cols, const int32_t *bias,
                                                    const int32_t *multiplier, const int8_t *shift)
{
    const int32_t limit = (int32_t)1 << 30;
    tg_mat_mult_quant_t q = {input_offset, output_offset, act_min, act_max, depth < limit / (255 * 128)};
    const int32_t bias_limit = limit - depth * 255 * 128;
    int32_t o;
    for (o = 0; o < cols && q.bounded; ++o) {
        const int32_t b = bias != NULL ? bias[o] : 0;
        q.bounded = multiplier[o] >= limit && shift[o] <= -1 && shift[o] >= -31 &&
                    b < bias_limit && b > -bias_limit;
    }
    return q;
}

/* x saturated to [-128, 127]: SSAT (GCC 12's __ssat returns an unsigned type). */
static inline int32_t tg_ssat8(int32_t x)
{
    int32_t r;
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
    return r;
}

/*
 * A flag of a specialized layer's `bounded` mode (tinygen.kernels.specialize.POS, on
 * BOUNDED or TG_REQUANT_FOLDED): the layer's act_min >= its output zero point, so its
 * requantization leaves out the sign's ADD (+ (acc >> 31)): that ADD only lowers an output
 * at an exact tie below zero, to at most the zero point minus 1, which the clamp at act_min
 * raises to act_min anyway (tg_requant.h, tg_requantize_bounded_sign). TG_REQUANT_KIND is
 * the mode without it and TG_REQUANT_POS_OF(mode) the flag, where the mode is a compile-time
 * constant (a specialized layer); else the mode as it is and 0 (the generic kernels' run-time
 * modes, tg_mat_mult_quant's, never carry it), so the generic kernels' code stays as it was.
 */
#define TG_REQUANT_POS 4
#define TG_REQUANT_KIND(mode) \
    (__builtin_constant_p(mode) ? (mode) & ~(TG_REQUANT_POS | TG_REQUANT_ONCE | TG_REQUANT_UNIFORM) : (mode))
#define TG_REQUANT_POS_OF(mode) (__builtin_constant_p(mode) && ((mode) & TG_REQUANT_POS) ? TG_REQUANT_POS : 0)

/*
 * A flag of a specialized layer's TG_REQUANT_FOLDED | TG_REQUANT_POS mode
 * (tinygen.kernels.specialize.ONCE): the layer's pairs are the single-rounding ones of an ONNX
 * model's default rounding, shift 0 and a multiplier m in [0, 2^30), whose tg_requantize is
 * floor((acc * m + 2^30) / 2^31), one rounding, halves upward. That is SMMLAR(2 acc, m, 0)
 * (floor((2 acc m + 2^31) / 2^32)), and with the output zero point as SMMLAR's addend the
 * output before the clamp: the folded form with R = output_offset and n = 0, no sign's ADD.
 * TG_REQUANT_ONCE_OF(mode) is the flag where the mode is a compile-time constant, else 0.
 */
#define TG_REQUANT_ONCE 8
#define TG_REQUANT_ONCE_OF(mode) (__builtin_constant_p(mode) && ((mode) & TG_REQUANT_ONCE) ? TG_REQUANT_ONCE : 0)

/*
 * A flag of a specialized batch-1 fully connected layer's TG_REQUANT_FOLDED mode, with or without POS
 * (tinygen.kernels.specialize.UNIFORM): every output has the same multiplier and shift (a layer quantized
 * per tensor, as TFLite quantizes fully connected layers), so its kernel may read them once for the layer
 * (tg_fully_connected_batch1_ldm_s8_dsp.h). TG_REQUANT_KIND leaves it out, so every other body takes such a
 * layer as the folded one it is; TG_REQUANT_UNIFORM_OF(mode) is the flag where the mode is a compile-time
 * constant, else 0.
 */
#define TG_REQUANT_UNIFORM 16
#define TG_REQUANT_UNIFORM_OF(mode) \
    (__builtin_constant_p(mode) && ((mode) & TG_REQUANT_UNIFORM) ? TG_REQUANT_UNIFORM : 0)

/* The folded form's R, (1 + 2 output_offset) 2^(n-1) (n = -shift >= 1), or the output zero
   point where `once` (TG_REQUANT_ONCE_OF, n = 0). */
static inline __attribute__((always_inline)) int32_t tg_folded_round(int32_t output_offset, int32_t n,
                                                                     int32_t once)
{
    return once ? output_offset : (int32_t)((uint32_t)(1 + 2 * output_offset) << (n - 1));
}

/* The channel pairs' records (tg_mat_mult_pairs_s8_dsp.h) of a layer in folded mode `mode`. */
static inline __attribute__((always_inline)) void tg_pairs_records_of(int32_t mode, int32_t cols, const int32_t *bias,
                                                                      const int32_t *multiplier, const int8_t *shift,
                                                                      int32_t output_offset, int32_t *rec)
{
    if (TG_REQUANT_ONCE_OF(mode)) {
        tg_pairs_records_once(cols, bias, multiplier, output_offset, rec);
    } else {
        tg_pairs_records(cols, bias, multiplier, shift, output_offset, rec);
    }
}

/* The output quantization in locals: an int8 store may alias any struct field, locals it cannot. */
typedef struct {
    int32_t output_offset, act_min, act_max;
} tg_mat_mult_out_t;

static inline __attribute__((always_inline)) int8_t tg_mat_mult_out(int32_t acc, int32_t multiplier,
                                                                     int32_t shift, tg_mat_mult_out_t q,
                                                                     int32_t bounded)
{
    if (TG_REQUANT_ONCE_OF(bounded)) {     /* |acc| < 2^30: the folded form with n = 0 */
        acc = tg_dsp_smmlar(acc + acc, multiplier, q.output_offset);
    } else {
        acc = (bounded ? tg_requantize_bounded_sign(acc, multiplier, shift, !TG_REQUANT_POS_OF(bounded))
                       : tg_requantize_fast(acc, multiplier, shift)) +
              q.output_offset;
    }
    if (q.act_min == -128 && q.act_max == 127) {    /* a constant where the caller tested it */
        return (int8_t)tg_ssat8(acc);
    }
    acc = acc < q.act_min ? q.act_min : acc;
    acc = acc > q.act_max ? q.act_max : acc;
    return (int8_t)acc;
}

/*
 * The int32 sums of 1 or 2 rows already widened into x (tg_widen_rows_s8), for
 * all cols outputs: acc[2 * o + i] for row i, channel o. rows is a constant
 * after inlining.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_sums(const int16_t *x, int32_t rows,
                                                                   int32_t depth, int32_t cols,
                                                                   const int8_t *weights,
                                                                   const int32_t *bias, int32_t *acc)
{
    int32_t o = 0;
    for (; o + 2 <= cols; o += 2) {
        const int32_t b0 = bias != NULL ? bias[o] : 0, b1 = bias != NULL ? bias[o + 1] : 0;
        int32_t a[4] = {b0, b1, b0, b1};     /* [row][column] */
        tg_dot_s16_s8(x, &weights[o * depth], depth, rows, 2, a);
        acc[2 * o] = a[0];
        acc[2 * o + 1] = a[2];
        acc[2 * o + 2] = a[1];
        acc[2 * o + 3] = a[3];
    }
    if (o < cols) {         /* the last column of an odd count */
        const int32_t b = bias != NULL ? bias[o] : 0;
        int32_t a[4] = {b, 0, b, 0};
        tg_dot_s16_s8(x, &weights[o * depth], depth, rows, 1, a);
        acc[2 * o] = a[0];
        acc[2 * o + 1] = a[2];
    }
}

/*
 * out0[o] (and out1[o] for rows == 2) = the requantized acc[2 * o] (acc[2 * o + 1]),
 * o < cols: a separate pass, so that the sums' loop and this one each keep their
 * values in registers.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_outputs_with(
    const int32_t *acc, int32_t rows, int32_t cols, const int32_t *multiplier, const int8_t *shift,
    tg_mat_mult_out_t oq, int32_t bounded, int8_t *out0, int8_t *out1)
{
    int32_t o;
    for (o = 0; o < cols; ++o) {
        const int32_t m = multiplier[o], s = shift[o];
        const int8_t y0 = tg_mat_mult_out(acc[2 * o], m, s, oq, bounded);
        if (rows == 2) {
            const int8_t y1 = tg_mat_mult_out(acc[2 * o + 1], m, s, oq, bounded);
            out1[o] = y1;
        }
        out0[o] = y0;
    }
}

/*
 * `bounded` as a specialized layer passes it when the build also found every channel's
 * R = (1 + 2 * output_offset) * 2^(n-1), n = -shift, below 2^30 in magnitude
 * (tinygen.kernels.specialize.requant_folded): the output offset folds into the
 * rounding, as in the 3x3 depthwise kernel (TG_DW3_REQUANT, where the derivation is),
 *   y = SSAT8((SMMLAR(2 acc, multiplier, R) - [acc < 0]) >> n),
 * 5 instructions per output (2 acc is an int32: |acc| < 2^30), R computed once per channel.
 */
#define TG_REQUANT_FOLDED 2

static inline __attribute__((always_inline)) void tg_mat_mult_outputs_folded(
    const int32_t *acc, int32_t rows, int32_t cols, const int32_t *multiplier, const int8_t *shift,
    tg_mat_mult_out_t oq, int32_t pos, int32_t once, int8_t *out0, int8_t *out1)
{
    const int32_t full = oq.act_min == -128 && oq.act_max == 127;
    int32_t o, i;
    for (o = 0; o < cols; ++o) {
        const int32_t m = multiplier[o], n = once ? 0 : -shift[o];
        const int32_t r = tg_folded_round(oq.output_offset, n, once);
        int32_t y[2];
        for (i = 0; i < rows; ++i) {
            const int32_t a = acc[2 * o + i];
            /* arithmetic shifts of negative values: see tg_requant.h */
            y[i] = tg_ssat8((tg_dsp_smmlar(a + a, m, r) + (pos ? 0 : a >> 31)) >> n);
            if (!full) {
                y[i] = y[i] < oq.act_min ? oq.act_min : y[i] > oq.act_max ? oq.act_max : y[i];
            }
        }
        if (rows == 2) {
            out1[o] = (int8_t)y[1];
        }
        out0[o] = (int8_t)y[0];
    }
}

static inline __attribute__((always_inline)) void tg_mat_mult_outputs(const int32_t *acc, int32_t rows,
                                                                      int32_t cols,
                                                                      const int32_t *multiplier,
                                                                      const int8_t *shift,
                                                                      const tg_mat_mult_quant_t *q,
                                                                      int8_t *out0, int8_t *out1)
{
    const tg_mat_mult_out_t oq = {q->output_offset, q->act_min, q->act_max};
    const int32_t pos = TG_REQUANT_POS_OF(q->bounded);
    if (TG_REQUANT_KIND(q->bounded) == TG_REQUANT_FOLDED) {
        tg_mat_mult_outputs_folded(acc, rows, cols, multiplier, shift, oq, pos, TG_REQUANT_ONCE_OF(q->bounded), out0,
                                   out1);
    } else if (q->bounded && q->act_min == -128 && q->act_max == 127) {   /* no activation: one SSAT */
        const tg_mat_mult_out_t full = {q->output_offset, -128, 127};
        tg_mat_mult_outputs_with(acc, rows, cols, multiplier, shift, full, 1 | pos, out0, out1);
    } else if (q->bounded) {
        tg_mat_mult_outputs_with(acc, rows, cols, multiplier, shift, oq, 1 | pos, out0, out1);
    } else {
        tg_mat_mult_outputs_with(acc, rows, cols, multiplier, shift, oq, 0, out0, out1);
    }
}

/*
 * Whether a layer's 2-row blocks take the channel-pair path (tg_mat_mult_pairs_s8_dsp.h):
 * a specialized layer (depth and cols constants, depth at least 4) with the folded
 * requantization.
 */
static inline __attribute__((always_inline)) int32_t tg_mat_mult_pairs_on(const tg_mat_mult_quant_t *q,
                                                                          int32_t depth, int32_t cols)
{
    return TG_REQUANT_KIND(q->bounded) == TG_REQUANT_FOLDED && __builtin_constant_p(depth) &&
           __builtin_constant_p(cols) && depth >= 4;
}

/*
 * Before a layer's first 2-row block: the channel pairs' records (tg_pairs_records) where
 * its blocks take the pair path, in the scratch after the widened rows (where the other
 * paths keep their sums; an odd last row, computed after every block, overwrites them).
 */
static inline __attribute__((always_inline)) void tg_mat_mult_pairs_prepare(
    int32_t depth, int32_t cols, const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
    const tg_mat_mult_quant_t *q, int16_t *buf)
{
    if (tg_mat_mult_pairs_on(q, depth, cols)) {
        tg_pairs_records_of(q->bounded, cols, bias, multiplier, shift, q->output_offset,
                            (int32_t *)(void *)(buf + 2 * ((depth + 3) & ~3)));
    }
}

/*
 * The outputs of two rows already widened doubled into buf (tg_widen_rows_doubled_s8's
 * layout), on the pair path (tg_mat_mult_pairs_on): the records at buf's end
 * (tg_mat_mult_pairs_prepare), the odd last channel from the doubled rows.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_pairs_widened_s8(
    const int16_t *buf, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q, int8_t *out0, int8_t *out1)
{
    const int32_t *const rec = (const int32_t *)(const void *)(buf + 2 * ((depth + 3) & ~3));
    const int32_t pos = TG_REQUANT_POS_OF(q->bounded);
    tg_mat_mult_pairs_folded_s8(buf, depth, cols, weights, rec, q->act_min, q->act_max, pos, out0, out1);
    if (cols & 1) {         /* the last channel of an odd count, from the doubled rows */
        const int32_t once = TG_REQUANT_ONCE_OF(q->bounded);
        const int32_t o = cols - 1, n = once ? 0 : -shift[o];
        const int32_t b = bias != NULL ? 2 * bias[o] : 0;
        const int32_t r = tg_folded_round(q->output_offset, n, once);
        int32_t a[2] = {b, b};
        tg_pairs_one_channel(buf, depth, &weights[o * depth], a);
        out0[o] = (int8_t)tg_pairs_out(a[0], multiplier[o], r, n, q->act_min, q->act_max, pos);
        out1[o] = (int8_t)tg_pairs_out(a[1], multiplier[o], r, n, q->act_min, q->act_max, pos);
    }
}

/* Two rows x0, x1 (int8 [depth] each): widened into buf, then all their outputs. */
static inline __attribute__((always_inline)) void tg_mat_mult_2rows_s8_dsp_body(
    const int8_t *x0, const int8_t *x1, int32_t depth, int32_t cols, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q,
    int16_t *buf, int8_t *out0, int8_t *out1)
{
    int32_t *const acc = (int32_t *)(void *)(buf + 2 * ((depth + 3) & ~3));
    if (tg_mat_mult_pairs_on(q, depth, cols)) {
        /* a specialized layer: sums and outputs per channel pair (tg_mat_mult_pairs_s8_dsp.h) */
        tg_widen_rows_doubled_s8(x0, x1, x1, 2, depth, q->input_offset, buf);
        tg_mat_mult_pairs_widened_s8(buf, depth, cols, weights, bias, multiplier, shift, q, out0, out1);
        return;
    }
    tg_widen_rows_s8(x0, x1, 2, depth, q->input_offset, buf);
    tg_mat_mult_sums(buf, 2, depth, cols, weights, bias, acc);
    tg_mat_mult_outputs(acc, 2, cols, multiplier, shift, q, out0, out1);
}

/* One row x (int8 [depth]) widened into buf, then its outputs: all its reads come first. */
static inline __attribute__((always_inline)) void tg_mat_mult_1row_widened_s8_dsp_body(
    const int8_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q, int16_t *buf,
    int8_t *out)
{
    int32_t *const acc = (int32_t *)(void *)(buf + 2 * ((depth + 3) & ~3));
    tg_widen_rows_s8(x, x, 1, depth, q->input_offset, buf);
    tg_mat_mult_sums(buf, 1, depth, cols, weights, bias, acc);
    tg_mat_mult_outputs(acc, 1, cols, multiplier, shift, q, out, out);
}

/*
 * acc[j] += sum_k (x[k] + offset) * w_j[k] for the weight rows w_j = w + j * depth,
 * j < cols (1 or 4, a constant after inlining): each input word is widened once
 * (SXTAB16 with the offset) and feeds the cols columns. No scratch.
 */
static inline __attribute__((always_inline)) void tg_dot_row_s8(const int8_t *x, const int8_t *w,
                                                                int32_t depth, int32_t offset, int32_t cols,
                                                                int32_t acc[4])
{
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    const int32_t body = depth & ~3;
    const int8_t *xp = x;
    const int8_t *const x_end = x + body;
    /* columns 0 and 2 by pointer, 1 and 3 at +depth from them: 3 registers for 4 rows */
    const int8_t *wp = w, *wq = w + 2 * depth;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t k;

    while (xp != x_end) {
        const int32_t vx = tg_dsp_load_s8x4_post(&xp);
        const int32_t xa = __sxtab16(offset2, vx), xb = tg_dsp_sxtab16_odd(offset2, vx);
        int32_t vw;
        if (cols == 4) {
            vw = tg_dsp_load_s8x4(wp + depth);
            a1 = __smlad(xa, __sxtb16(vw), a1);
            a1 = __smlad(xb, tg_dsp_sxtb16_odd(vw), a1);
            vw = tg_dsp_load_s8x4(wq + depth);
            a3 = __smlad(xa, __sxtb16(vw), a3);
            a3 = __smlad(xb, tg_dsp_sxtb16_odd(vw), a3);
            vw = tg_dsp_load_s8x4_post(&wq);
            a2 = __smlad(xa, __sxtb16(vw), a2);
            a2 = __smlad(xb, tg_dsp_sxtb16_odd(vw), a2);
        }
        vw = tg_dsp_load_s8x4_post(&wp);
        a0 = __smlad(xa, __sxtb16(vw), a0);
        a0 = __smlad(xb, tg_dsp_sxtb16_odd(vw), a0);
    }
    for (k = body; k < depth; ++k) {        /* the last depth % 4 */
        const int32_t xk = x[k] + offset;
        a0 += xk * w[k];
        if (cols == 4) {
            a1 += xk * w[depth + k];
            a2 += xk * w[2 * depth + k];
            a3 += xk * w[3 * depth + k];
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline __attribute__((always_inline)) void tg_mat_mult_row_with(
    const int8_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int32_t input_offset, tg_mat_mult_out_t oq,
    int32_t bounded, int8_t *out)
{
    const int32_t whole = cols & ~3;    /* columns in blocks of 4 */
    int32_t o;
    for (o = 0; o < whole; o += 4) {
        int32_t acc[4] = {0, 0, 0, 0};
        int32_t j;
        if (bias != NULL) {
            memcpy(acc, &bias[o], sizeof acc);
        }
        tg_dot_row_s8(x, &weights[o * depth], depth, input_offset, 4, acc);
        for (j = 0; j < 4; ++j) {
            out[o + j] = tg_mat_mult_out(acc[j], multiplier[o + j], shift[o + j], oq, bounded);
        }
    }
    for (o = whole; o < cols; ++o) {
        int32_t acc[4] = {bias != NULL ? bias[o] : 0, 0, 0, 0};
        tg_dot_row_s8(x, &weights[o * depth], depth, input_offset, 1, acc);
        out[o] = tg_mat_mult_out(acc[0], multiplier[o], shift[o], oq, bounded);
    }
}

/*
 * One row x (int8 [depth]): all its outputs, 4 columns at a time, with no
 * scratch; its reads and writes interleave (x is read again for every 4
 * outputs), so out must not overlap x.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_1row_s8_dsp_body(
    const int8_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q, int8_t *out)
{
    const tg_mat_mult_out_t oq = {q->output_offset, q->act_min, q->act_max};
    const int32_t pos = TG_REQUANT_POS_OF(q->bounded) | TG_REQUANT_ONCE_OF(q->bounded);
    if (q->bounded && q->act_min == -128 && q->act_max == 127) {   /* no activation: one SSAT */
        const tg_mat_mult_out_t full = {q->output_offset, -128, 127};
        tg_mat_mult_row_with(x, depth, cols, weights, bias, multiplier, shift, q->input_offset, full, 1 | pos, out);
    } else if (q->bounded) {
        tg_mat_mult_row_with(x, depth, cols, weights, bias, multiplier, shift, q->input_offset, oq, 1 | pos, out);
    } else {
        tg_mat_mult_row_with(x, depth, cols, weights, bias, multiplier, shift, q->input_offset, oq, 0, out);
    }
}

/*
 * Bytes of scratch tg_mat_mult_s8_dsp needs for rows >= 2: two rows widened to
 * int16 (depth rounded up to 4), then the int32 sums of two rows, or the channel
 * pairs' records (TG_PAIRS_RECORD_WORDS words per pair, 4 per channel). A single
 * row needs none.
 */
static inline int32_t tg_mat_mult_s8_dsp_buffer_size(int32_t depth, int32_t cols)
{
    return 2 * ((depth + 3) & ~3) * (int32_t)sizeof(int16_t) + 4 * cols * (int32_t)sizeof(int32_t);
}

/*
 * The out-of-line bodies the generic kernels call (any shape at run time): one
 * copy each, however many layers use them.
 */
static __attribute__((noinline)) void tg_mat_mult_2rows_s8_dsp(
    const int8_t *x0, const int8_t *x1, int32_t depth, int32_t cols, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q,
    int16_t *buf, int8_t *out0, int8_t *out1)
{
    tg_mat_mult_2rows_s8_dsp_body(x0, x1, depth, cols, weights, bias, multiplier, shift, q, buf, out0, out1);
}

static __attribute__((noinline)) void tg_mat_mult_1row_s8_dsp(
    const int8_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q, int8_t *out)
{
    tg_mat_mult_1row_s8_dsp_body(x, depth, cols, weights, bias, multiplier, shift, q, out);
}

/*
 * The product with the row bodies inlined (inline_bodies = 1: a layer's
 * specialization, where rows, depth, cols and *q are compile-time constants and
 * the compiler folds them) or called out of line (0: the generic kernels).
 */
static inline __attribute__((always_inline)) void tg_mat_mult_s8_dsp_with(
    int32_t rows, int32_t depth, int32_t cols, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, const tg_mat_mult_quant_t *q,
    int8_t *scratch, int8_t *output, int32_t inline_bodies)
{
    int16_t *buf = (int16_t *)(void *)scratch;
    int32_t r = 0;
    if (inline_bodies && rows >= 2) {
        tg_mat_mult_pairs_prepare(depth, cols, bias, multiplier, shift, q, buf);
    }
    /* not unrolled: a specialized layer of few rows would take a copy of the body per block */
#pragma GCC unroll 1
    for (; r + 2 <= rows; r += 2) {
        const int8_t *x0 = &input[r * depth], *x1 = &input[(r + 1) * depth];
        int8_t *out0 = &output[r * cols], *out1 = &output[(r + 1) * cols];
        if (inline_bodies) {
            tg_mat_mult_2rows_s8_dsp_body(x0, x1, depth, cols, weights, bias, multiplier, shift, q, buf,
                                          out0, out1);
        } else {
            tg_mat_mult_2rows_s8_dsp(x0, x1, depth, cols, weights, bias, multiplier, shift, q, buf, out0, out1);
        }
    }
    if (rows == 1) {        /* no scratch: reads and writes interleave */
        if (inline_bodies) {
            tg_mat_mult_1row_s8_dsp_body(input, depth, cols, weights, bias, multiplier, shift, q, output);
        } else {
            tg_mat_mult_1row_s8_dsp(input, depth, cols, weights, bias, multiplier, shift, q, output);
        }
    } else if ((rows & 1) && inline_bodies && tg_mat_mult_pairs_on(q, depth, cols)) {
        /* the last of an odd count as a block of that row twice (its outputs written twice) */
        r = rows - 1;
        tg_mat_mult_2rows_s8_dsp_body(&input[r * depth], &input[r * depth], depth, cols, weights, bias,
                                      multiplier, shift, q, buf, &output[r * cols], &output[r * cols]);
    } else if (rows & 1) {  /* the last of an odd count: its reads first, like the blocks' */
        r = rows - 1;
        tg_mat_mult_1row_widened_s8_dsp_body(&input[r * depth], depth, cols, weights, bias, multiplier, shift,
                                             q, buf, &output[r * cols]);
    }
}

/*
 * input: int8 [rows][depth]; weights: int8 [cols][depth]; bias (may be NULL),
 * multiplier (>= 0), shift: [cols]; output: int8 [rows][cols]. Any sizes >= 1.
 * scratch: tg_mat_mult_s8_dsp_buffer_size(depth, cols) bytes, 8-byte aligned
 * (may be NULL when rows == 1).
 */
static inline void tg_mat_mult_s8_dsp(int32_t rows, int32_t depth, int32_t cols, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      const int32_t *multiplier, const int8_t *shift,
                                      const tg_mat_mult_quant_t *q, int8_t *scratch, int8_t *output)
{
    tg_mat_mult_s8_dsp_with(rows, depth, cols, input, weights, bias, multiplier, shift, q, scratch, output, 0);
}

/*
 * Per-layer specialization: a generated layer calls these with its static const
 * parameters, so shapes, offsets and activation bounds are compile-time
 * constants, and `bounded` is tg_mat_mult_quant's verdict computed at build
 * time (tinygen.kernels.specialize): the compiler folds them, drops the dead
 * branches and inlines the row bodies. They compute what tg_conv2d_1x1_s8_dsp
 * and tg_fully_connected_s8_dsp compute, with the same loop order.
 */
static inline __attribute__((always_inline)) void tg_conv2d_1x1_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    tg_mat_mult_s8_dsp_with(p->out_h * p->out_w, p->in_c, p->out_c, input, weights, bias, multiplier, shift, &q,
                            scratch, output, 1);
}

static inline __attribute__((always_inline)) void tg_fully_connected_s8_dsp_inline(
    const tg_fully_connected_params_t *p, int32_t bounded, const int8_t *input, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    tg_mat_mult_s8_dsp_with(p->rows, p->in_features, p->out_features, input, weights, bias, multiplier, shift,
                            &q, scratch, output, 1);
}

#endif /* TG_MAT_MULT_S8_DSP_H */
