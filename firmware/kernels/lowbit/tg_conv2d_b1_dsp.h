/*
 * The XNOR / popcount accumulator of tg_conv2d_b1_b1_s8_dsp and tg_conv2d_b1_b1_b1_dsp
 * (ARMv7E-M: Cortex-M4/M7 with the DSP extension, which have no popcount instruction).
 *
 * Two paths per output pixel:
 *  - field (tg_b1_field, tg_b1_count_run): when the receptive field fits
 *    TG_B1_FIELD_WORDS, it is copied once per pixel into one run of words laid out
 *    like a channel's weights (padded taps hold pad_value's bits), and every output
 *    channel counts popcount(field ^ weights) over that single contiguous run:
 *    Harley-Seal over blocks of 8 words (LDRD pairs; seven carry-save adders leave an
 *    "eights" word whose per-byte counts add up in a byte vector), one block of 4, single
 *    words, then ones / twos / fours counted once. Not for a pixel with padded taps and
 *    pad_value 0 (the padded taps must count nothing).
 *  - spans (tg_b1_spans, tg_b1_count_span2): the other pixels, and layers whose field is
 *    too large: within a kernel row the in-bounds taps are one contiguous span of input
 *    and weight words (dilation 1); two output channels per pass, each input word loaded
 *    once for both, Harley-Seal over blocks of 4 (fours' bytes summed by USADA8), words
 *    after the last block one at a time. Dilation along W goes tap by tap.
 * Bytes are counted by SWAR with the barrel shifter (7 instructions) and USADA8.
 *
 * Executed instructions per counted word, measured on the mps2-an500 (M7) stand-in
 * (the mps2-an386 M4 gives the same within 0.4), plain C loops over 8 / 18 / 36 / 72
 * words per call, each including its two loads, the EOR, the loop and the call
 * (benchmarks/lowbit_kernels.py --popcount, benchmarks/lowbit_popcount.c):
 *   SWAR with a multiply per word        19.4 / 18.1 / 17.5 / 17.3
 *   SWAR bytes, one USADA8 per 31 words  20.3 / 17.3 / 16.6 / 16.0   (delayed horizontal sum)
 *   two words' nibble counts added       21.3 / 18.9 / 18.1 / 17.6
 *   carry-save of 3 words, then SWAR     20.0 / 16.5 / 15.7 / 15.3
 *   Harley-Seal, blocks of 8 words       18.6 / 14.5 / 12.3 / 10.4
 *   byte table (4 LDRB per word)         19.6 / 18.2 / 17.6 / 17.3
 * (each includes its two loads, the EOR and the loop). Harley-Seal wins.
 *
 * The kernels, executed instructions per binary MAC (benchmarks/lowbit_kernels.py,
 * pad_value +1; M7 / M4 stand-ins; b1_b1_s8 and b1_b1_b1 output):
 *                               3x3 64->64 8x8      3x3 128->128 8x8    FC 256->256
 *   spans, blocks of 4, 1 ch    0.78 0.75 / 0.80 0.77  0.55 0.53 / 0.56 0.54  0.91 0.84 / 0.93 0.86
 *   spans, 2 ch per pass        0.68 0.65 (M7)         0.51 0.49 (M7)         0.78 0.70 (M7)
 *   field, blocks of 8 (this)   0.47 0.43 / 0.47 0.43  0.35 0.33 / 0.35 0.33  0.67 0.57 / 0.66 0.57
 *   field, groups of 32 ch,     0.43 0.39 / 0.44 0.39  0.35 0.33 / 0.35 0.33  0.66 0.56 / 0.66 0.56
 *    literal runs (run_dsp.h)   (sp_digits 3x3 32->64 8x8 /2: 0.578 -> 0.386 M7, 0.387 M4)
 * The blocks of 8 run at about 9 instructions per word (73 per block, 61 without the
 * 3 spills); the rest is per output channel (the final counts, requantization or
 * threshold, the loop): a full adder takes 5 ALU operations, so this method stays above
 * 0.2 per MAC. Tried and dropped: USADA8 against a mask register instead of a zero
 * register (more spills, 5% slower).
 *
 * Needs __ARM_FEATURE_DSP (USADA8).
 */
#ifndef TG_CONV2D_B1_DSP_H
#define TG_CONV2D_B1_DSP_H

#include <arm_acle.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_b1_field.h"
#include "tg_conv2d_b1_run_dsp.h"
#include "tg_kernels_b1.h"

/* The running count of one output: ones + 2 twos + 4 s4 + s1 set bits. */
typedef struct {
    uint32_t ones, twos;    /* carry-save words */
    uint32_t s4, s1;        /* counted fours, counted single words */
} tg_b1_count_t;

