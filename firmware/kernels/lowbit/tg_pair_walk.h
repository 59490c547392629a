/*
 * The in-place field of the pixel-pair 4-bit kernels (tg_conv2d_pair.h) for in_off 0: one
 * output pixel's field words packed straight into its half of the pair's interleaving
 * (LOWBIT.md, "Packed multiply over pixel and channel pairs", "The walk"). tg_pair_walk_pixel
 * describes the pixel's window in closed form (tg_pair_walk_t); tg_pair_walk_u4 (portable C)
 * or the assembly tg_pair_walk_u4_dsp (tg_pair_walk_dsp.h) packs it.
 */
#ifndef TG_PAIR_WALK_H
#define TG_PAIR_WALK_H

#include <stdint.h>

#include "tg_conv2d_packed.h"

/*
 * One output pixel's field for in_off 0, packed in place (tg_pair_walk_pixel fills it): the
 * window's taps in order are `before` padded taps, then rows_in rows of n in-bounds taps with
 * `between` padded taps between one row's run and the next, then `after` padded taps. A padded
 * tap is full words pad_word and, where rest > 0, one word pad_rest; an in-bounds tap is its c
 * values u = x in [0, 15] 3 to a word (lanes at bits 0, 14, 28, the last word zero beyond c).
 * Words go to dst[0], dst[2], ... (the pixel's half of the interleaving). The field offsets
 * below are the assembly's (tg_pair_walk_dsp.h).
 */
typedef struct {
    const int8_t *x;        /* 0: the first in-bounds tap (rows_in > 0) */
    int32_t c;              /* 4: in_c */
    int32_t n;              /* 8: in-bounds taps a row, >= 1 where rows_in > 0 */
    int32_t step;           /* 12: bytes from a tap to the next in its row (dilation_w * c) */
    int32_t row_step;       /* 16: bytes from a row's first in-bounds tap to the next row's */
    int32_t before;         /* 20 */
    int32_t between;        /* 24 */
    int32_t rows_in;        /* 28 */
    int32_t after;          /* 32 */
    uint32_t pad_word;      /* 36 */
    uint32_t pad_rest;      /* 40 */
    int32_t full;           /* 44: c / 3 */
    int32_t rest;           /* 48: c % 3 */
} tg_pair_walk_t;

/* packs the field a walk describes at dst; returns the sum of its in-bounds u */
typedef int32_t (*tg_pair_walk_fn)(const tg_pair_walk_t *w, uint32_t *dst);

/*
 * One in-bounds tap's c values u = x (in_off 0) at dst[0], dst[2], ... (3 to a word, the last
 * word zero beyond c); *sum gains their sum. Returns the next word.
 */
static inline __attribute__((always_inline)) uint32_t *tg_pair_tap_u4(const int8_t *x, int32_t c, uint32_t *dst,
                                                                      int32_t *sum)
{
    int32_t s = *sum, i = 0, n;
    while (i + 12 <= c) {
        uint32_t t = 0;                         /* SWAR: 5 chunks keep each byte lane below 256 */
        for (n = 0; n < 5 && i + 12 <= c; ++n, i += 12, dst += 8) {
            t += tg_packed_u4_chunk(x + i, dst, 2);
        }
        s += tg_packed_bytes_sum(t);
    }
    for (; i + 3 <= c; i += 3, dst += 2) {
        const int32_t a = x[i], b = x[i + 1], d = x[i + 2];
        *dst = (uint32_t)a | (uint32_t)b << 14 | (uint32_t)d << 28;
        s += a + b + d;
    }
    if (i < c) {
        const int32_t a = x[i], b = i + 1 < c ? x[i + 1] : 0;
        *dst = (uint32_t)a | (uint32_t)b << 14;
        dst += 2;
        s += a + b;
    }
    *sum = s;
    return dst;
}

/* tg_pair_tap_u4 over a run of n taps `step` bytes apart */
static inline __attribute__((always_inline)) int32_t tg_pair_taps_u4(const int8_t *x, uint32_t *dst, int32_t c,
                                                                     int32_t sum, int32_t n, int32_t step)
{
    for (; n > 0; --n, x += step) {
        dst = tg_pair_tap_u4(x, c, dst, &sum);
    }
    return sum;
}

/* pad words of lanes 0, 1, 2 (mod 2^32): u times TG_PAIR_U4_SPLAT; lanes 0, 1: the low 28 bits */
#define TG_PAIR_U4_SPLAT (1u + (1u << TG_PACKED_U4_SPACING) + (1u << (2 * TG_PACKED_U4_SPACING)))

