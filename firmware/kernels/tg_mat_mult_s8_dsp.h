/*
 * tinygen int8 matrix multiply for ARMv7E-M (Cortex-M4/M7 DSP extension),
 * shared by tg_conv2d_1x1_s8_dsp and tg_fully_connected_s8_dsp (a pointwise
 * convolution and a fully connected layer are the same product).
 *
 *   output[r][o] = clamp(requant(bias[o] + sum_k (input[r][k] + input_offset) * weights[o][k]))
 *
 * with TFLite's requantization from tg_requant.h: the results equal the
 * portable kernels' bit for bit.
 *
 * The input offset is taken out of the inner loop: sum_k (x + offset) * w equals
 * sum_k x * w + offset * sum_k w, and the second term is computed once per output
 * channel. All sums are int32 as in TFLite; products of int8 pairs are
 * accumulated with SMLAD (two 16x16 products and a 32-bit add), the int8 bytes
 * widened in pairs with SXTB16 (bytes 0 and 2, then bytes 1 and 3 after an
 * 8-bit rotation). The block loop computes 2 output channels x 2 rows, so every
 * 4-byte load of an input row or a weight row feeds 4 multiply-accumulates.
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

/* Four int8 at any alignment (Cortex-M4/M7 LDR allows unaligned access). */
static inline int32_t tg_load_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * Bytes 1 and 3 sign-extended to two int16 (bytes 0 and 2 are __sxtb16(v)):
 * SXTB16 with its built-in 8-bit rotation, one instruction. ACLE has no
 * intrinsic for the rotated form (GCC 12 does not fuse a rotation into
 * __sxtb16, and has no __ror), hence the one line of inline assembly.
 */
static inline int32_t tg_sxtb16_odd(int32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* Bytes 1 and 3 of v sign-extended and added to the two int16 of pair: SXTAB16 with rotation. */
static inline int32_t tg_sxtab16_odd(int32_t pair, int32_t v)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(pair), "r"(v));
    return r;
}

/*
 * acc + sum_{k < n} (x[k] + input_offset) * w[k], the offset added to the
 * widened input (SXTAB16: x + offset lies in [-255, 255], an int16).
 * For single rows, where precomputing offset * sum(w) would cost a pass over the weights.
 */
static inline int32_t tg_dot_offset_s8_dsp(const int8_t *x, const int8_t *w, int32_t n, int32_t input_offset,
                                           int32_t acc)
{
    const int32_t offset2 = (int32_t)(((uint32_t)input_offset & 0xFFFFu) * 0x00010001u);
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const int32_t vx = tg_load_s8x4(x + k);
        const int32_t vw = tg_load_s8x4(w + k);
        acc = __smlad(__sxtab16(offset2, vx), __sxtb16(vw), acc);
        acc = __smlad(tg_sxtab16_odd(offset2, vx), tg_sxtb16_odd(vw), acc);
    }
    for (; k < n; ++k) {
        acc += ((int32_t)x[k] + input_offset) * (int32_t)w[k];
    }
    return acc;
}

/*
 * acc[2 * i + j] += sum_{k < depth & ~3} x_i[k] * w_j[k] for the rows x_0 = x,
 * x_1 = x + depth and the columns w_0 = w, w_1 = w + depth: 2 rows x 2 columns
 * x 4 bytes of depth per step (4 loads, 8 SXTB16, 8 SMLAD). Kept out of line so
 * that the compiler gives its 4 sums, 4 pointers and 6 operands the registers
 * (inlined into the caller's loops, it spills them every step).
 */
static __attribute__((noinline)) void tg_dot_2x2_s8_dsp(const int8_t *x, const int8_t *w, int32_t depth,
                                                        int32_t acc[4])
{
    /* the second row and column are read at +depth: two pointers, not four */
    const int8_t *xp = x, *wp = w;
    const int8_t *const x_end = x + (depth & ~3);
    int32_t acc00 = acc[0], acc01 = acc[1], acc10 = acc[2], acc11 = acc[3];

    while (xp != x_end) {
        const int32_t vx0 = tg_load_s8x4(xp), vx1 = tg_load_s8x4(xp + depth);
        int32_t vw = tg_load_s8x4(wp);
        int32_t wa = __sxtb16(vw), wb = tg_sxtb16_odd(vw);
        const int32_t x0a = __sxtb16(vx0), x1a = __sxtb16(vx1);
        const int32_t x0b = tg_sxtb16_odd(vx0), x1b = tg_sxtb16_odd(vx1);
        acc00 = __smlad(x0a, wa, acc00);
        acc10 = __smlad(x1a, wa, acc10);
        acc00 = __smlad(x0b, wb, acc00);
        acc10 = __smlad(x1b, wb, acc10);
        vw = tg_load_s8x4(wp + depth);
        wa = __sxtb16(vw);
        wb = tg_sxtb16_odd(vw);
        acc01 = __smlad(x0a, wa, acc01);
        acc11 = __smlad(x1a, wa, acc11);
        acc01 = __smlad(x0b, wb, acc01);
        acc11 = __smlad(x1b, wb, acc11);
        xp += 4;
        wp += 4;
    }
    acc[0] = acc00;
    acc[1] = acc01;
    acc[2] = acc10;
    acc[3] = acc11;
}