/*
 * Adds popcount(a[i] ^ w[i]) for i < n to *c (a == NULL: popcount(w[i]), for padded taps
 * holding +1 bits).
 */
static inline __attribute__((always_inline)) void tg_b1_count_span(tg_b1_count_t *c, const uint32_t *a,
                                                                   const uint32_t *w, int32_t n)
{
    uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0F0F0F0Fu;
    uint32_t ones = c->ones, twos = c->twos, s4 = c->s4, s1 = c->s1;
    /* keep the masks in registers: AND with a shifted register operand is one instruction */
    __asm__("" : "+r"(m1), "+r"(m2), "+r"(m4));
    if (a != NULL) {
        for (; n >= 4; n -= 4, a += 4, w += 4) {
            uint32_t t0, t1, fours;
            TG_B1_CSA(t0, ones, ones, a[0] ^ w[0], a[1] ^ w[1]);
            TG_B1_CSA(t1, ones, ones, a[2] ^ w[2], a[3] ^ w[3]);
            TG_B1_CSA(fours, twos, twos, t0, t1);
            s4 = __usada8(tg_b1_bytes(fours, m1, m2, m4), 0u, s4);
        }
        for (; n > 0; --n) {
            s1 = __usada8(tg_b1_bytes(*a++ ^ *w++, m1, m2, m4), 0u, s1);
        }
    } else {
        for (; n > 0; --n) {
            s1 = __usada8(tg_b1_bytes(*w++, m1, m2, m4), 0u, s1);
        }
    }
    c->ones = ones;
    c->twos = twos;
    c->s4 = s4;
    c->s1 = s1;
}

/*
 * Two output channels' running counts over the same input words: per channel ones +
 * 2 twos + s set bits, s already weighted (4 per counted fours bit).
 */
typedef struct {
    uint32_t ones0, twos0, ones1, twos1;
    uint32_t s0, s1;
} tg_b1_count2_t;

/*
 * Adds popcount(a[i] ^ w0[i]) to channel 0's count and popcount(a[i] ^ w1[i]) to
 * channel 1's, i < n: each input word is loaded once for both channels.
 */
static inline __attribute__((always_inline)) void tg_b1_count_span2(tg_b1_count2_t *c, const uint32_t *a,
                                                                    const uint32_t *w0, const uint32_t *w1,
                                                                    int32_t n)
{
    uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0F0F0F0Fu;
    uint32_t ones0 = c->ones0, twos0 = c->twos0, ones1 = c->ones1, twos1 = c->twos1;
    uint32_t s0 = c->s0, s1 = c->s1;
    __asm__("" : "+r"(m1), "+r"(m2), "+r"(m4));
    for (; n >= 4; n -= 4, a += 4, w0 += 4, w1 += 4) {
        const uint32_t x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];
        uint32_t t0, t1, fours;
        TG_B1_CSA(t0, ones0, ones0, x0 ^ w0[0], x1 ^ w0[1]);
        TG_B1_CSA(t1, ones0, ones0, x2 ^ w0[2], x3 ^ w0[3]);
        TG_B1_CSA(fours, twos0, twos0, t0, t1);
        s0 = __usada8(tg_b1_bytes(fours, m1, m2, m4) << 2, 0u, s0);
        TG_B1_CSA(t0, ones1, ones1, x0 ^ w1[0], x1 ^ w1[1]);
        TG_B1_CSA(t1, ones1, ones1, x2 ^ w1[2], x3 ^ w1[3]);
        TG_B1_CSA(fours, twos1, twos1, t0, t1);
        s1 = __usada8(tg_b1_bytes(fours, m1, m2, m4) << 2, 0u, s1);
    }
    for (; n > 0; --n) {
        const uint32_t x = *a++;
        s0 = __usada8(tg_b1_bytes(x ^ *w0++, m1, m2, m4), 0u, s0);
        s1 = __usada8(tg_b1_bytes(x ^ *w1++, m1, m2, m4), 0u, s1);
    }
    c->ones0 = ones0;
    c->twos0 = twos0;
    c->ones1 = ones1;
    c->twos1 = twos1;
    c->s0 = s0;
    c->s1 = s1;
}

/* The set bits of ones + 2 twos + s. */
static inline int32_t tg_b1_count_sum(uint32_t ones, uint32_t twos, uint32_t s)
{
    const uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0F0F0F0Fu;
    return (int32_t)(__usada8(tg_b1_bytes(ones, m1, m2, m4), 0u, s)
                     + 2u * __usada8(tg_b1_bytes(twos, m1, m2, m4), 0u, 0u));
}

