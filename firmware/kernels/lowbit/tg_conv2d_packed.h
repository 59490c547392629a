/*
 * The body of the packed-multiply kernels (tg_conv2d_u4_s4_s8, tg_conv2d_u2_s2_s8): see
 * tg_kernels_packed.h for the method and LOWBIT.md for the layouts. Plain C: the 32x32 ->
 * 64-bit products are UMULL / UMLAL on ARMv7-M (every Cortex-M3 and up), so no DSP
 * extension is needed; the lanes, spacing and block are compile-time constants after inlining.
 *
 * Per output pixel: its field is packed once into scratch (tg_packed_field), then per group
 * of 4 output channels one pass over the field's words keeps 4 sums (u4: 64-bit, a 32x32
 * product each; u2: 32-bit, two 16x16 products each as SMLAD); every block of words each
 * sum's field is added to its channel's int32 D and the sums restart.
 */
#ifndef TG_CONV2D_PACKED_H
#define TG_CONV2D_PACKED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tg_kernels_packed.h"
#include "tg_lowbit_bias_shift.h"
#include "tg_requant.h"

/*
 * The two layouts (tg_kernels_packed.h): TG_PACKED_KIND_U4, 3 lanes 14 bits apart, 64-bit
 * UMLAL sums, field bits 28..41; TG_PACKED_KIND_U2, 2 lanes 13 bits apart in each int16 half,
 * SMLAD sums (both halves' products added), field bits 13..25 of a 32-bit sum.
 */
#define TG_PACKED_KIND_U4 0
#define TG_PACKED_KIND_U2 1

static inline int32_t tg_packed_lanes(int32_t kind)
{
    return kind == TG_PACKED_KIND_U4 ? TG_PACKED_U4_LANES : TG_PACKED_U2_LANES;
}

/* the bit position of activation lane l in a field word */
static inline int32_t tg_packed_shift(int32_t kind, int32_t l)
{
    return kind == TG_PACKED_KIND_U4 ? l * TG_PACKED_U4_SPACING : (l & 1) * TG_PACKED_U2_SPACING + (l >> 1) * 16;
}

/* sum over lanes l < n of v in lane l */
static inline uint32_t tg_packed_splat(uint32_t v, int32_t n, int32_t kind)
{
    uint32_t w = 0;
    int32_t l;
    for (l = 0; l < n; ++l) {
        w += v << tg_packed_shift(kind, l);
    }
    return w;
}

/* The sum of the 4 bytes of a SWAR sum t (each byte lane below 256). */
static inline int32_t tg_packed_bytes_sum(uint32_t t)
{
    const uint32_t pairs = (t & 0x00FF00FFu) + ((t >> 8) & 0x00FF00FFu);
    return (int32_t)((pairs & 0xFFFFu) + (pairs >> 16));
}

/*
 * 12 values u in [0, 15] (bytes at x, any alignment) as 4 u4 field words at d[0], d[stride],
 * d[2 stride], d[3 stride] (lanes at bits 0, 14, 28); returns the 3 loaded words' sum, whose
 * byte lanes add the values 3 at a time (for a SWAR sum).
 */
static inline __attribute__((always_inline)) uint32_t tg_packed_u4_chunk(const int8_t *x, uint32_t *d,
                                                                         int32_t stride)
{
    uint32_t v0, v1, v2;
    memcpy(&v0, x, 4);
    memcpy(&v1, x + 4, 4);
    memcpy(&v2, x + 8, 4);
    d[0] = (v0 & 0xFFu) | ((v0 & 0xFF00u) << 6) | ((v0 & 0xFF0000u) << 12);
    d[stride] = (v0 >> 24) | ((v1 & 0xFFu) << 14) | ((v1 & 0xFF00u) << 20);
    d[2 * stride] = ((v1 >> 16) & 0xFFu) | ((v1 >> 24) << 14) | (v2 << 28);
    d[3 * stride] = ((v2 >> 8) & 0xFFu) | ((v2 & 0xFF0000u) >> 2) | ((v2 >> 24) << 28);
    return v0 + v1 + v2;
}

