/*
 * The body of the ARMv7E-M (Cortex-M4/M7 DSP extension) sub-byte and power-of-two weight
 * convolutions (tg_conv2d_s8_s4_s8_dsp, tg_conv2d_s8_s2_s8_dsp, tg_conv2d_s8_p4_s8_dsp):
 * partial im2col as tg_conv2d_s8_dsp, then SIMD multiply-accumulates (SMLAD: two 16x16
 * products and a 32-bit add) of the widened receptive fields by the unpacked weights.
 * Equal to the portable kernels bit for bit (LOWBIT.md, tg_kernels_subbyte.h).
 *
 * Per block of 2 output pixels (raster order; the last pixel of an odd count alone):
 * both receptive fields are copied into scratch (tg_conv2d_s8_dsp_im2col: padded taps hold
 * the input zero point) and padded with zero-point bytes to whole weight words, then widened
 * once to int16 with the input offset added (x + offset in [-255, 255]; padding is 0), in the
 * order the weight unpacking gives; then each output channel's row is read once for both
 * pixels, one 32-bit word of codes at a time:
 *
 * - s4 (8 codes n0..n7 per word): lo = (w << 4) & 0xF0F0F0F0 holds 16 * n0, n2, n4, n6 as
 *   signed bytes, hi = w & 0xF0F0F0F0 holds 16 * n1, n3, n5, n7; SXTB16 and SXTB16 ROR 8 of
 *   each give the int16 pairs (n0, n4), (n2, n6), (n1, n5), (n3, n7), times 16. Per word:
 *   1 load, 2 ANDs, 4 SXTB16, then per pixel 2 LDRD of activations and 4 SMLAD: about
 *   7 + 2 * 6 = 19 instructions for 16 MACs (measured 1.50 instructions per MAC on a 3x3
 *   conv 64->64, int8 tg_conv2d_s8_dsp 1.21: benchmarks/lowbit_kernels.py).
 * - s2 (16 codes per word): (w << 6), (w << 4), (w << 2), w, each & 0xC0C0C0C0, give the
 *   codes m, 4 + m, 8 + m, 12 + m times 64 in bytes 0..3; SXTB16 / SXTB16 ROR 8 pair
 *   (m, 8 + m) and (4 + m, 12 + m).
 * - p4: a 256-entry table in scratch, built per call, maps a byte of codes (two weights) to
 *   the int16 pair of their decoded weights: per word 4 UXTB and 4 table loads, pairs in
 *   natural order (n0, n1), (n2, n3), ... The measured alternative, shifts and adds, is
 *   the portable kernel: on Cortex-M4/M7 it loses to this by 12-14x (benchmarks/lowbit_kernels.py).
 *
 * The scaled sums (times 16 for s4, 64 for s2) are exact multiples: an arithmetic shift
 * undoes the scale. With odd (DoReFa, weight 2c + 1): acc = 2 * sum(c * a) + sum(a), the
 * second sum taken per pixel while widening. |scaled weight| <= 128 and |decoded weight|
 * <= 128, so tg_mat_mult_quant's bound on depth and bias holds for every sum here.
 *
 * Scratch, 8-byte aligned (tg_conv2d_subbyte_dsp_buffer_size): [p4: 256 uint32 table]
 * [2 int8 fields of D bytes][2 widened fields, int16 D each], D = K rounded up to the codes
 * of a whole weight word (8 for 4-bit, 16 for 2-bit).
 */
#ifndef TG_CONV2D_SUBBYTE_DSP_H
#define TG_CONV2D_SUBBYTE_DSP_H

#include <arm_acle.h>
#include <stdint.h>

#include "tg_conv2d_s8_dsp.h"
#include "tg_kernels_subbyte.h"

/* the weight unpacking a kernel uses, and the order the activations are widened in */
#define TG_SUBBYTE_DSP_S4 0
#define TG_SUBBYTE_DSP_S2 1
#define TG_SUBBYTE_DSP_P4 2

/* Codes of one weight word: 8 (4-bit) or 16 (2-bit). */
static inline int32_t tg_subbyte_dsp_group(int32_t kind)
{
    return kind == TG_SUBBYTE_DSP_S2 ? 16 : 8;
}

/* Stores the widened word q of a group's row i at d: pairs of words, row 0's then row 1's. */
static inline __attribute__((always_inline)) void tg_subbyte_dsp_put(int32_t *d, int32_t rows, int32_t i, int32_t q,
                                                                     int32_t v)
{
    d[(q >> 1) * 2 * rows + 2 * i + (q & 1)] = v;
}

/*
 * Widens the int8 fields x_i (i < rows, rows 1 or 2; groups * G bytes each, G the codes of
 * a weight word) into dst, in the kind's order: per group and per pair of int16-pair words,
 * row 0's two words then row 1's, so that one pointer walks both rows with LDRD.
 * sums[i] = the sum of row i's widened values when want_sums.
 */