static inline int32_t tg_pair_min(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

/* n padded taps' words at dst[0], dst[2], ... (per tap full words pad_word, then pad_rest where rest > 0) */
static inline __attribute__((always_inline)) uint32_t *tg_pair_pad_taps(uint32_t *dst, int32_t n, int32_t full,
                                                                        uint32_t pad_word, int32_t rest,
                                                                        uint32_t pad_rest)
{
    int32_t j;
    for (; n > 0; --n) {
        for (j = 0; j < full; ++j, dst += 2) {
            *dst = pad_word;
        }
        if (rest != 0) {
            *dst = pad_rest;
            dst += 2;
        }
    }
    return dst;
}

/* a padded tap's words at dst[0], dst[2], ... (full words pad_word, then pad_rest where rest > 0) */
static inline __attribute__((always_inline)) uint32_t *tg_pair_pad_tap(uint32_t *dst, int32_t full, uint32_t pad_word,
                                                                       int32_t rest, uint32_t pad_rest)
{
    return tg_pair_pad_taps(dst, 1, full, pad_word, rest, pad_rest);
}

/* the walk's per-call fields (x and the tap counts: tg_pair_walk_pixel) */
static inline void tg_pair_walk_setup(const tg_conv2d_packed_params_t *p, tg_pair_walk_t *w)
{
    const uint32_t pad_u = (uint32_t)-p->input_offset;     /* the zero point's u */
    w->c = p->in_c;
    w->step = p->dilation_w * p->in_c;
    w->row_step = p->dilation_h * p->in_w * p->in_c;
    w->pad_word = pad_u * TG_PAIR_U4_SPLAT;
    w->full = p->in_c / TG_PACKED_U4_LANES;
    w->rest = p->in_c % TG_PACKED_U4_LANES;
    w->pad_rest = w->rest == 1 ? pad_u : pad_u * (TG_PAIR_U4_SPLAT & 0xFFFFFFFu);
}

/* how many of the k window positions start + i d (i < k) lie below `limit`, for start < limit */
static inline int32_t tg_pair_below(int32_t start, int32_t d, int32_t k, int32_t limit)
{
    return tg_pair_min((limit - start + d - 1) / d, k);
}

/*
 * Output pixel px's walk (ix and iy rise with kx and ky: each window row is padded taps, the
 * in-bounds run, padded taps; the rows are padded ones, in-bounds ones, padded ones). Returns
 * the number of padded taps.
 */
static inline __attribute__((always_inline)) int32_t tg_pair_walk_pixel(const tg_conv2d_packed_params_t *p,
                                                                        const int8_t *input, int32_t px,
                                                                        tg_pair_walk_t *w)
{
    const int32_t kh = p->kernel_h, kw = p->kernel_w, dh = p->dilation_h, dw = p->dilation_w;
    const int32_t iy0 = px / p->out_w * p->stride_h - p->pad_top;
    const int32_t ix0 = px % p->out_w * p->stride_w - p->pad_left;
    const int32_t lo = ix0 >= 0 ? 0 : tg_pair_below(ix0, dw, kw, 0);
    const int32_t end = ix0 >= p->in_w ? 0 : tg_pair_below(ix0, dw, kw, p->in_w);
    const int32_t top = iy0 >= 0 ? 0 : tg_pair_below(iy0, dh, kh, 0);
    const int32_t bottom = iy0 >= p->in_h ? 0 : tg_pair_below(iy0, dh, kh, p->in_h);
    const int32_t n = end - lo, rows = bottom - top;

    if (n <= 0 || rows <= 0) {
        w->rows_in = 0;
        w->before = kh * kw;
        w->after = 0;
        return kh * kw;
    }
    w->x = &input[((iy0 + top * dh) * p->in_w + ix0 + lo * dw) * p->in_c];
    w->n = n;
    w->rows_in = rows;
    w->before = top * kw + lo;
    w->between = kw - n;
    w->after = kw - end + (kh - bottom) * kw;
    return kh * kw - rows * n;
}

/* the portable walk (a tg_pair_walk_fn) */
static inline __attribute__((always_inline)) int32_t tg_pair_walk_u4(const tg_pair_walk_t *w, uint32_t *dst)
{
    const int32_t tap_words = 2 * (w->full + (w->rest != 0));
    const int8_t *x = w->x;
    int32_t sum = 0, r;

    dst = tg_pair_pad_taps(dst, w->before, w->full, w->pad_word, w->rest, w->pad_rest);
    for (r = 0; r < w->rows_in; ++r, x += w->row_step) {
        if (r > 0) {
            dst = tg_pair_pad_taps(dst, w->between, w->full, w->pad_word, w->rest, w->pad_rest);
        }
        sum = tg_pair_taps_u4(x, dst, w->c, sum, w->n, w->step);
        dst += w->n * tap_words;
    }
    (void)tg_pair_pad_taps(dst, w->after, w->full, w->pad_word, w->rest, w->pad_rest);
    return sum;
}

/* One output pixel's field for in_off 0 packed in place by `walk`; returns U, the sum of its u. */
static inline __attribute__((always_inline)) int32_t tg_pair_field_walk_u4(const tg_conv2d_packed_params_t *p,
                                                                            const int8_t *input, int32_t px,
                                                                            tg_pair_walk_t *w, uint32_t *dst,
                                                                            tg_pair_walk_fn walk)
{
    const int32_t pads = tg_pair_walk_pixel(p, input, px, w);
    return walk(w, dst) - pads * p->in_c * p->input_offset;
}

#endif /* TG_PAIR_WALK_H */
