/*
 * The phases of a transposed convolution, shared by tg_transpose_conv2d_s8_dsp and
 * tg_transpose_conv2d_s8_rv32 (and the scratch size of the first, which the planner's
 * formula in tinygen/kernels/transpose_conv.py equals).
 *
 * Along one axis (stride s, dilation d, padding before pad, kernel k), output index o
 * receives input index i through tap t where o = i * s - pad + t * d. Which taps reach o
 * depends only on its phase a = o mod s: the taps with (a + pad - t * d) divisible by s,
 * an arithmetic progression of step s / g (g = gcd(s, d)). Taken from the largest down,
 * tap j of the phase reads input index (o + pad - first * d) / s + j * d / g: each phase is
 * an ordinary convolution of stride 1 over the input, its outputs every s-th output index.
 * The optimized kernels compute the s_h * s_w phases one after the other, each from its
 * own weights (tinygen/kernels/transpose_conv.py packs them phase by phase).
 */
#ifndef TG_TRANSPOSE_CONV2D_H
#define TG_TRANSPOSE_CONV2D_H

#include <stdint.h>

#include "tg_kernels.h"

/* One axis of one phase: its taps and where they read. */
typedef struct {
    int32_t first;      /* the phase's largest tap, -1 where none reaches the phase */
    int32_t count;      /* its taps: first, first - tap_step, ... >= 0 */
    int32_t tap_step;   /* s / gcd(s, d) */
    int32_t in_step;    /* d / gcd(s, d): input indices between the phase's taps */
} tg_tconv_axis_t;

static inline int32_t tg_tconv_gcd(int32_t a, int32_t b)
{
    while (b != 0) {
        const int32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The taps of phase a (0 <= a < s) along an axis of k taps. */
static inline tg_tconv_axis_t tg_tconv_axis(int32_t a, int32_t k, int32_t s, int32_t d, int32_t pad)
{
    const int32_t g = tg_tconv_gcd(s, d);
    tg_tconv_axis_t ax = {-1, 0, s / g, d / g};
    int32_t t;
    for (t = k - 1; t >= 0; --t) {
        /* a + pad - t * d may be negative: only whether s divides it matters */
        if ((a + pad - t * d) % s == 0) {
            ax.first = t;
            ax.count = t / ax.tap_step + 1;
            break;
        }
    }
    return ax;
}

/* The input index tap 0 of the phase reads for output index o (o mod s == a; may lie outside the input). */
static inline int32_t tg_tconv_base(const tg_tconv_axis_t *ax, int32_t o, int32_t s, int32_t d, int32_t pad)
{
    return (o + pad - ax->first * d) / s;      /* exact: s divides it */
}

/*
 * The input rows tg_transpose_conv2d_s8_dsp widens, and what they span. A widened row holds,
 * for each input column x from -left on, per group of 4 channels (the last completed with
 * zeros) the int16 pairs of pixel x and of pixel x + 1 (columns outside the input: zeros),
 * so that two adjacent output pixels of a phase read one contiguous run per tap row.
 */
typedef struct {
    int32_t groups;     /* (in_c + 3) / 4 */
    int32_t left;       /* columns before input column 0 */
    int32_t width;      /* columns per widened row */
    int32_t slots;      /* widened rows kept, a ring by input row: a phase's rows fit in it */
    int32_t taps_h;     /* the most taps of a phase along y */
} tg_tconv_rows_t;

static inline tg_tconv_rows_t tg_tconv_rows(const tg_transpose_conv2d_params_t *p)
{
    tg_tconv_rows_t r = {(p->in_c + 3) / 4, 0, 0, 1, 0};
    int32_t lo = 0, hi = p->in_w - 1, a;
    for (a = 0; a < p->stride_w && a < p->out_w; ++a) {
        const tg_tconv_axis_t ax = tg_tconv_axis(a, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left);
        if (ax.count > 0) {
            /* the phase's first pixel's first tap, its last pixel's last tap (whose column x holds x + 1 too) */
            const int32_t last = a + (p->out_w - 1 - a) / p->stride_w * p->stride_w;
            const int32_t first_x = tg_tconv_base(&ax, a, p->stride_w, p->dilation_w, p->pad_left);
            const int32_t last_x = tg_tconv_base(&ax, last, p->stride_w, p->dilation_w, p->pad_left) +
                                   (ax.count - 1) * ax.in_step;
            lo = first_x < lo ? first_x : lo;
            hi = last_x > hi ? last_x : hi;
        }
    }
    for (a = 0; a < p->stride_h; ++a) {
        const tg_tconv_axis_t ay = tg_tconv_axis(a, p->kernel_h, p->stride_h, p->dilation_h, p->pad_top);
        const int32_t span = ay.count > 0 ? (ay.count - 1) * ay.in_step + 1 : 1;
        r.slots = span > r.slots ? span : r.slots;
        r.taps_h = ay.count > r.taps_h ? ay.count : r.taps_h;
    }
    r.left = -lo;
    r.width = hi - lo + 1;
    return r;
}

/* tg_transpose_conv2d_s8_dsp serves layers whose phases have at most this many taps along y. */
#define TG_TCONV_MAX_TAPS_H 8

/* The longest phase's values: taps_h x taps_w x groups x 4 (the field of a pixel pair is 4 bytes a value). */
static inline int32_t tg_tconv_max_depth(const tg_transpose_conv2d_params_t *p, const tg_tconv_rows_t *r)
{
    int32_t a, taps_w = 0;
    for (a = 0; a < p->stride_w; ++a) {
        const int32_t n = tg_tconv_axis(a, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left).count;
        taps_w = n > taps_w ? n : taps_w;
    }
    return r->taps_h * taps_w * r->groups * 4;
}

/* Bytes before the field in the scratch: the channel pairs' records (8 words each) and the ring's tags, to 8. */
static inline int32_t tg_tconv_field_offset(const tg_transpose_conv2d_params_t *p, const tg_tconv_rows_t *r)
{
    return (32 * (p->out_c / 2) + 4 * r->slots + 7) & ~7;
}

/*
 * Scratch bytes of tg_transpose_conv2d_s8_dsp: the channel pairs' requantization records
 * (tg_mat_mult_pairs_s8_dsp.h, 32 bytes a pair) and the ring's tags (a word per slot),
 * rounded up to 8 bytes; a pixel pair's field (16 bytes per 4 values of the longest phase);
 * then the ring: slots widened rows of width columns x groups x 16 bytes (the planner's
 * formula, tinygen.kernels.transpose_conv.dsp_scratch, equals it).
 */
static inline int32_t tg_transpose_conv2d_s8_dsp_buffer_size(const tg_transpose_conv2d_params_t *p)
{
    const tg_tconv_rows_t r = tg_tconv_rows(p);
    return tg_tconv_field_offset(p, &r) + 4 * tg_tconv_max_depth(p, &r) + r.slots * r.width * r.groups * 16;
}

#endif /* TG_TRANSPOSE_CONV2D_H */
