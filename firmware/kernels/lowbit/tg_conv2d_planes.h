/*
 * Helpers of the bit-serial kernels (tg_conv2d_s8_planes_s8 and its _dsp variant), portable
 * C: slicing int8 inputs into bit planes packed along the channels, the planes'
 * coefficients, and the word-by-word accumulator for fields too large for the stack.
 */
#ifndef TG_CONV2D_PLANES_H
#define TG_CONV2D_PLANES_H

#include <stdint.h>
#include <string.h>

#include "tg_conv2d_b1.h"
#include "tg_kernels_planes.h"
#include "tg_requant.h"

/* Bytewise (x + y) mod 256 in each of the four bytes (no carry between bytes). */
static inline uint32_t tg_planes_add_bytes(uint32_t x, uint32_t y)
{
    return ((x & 0x7F7F7F7Fu) + (y & 0x7F7F7F7Fu)) ^ ((x ^ y) & 0x80808080u);
}

/*
 * Slices n <= 32 input values x[0..n) into a_bits words: bit j of u[m * stride] is bit m of
 * u_j = x[j] + in_off (bits n..31 are 0). Four values at a time: bit m of each byte gathered
 * into a nibble by one multiply ((v >> m) & 0x01010101) * 0x01020408 >> 24.
 */
static inline void tg_planes_slice(const int8_t *x, int32_t n, int32_t in_off, int32_t a_bits, uint32_t *u,
                                   int32_t stride)
{
    const uint32_t off4 = ((uint32_t)in_off & 0xFFu) * 0x01010101u;
    uint32_t w[TG_PLANES] = {0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u};
    int32_t j = 0, m;

    for (; j + 4 <= n; j += 4) {
        uint32_t v;
        memcpy(&v, &x[j], sizeof v);        /* little-endian: x[j] in bits 0-7 */
        v = tg_planes_add_bytes(v, off4);
        for (m = 0; m < a_bits; ++m) {
            w[m] |= ((((v >> m) & 0x01010101u) * 0x01020408u) >> 24) << j;
        }
    }
    for (; j < n; ++j) {
        const uint32_t b = (uint32_t)(x[j] + in_off);
        for (m = 0; m < a_bits; ++m) {
            w[m] |= ((b >> m) & 1u) << j;
        }
    }
    for (m = 0; m < a_bits; ++m) {
        u[m * stride] = w[m];
    }
}

/* The a_bits words of n <= 32 channels of a padded tap (every value pad_u): u[m * stride]. */
static inline void tg_planes_pad(int32_t n, int32_t pad_u, int32_t a_bits, uint32_t *u, int32_t stride)
{
    const uint32_t mask = n == 32 ? 0xFFFFFFFFu : (1u << n) - 1u;
    int32_t m;
    for (m = 0; m < a_bits; ++m) {
        u[m * stride] = ((uint32_t)pad_u >> m) & 1u ? mask : 0u;
    }
}

/* Words of one output channel's weights in one plane (and of one field plane). */
static inline int32_t tg_planes_run(const tg_conv2d_planes_params_t *p)
{
    return p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c);
}

/* Whether the sliced field fits the stack buffer: a_bits * run <= TG_PLANES_FIELD_WORDS. */
static inline int tg_planes_field_fits(const tg_conv2d_planes_params_t *p)
{
    return p->a_bits * tg_planes_run(p) <= TG_PLANES_FIELD_WORDS;
}

/*
 * Slices the receptive field of output pixel (out_y, out_x) into field[a_bits][run], each
 * plane laid out like a channel's weights ([kernel_h][kernel_w][words]); padded taps hold
 * pad_u's bits.
 */
static inline void tg_planes_field(const tg_conv2d_planes_params_t *p, const int8_t *input, int32_t out_y,
                                   int32_t out_x, uint32_t *field)
{
    const int32_t words = TG_B1_WORDS(p->in_c), run = tg_planes_run(p);
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    int32_t ky, kx, g;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx, field += words) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            const int inside = in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w;
            const int8_t *px = inside ? &input[(in_y * p->in_w + in_x) * p->in_c] : NULL;
            for (g = 0; g < words; ++g) {
                const int32_t n = p->in_c - 32 * g < 32 ? p->in_c - 32 * g : 32;
                if (inside) {
                    tg_planes_slice(&px[32 * g], n, p->in_off, p->a_bits, &field[g], run);
                } else {
                    tg_planes_pad(n, p->pad_u, p->a_bits, &field[g], run);
                }
            }
        }
    }
}

