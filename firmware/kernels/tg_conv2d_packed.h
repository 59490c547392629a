/*
 * The body of the packed-multiply kernels (tg_conv2d_u4_s4_s8, tg_conv2d_u2_s2_s8): see
 * tg_kernels_packed.h for the method and LOWBIT.md for the layouts. Plain C: the 32x32 ->
 * 64-bit products are UMULL / UMLAL on ARMv7-M (every Cortex-M3 and up), so no DSP
 * extension is needed; the lanes, spacing and block are compile-time constants after inlining.
 *
 * Per output pixel: its field is packed once into scratch (tg_packed_field), then per group
 * of 4 output channels one pass over the field's words keeps 4 64-bit sums (one word of
 * field, one LDRD per 2 weight words, 4 UMLAL per word); every `block` words each sum's field
 * is added to its channel's int32 D and the sums restart (UMULL).
 */
#ifndef TG_CONV2D_PACKED_H
#define TG_CONV2D_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "tg_kernels_packed.h"
#include "tg_requant.h"

/* sum over lanes l < n of v << (l * spacing): v in every lane of a word's first n lanes */
static inline uint32_t tg_packed_splat(uint32_t v, int32_t n, int32_t spacing)
{
    uint32_t w = 0;
    int32_t l;
    for (l = 0; l < n; ++l) {
        w += v << (l * spacing);
    }
    return w;
}

/*
 * Packs one in-bounds tap's c values x (+ in_off) into words at dst, lanes lowest first;
 * returns the next word. *sum gains the sum of the raw x.
 */
static inline __attribute__((always_inline)) uint32_t *tg_packed_tap(const int8_t *x, int32_t c, int32_t lanes,
                                                                     int32_t spacing, int32_t in_off,
                                                                     uint32_t off_word, uint32_t *dst,
                                                                     int32_t *sum)
{
    int32_t s = *sum;
    int32_t i = 0, l;
    for (; i + lanes <= c; i += lanes) {
        uint32_t w = off_word;
#pragma GCC unroll 4
        for (l = 0; l < lanes; ++l) {
            const int32_t v = x[i + l];
            w += (uint32_t)v << (l * spacing);      /* mod 2^32: the sum is in range */
            s += v;
        }
        *dst++ = w;
    }
    if (i < c) {
        uint32_t w = 0;
        for (l = 0; i + l < c; ++l) {
            const int32_t v = x[i + l];
            w += (uint32_t)(v + in_off) << (l * spacing);
            s += v;
        }
        *dst++ = w;
    }
    *sum = s;
    return dst;
}

/* One output pixel's field into dst; returns U, the sum of its u over every tap and channel. */
static inline __attribute__((always_inline)) int32_t tg_packed_field(const tg_conv2d_packed_params_t *p,
                                                                     const int8_t *input, int32_t oy, int32_t ox,
                                                                     int32_t lanes, int32_t spacing,
                                                                     uint32_t *dst)
{
    const int32_t c = p->in_c;
    const int32_t pad_u = p->in_off - p->input_offset;
    const int32_t full = c / lanes, rest = c % lanes;
    const uint32_t off_word = tg_packed_splat((uint32_t)p->in_off, lanes, spacing);
    const uint32_t pad_word = tg_packed_splat((uint32_t)pad_u, lanes, spacing);
    const uint32_t pad_rest = tg_packed_splat((uint32_t)pad_u, rest, spacing);
    int32_t sum = 0, taps_in = 0;
    int32_t ky, kx, j;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                for (j = 0; j < full; ++j) {
                    *dst++ = pad_word;
                }
                if (rest != 0) {
                    *dst++ = pad_rest;
                }
            } else {
                dst = tg_packed_tap(&input[(iy * p->in_w + ix) * c], c, lanes, spacing, p->in_off, off_word,
                                    dst, &sum);
                ++taps_in;
            }
        }
    }
    return sum + c * (taps_in * p->in_off + (p->kernel_h * p->kernel_w - taps_in) * pad_u);
}