/* bias (0 without one) + input_offset * sum_k weights[k]: the part of the sum not depending on the input */
static inline int32_t tg_mat_mult_base(const int8_t *weights, const int32_t *bias, int32_t o, int32_t depth,
                                       int32_t input_offset)
{
    const int8_t *w = &weights[o * depth];
    int32_t sum = 0;
    int32_t k;
    for (k = 0; k < depth; ++k) {
        sum += w[k];
    }
    return (bias != NULL ? bias[o] : 0) + input_offset * sum;
}

static inline int8_t tg_mat_mult_out(int32_t acc, int32_t multiplier, int32_t shift,
                                     const tg_mat_mult_quant_t *q)
{
    acc = tg_requantize(acc, multiplier, shift) + q->output_offset;
    acc = acc < q->act_min ? q->act_min : acc;
    acc = acc > q->act_max ? q->act_max : acc;
    return (int8_t)acc;
}

/*
 * input: int8 [rows][depth]; weights: int8 [cols][depth]; bias (may be NULL),
 * multiplier, shift: [cols]; output: int8 [rows][cols]. Any sizes >= 1.
 */
static inline void tg_mat_mult_s8_dsp(int32_t rows, int32_t depth, int32_t cols, const int8_t *input,
                                      const int8_t *weights, const int32_t *bias,
                                      const int32_t *multiplier, const int32_t *shift,
                                      const tg_mat_mult_quant_t *q, int8_t *output)
{
    int32_t o = 0;

    for (; o + 2 <= cols; o += 2) {
        const int8_t *w0 = &weights[o * depth];
        const int8_t *w1 = w0 + depth;
        int32_t r = 0;
        if (rows >= 2) {
            const int32_t base0 = tg_mat_mult_base(weights, bias, o, depth, q->input_offset);
            const int32_t base1 = tg_mat_mult_base(weights, bias, o + 1, depth, q->input_offset);
            for (; r + 2 <= rows; r += 2) {
                const int8_t *x0 = &input[r * depth];
                const int8_t *x1 = x0 + depth;
                int32_t acc[4] = {base0, base1, base0, base1};     /* [row][column] */
                int32_t k;
                tg_dot_2x2_s8_dsp(x0, w0, depth, acc);
                for (k = depth & ~3; k < depth; ++k) {
                    acc[0] += (int32_t)x0[k] * (int32_t)w0[k];
                    acc[1] += (int32_t)x0[k] * (int32_t)w1[k];
                    acc[2] += (int32_t)x1[k] * (int32_t)w0[k];
                    acc[3] += (int32_t)x1[k] * (int32_t)w1[k];
                }
                output[r * cols + o] = tg_mat_mult_out(acc[0], multiplier[o], shift[o], q);
                output[r * cols + o + 1] = tg_mat_mult_out(acc[1], multiplier[o + 1], shift[o + 1], q);
                output[(r + 1) * cols + o] = tg_mat_mult_out(acc[2], multiplier[o], shift[o], q);
                output[(r + 1) * cols + o + 1] = tg_mat_mult_out(acc[3], multiplier[o + 1], shift[o + 1], q);
            }
        }
        if (r < rows) {     /* a single row, or the last of an odd count */
            const int8_t *x = &input[r * depth];
            const int32_t acc0 = tg_dot_offset_s8_dsp(x, w0, depth, q->input_offset, bias != NULL ? bias[o] : 0);
            const int32_t acc1 = tg_dot_offset_s8_dsp(x, w1, depth, q->input_offset, bias != NULL ? bias[o + 1] : 0);
            output[r * cols + o] = tg_mat_mult_out(acc0, multiplier[o], shift[o], q);
            output[r * cols + o + 1] = tg_mat_mult_out(acc1, multiplier[o + 1], shift[o + 1], q);
        }
    }
    if (o < cols) {         /* the last column of an odd count */
        const int8_t *w = &weights[o * depth];
        int32_t r;
        for (r = 0; r < rows; ++r) {
            const int32_t acc = tg_dot_offset_s8_dsp(&input[r * depth], w, depth, q->input_offset,
                                                     bias != NULL ? bias[o] : 0);
            output[r * cols + o] = tg_mat_mult_out(acc, multiplier[o], shift[o], q);
        }
    }
}

#endif /* TG_MAT_MULT_S8_DSP_H */
