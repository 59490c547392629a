/*
 * The bodies of tg_conv2d_widen_s8_dsp (a plain conv) and tg_conv2d_add_widen_s8_dsp (a
 * conv with a fused residual add), shared with their per-layer specializations: the
 * direct convolution of tg_conv2d_direct_s8_dsp.h with its weights kept as int8 in flash
 * and widened at run time, one block of 4 output channels at a time, into the scratch.
 *
 * The packed weights are tg_conv2d_direct_s8_dsp's int16 layout with each group of 4
 * values (a, b, c, d) stored as the int8 bytes (a, c, b, d), arranged at build time
 * (tinygen.kernels.direct_dsp.conv2d_widen_dsp_weights): SXTB16 of such a word gives the pair
 * (a, b) and SXTB16 ROR #8 the pair (c, d), so a block widens as one run of words (1 LDR,
 * 2 SXTB16, 1 STRD per 4 weights), whatever the shape. The direct core then runs over
 * every output pixel with the block's widened weights: per group of 4 input values, 1
 * LDR, 2 SXTAB16, 4 LDRD and 8 SMLAD for 16 multiply-accumulates, as with the weights
 * widened at build time; the widening adds about 1.25 / (output pixels) instructions
 * per multiply-accumulate.
 *
 * Loop order: channel blocks in increasing order, within each the output pixels in
 * raster order; output byte p is written once, after its window and (with the add) skip
 * byte p are read. Every block reads the whole input, so the output must not overlap the
 * input; with the add it may take the skip's place (no other output reads skip byte p).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_CONV2D_WIDEN_S8_DSP_H
#define TG_CONV2D_WIDEN_S8_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_conv2d_add_s8_dsp.h"
#include "tg_conv2d_direct_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"

/* Scratch bytes: one block of 4 output channels' weights as int16, 8 * kernel_h * kernel_w * in_c. */
static inline int32_t tg_conv2d_widen_s8_dsp_buffer_size(int32_t kernel_h, int32_t kernel_w, int32_t in_c)
{
    return 8 * kernel_h * kernel_w * in_c;
}

/* words int8 x 4 at src widened into int16 pairs at dst (8-byte aligned): (b0, b2), (b1, b3) each. */
static inline __attribute__((always_inline)) void tg_conv_widen_block(const int8_t *src, int32_t words, int16_t *dst)
{
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t k;
#pragma GCC unroll 2
    for (k = words; k != 0; --k) {
        const int32_t v = tg_dsp_load_s8x4_post(&src);
        d[0] = __sxtb16(v);
        d[1] = tg_dsp_sxtb16_odd(v);
        d += 2;
    }
}

/* 4 output channels' weights decoded in the int8 layout (rows: int8 [4][depth], depth a multiple of 4)
   widened into dst (8-byte aligned) in the layout above: per group of 4 values, each channel's pairs
   (b0, b2), (b1, b3), channel 0 first. What the kernels on decoded weights widen (entropy-coded,
   tg_conv2d_widen_huffman_s8_dsp; shared, tg_conv2d_widen_lut_s8_dsp). */
static inline __attribute__((always_inline)) void tg_conv_widen_rows(const int8_t *rows, int32_t depth,
                                                                       int16_t *dst)
{
    int32_t *d = (int32_t *)__builtin_assume_aligned(dst, 8);
    int32_t k, c;
    for (k = 0; k < depth; k += 4) {
#pragma GCC unroll 4
        for (c = 0; c < 4; ++c) {
            int32_t v;
            memcpy(&v, &rows[c * depth + k], sizeof v);
            d[0] = __sxtb16(v);
            d[1] = tg_dsp_sxtb16_odd(v);
            d += 2;
        }
    }
}

/*
 * Every output pixel of the block of output channels oc .. oc + 3 (those below out_c), its
 * weights widened at w. add: the fused add's parameters, NULL for a plain conv (a constant
 * after inlining); mode: the add's epilogue mode (tg_conv2d_add_s8_dsp.h); q, bounded: the
 * plain conv's quantization. Also the body of the entropy-coded widening kernel
 * (tg_conv2d_widen_huffman_s8_dsp), whose blocks are decoded, not read from flash.
 */
static inline __attribute__((always_inline)) void tg_conv_widen_pixels(
    const tg_conv_direct_t *g, const tg_mat_mult_quant_t *q, int32_t bounded, const tg_conv2d_add_params_t *add,
    int32_t mode, const int8_t *skip, const int8_t *input, const int16_t *w, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int32_t oc, int8_t *output)
{
    const tg_mat_mult_out_t oq = {q->output_offset, q->act_min, q->act_max};
    const int32_t n = g->out_c - oc < 4 ? g->out_c - oc : 4;
    int32_t out_y, out_x, c;
    int32_t at = oc;
    for (out_y = 0; out_y < g->out_h; ++out_y) {
        const int32_t in_y = out_y * g->stride_h - g->pad_top;
        const tg_conv_taps_t rows = tg_conv_direct_taps(in_y, g->dilation_h, g->kernel_h, g->in_h);
        for (out_x = 0; out_x < g->out_w; ++out_x) {
            const int32_t in_x = out_x * g->stride_w - g->pad_left;
            const tg_conv_taps_t cols = tg_conv_direct_taps(in_x, g->dilation_w, g->kernel_w, g->in_w);
            int32_t acc[4];
            tg_conv_direct_sums(g, input, w, bias, oc, rows, cols, in_y, in_x, acc);
#pragma GCC unroll 4
            for (c = 0; c < n; ++c) {
                if (add != NULL) {
                    output[at + c] = tg_conv_add_out(add, acc[c], multiplier[oc + c], shift[oc + c], skip[at + c],
                                                     mode);
                } else {
                    output[at + c] = tg_mat_mult_out(acc[c], multiplier[oc + c], shift[oc + c], oq, bounded);
                }
            }
            at += g->out_c;
        }
    }
}