static inline __attribute__((always_inline)) void tg_subbyte_dsp_widen(const int8_t *x0, const int8_t *x1,
                                                                       int32_t rows, int32_t groups,
                                                                       int32_t kind, int32_t offset,
                                                                       int32_t want_sums, int16_t *dst,
                                                                       int32_t *sums)
{
    const int32_t offset2 = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x00010001u);
    const int32_t ones = 0x00010001;
    const int32_t g_size = tg_subbyte_dsp_group(kind);
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t s0 = 0, s1 = 0;
    int32_t g, i;

    for (g = 0; g < groups; ++g) {
        for (i = 0; i < rows; ++i) {
            const int8_t *x = (i == 0 ? x0 : x1) + g * g_size;
            const int32_t a0 = tg_dsp_load_s8x4(x), a1 = tg_dsp_load_s8x4(x + 4);
            const int32_t e0 = __sxtab16(offset2, a0), o0 = tg_dsp_sxtab16_odd(offset2, a0);
            const int32_t e1 = __sxtab16(offset2, a1), o1 = tg_dsp_sxtab16_odd(offset2, a1);
            int32_t s = 0;
            if (want_sums) {
                s = __smlad(e0, ones, __smlad(o0, ones, __smlad(e1, ones, __smlad(o1, ones, 0))));
            }
            if (kind == TG_SUBBYTE_DSP_S4) {            /* (x0,x4) (x2,x6) (x1,x5) (x3,x7) */
                tg_subbyte_dsp_put(d, rows, i, 0, tg_dsp_pkhbt(e0, e1));
                tg_subbyte_dsp_put(d, rows, i, 1, tg_dsp_pkhtb(e1, e0));
                tg_subbyte_dsp_put(d, rows, i, 2, tg_dsp_pkhbt(o0, o1));
                tg_subbyte_dsp_put(d, rows, i, 3, tg_dsp_pkhtb(o1, o0));
            } else if (kind == TG_SUBBYTE_DSP_P4) {     /* (x0,x1) (x2,x3) (x4,x5) (x6,x7) */
                tg_subbyte_dsp_put(d, rows, i, 0, tg_dsp_pkhbt(e0, o0));
                tg_subbyte_dsp_put(d, rows, i, 1, tg_dsp_pkhtb(o0, e0));
                tg_subbyte_dsp_put(d, rows, i, 2, tg_dsp_pkhbt(e1, o1));
                tg_subbyte_dsp_put(d, rows, i, 3, tg_dsp_pkhtb(o1, e1));
            } else {    /* s2: (x0,x8) (x4,x12) (x1,x9) (x5,x13) (x2,x10) (x6,x14) (x3,x11) (x7,x15) */
                const int32_t a2 = tg_dsp_load_s8x4(x + 8), a3 = tg_dsp_load_s8x4(x + 12);
                const int32_t e2 = __sxtab16(offset2, a2), o2 = tg_dsp_sxtab16_odd(offset2, a2);
                const int32_t e3 = __sxtab16(offset2, a3), o3 = tg_dsp_sxtab16_odd(offset2, a3);
                if (want_sums) {
                    s = __smlad(e2, ones, __smlad(o2, ones, __smlad(e3, ones, __smlad(o3, ones, s))));
                }
                tg_subbyte_dsp_put(d, rows, i, 0, tg_dsp_pkhbt(e0, e2));
                tg_subbyte_dsp_put(d, rows, i, 1, tg_dsp_pkhbt(e1, e3));
                tg_subbyte_dsp_put(d, rows, i, 2, tg_dsp_pkhbt(o0, o2));
                tg_subbyte_dsp_put(d, rows, i, 3, tg_dsp_pkhbt(o1, o3));
                tg_subbyte_dsp_put(d, rows, i, 4, tg_dsp_pkhtb(e2, e0));
                tg_subbyte_dsp_put(d, rows, i, 5, tg_dsp_pkhtb(e3, e1));
                tg_subbyte_dsp_put(d, rows, i, 6, tg_dsp_pkhtb(o2, o0));
                tg_subbyte_dsp_put(d, rows, i, 7, tg_dsp_pkhtb(o3, o1));
            }
            if (i == 0) {
                s0 += s;
            } else {
                s1 += s;
            }
        }
        d += rows * g_size / 2;
    }
    sums[0] = s0;
    sums[1] = s1;
}

/*
 * Two int16-pair weight words k0, k1 against the next two widened words of each row
 * (LDRD with write-back through *xp): 2 SMLAD per row.
 */
