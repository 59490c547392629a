/*
 * tg_depthwise_conv2d_dm_s8_dsp: depthwise 2-D convolution with depth multiplier > 1, any
 * window, stride, dilation and padding, any input channel count, for ARMv7E-M (Cortex-M4/M7
 * DSP extension), int8 in/out, per-channel requantization. Equals tg_depthwise_conv2d_s8
 * bit for bit. Written for one input channel fanned out to many (TFLite Micro's micro-speech
 * model: 1 channel, multiplier 8, a 10x8 window at stride 2), where the M output channels of
 * an input channel share every input tap.
 * numpy twin: tinygen.ref.kernels.depthwise_conv2d_s8; packed constant and scratch:
 * tinygen/kernels/depthwise_dm_dsp.py.
 *
 * Per output row and input channel ic:
 *  1. band: the kernel_h input rows the row's windows read (dilation_h apart) widened to int16,
 *     x + input_offset (in [-255, 255]) inside the input and 0 at padding (the zero point,
 *     whose products TFLite leaves out), column-major: input column x = x' - pad_left at
 *     band[col(x') * kernel_h + ky], col(x') = x' % dilation_w * phase_cols + x' / dilation_w.
 *     A window's kernel_w columns are then consecutive columns, and its kernel_h * kernel_w
 *     taps one contiguous run of int16, in the order (kx, ky) column by column. With one
 *     channel and dilation_w 1, 4 input columns are one load and two SXTAB16 (the offset added
 *     to bytes 0, 2 and to bytes 1, 3); elsewhere each value is read alone.
 *  2. per output pixel, the M output channels ic * M + m in blocks of 4 (then 2, then 1): the
 *     window's run read as int16 pairs (taps 2i, 2i + 1; an odd count's last pair reads the
 *     value after the run), each pair loaded once per block and multiplied with the block's
 *     weight words by SMLAD (two 16x16 products and a 32-bit add: 2 MACs an instruction), the
 *     sums starting at the bias. The weights are packed at build time in the run's order as
 *     int16 pairs, a lone last tap's pair with weight 0 (which cancels the value after the run),
 *     per input channel and block, pair-major: [pair][channel of the block], 2 LDRD per pair for
 *     a block of 4.
 *  3. requantization: where packed[0] says it is exact for every channel (checked at build
 *     time), the depthwise DSP kernels' small one, about 9 instructions an output (tg_dwm_out);
 *     otherwise as the matrix kernels do it (tg_mat_mult_out). Then the clamp.
 * The band costs about 3 instructions per value and the row's windows share it; the products
 * take about 17 instructions per 16 MACs (2 pairs x 4 channels: 2 tap loads, 4 LDRD, 8 SMLAD).
 *
 * Sums are int32 as in TFLite (SMLAD wraps as int32 addition does). Scratch: the band,
 * depthwise_dm_dsp.dm_scratch bytes, 4-byte aligned. The output must not overlap the input
 * (it holds more channels per pixel than the input does).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_dot_s16_s8_dsp.h"
#include "tg_dsp_s8.h"
#include "tg_kernels.h"
#include "tg_mat_mult_s8_dsp.h"
#include "tg_requant.h"

/* Words before the weights in packed: whether the small requantization serves (tg_dwm_out), 0. */
#define TG_DWM_HEADER_WORDS 2

/* lo in the low halfword, hi in the high one. */
static inline int32_t tg_dwm_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* Two int16 at t (2-byte aligned: an unaligned LDR, which the Cortex-M4/M7 allow). */
static inline int32_t tg_dwm_load(const int16_t *t)
{
    int32_t v;
    memcpy(&v, t, sizeof v);
    return v;
}

/*
 * Band row ky (dst: band + ky) from input row `row` (its channel ic at column 0): the span
 * columns x' from input column -pad_left on, column-major (col(x') * kernel_h + ky, see the top).
 */
