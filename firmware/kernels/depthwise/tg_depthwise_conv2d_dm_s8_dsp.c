/*
 * tg_depthwise_conv2d_dm_s8_dsp: depthwise 2-D convolution with depth multiplier > 1, any
 * window, stride, dilation and padding, any input channel count, for ARMv7E-M (Cortex-M4/M7
 * DSP extension), int8 in/out, per-channel requantization. Equals tg_depthwise_conv2d_s8
 * bit for bit. Written for one input channel fanned out to many (TFLite Micro's micro-speech
 * model: 1 channel, multiplier 8, a 10x8 window at stride 2), where the M output channels of
 * an input channel share every input tap.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8; packed weights and scratch:
 * tinygen/kernels/depthwise_dm_dsp.py.
 *
 * Per output pixel and input channel ic:
 *  1. gather: the window's taps, x + input_offset as int16 (in [-255, 255]) and 0 at a padded
 *     position (the zero point, whose product TFLite leaves out), packed two to a word in the
 *     scratch, window row by row. A row's taps pair up as SXTB16 splits a word: for each whole
 *     group of 4 columns k..k+3 the pairs (k, k+2) and (k+1, k+3), then the last kernel_w % 4
 *     columns as (k, k+1) and a lone last one with 0. With one input channel, dilation_w 1 and
 *     the row's columns all inside the input, a group is one unaligned load and two SXTAB16
 *     (the input offset added to both halves); elsewhere (edges, in_c > 1, dilation) each tap is
 *     read alone, 0 where it is padding; a row wholly above or below the input is zeros.
 *  2. MACs: the M output channels ic * M + m, in blocks of 4 (then 2, then 1): each tap-pair
 *     word is loaded once per block and multiplied with the block's weight words by SMLAD (two
 *     16x16 products and a 32-bit add: 2 MACs an instruction), the accumulators starting at the
 *     bias. The weights are packed at build time in the taps' order as int16 pairs, per input
 *     channel and block, pair-major: block word [pair][channel of the block].
 *  3. requantization as the matrix kernels do it (tg_mat_mult_out: tg_requantize_bounded where
 *     every channel's constants and window bound the sums, else tg_requantize_fast), the output
 *     offset, the clamp.
 * The tap words are gathered once per pixel and channel and serve all M channels; the M * taps
 * products take about taps / 2 * (1 + 1/4) loads and SMLADs per block of 4.
 *
 * Sums are int32 as in TFLite (SMLAD wraps as int32 addition does). Scratch: one window's tap
 * words, depthwise_dm_dsp.dm_scratch bytes, 4-byte aligned. The output must not overlap the
 * input (it holds more channels per pixel than the input does).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_dot_s16_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"
#include "tg_requant.h"

/* lo in the low halfword, hi in the high one. */
static inline int32_t tg_dwm_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* Tap-pair words of one window row: 2 per whole group of 4 columns, then one per 2 columns left. */
static inline int32_t tg_dwm_row_words(int32_t kernel_w)
{
    return kernel_w / 4 * 2 + (kernel_w % 4 + 1) / 2;
}

/*
 * One window row, one input channel, dilation_w 1, every column inside the input: x points at
 * the row's first tap. offset2: the input offset in both halfwords.
 */
static inline __attribute__((always_inline)) void tg_dwm_row_inside(const int8_t *x, int32_t kernel_w,
                                                                    int32_t offset2, int32_t *t)
{
    const int32_t offset = (int16_t)offset2;
    int32_t k;
    for (k = 0; k + 4 <= kernel_w; k += 4) {
        const int32_t v = tg_dsp_load_s8x4(x + k);
        *t++ = __sxtab16(offset2, v);              /* taps k, k + 2 */
        *t++ = tg_dsp_sxtab16_odd(offset2, v);     /* taps k + 1, k + 3 */
    }
    for (; k + 2 <= kernel_w; k += 2) {
        *t++ = tg_dwm_pair(x[k] + offset, x[k + 1] + offset);
    }
    if (k < kernel_w) {
        *t = tg_dwm_pair(x[k] + offset, 0);
    }
}

/* The tap of input column x in a row (row: the row's channel ic at column 0), 0 outside the input. */
static inline int32_t tg_dwm_tap(const tg_conv2d_params_t *p, const int8_t *row, int32_t x)
{
    return (uint32_t)x < (uint32_t)p->in_w ? row[x * p->in_c] + p->input_offset : 0;
}

