/*
 * ISA-free helpers of the optimized binary kernels (tg_conv2d_b1_dsp.h, tg_conv2d_b1_rv32.h):
 * per-byte set-bit counts, the carry-save adder of their Harley-Seal counts, and the field
 * path's receptive-field copy (one output pixel's input words laid out like a channel's
 * weights, so that each output channel counts one contiguous run).
 */
#ifndef TG_CONV2D_B1_FIELD_H
#define TG_CONV2D_B1_FIELD_H

#include <stdint.h>

#include "tg_kernels_b1.h"

/* Per-byte set-bit counts of x (0..8 in each byte), the masks passed in (kept in registers). */
static inline __attribute__((always_inline)) uint32_t tg_b1_bytes(uint32_t x, uint32_t m1, uint32_t m2,
                                                                  uint32_t m4)
{
    x = x - ((x >> 1) & m1);
    x = (x & m2) + ((x >> 2) & m2);
    return (x + (x >> 4)) & m4;
}

/* Carry-save adder: (*hi, *lo) = a + b + c bitwise, *hi weighing twice *lo. */
#define TG_B1_CSA(hi, lo, a, b, c)                      \
    do {                                                \
        const uint32_t u_ = (a) ^ (b);                  \
        (hi) = (a) ^ (((a) ^ (c)) & u_);                \
        (lo) = u_ ^ (c);                                \
    } while (0)

/* Words of an output pixel's receptive field the field path copies (on the stack). */
#define TG_B1_FIELD_WORDS 128

/* Whether the field path serves the layer: kernel_h * kernel_w * words <= TG_B1_FIELD_WORDS. */
static inline int tg_b1_field_fits(const tg_conv2d_b1_params_t *p)
{
    return p->kernel_h * p->kernel_w * TG_B1_WORDS(p->in_c) <= TG_B1_FIELD_WORDS;
}

/*
 * The receptive field of output pixel (out_y, out_x) as one run of words laid out like a
 * channel's weights ([kernel_h][kernel_w][words]), so that every output channel counts it
 * with one tg_b1_count_run: in-bounds taps copied, padded ones holding pad_value's bits
 * (+1: 0, -1: the channels' bits set), which give exactly pad_value * (in_c - 2 * popcount(w))
 * per padded tap. Returns 0 (field not filled) for a pixel with padded taps and pad_value 0.
 */
static inline int tg_b1_field(const tg_conv2d_b1_params_t *p, const uint32_t *input, int32_t out_y,
                              int32_t out_x, uint32_t *field)
{
    const int32_t words = TG_B1_WORDS(p->in_c);
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_top;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_left;
    const uint32_t last = (p->in_c & 31) != 0 ? (1u << (p->in_c & 31)) - 1u : 0xFFFFFFFFu;
    int32_t ky, kx, i;

    for (ky = 0; ky < p->kernel_h; ++ky) {
        const int32_t in_y = in_y_origin + ky * p->dilation_h;
        for (kx = 0; kx < p->kernel_w; ++kx, field += words) {
            const int32_t in_x = in_x_origin + kx * p->dilation_w;
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                const uint32_t *px = &input[(in_y * p->in_w + in_x) * words];
                for (i = 0; i < words; ++i) {
                    field[i] = px[i];
                }
            } else if (p->pad_value == 0) {
                return 0;
            } else {
                const uint32_t fill = p->pad_value > 0 ? 0u : 0xFFFFFFFFu;
                for (i = 0; i < words - 1; ++i) {
                    field[i] = fill;
                }
                field[words - 1] = fill & last;
            }
        }
    }
    return 1;
}

#endif /* TG_CONV2D_B1_FIELD_H */