static inline __attribute__((always_inline)) void tg_subbyte_dsp_step(const int32_t **xp, int32_t k0, int32_t k1,
                                                                      int32_t rows, int32_t *a0, int32_t *a1)
{
    int32_t x0, x1;
    tg_load_pair_post(xp, &x0, &x1);
    *a0 = __smlad(x0, k0, *a0);
    *a0 = __smlad(x1, k1, *a0);
    if (rows == 2) {
        tg_load_pair_post(xp, &x0, &x1);
        *a1 = __smlad(x0, k0, *a1);
        *a1 = __smlad(x1, k1, *a1);
    }
}

/* One word of codes against its group of widened activations, in the order tg_subbyte_dsp_widen gives. */
static inline __attribute__((always_inline)) void tg_subbyte_dsp_word(uint32_t w, int32_t kind, const int32_t *lut,
                                                                      const int32_t **xp, int32_t rows,
                                                                      int32_t *a0, int32_t *a1)
{
    if (kind == TG_SUBBYTE_DSP_S4) {
        const int32_t lo = (int32_t)((w << 4) & 0xF0F0F0F0u), hi = (int32_t)(w & 0xF0F0F0F0u);
        tg_subbyte_dsp_step(xp, __sxtb16(lo), tg_dsp_sxtb16_odd(lo), rows, a0, a1);
        tg_subbyte_dsp_step(xp, __sxtb16(hi), tg_dsp_sxtb16_odd(hi), rows, a0, a1);
    } else if (kind == TG_SUBBYTE_DSP_S2) {
        const int32_t v0 = (int32_t)((w << 6) & 0xC0C0C0C0u), v1 = (int32_t)((w << 4) & 0xC0C0C0C0u);
        const int32_t v2 = (int32_t)((w << 2) & 0xC0C0C0C0u), v3 = (int32_t)(w & 0xC0C0C0C0u);
        tg_subbyte_dsp_step(xp, __sxtb16(v0), tg_dsp_sxtb16_odd(v0), rows, a0, a1);
        tg_subbyte_dsp_step(xp, __sxtb16(v1), tg_dsp_sxtb16_odd(v1), rows, a0, a1);
        tg_subbyte_dsp_step(xp, __sxtb16(v2), tg_dsp_sxtb16_odd(v2), rows, a0, a1);
        tg_subbyte_dsp_step(xp, __sxtb16(v3), tg_dsp_sxtb16_odd(v3), rows, a0, a1);
    } else {
        tg_subbyte_dsp_step(xp, lut[w & 0xFFu], lut[(w >> 8) & 0xFFu], rows, a0, a1);
        tg_subbyte_dsp_step(xp, lut[(w >> 16) & 0xFFu], lut[w >> 24], rows, a0, a1);
    }
}

/* log2 of the scale the unpacked weights carry: 16 (s4), 64 (s2), 1 (p4). */
static inline int32_t tg_subbyte_dsp_scale_log2(int32_t kind)
{
    return kind == TG_SUBBYTE_DSP_S4 ? 4 : kind == TG_SUBBYTE_DSP_S2 ? 6 : 0;
}

/*
 * The outputs of the rows (1 or 2) widened in x, for every channel: the sums over the
 * `groups` words of each weight row, unscaled, the odd term added, then requantized.
 */
static inline __attribute__((always_inline)) void tg_subbyte_dsp_outputs(
    const tg_conv2d_subbyte_params_t *p, const tg_mat_mult_quant_t *q, const int16_t *x, int32_t rows,
    int32_t groups, int32_t kind, const int32_t *sums, const uint32_t *weights, const int32_t *lut,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *out0, int8_t *out1)
{
    const tg_mat_mult_out_t oq = {q->output_offset, q->act_min, q->act_max};
    const int32_t scale = tg_subbyte_dsp_scale_log2(kind);
    const int32_t odd = kind != TG_SUBBYTE_DSP_P4 && p->odd;
    const uint32_t *row = weights;
    int32_t o;

    for (o = 0; o < p->out_c; ++o) {
        const int32_t *xp = (const int32_t *)__builtin_assume_aligned(x, 8);
        const uint32_t *const row_end = row + groups;
        int32_t a0 = 0, a1 = 0, b;
        while (row != row_end) {
            tg_subbyte_dsp_word(*row++, kind, lut, &xp, rows, &a0, &a1);
        }
        b = bias != NULL ? bias[o] : 0;
        if (odd) {      /* sum (2c + 1) a = 2 sum c a + sum a */
            a0 = (a0 >> (scale - 1)) + sums[0] + b;
            a1 = (a1 >> (scale - 1)) + sums[1] + b;
        } else {
            a0 = (a0 >> scale) + b;
            a1 = (a1 >> scale) + b;
        }
        out0[o] = tg_mat_mult_out(a0, multiplier[o], shift[o], oq, q->bounded);
        if (rows == 2) {
            out1[o] = tg_mat_mult_out(a1, multiplier[o], shift[o], oq, q->bounded);
        }
    }
}