/* One window row whose first tap is input column x0, any channel count, dilation and edge. */
static void tg_dwm_row_any(const tg_conv2d_params_t *p, const int8_t *row, int32_t x0, int32_t *t)
{
    const int32_t kernel_w = p->kernel_w, d = p->dilation_w;
    int32_t k;
    for (k = 0; k + 4 <= kernel_w; k += 4) {
        const int32_t x = x0 + k * d;
        *t++ = tg_dwm_pair(tg_dwm_tap(p, row, x), tg_dwm_tap(p, row, x + 2 * d));
        *t++ = tg_dwm_pair(tg_dwm_tap(p, row, x + d), tg_dwm_tap(p, row, x + 3 * d));
    }
    for (; k + 2 <= kernel_w; k += 2) {
        *t++ = tg_dwm_pair(tg_dwm_tap(p, row, x0 + k * d), tg_dwm_tap(p, row, x0 + (k + 1) * d));
    }
    if (k < kernel_w) {
        *t = tg_dwm_pair(tg_dwm_tap(p, row, x0 + k * d), 0);
    }
}

/* The window of input channel ic whose top-left tap is (y0, x0), as tap-pair words in t. */
static void tg_dwm_gather(const tg_conv2d_params_t *p, const int8_t *input, int32_t ic, int32_t y0, int32_t x0,
                          int32_t offset2, int32_t *t)
{
    const int32_t row_words = tg_dwm_row_words(p->kernel_w);
    const int32_t fast = p->in_c == 1 && p->dilation_w == 1 && x0 >= 0 && x0 + p->kernel_w <= p->in_w;
    int32_t ky, i;
    for (ky = 0; ky < p->kernel_h; ++ky, t += row_words) {
        const int32_t y = y0 + ky * p->dilation_h;
        if ((uint32_t)y >= (uint32_t)p->in_h) {
            for (i = 0; i < row_words; ++i) {
                t[i] = 0;
            }
        } else if (fast) {
            tg_dwm_row_inside(input + y * p->in_w + x0, p->kernel_w, offset2, t);
        } else {
            tg_dwm_row_any(p, input + y * p->in_w * p->in_c + ic, x0, t);
        }
    }
}

/* The starting sums of a block's channels: their bias, 0 without one. */
static inline int32_t tg_dwm_bias(const int32_t *bias, int32_t oc)
{
    return bias != NULL ? bias[oc] : 0;
}

/*
 * Output channels oc .. oc + 3 from the window's words t: *wp, their weight words (4 per pair),
 * is advanced past them. Two pairs a step: the taps one LDRD, each pair's weights two.
 */
static inline __attribute__((always_inline)) void
tg_dwm_block4(const int32_t *t, int32_t words, const int32_t **wp, const int32_t *bias, const int32_t *multiplier,
              const int8_t *shift, int32_t oc, tg_mat_mult_out_t q, int32_t bounded, int8_t *out)
{
    const int32_t *w = *wp, *const end = t + (words & ~1);
    int32_t a0 = tg_dwm_bias(bias, oc), a1 = tg_dwm_bias(bias, oc + 1);
    int32_t a2 = tg_dwm_bias(bias, oc + 2), a3 = tg_dwm_bias(bias, oc + 3);
    int32_t v0, v1, w0, w1, w2, w3;
    while (t < end) {
        tg_load_pair_post(&t, &v0, &v1);
        tg_load_pair_post(&w, &w0, &w1);
        tg_load_pair_post(&w, &w2, &w3);
        a0 = __smlad(v0, w0, a0);
        a1 = __smlad(v0, w1, a1);
        a2 = __smlad(v0, w2, a2);
        a3 = __smlad(v0, w3, a3);
        tg_load_pair_post(&w, &w0, &w1);
        tg_load_pair_post(&w, &w2, &w3);
        a0 = __smlad(v1, w0, a0);
        a1 = __smlad(v1, w1, a1);
        a2 = __smlad(v1, w2, a2);
        a3 = __smlad(v1, w3, a3);
    }
    if (words & 1) {
        v0 = *t;
        tg_load_pair_post(&w, &w0, &w1);
        tg_load_pair_post(&w, &w2, &w3);
        a0 = __smlad(v0, w0, a0);
        a1 = __smlad(v0, w1, a1);
        a2 = __smlad(v0, w2, a2);
        a3 = __smlad(v0, w3, a3);
    }
    *wp = w;
    out[oc] = tg_mat_mult_out(a0, multiplier[oc], shift[oc], q, bounded);
    out[oc + 1] = tg_mat_mult_out(a1, multiplier[oc + 1], shift[oc + 1], q, bounded);
    out[oc + 2] = tg_mat_mult_out(a2, multiplier[oc + 2], shift[oc + 2], q, bounded);
    out[oc + 3] = tg_mat_mult_out(a3, multiplier[oc + 3], shift[oc + 3], q, bounded);
}

