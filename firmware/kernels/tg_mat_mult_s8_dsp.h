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
 * written. A block reads only its own input rows and writes only its own output
 * rows.
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

#include "tg_requant.h"

/* Quantization of the product: see tg_conv2d_params_t. */
typedef struct {
    int32_t input_offset;   /* -input zero point, in [-127, 128] */
    int32_t output_offset;  /* output zero point, in [-128, 127] */
    int32_t act_min, act_max;
} tg_mat_mult_quant_t;

/* int16 elements of one widened row of `depth` (a multiple of 4: rows stay 8-byte aligned) */
static inline int32_t tg_mat_mult_row_stride(int32_t depth)
{
    return (depth + 3) & ~3;
}

/* Four int8 at any alignment (Cortex-M4/M7 LDR allows unaligned access). */
static inline int32_t tg_load_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * Bytes 1 and 3 of v sign-extended and added to the two int16 of pair: SXTAB16
 * with its built-in 8-bit rotation, one instruction. ACLE has no intrinsic for
 * the rotated form (GCC 12 does not fuse a rotation into __sxtab16 and has no
 * __ror), hence the one line of inline assembly.
 */
static inline int32_t tg_sxtab16_odd(int32_t pair, int32_t v)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(pair), "r"(v));
    return r;
}

/* Bytes 1 and 3 sign-extended to two int16 (bytes 0 and 2 are __sxtb16(v)). */
static inline int32_t tg_sxtb16_odd(int32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/*
 * dst[...] = the int16 x[k] + offset in the order described at the top, for
 * depth & ~3 values; the last depth % 4 follow in their own order.
 * dst: 4-byte aligned, tg_mat_mult_row_stride(depth) elements.
 */
static inline void tg_widen_s8_offset(const int8_t *x, int32_t depth, int32_t offset, int16_t *dst)
{
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    int32_t *d = (int32_t *)(void *)dst;
    int32_t k;
    for (k = 0; k + 4 <= depth; k += 4) {
        const int32_t v = tg_load_s8x4(x + k);
        d[0] = __sxtab16(offset2, v);
        d[1] = tg_sxtab16_odd(offset2, v);
        d += 2;
    }
    for (; k < depth; ++k) {
        dst[k] = (int16_t)(x[k] + offset);
    }
}

/*
 * acc[2 * i + j] += sum_k x_i[k] * w_j[k] over the whole depth for the widened
 * rows x_i = x + i * stride (i < rows) and the weight rows w_j = w + j * depth
 * (j < cols); rows and cols are 1 or 2 (constants after inlining, so each
 * combination compiles to its own loop with no dead branches).
 */
static inline __attribute__((always_inline)) void tg_dot_s16_s8(const int16_t *x, int32_t stride,
                                                                const int8_t *w, int32_t depth,
                                                                int32_t rows, int32_t cols, int32_t acc[4])
{
    const int32_t *x0 = (const int32_t *)(const void *)x;
    const int32_t *x1 = x0 + stride / 2;
    const int8_t *w0 = w, *w1 = w + depth;
    const int8_t *const w_end = w + (depth & ~3);
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t k;

    while (w0 != w_end) {
        const int32_t x0a = x0[0], x0b = x0[1];
        const int32_t x1a = rows == 2 ? x1[0] : 0, x1b = rows == 2 ? x1[1] : 0;
        int32_t vw = tg_load_s8x4(w0);
        int32_t wa = __sxtb16(vw), wb = tg_sxtb16_odd(vw);
        a00 = __smlad(x0a, wa, a00);
        a00 = __smlad(x0b, wb, a00);
        if (rows == 2) {
            a10 = __smlad(x1a, wa, a10);
            a10 = __smlad(x1b, wb, a10);
        }
        if (cols == 2) {
            vw = tg_load_s8x4(w1);
            wa = __sxtb16(vw);
            wb = tg_sxtb16_odd(vw);
            a01 = __smlad(x0a, wa, a01);
            a01 = __smlad(x0b, wb, a01);
            if (rows == 2) {
                a11 = __smlad(x1a, wa, a11);
                a11 = __smlad(x1b, wb, a11);
            }
            w1 += 4;
        }
        x0 += 2;
        x1 += 2;
        w0 += 4;
    }
    for (k = depth & ~3; k < depth; ++k) {    /* the last depth % 4, in natural order */
        a00 += x[k] * w[k];
        if (rows == 2) {
            a10 += x[stride + k] * w[k];
        }
        if (cols == 2) {
            a01 += x[k] * w[depth + k];
            if (rows == 2) {
                a11 += x[stride + k] * w[depth + k];
            }
        }
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

static inline int8_t tg_mat_mult_out(int32_t acc, int32_t multiplier, int32_t shift,
                                     const tg_mat_mult_quant_t *q)
{
    acc = tg_requantize_fast(acc, multiplier, shift) + q->output_offset;
    acc = acc < q->act_min ? q->act_min : acc;
    acc = acc > q->act_max ? q->act_max : acc;
    return (int8_t)acc;
}

/*
 * All cols outputs of 1 or 2 rows already widened into x (row i at x + i * stride):
 * out0[o] (and out1[o]) for o < cols. rows is a constant after inlining.
 */
static inline __attribute__((always_inline)) void tg_mat_mult_rows(
    const int16_t *x, int32_t stride, int32_t rows, int32_t depth, int32_t cols, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int32_t *shift, const tg_mat_mult_quant_t *q,
    int8_t *out0, int8_t *out1)
{
    int32_t o = 0;
    for (; o + 2 <= cols; o += 2) {
        const int32_t b0 = bias != NULL ? bias[o] : 0, b1 = bias != NULL ? bias[o + 1] : 0;
        int32_t acc[4] = {b0, b1, b0, b1};     /* [row][column] */
        tg_dot_s16_s8(x, stride, &weights[o * depth], depth, rows, 2, acc);
        out0[o] = tg_mat_mult_out(acc[0], multiplier[o], shift[o], q);
        out0[o + 1] = tg_mat_mult_out(acc[1], multiplier[o + 1], shift[o + 1], q);
        if (rows == 2) {
            out1[o] = tg_mat_mult_out(acc[2], multiplier[o], shift[o], q);
            out1[o + 1] = tg_mat_mult_out(acc[3], multiplier[o + 1], shift[o + 1], q);
        }
    }
    if (o < cols) {         /* the last column of an odd count */
        const int32_t b = bias != NULL ? bias[o] : 0;
        int32_t acc[4] = {b, 0, b, 0};
        tg_dot_s16_s8(x, stride, &weights[o * depth], depth, rows, 1, acc);
        out0[o] = tg_mat_mult_out(acc[0], multiplier[o], shift[o], q);
        if (rows == 2) {
            out1[o] = tg_mat_mult_out(acc[2], multiplier[o], shift[o], q);
        }
    }
}

/* Two rows x0, x1 (int8 [depth] each): widened into buf, then all their outputs. */
static __attribute__((noinline)) void tg_mat_mult_2rows_s8_dsp(
    const int8_t *x0, const int8_t *x1, int32_t depth, int32_t cols, const int8_t *weights,
    const int32_t *bias, const int32_t *multiplier, const int32_t *shift, const tg_mat_mult_quant_t *q,
    int16_t *buf, int8_t *out0, int8_t *out1)
{
    const int32_t stride = tg_mat_mult_row_stride(depth);
    tg_widen_s8_offset(x0, depth, q->input_offset, buf);
    tg_widen_s8_offset(x1, depth, q->input_offset, buf + stride);
    tg_mat_mult_rows(buf, stride, 2, depth, cols, weights, bias, multiplier, shift, q, out0, out1);
}

/* One row x (int8 [depth]): widened into buf, then its outputs. */
static __attribute__((noinline)) void tg_mat_mult_1row_s8_dsp(
    const int8_t *x, int32_t depth, int32_t cols, const int8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int32_t *shift, const tg_mat_mult_quant_t *q, int16_t *buf,
    int8_t *out)
{
    tg_widen_s8_offset(x, depth, q->input_offset, buf);
    tg_mat_mult_rows(buf, 0, 1, depth, cols, weights, bias, multiplier, shift, q, out, out);
}

/* Bytes of scratch tg_mat_mult_s8_dsp needs: two widened rows. */
static inline int32_t tg_mat_mult_s8_dsp_buffer_size(int32_t depth)
{
    return 2 * tg_mat_mult_row_stride(depth) * (int32_t)sizeof(int16_t);
}

/*
 * input: int8 [rows][depth]; weights: int8 [cols][depth]; bias (may be NULL),
 * multiplier (>= 0), shift: [cols]; output: int8 [rows][cols]. Any sizes >= 1.
 * scratch: tg_mat_mult_s8_dsp_buffer_size(depth) bytes, 8-byte aligned.
 */
static inline void tg_mat_mult_s8_dsp(int32_t rows, int32_t depth, int32_t cols, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      const int32_t *multiplier, const int32_t *shift,
                                      const tg_mat_mult_quant_t *q, int8_t *scratch, int8_t *output)
{
    int16_t *buf = (int16_t *)(void *)scratch;
    int32_t r = 0;
    for (; r + 2 <= rows; r += 2) {
        tg_mat_mult_2rows_s8_dsp(&input[r * depth], &input[(r + 1) * depth], depth, cols, weights, bias,
                                 multiplier, shift, q, buf, &output[r * cols], &output[(r + 1) * cols]);
    }
    if (r < rows) {         /* a single row, or the last of an odd count */
        tg_mat_mult_1row_s8_dsp(&input[r * depth], depth, cols, weights, bias, multiplier, shift, q, buf,
                                &output[r * cols]);
    }
}

#endif /* TG_MAT_MULT_S8_DSP_H */