/*
 * The coefficient of the switch's plane t (plane 8 - w_bits + t): 2^t below the top plane,
 * -2^(k-1) for the top plane; for k = 1, -2 (W = 1 - 2 p_0: the +1 part is
 * tg_planes_base's field sum).
 */
static inline int32_t tg_planes_coef(int32_t k, int32_t t)
{
    return t < k - 1 ? (int32_t)1 << t : k == 1 ? -2 : -((int32_t)1 << t);
}

/* The weights of output channel oc in the switch's plane t. */
static inline const uint32_t *tg_planes_weights(const tg_conv2d_planes_params_t *p, const uint32_t *planes,
                                                int32_t t, int32_t oc)
{
    return &planes[((TG_PLANES - p->w_bits + t) * p->out_c + oc) * tg_planes_run(p)];
}

/*
 * The part of acc' every output channel shares: for k = 1 the sum of u over the sliced
 * field (sum_m 2^m popcount(u_m)), else 0.
 */
static inline int32_t tg_planes_base(const tg_conv2d_planes_params_t *p, const uint32_t *field)
{
    const int32_t run = tg_planes_run(p);
    int32_t base = 0, m, i;
    if (p->w_bits != 1) {
        return 0;
    }
    for (m = 0; m < p->a_bits; ++m) {
        int32_t ones = 0;
        for (i = 0; i < run; ++i) {
            ones += tg_popcount32(field[m * run + i]);
        }
        base += ones << m;
    }
    return base;
}

/*
 * acc' of output channel oc at output pixel (out_y, out_x) without a field buffer: every
 * 32-channel word of every tap sliced on the fly, for fields larger than
 * TG_PLANES_FIELD_WORDS (the slicing is repeated per output channel).
 */
static inline int32_t tg_planes_acc_words(const tg_conv2d_planes_params_t *p, const int8_t *input,
                                          const uint32_t *planes, int32_t out_y, int32_t out_x, int32_t oc)
{
    const int32_t words = TG_B1_WORDS(p->in_c), k = p->w_bits;
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    int32_t sums[TG_PLANES] = {0, 0, 0, 0, 0, 0, 0, 0};    /* per plane t: sum_m 2^m popcount(p_t & u_m) */
    int32_t base = 0, acc = 0, ky, kx, g, t, m;
    uint32_t u[TG_PLANES];

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            const int inside = in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w;
            const int32_t tap = (ky * p->kernel_w + kx) * words;
            for (g = 0; g < words; ++g) {
                const int32_t n = p->in_c - 32 * g < 32 ? p->in_c - 32 * g : 32;
                if (inside) {
                    tg_planes_slice(&input[(in_y * p->in_w + in_x) * p->in_c + 32 * g], n, p->in_off, p->a_bits,
                                    u, 1);
                } else {
                    tg_planes_pad(n, p->pad_u, p->a_bits, u, 1);
                }
                for (m = 0; m < p->a_bits; ++m) {
                    if (k == 1) {
                        base += tg_popcount32(u[m]) << m;
                    }
                    for (t = 0; t < k; ++t) {
                        sums[t] += tg_popcount32(tg_planes_weights(p, planes, t, oc)[tap + g] & u[m]) << m;
                    }
                }
            }
        }
    }
    for (t = 0; t < k; ++t) {
        acc += tg_planes_coef(k, t) * sums[t];
    }
    return base + acc;
}

/* The int8 output of channel oc for acc': bias, requantization, output offset, clamp. */
static inline int8_t tg_planes_out(const tg_conv2d_planes_params_t *p, int32_t acc, const int32_t *bias,
                                   const int32_t *multiplier, const int8_t *shift, int32_t oc)
{
    return tg_requant_channel_s8(acc, bias, multiplier, shift, oc, p->output_offset, p->act_min, p->act_max);
}

#endif /* TG_CONV2D_PLANES_H */