/* p4: table[b] = the int16 pair (weight of code b & 15, weight of code b >> 4). */
static inline void tg_subbyte_dsp_p4_table(int32_t zero_code, int32_t *table)
{
    int32_t w[16];
    int32_t c, hi;
    for (c = 0; c < 16; ++c) {
        const int32_t e = c & 7;
        const int32_t v = zero_code ? ((int32_t)1 << e) >> 1 : (int32_t)1 << e;
        w[c] = (c & 8) != 0 ? -v : v;
    }
    for (hi = 0; hi < 16; ++hi) {
        const uint32_t top = (uint32_t)w[hi] << 16;
        for (c = 0; c < 16; ++c) {
            table[hi * 16 + c] = (int32_t)(top | ((uint32_t)w[c] & 0xFFFFu));
        }
    }
}

/* Field bytes per pixel: K rounded up to whole weight words. */
static inline int32_t tg_subbyte_dsp_field(int32_t depth, int32_t kind)
{
    const int32_t g = tg_subbyte_dsp_group(kind);
    return (depth + g - 1) / g * g;
}

/* One pixel's receptive field into dst, padded with zero-point bytes to `field` bytes. */
static inline __attribute__((always_inline)) void tg_subbyte_dsp_im2col(const tg_conv2d_params_t *c,
                                                                        const int8_t *input, int32_t oy,
                                                                        int32_t ox, int32_t depth,
                                                                        int32_t field, int8_t *dst)
{
    tg_conv2d_s8_dsp_field(c, input, oy, ox, dst, 0);
    tg_fill_s8(dst + depth, (int8_t)(-c->input_offset), field - depth);
}

static inline __attribute__((always_inline)) void tg_conv2d_subbyte_dsp(
    const tg_conv2d_subbyte_params_t *p, const int8_t *input, const uint8_t *weights, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output, int32_t kind)
{
    const tg_conv2d_params_t c = {p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c,
                                  p->kernel_h, p->kernel_w, p->stride_h, p->stride_w,
                                  p->dilation_h, p->dilation_w, p->pad_top, p->pad_left, 1,
                                  p->input_offset, p->output_offset, p->act_min, p->act_max};
    const int32_t depth = p->kernel_h * p->kernel_w * p->in_c;
    const int32_t field = tg_subbyte_dsp_field(depth, kind);
    const int32_t groups = field / tg_subbyte_dsp_group(kind);
    const int32_t pixels = p->out_h * p->out_w;
    const int32_t odd = kind != TG_SUBBYTE_DSP_P4 && p->odd;
    const tg_mat_mult_quant_t q = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                    depth, p->out_c, bias, multiplier, shift);
    const uint32_t *w = (const uint32_t *)__builtin_assume_aligned(weights, 4);
    int32_t *const lut = (int32_t *)__builtin_assume_aligned(scratch, 8);
    int8_t *const col0 = scratch + (kind == TG_SUBBYTE_DSP_P4 ? 256 * (int32_t)sizeof(int32_t) : 0);
    int8_t *const col1 = col0 + field;
    int16_t *const buf = (int16_t *)__builtin_assume_aligned(col1 + field, 8);
    int32_t sums[2];
    int32_t oy = 0, ox = 0;
    int32_t n;

    if (kind == TG_SUBBYTE_DSP_P4) {
        tg_subbyte_dsp_p4_table(p->zero_code, lut);
    }
    for (n = 0; n + 2 <= pixels; n += 2) {
        tg_subbyte_dsp_im2col(&c, input, oy, ox, depth, field, col0);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        tg_subbyte_dsp_im2col(&c, input, oy, ox, depth, field, col1);
        if (++ox == p->out_w) {
            ox = 0;
            ++oy;
        }
        tg_subbyte_dsp_widen(col0, col1, 2, groups, kind, p->input_offset, odd, buf, sums);
        tg_subbyte_dsp_outputs(p, &q, buf, 2, groups, kind, sums, w, lut, bias, multiplier, shift,
                               &output[n * p->out_c], &output[(n + 1) * p->out_c]);
    }
    if (n < pixels) {       /* the last pixel of an odd count */
        tg_subbyte_dsp_im2col(&c, input, oy, ox, depth, field, col0);
        tg_subbyte_dsp_widen(col0, col0, 1, groups, kind, p->input_offset, odd, buf, sums);
        tg_subbyte_dsp_outputs(p, &q, buf, 1, groups, kind, sums, w, lut, bias, multiplier, shift,
                               &output[n * p->out_c], &output[n * p->out_c]);
    }
}

#endif /* TG_CONV2D_SUBBYTE_DSP_H */