/* 4 weight words against one field word: 4 UMLAL. */
#define TG_PACKED_MAC4(x, w)                    \
    do {                                        \
        s0 += (uint64_t)(x) * (w)[0];           \
        s1 += (uint64_t)(x) * (w)[1];           \
        s2 += (uint64_t)(x) * (w)[2];           \
        s3 += (uint64_t)(x) * (w)[3];           \
    } while (0)

/* Adds the fields (bits field .. field + spacing - 1) of 4 sums to d[0..3]. */
static inline __attribute__((always_inline)) void tg_packed_fold4(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3,
                                                                  int32_t field, int32_t spacing, int32_t *d)
{
    const uint32_t mask = ((uint32_t)1 << spacing) - 1u;
    d[0] += (int32_t)((uint32_t)(s0 >> field) & mask);
    d[1] += (int32_t)((uint32_t)(s1 >> field) & mask);
    d[2] += (int32_t)((uint32_t)(s2 >> field) & mask);
    d[3] += (int32_t)((uint32_t)(s3 >> field) & mask);
}

/*
 * The field sums D of 4 output channels: field words a[0..steps), their weight words
 * w[4 j + i] (channel i of the group, word j). `field` = (lanes - 1) * spacing.
 */
static inline __attribute__((always_inline)) void tg_packed_dot4(const uint32_t *a, const uint32_t *w,
                                                                 int32_t steps, int32_t field, int32_t spacing,
                                                                 int32_t block, int32_t *d)
{
    const uint32_t *const end = a + steps;

    d[0] = d[1] = d[2] = d[3] = 0;
    while (a != end) {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const uint32_t *const stop = end - a > block ? a + block : end;
        do {
            TG_PACKED_MAC4(*a, w);
            ++a;
            w += 4;
        } while (a != stop);
        tg_packed_fold4(s0, s1, s2, s3, field, spacing, d);
    }
}

/* the field sums of 4 channels, as tg_packed_dot4 (an ISA variant passes its own) */
typedef void (*tg_packed_dot4_fn)(const uint32_t *a, const uint32_t *w, int32_t steps, int32_t field,
                                  int32_t spacing, int32_t block, int32_t *d);

static inline __attribute__((always_inline)) void tg_conv2d_packed(
    const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int32_t *shift, int8_t *scratch, int8_t *output, int32_t lanes,
    int32_t spacing, int32_t block, int32_t w_bits, tg_packed_dot4_fn dot4)
{
    const int32_t steps = tg_conv2d_packed_steps(p, lanes);
    const int32_t groups = (p->out_c + 3) / 4;
    const int32_t half = (int32_t)1 << (w_bits - 1);    /* the codes were stored as c + half */
    const int32_t *const corr = (const int32_t *)packed;
    const uint32_t *const weights = packed + 4 * groups;
    uint32_t *const field = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    int32_t oy, ox, g, i;

    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t u_sum = tg_packed_field(p, input, oy, ox, lanes, spacing, field);
            int8_t *const out = &output[(oy * p->out_w + ox) * p->out_c];
            for (g = 0; g < groups; ++g) {
                int32_t d[4];
                dot4(field, &weights[g * 4 * steps], steps, (lanes - 1) * spacing, spacing, block, d);
                for (i = 0; i < 4 && 4 * g + i < p->out_c; ++i) {
                    const int32_t o = 4 * g + i;
                    const int32_t cu = d[i] - half * u_sum;             /* sum c u over every tap */
                    int32_t acc = (p->odd ? 2 * cu + u_sum : cu) + corr[o];
                    if (bias != NULL) {
                        acc += bias[o];
                    }
                    acc = tg_requantize(acc, multiplier[o], shift[o]) + p->output_offset;
                    acc = acc < p->act_min ? p->act_min : acc;
                    acc = acc > p->act_max ? p->act_max : acc;
                    out[o] = (int8_t)acc;
                }
            }
        }
    }
}

#endif /* TG_CONV2D_PACKED_H */