/* The set bits counted so far. */
static inline int32_t tg_b1_count_total(const tg_b1_count_t *c)
{
    const uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0F0F0F0Fu;
    const uint32_t low = __usada8(tg_b1_bytes(c->ones, m1, m2, m4), 0u, 0u)
                         + 2u * __usada8(tg_b1_bytes(c->twos, m1, m2, m4), 0u, 0u);
    return (int32_t)(low + 4u * c->s4 + c->s1);
}

/* Kernel rows an output pixel's span list holds; taller kernels are rejected by the caller. */
#define TG_B1_DSP_MAX_KERNEL_H 16

/*
 * One output pixel's taps as contiguous spans of words, the same for every output
 * channel: in-bounds taps (input word offset, weight word offset within a channel,
 * length), and with pad_value +-1 the padded taps (weight word offset, length). A kernel
 * row gives one in-bounds span and at most two padded ones when dilation_w is 1; with a
 * larger dilation every tap is its own span, so the caller takes that path for kernels
 * up to TG_B1_DSP_MAX_KERNEL_H taps in all.
 */
typedef struct {
    int32_t n_in, n_pad;                               /* spans */
    int32_t taps_in, taps_pad;                         /* taps they cover */
    int32_t in_a[TG_B1_DSP_MAX_KERNEL_H], in_w[TG_B1_DSP_MAX_KERNEL_H], in_len[TG_B1_DSP_MAX_KERNEL_H];
    int32_t pad_w[2 * TG_B1_DSP_MAX_KERNEL_H], pad_len[2 * TG_B1_DSP_MAX_KERNEL_H];
} tg_b1_spans_t;

/* Adds the span [w, w + n) of padded taps to s (pad_value +-1 only). */
static inline void tg_b1_pad_span(tg_b1_spans_t *s, int32_t w, int32_t n, int32_t words)
{
    if (n > 0) {
        s->pad_w[s->n_pad] = w * words;
        s->pad_len[s->n_pad++] = n * words;
        s->taps_pad += n;
    }
}

/* The spans of output pixel (out_y, out_x); the caller checked the kernel fits. */
static inline void tg_b1_spans(const tg_conv2d_b1_params_t *p, int32_t out_y, int32_t out_x,
                               tg_b1_spans_t *s)
{
    const int32_t words = TG_B1_WORDS(p->in_c);
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    const int32_t dw = p->dilation_w;
    int32_t ky, kx0, kx1;

    s->n_in = s->n_pad = s->taps_in = s->taps_pad = 0;
    /* in-bounds taps of a row: kx in [kx0, kx1) */
    kx0 = in_x_origin < 0 ? (-in_x_origin + dw - 1) / dw : 0;
    kx1 = (p->in_w - in_x_origin + dw - 1) / dw;
    kx1 = kx1 < p->kernel_w ? kx1 : p->kernel_w;
    kx0 = kx0 < kx1 ? kx0 : kx1;
    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        const int32_t row = ky * p->kernel_w;
        if (in_y < 0 || in_y >= p->in_h) {
            if (p->pad_value != 0) {
                tg_b1_pad_span(s, row, p->kernel_w, words);
            }
            continue;
        }
        if (p->pad_value != 0) {
            tg_b1_pad_span(s, row, kx0, words);
            tg_b1_pad_span(s, row + kx1, p->kernel_w - kx1, words);
        }
        if (kx1 > kx0) {
            s->in_a[s->n_in] = (in_y * p->in_w + in_x_origin + kx0) * words;
            s->in_w[s->n_in] = (row + kx0) * words;
            s->in_len[s->n_in++] = (kx1 - kx0) * words;
            s->taps_in += kx1 - kx0;
        }
    }
}

/* Whether tg_b1_spans serves the layer: dilation_w 1, at most TG_B1_DSP_MAX_KERNEL_H rows. */
static inline int tg_b1_spans_fit(const tg_conv2d_b1_params_t *p)
{
    return p->dilation_w == 1 && p->kernel_h <= TG_B1_DSP_MAX_KERNEL_H;
}

/* The padded taps' term of tg_b1_spans_acc for the channel with weights w_oc. */
static inline int32_t tg_b1_spans_pad(const tg_conv2d_b1_params_t *p, const tg_b1_spans_t *s,
                                      const uint32_t *w_oc)
{
    tg_b1_count_t pad = {0u, 0u, 0u, 0u};
    int32_t i;
    for (i = 0; i < s->n_pad; ++i) {
        tg_b1_count_span(&pad, NULL, &w_oc[s->pad_w[i]], s->pad_len[i]);
    }
    return p->pad_value * (p->in_c * s->taps_pad - 2 * tg_b1_count_total(&pad));
}

/*
 * The accumulator (as tg_conv2d_b1_b1_acc) of output channel oc over the pixel's spans:
 * w_oc is the channel's weights.
 */