/* Every output: each block of 4 output channels widened into the scratch, then its pixels. */
static inline __attribute__((always_inline)) void tg_conv_widen_all(
    const tg_conv_direct_t *g, const tg_mat_mult_quant_t *q, int32_t bounded, const tg_conv2d_add_params_t *add,
    int32_t mode, const int8_t *skip, const int8_t *input, const int8_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const int32_t values = tg_conv_direct_block_values(g);
    int16_t *const w = (int16_t *)__builtin_assume_aligned(scratch, 8);
    int32_t oc;
    for (oc = 0; oc < g->out_c; oc += 4) {
        tg_conv_widen_block(packed + (oc >> 2) * values, values >> 2, w);
        tg_conv_widen_pixels(g, q, bounded, add, mode, skip, input, w, bias, multiplier, shift, oc, output);
    }
}

/* The plain conv, with `bounded` (tg_mat_mult_quant's verdict) a constant in each branch. */
static inline __attribute__((always_inline)) void tg_conv2d_widen_s8_dsp_with(
    const tg_conv_direct_t *g, const tg_mat_mult_quant_t *q, const int8_t *input, const int8_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    if (q->bounded) {   /* with TG_REQUANT_POS where the build set it */
        tg_conv_widen_all(g, q, 1 | TG_REQUANT_POS_OF(q->bounded), NULL, 0, NULL, input, packed, bias, multiplier,
                          shift, scratch, output);
    } else {
        tg_conv_widen_all(g, q, 0, NULL, 0, NULL, input, packed, bias, multiplier, shift, scratch, output);
    }
}

/* The conv with the fused add, with the epilogue's mode a constant in each branch. */
static inline __attribute__((always_inline)) void tg_conv2d_add_widen_s8_dsp_with(
    const tg_conv2d_add_params_t *p, int32_t mode, const int8_t *input, const int8_t *skip, const int8_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv_direct_t g = {p->in_h,     p->in_w,       p->in_c,       p->out_h,      p->out_w,
                                p->out_c,    p->kernel_h,   p->kernel_w,   p->stride_h,   p->stride_w,
                                p->dilation_h, p->dilation_w, p->pad_top, p->pad_left, p->input_offset};
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, 0};
    if (TG_REQUANT_KIND(mode) == TG_CONV_ADD_BOUNDED) {      /* with TG_REQUANT_POS where the build set it */
        tg_conv_widen_all(&g, &q, 0, p, TG_CONV_ADD_BOUNDED | TG_REQUANT_POS_OF(mode), skip, input, packed, bias,
                          multiplier, shift, scratch, output);
    } else if (mode == TG_CONV_ADD_FAST) {
        tg_conv_widen_all(&g, &q, 0, p, TG_CONV_ADD_FAST, skip, input, packed, bias, multiplier, shift, scratch,
                          output);
    } else {
        tg_conv_widen_all(&g, &q, 0, p, TG_CONV_ADD_GENERAL, skip, input, packed, bias, multiplier, shift, scratch,
                          output);
    }
}

/*
 * Per-layer specializations: p points to the layer's static const parameters and
 * `bounded` is tg_mat_mult_quant's verdict computed at build time
 * (tinygen.kernels.specialize); with the add, the mode is then known at build time when
 * the add's fast conditions hold too.
 */
static inline __attribute__((always_inline)) void tg_conv2d_widen_s8_dsp_inline(
    const tg_conv2d_params_t *p, int32_t bounded, const int8_t *input, const int8_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    const tg_conv_direct_t g = tg_conv_direct_of(p);
    const tg_mat_mult_quant_t q = {p->input_offset, p->output_offset, p->act_min, p->act_max, bounded};
    tg_conv2d_widen_s8_dsp_with(&g, &q, input, packed, bias, multiplier, shift, scratch, output);
}

static inline __attribute__((always_inline)) void tg_conv2d_add_widen_s8_dsp_inline(
    const tg_conv2d_add_params_t *p, int32_t bounded, const int8_t *input, const int8_t *skip, const int8_t *packed,
    const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output)
{
    if (bounded && tg_conv_add_fast_add(p)) {
        tg_conv2d_add_widen_s8_dsp_with(p, TG_CONV_ADD_BOUNDED | TG_REQUANT_POS_OF(bounded), input, skip, packed,
                                        bias, multiplier, shift, scratch, output);
    } else {
        tg_conv2d_add_widen_s8_dsp_with(p, tg_conv_add_mode(p, bias, multiplier, shift), input, skip, packed, bias,
                                        multiplier, shift, scratch, output);
    }
}

#endif /* TG_CONV2D_WIDEN_S8_DSP_H */