static void tg_dwm_widen_row(const tg_conv2d_params_t *p, const int8_t *row, int32_t span, int32_t phase_cols,
                             int32_t offset2, int16_t *dst)
{
    const int32_t d = p->dilation_w, in_w = p->in_w, in_c = p->in_c, kh = p->kernel_h;
    const int32_t offset = p->input_offset;
    int32_t phase, j;
    if (d == 1 && in_c == 1) {
        int32_t x = -p->pad_left;
        for (j = 0; j < span && x < 0; ++j, ++x, dst += kh) {
            *dst = 0;
        }
        for (; j + 4 <= span && x + 4 <= in_w; j += 4, x += 4, dst += 4 * kh) {
            const int32_t v = tg_dsp_load_s8x4(row + x);
            const int32_t even = __sxtab16(offset2, v), odd = tg_dsp_sxtab16_odd(offset2, v);
            dst[0] = (int16_t)even;
            dst[kh] = (int16_t)odd;
            dst[2 * kh] = (int16_t)(even >> 16);
            dst[3 * kh] = (int16_t)(odd >> 16);
        }
        for (; j < span && x < in_w; ++j, ++x, dst += kh) {
            *dst = (int16_t)(row[x] + offset);
        }
        for (; j < span; ++j, dst += kh) {
            *dst = 0;
        }
        return;
    }
    for (phase = 0; phase < d; ++phase) {
        for (j = 0; j < phase_cols; ++j, dst += kh) {
            const int32_t xp = phase + j * d, x = xp - p->pad_left;
            *dst = (int16_t)(xp < span && (uint32_t)x < (uint32_t)in_w ? row[x * in_c] + offset : 0);
        }
    }
}

/* The band of input channel ic for the output row whose windows start at input row y0. */
static void tg_dwm_widen_band(const tg_conv2d_params_t *p, const int8_t *input, int32_t ic, int32_t y0,
                              int32_t span, int32_t phase_cols, int32_t offset2, int16_t *band)
{
    const int32_t kh = p->kernel_h, cols = p->dilation_w * phase_cols;
    int32_t ky, j;
    for (ky = 0; ky < kh; ++ky) {
        const int32_t y = y0 + ky * p->dilation_h;
        if ((uint32_t)y < (uint32_t)p->in_h) {
            tg_dwm_widen_row(p, input + y * p->in_w * p->in_c + ic, span, phase_cols, offset2, band + ky);
        } else {
            for (j = 0; j < cols; ++j) {
                band[j * kh + ky] = 0;
            }
        }
    }
}

/* The starting sums of a block's channels: their bias, 0 without one. */
static inline int32_t tg_dwm_bias(const int32_t *bias, int32_t oc)
{
    return bias != NULL ? bias[oc] : 0;
}

/* A pixel's window in the band: its first tap and its tap pairs. */
typedef struct {
    const int16_t *taps;
    int32_t pairs;
} tg_dwm_window_t;

/* The output quantization. */
typedef struct {
    tg_mat_mult_out_t out;
    int32_t bounded;        /* tg_mat_mult_out's mode where the small requantization does not serve */
    int32_t round;          /* 1 + 2 * output_offset: R = round << (n - 1) */
    int32_t clamp;          /* act_min > -128 or act_max < 127 */
} tg_dwm_quant_t;

/*
 * Output channel oc's int8 result from its sum. small (packed[0], set at build time where
 * every channel meets its conditions: multiplier >= 0, n = -shift in 1..31, |acc| < 2^30,
 * |x| + |R| + 1 < 2^31): the depthwise DSP kernels' small requantization with the output
 * offset folded in, SSAT8(floor((x - [acc < 0] + R) / 2^n)) for x + R = SMMLAR(2 acc,
 * multiplier, R), R = (1 + 2 * output_offset) << (n - 1) (the proof in
 * tg_depthwise_conv2d_3x3_rows_s8_dsp.h, TG_DW3_REQUANT), then the clamp. Otherwise
 * tg_mat_mult_out (tg_requantize_bounded or tg_requantize_fast).
 */