static inline __attribute__((always_inline)) int32_t tg_b1_spans_acc(const tg_conv2d_b1_params_t *p,
                                                                    const tg_b1_spans_t *s,
                                                                    const uint32_t *input,
                                                                    const uint32_t *w_oc)
{
    tg_b1_count_t in = {0u, 0u, 0u, 0u};
    int32_t i, acc;

    for (i = 0; i < s->n_in; ++i) {
        tg_b1_count_span(&in, &input[s->in_a[i]], &w_oc[s->in_w[i]], s->in_len[i]);
    }
    acc = p->in_c * s->taps_in - 2 * tg_b1_count_total(&in);
    if (s->n_pad != 0) {
        acc += tg_b1_spans_pad(p, s, w_oc);
    }
    return acc;
}

/*
 * tg_b1_spans_acc for two output channels at once (weights w0 and w1): acc[0], acc[1].
 */
static inline __attribute__((always_inline)) void tg_b1_spans_acc2(const tg_conv2d_b1_params_t *p,
                                                                   const tg_b1_spans_t *s,
                                                                   const uint32_t *input, const uint32_t *w0,
                                                                   const uint32_t *w1, int32_t *acc)
{
    tg_b1_count2_t in = {0u, 0u, 0u, 0u, 0u, 0u};
    const int32_t n = p->in_c * s->taps_in;
    int32_t i;

    for (i = 0; i < s->n_in; ++i) {
        tg_b1_count_span2(&in, &input[s->in_a[i]], &w0[s->in_w[i]], &w1[s->in_w[i]], s->in_len[i]);
    }
    acc[0] = n - 2 * tg_b1_count_sum(in.ones0, in.twos0, in.s0);
    acc[1] = n - 2 * tg_b1_count_sum(in.ones1, in.twos1, in.s1);
    if (s->n_pad != 0) {
        acc[0] += tg_b1_spans_pad(p, s, w0);
        acc[1] += tg_b1_spans_pad(p, s, w1);
    }
}

/*
 * Dilation along W (not served by the spans): one span per in-bounds tap, through the
 * same counter.
 */
static inline int32_t tg_b1_dilated_acc(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                                        const uint32_t *w_oc, int32_t out_y, int32_t out_x)
{
    const int32_t words = TG_B1_WORDS(p->in_c);
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    tg_b1_count_t in = {0u, 0u, 0u, 0u}, pad = {0u, 0u, 0u, 0u};
    int32_t n_in = 0, n_pad = 0, ky, kx;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            const uint32_t *w_tap = &w_oc[(ky * p->kernel_w + kx) * words];
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                tg_b1_count_span(&in, &input[(in_y * p->in_w + in_x) * words], w_tap, words);
                ++n_in;
            } else if (p->pad_value != 0) {
                tg_b1_count_span(&pad, NULL, w_tap, words);
                ++n_pad;
            }
        }
    }
    return p->in_c * n_in - 2 * tg_b1_count_total(&in)
           + p->pad_value * (p->in_c * n_pad - 2 * tg_b1_count_total(&pad));
}

/*
 * The accumulator of output channel oc at output pixel (out_y, out_x), as
 * tg_conv2d_b1_b1_acc: from the pixel's spans s when fit (tg_b1_spans_fit; the caller
 * filled s with tg_b1_spans once per pixel), else tap by tap.
 */
static inline __attribute__((always_inline)) int32_t tg_conv2d_b1_b1_dsp_acc(
    const tg_conv2d_b1_params_t *p, const tg_b1_spans_t *s, int fit, const uint32_t *input,
    const uint32_t *weights, int32_t out_y, int32_t out_x, int32_t oc)
{
    const uint32_t *w_oc = &weights[oc * p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c)];
    return fit ? tg_b1_spans_acc(p, s, input, w_oc) : tg_b1_dilated_acc(p, input, w_oc, out_y, out_x);
}

/*
 * tg_conv2d_b1_b1_dsp_acc for output channels oc and oc + 1: acc[0], acc[1] (each input
 * word loaded once for both on the span path).
 */
static inline __attribute__((always_inline)) void tg_conv2d_b1_b1_dsp_acc2(
    const tg_conv2d_b1_params_t *p, const tg_b1_spans_t *s, int fit, const uint32_t *input,
    const uint32_t *weights, int32_t out_y, int32_t out_x, int32_t oc, int32_t *acc)
{
    const int32_t per_oc = p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c);
    const uint32_t *w0 = &weights[oc * per_oc];
    if (fit) {
        tg_b1_spans_acc2(p, s, input, w0, w0 + per_oc, acc);
    } else {
        acc[0] = tg_b1_dilated_acc(p, input, w0, out_y, out_x);
        acc[1] = tg_b1_dilated_acc(p, input, w0 + per_oc, out_y, out_x);
    }
}

#endif /* TG_CONV2D_B1_DSP_H */