/*
 * The fast path of tg_packed_tap for in_off 0 (the bytes are the u themselves, in
 * [0, 2^A - 1]): 4-byte loads, lanes moved with masks and shifts, the u summed 4 to a word
 * (SWAR; 16 words at most per partial sum keep each byte lane below 256). u2: 4 bytes give
 * a word; u4: 12 bytes give 4 words. Returns how many of the c values it packed.
 */
static inline __attribute__((always_inline)) int32_t tg_packed_tap_fast(const int8_t *x, int32_t c, int32_t kind,
                                                                        uint32_t **dst, int32_t *sum)
{
    const int32_t chunk = kind == TG_PACKED_KIND_U4 ? 12 : 4;
    uint32_t *d = *dst;
    int32_t i = 0;
    while (i + chunk <= c) {
        uint32_t t = 0;
        int32_t n;
        for (n = 0; n < 16 / (chunk / 4) && i + chunk <= c; ++n, i += chunk) {
            if (kind == TG_PACKED_KIND_U2) {            /* bytes 0..3 to bits 0, 13, 16, 29 */
                uint32_t v0;
                memcpy(&v0, x + i, 4);
                *d++ = (v0 & 0x00FF00FFu) | ((v0 & 0xFF00FF00u) << 5);
                t += v0;
            } else {                                    /* bytes to bits 0, 14, 28 of 4 words */
                t += tg_packed_u4_chunk(x + i, d, 1);
                d += 4;
            }
        }
        *sum += tg_packed_bytes_sum(t);
    }
    *dst = d;
    return i;
}

/*
 * Packs one in-bounds tap's c values x (+ in_off) into words at dst, lanes lowest first;
 * returns the next word. *sum gains the sum of the raw x.
 */