static inline __attribute__((always_inline)) int8_t tg_dwm_out(int32_t acc, const int32_t *multiplier,
                                                               const int8_t *shift, int32_t oc,
                                                               const tg_dwm_quant_t *q, int32_t small)
{
    if (small) {
        const int32_t n1 = ~(int32_t)shift[oc];                 /* n - 1 */
        const int32_t acc2 = (int32_t)((uint32_t)acc << 1);
        int32_t y = tg_dsp_smmlar(acc2, multiplier[oc], (int32_t)((uint32_t)q->round << n1));
        /* arithmetic shifts of negative values: see tg_requant.h */
        y = tg_dsp_ssat8_asr1((y + (acc2 >> 31)) >> n1);
        if (q->clamp) {
            y = y < q->out.act_min ? q->out.act_min : y;
            y = y > q->out.act_max ? q->out.act_max : y;
        }
        return (int8_t)y;
    }
    return tg_mat_mult_out(acc, multiplier[oc], shift[oc], q->out, q->bounded);
}

/*
 * Output channels oc .. oc + 3 of window g: *wp, their weight words (4 per tap pair), is
 * advanced past them. Two pairs a step: two tap loads, two LDRD of weights per pair.
 */
static inline __attribute__((always_inline)) void
tg_dwm_block4(tg_dwm_window_t g, const int32_t **wp, const int32_t *bias, const int32_t *multiplier,
              const int8_t *shift, int32_t oc, const tg_dwm_quant_t *q, int32_t small, int8_t *out)
{
    const int32_t *w = *wp;
    const int16_t *t = g.taps;
    int32_t a0 = tg_dwm_bias(bias, oc), a1 = tg_dwm_bias(bias, oc + 1);
    int32_t a2 = tg_dwm_bias(bias, oc + 2), a3 = tg_dwm_bias(bias, oc + 3);
    int32_t k, v0, v1, w0, w1, w2, w3;
    for (k = g.pairs >> 1; k > 0; --k, t += 4) {
        v0 = tg_dwm_load(t);
        v1 = tg_dwm_load(t + 2);
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
    if (g.pairs & 1) {
        v0 = tg_dwm_load(t);
        tg_load_pair_post(&w, &w0, &w1);
        tg_load_pair_post(&w, &w2, &w3);
        a0 = __smlad(v0, w0, a0);
        a1 = __smlad(v0, w1, a1);
        a2 = __smlad(v0, w2, a2);
        a3 = __smlad(v0, w3, a3);
    }
    *wp = w;
    out[oc] = tg_dwm_out(a0, multiplier, shift, oc, q, small);
    out[oc + 1] = tg_dwm_out(a1, multiplier, shift, oc + 1, q, small);
    out[oc + 2] = tg_dwm_out(a2, multiplier, shift, oc + 2, q, small);
    out[oc + 3] = tg_dwm_out(a3, multiplier, shift, oc + 3, q, small);
}

/* tg_dwm_block4 for 2 channels (2 weight words per pair, one LDRD). */
static inline __attribute__((always_inline)) void
tg_dwm_block2(tg_dwm_window_t g, const int32_t **wp, const int32_t *bias, const int32_t *multiplier,
              const int8_t *shift, int32_t oc, const tg_dwm_quant_t *q, int32_t small, int8_t *out)
{
    const int32_t *w = *wp;
    const int16_t *t = g.taps;
    int32_t a0 = tg_dwm_bias(bias, oc), a1 = tg_dwm_bias(bias, oc + 1);
    int32_t k, v, w0, w1;
    for (k = g.pairs; k > 0; --k, t += 2) {
        v = tg_dwm_load(t);
        tg_load_pair_post(&w, &w0, &w1);
        a0 = __smlad(v, w0, a0);
        a1 = __smlad(v, w1, a1);
    }
    *wp = w;
    out[oc] = tg_dwm_out(a0, multiplier, shift, oc, q, small);
    out[oc + 1] = tg_dwm_out(a1, multiplier, shift, oc + 1, q, small);
}

/* tg_dwm_block4 for 1 channel (1 weight word per pair). */
static inline __attribute__((always_inline)) void
tg_dwm_block1(tg_dwm_window_t g, const int32_t **wp, const int32_t *bias, const int32_t *multiplier,
              const int8_t *shift, int32_t oc, const tg_dwm_quant_t *q, int32_t small, int8_t *out)
{
    const int32_t *w = *wp;
    const int16_t *t = g.taps;
    int32_t a0 = tg_dwm_bias(bias, oc);
    int32_t k;
    for (k = g.pairs; k > 0; --k, t += 2) {
        a0 = __smlad(tg_dwm_load(t), *w++, a0);
    }
    *wp = w;
    out[oc] = tg_dwm_out(a0, multiplier, shift, oc, q, small);
}

/* The m output channels of input channel ic at one pixel (out: the pixel's channel 0), weights w. */
static inline __attribute__((always_inline)) void
tg_dwm_channels(tg_dwm_window_t g, const int32_t *w, int32_t ic, int32_t m, const int32_t *bias,
                const int32_t *multiplier, const int8_t *shift, const tg_dwm_quant_t *q, int32_t small,
                int8_t *out)
{
    int32_t oc = ic * m;
    const int32_t end = oc + m;
    for (; oc + 4 <= end; oc += 4) {
        tg_dwm_block4(g, &w, bias, multiplier, shift, oc, q, small, out);
    }
    if (oc + 2 <= end) {
        tg_dwm_block2(g, &w, bias, multiplier, shift, oc, q, small, out);
        oc += 2;
    }
    if (oc < end) {
        tg_dwm_block1(g, &w, bias, multiplier, shift, oc, q, small, out);
    }
}

/* One output row of input channel ic from the band (out_row: the row's first output). */
static void tg_dwm_row(const tg_conv2d_params_t *p, const int16_t *band, int32_t phase_cols, const int32_t *w,
                       int32_t ic, const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                       const tg_dwm_quant_t *q, int32_t small, int8_t *out_row)
{
    const int32_t d = p->dilation_w, m = p->depth_multiplier, kh = p->kernel_h;
    tg_dwm_window_t g = {band, (kh * p->kernel_w + 1) / 2};
    int32_t out_x;
    for (out_x = 0; out_x < p->out_w; ++out_x, out_row += p->out_c) {
        const int32_t xp = out_x * p->stride_w;     /* the window's first column x' */
        g.taps = band + (xp % d * phase_cols + xp / d) * kh;
        if (small) {
            tg_dwm_channels(g, w, ic, m, bias, multiplier, shift, q, 1, out_row);
        } else {
            tg_dwm_channels(g, w, ic, m, bias, multiplier, shift, q, 0, out_row);
        }
    }
}

void tg_depthwise_conv2d_dm_s8_dsp(const tg_conv2d_params_t *p, const int8_t *input, const int32_t *packed,
                                   const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                   int8_t *scratch, int8_t *output)
{
    const int32_t d = p->dilation_w, kh = p->kernel_h, small = packed[0];
    const int32_t span = (p->out_w - 1) * p->stride_w + (p->kernel_w - 1) * d + 1;
    const int32_t phase_cols = (span + d - 1) / d;
    const int32_t channel_words = p->depth_multiplier * ((kh * p->kernel_w + 1) / 2);
    const int32_t offset2 = tg_dwm_pair(p->input_offset, p->input_offset);
    const tg_dwm_quant_t q = {
        {p->output_offset, p->act_min, p->act_max},
        tg_mat_mult_quant(p->input_offset, p->output_offset, p->act_min, p->act_max, kh * p->kernel_w,
                          p->out_c, bias, multiplier, shift).bounded,
        1 + 2 * p->output_offset, p->act_min > -128 || p->act_max < 127};
    int16_t *const band = (int16_t *)(void *)scratch;
    int32_t out_y, ic;
    band[d * phase_cols * kh] = 0;      /* read (times a zero weight) by an odd window's last pair */
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        int8_t *const out_row = output + out_y * p->out_w * p->out_c;
        for (ic = 0; ic < p->in_c; ++ic) {
            tg_dwm_widen_band(p, input, ic, out_y * p->stride_h - p->pad_top, span, phase_cols, offset2, band);
            tg_dwm_row(p, band, phase_cols, packed + TG_DWM_HEADER_WORDS + ic * channel_words, ic, bias, multiplier,
                       shift, &q, small, out_row);
        }
    }
}
