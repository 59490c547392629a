/*
 * Helpers of the portable binary kernels (tg_conv2d_b1_b1_s8, tg_conv2d_b1_b1_b1,
 * tg_conv2d_s8_s8_b1): a portable popcount, one output's XNOR / popcount
 * accumulator, and the threshold step that packs output bits.
 */
#ifndef TG_CONV2D_B1_H
#define TG_CONV2D_B1_H

#include <stdint.h>

#include "tg_kernels_b1.h"

/* Set bits of x (SWAR: 2-, 4-, 8-bit partial counts, then a multiply sums the bytes). */
static inline int32_t tg_popcount32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (int32_t)((x * 0x01010101u) >> 24);
}

/*
 * The accumulator of output channel oc at output pixel (out_y, out_x): over the
 * in-bounds taps n - 2 * popcount(input ^ weights) (n = in_c per tap), plus
 * pad_value * (in_c - 2 * popcount(weights)) per padded tap.
 */
static inline int32_t tg_conv2d_b1_b1_acc(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                                          const uint32_t *weights, int32_t out_y, int32_t out_x,
                                          int32_t oc)
{
    const int32_t words = TG_B1_WORDS(p->in_c);
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    int32_t acc = 0;
    int32_t ky, kx, i;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            const uint32_t *w_tap = &weights[((oc * p->kernel_h + ky) * p->kernel_w + kx) * words];
            int32_t ones = 0;   /* -1 products (in bounds) or -1 weights (padded) */
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                const uint32_t *in_px = &input[(in_y * p->in_w + in_x) * words];
                for (i = 0; i < words; ++i) {
                    ones += tg_popcount32(in_px[i] ^ w_tap[i]);
                }
                acc += p->in_c - 2 * ones;
            } else if (p->pad_value != 0) {
                for (i = 0; i < words; ++i) {
                    ones += tg_popcount32(w_tap[i]);
                }
                acc += p->pad_value * (p->in_c - 2 * ones);
            }
        }
    }
    return acc;
}

/*
 * Threshold output, one channel at a time: sets bit oc % 32 of *word where
 * acc < threshold (-1), and stores the word at **output (then advanced) after the
 * word's last channel or the last channel out_c - 1 (the bits beyond it stay 0).
 */
static inline void tg_put_threshold_bit(uint32_t **output, uint32_t *word, int32_t acc,
                                        int32_t threshold, int32_t oc, int32_t out_c)
{
    *word |= (uint32_t)(acc < threshold) << (oc & 31);
    if ((oc & 31) == 31 || oc == out_c - 1) {
        *(*output)++ = *word;
        *word = 0u;
    }
}

#endif /* TG_CONV2D_B1_H */