static inline __attribute__((always_inline)) uint32_t *tg_packed_tap(const int8_t *x, int32_t c, int32_t kind,
                                                                     int32_t in_off, uint32_t off_word,
                                                                     uint32_t *dst, int32_t *sum)
{
    const int32_t lanes = tg_packed_lanes(kind);
    int32_t s = *sum;
    int32_t i = in_off == 0 ? tg_packed_tap_fast(x, c, kind, &dst, &s) : 0;
    int32_t l;
    for (; i + lanes <= c; i += lanes) {
        uint32_t w = off_word;
#pragma GCC unroll 4
        for (l = 0; l < lanes; ++l) {
            const int32_t v = x[i + l];
            w += (uint32_t)v << tg_packed_shift(kind, l);      /* mod 2^32: the sum is in range */
            s += v;
        }
        *dst++ = w;
    }
    if (i < c) {
        uint32_t w = 0;
        for (l = 0; i + l < c; ++l) {
            const int32_t v = x[i + l];
            w += (uint32_t)(v + in_off) << tg_packed_shift(kind, l);
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
                                                                     int32_t kind, uint32_t *dst)
{
    const int32_t c = p->in_c, lanes = tg_packed_lanes(kind);
    const int32_t pad_u = p->in_off - p->input_offset;
    const int32_t full = c / lanes, rest = c % lanes;
    const uint32_t off_word = tg_packed_splat((uint32_t)p->in_off, lanes, kind);
    const uint32_t pad_word = tg_packed_splat((uint32_t)pad_u, lanes, kind);
    const uint32_t pad_rest = tg_packed_splat((uint32_t)pad_u, rest, kind);
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
                dst = tg_packed_tap(&input[(iy * p->in_w + ix) * c], c, kind, p->in_off, off_word, dst, &sum);
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
static inline __attribute__((always_inline)) void tg_packed_dot4_wide(const uint32_t *a, const uint32_t *w,
                                                                      int32_t steps, int32_t field,
                                                                      int32_t spacing, int32_t block, int32_t *d)
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

/* the field sums D of 4 channels: TG_PACKED_KIND_U4 */
static inline __attribute__((always_inline)) void tg_packed_dot4_u4(const uint32_t *a, const uint32_t *w,
                                                                    int32_t steps, int32_t *d)
{
    tg_packed_dot4_wide(a, w, steps, (TG_PACKED_U4_LANES - 1) * TG_PACKED_U4_SPACING, TG_PACKED_U4_SPACING,
                        TG_PACKED_U4_BLOCK, d);
}

/* SMLAD: x's and w's int16 halves multiplied pairwise, both products added to acc (mod 2^32) */
static inline uint32_t tg_packed_smlad(uint32_t x, uint32_t w, uint32_t acc)
{
    return acc + (uint32_t)((int32_t)(int16_t)(x & 0xFFFFu) * (int16_t)(w & 0xFFFFu)) +
           (uint32_t)((int32_t)(int16_t)(x >> 16) * (int16_t)(w >> 16));
}

/* the field sums D of 4 channels: TG_PACKED_KIND_U2 (words and weights as tg_packed_dot4_wide) */
static inline __attribute__((always_inline)) void tg_packed_dot4_u2(const uint32_t *a, const uint32_t *w,
                                                                    int32_t steps, int32_t *d)
{
    const uint32_t *const end = a + steps;

    d[0] = d[1] = d[2] = d[3] = 0;
    while (a != end) {
        const uint32_t *const stop = end - a > TG_PACKED_U2_BLOCK ? a + TG_PACKED_U2_BLOCK : end;
        uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        do {
            s0 = tg_packed_smlad(*a, w[0], s0);
            s1 = tg_packed_smlad(*a, w[1], s1);
            s2 = tg_packed_smlad(*a, w[2], s2);
            s3 = tg_packed_smlad(*a, w[3], s3);
            ++a;
            w += 4;
        } while (a != stop);
        tg_packed_fold4(s0, s1, s2, s3, TG_PACKED_U2_SPACING, TG_PACKED_U2_SPACING, d);
    }
}

/* the field sums of 4 channels (tg_packed_dot4_u4 / _u2, or an ISA variant's) */
typedef void (*tg_packed_dot4_fn)(const uint32_t *a, const uint32_t *w, int32_t steps, int32_t *d);

static inline __attribute__((always_inline)) void tg_conv2d_packed(
    const tg_conv2d_packed_params_t *p, const int8_t *input, const uint32_t *packed, const int32_t *bias,
    const int32_t *multiplier, const int8_t *shift, int8_t *scratch, int8_t *output, int32_t kind,
    tg_packed_dot4_fn dot4)
{
    const int32_t steps = tg_conv2d_packed_steps(p, tg_packed_lanes(kind));
    const int32_t w_bits = kind == TG_PACKED_KIND_U4 ? 4 : 2;
    const int32_t groups = (p->out_c + 3) / 4;
    const int32_t half = (int32_t)1 << (w_bits - 1);    /* the codes were stored as c + half */
    const int32_t *const corr = (const int32_t *)packed;
    const uint32_t *const weights = packed + 4 * groups;
    uint32_t *const field = (uint32_t *)__builtin_assume_aligned(scratch, 4);
    int32_t oy, ox, g, i;

    for (oy = 0; oy < p->out_h; ++oy) {
        for (ox = 0; ox < p->out_w; ++ox) {
            const int32_t u_sum = tg_packed_field(p, input, oy, ox, kind, field);
            int8_t *const out = &output[(oy * p->out_w + ox) * p->out_c];
            for (g = 0; g < groups; ++g) {
                int32_t d[4];
                dot4(field, &weights[g * 4 * steps], steps, d);
                for (i = 0; i < 4 && 4 * g + i < p->out_c; ++i) {
                    const int32_t o = 4 * g + i;
                    const int32_t cu = d[i] - half * u_sum;             /* sum c u over every tap */
                    const int32_t acc = tg_lowbit_bias_shift((p->odd ? 2 * cu + u_sum : cu) + corr[o], p->bias_shift);
                    out[o] = tg_requant_channel_s8(acc, bias, multiplier, shift, o, p->output_offset, p->act_min,
                                                   p->act_max);
                }
            }
        }
    }
}

#endif /* TG_CONV2D_PACKED_H */