/* tg_dwm_block4 for 2 channels (2 weight words per pair, one LDRD). */
static inline __attribute__((always_inline)) void
tg_dwm_block2(const int32_t *t, int32_t words, const int32_t **wp, const int32_t *bias, const int32_t *multiplier,
              const int8_t *shift, int32_t oc, tg_mat_mult_out_t q, int32_t bounded, int8_t *out)
{
    const int32_t *w = *wp, *const end = t + (words & ~1);
    int32_t a0 = tg_dwm_bias(bias, oc), a1 = tg_dwm_bias(bias, oc + 1);
    int32_t v0, v1, w0, w1;
    while (t < end) {
        tg_load_pair_post(&t, &v0, &v1);
        tg_load_pair_post(&w, &w0, &w1);
        a0 = __smlad(v0, w0, a0);
        a1 = __smlad(v0, w1, a1);
        tg_load_pair_post(&w, &w0, &w1);
        a0 = __smlad(v1, w0, a0);
        a1 = __smlad(v1, w1, a1);
    }
    if (words & 1) {
        v0 = *t;
        tg_load_pair_post(&w, &w0, &w1);
        a0 = __smlad(v0, w0, a0);
        a1 = __smlad(v0, w1, a1);
    }
    *wp = w;
    out[oc] = tg_mat_mult_out(a0, multiplier[oc], shift[oc], q, bounded);
    out[oc + 1] = tg_mat_mult_out(a1, multiplier[oc + 1], shift[oc + 1], q, bounded);
}

/* tg_dwm_block4 for 1 channel (1 weight word per pair). */
static inline __attribute__((always_inline)) void
tg_dwm_block1(const int32_t *t, int32_t words, const int32_t **wp, const int32_t *bias, const int32_t *multiplier,
              const int8_t *shift, int32_t oc, tg_mat_mult_out_t q, int32_t bounded, int8_t *out)
{
    const int32_t *w = *wp;
    int32_t a0 = tg_dwm_bias(bias, oc);
    int32_t k;
    for (k = 0; k < words; ++k) {
        a0 = __smlad(t[k], w[k], a0);
    }
    *wp = w + words;
    out[oc] = tg_mat_mult_out(a0, multiplier[oc], shift[oc], q, bounded);
}

/* The m output channels of input channel ic at one pixel (out: the pixel's channel 0). */
static void tg_dwm_channels(const int32_t *t, int32_t words, const int32_t *w, int32_t ic, int32_t m,
                            const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                            tg_mat_mult_out_t q, int32_t bounded, int8_t *out)
{
    int32_t oc = ic * m;
    const int32_t end = oc + m;
    for (; oc + 4 <= end; oc += 4) {
        if (bounded) {
            tg_dwm_block4(t, words, &w, bias, multiplier, shift, oc, q, 1, out);
        } else {
            tg_dwm_block4(t, words, &w, bias, multiplier, shift, oc, q, 0, out);
        }
    }
    if (oc + 2 <= end) {
        tg_dwm_block2(t, words, &w, bias, multiplier, shift, oc, q, bounded, out);
        oc += 2;
    }
    if (oc < end) {
        tg_dwm_block1(t, words, &w, bias, multiplier, shift, oc, q, bounded, out);
    }
}

void tg_depthwise_conv2d_dm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                   const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                   int8_t *scratch, int8_t *output)
{
    const int32_t m = p->depth_multiplier, words = p->kernel_h * tg_dwm_row_words(p->kernel_w);
    const int32_t offset2 = tg_dwm_pair(p->input_offset, p->input_offset);
    const tg_mat_mult_quant_t mq = tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max,
                                                     p->kernel_h * p->kernel_w, p->out_c, bias, multiplier, shift);
    const tg_mat_mult_out_t q = {p->output_offset, p->act_min, p->act_max};
    int32_t *const t = (int32_t *)(void *)scratch;
    int32_t out_y, out_x, ic;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int32_t y0 = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int32_t x0 = out_x * p->stride_w - p->pad_left;
            int8_t *const out = output + (out_y * p->out_w + out_x) * p->out_c;
            for (ic = 0; ic < p->in_c; ++ic) {
                tg_dwm_gather(p, input, ic, y0, x0, offset2, t);
                tg_dwm_channels(t, words, packed + ic * m * words, ic, m, bias, multiplier, shift, q, mq.bounded,
                                out);
            }
        }
    }
}
