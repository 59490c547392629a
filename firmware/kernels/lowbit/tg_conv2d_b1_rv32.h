/*
 * The XNOR / popcount count of tg_conv2d_b1_b1_s8_rv32 and tg_conv2d_b1_b1_b1_rv32
 * (RV32IMC: the ESP32-C3, no popcount instruction, no Zbb). Where the receptive field
 * fits TG_B1_FIELD_WORDS (tg_conv2d_b1_field.h) it is copied once per output pixel, and
 * each output channel counts popcount(field ^ weights) over one contiguous run:
 * Harley-Seal over blocks of 8 words (seven carry-save adders leave an "eights" word
 * whose per-byte counts add up in a byte vector), single words after the last block, the
 * bytes summed once at the end. Other pixels (padded taps with pad_value 0)
 * and larger fields take the portable accumulator (tg_conv2d_b1.h).
 */
#ifndef TG_CONV2D_B1_RV32_H
#define TG_CONV2D_B1_RV32_H

#include <stddef.h>
#include <stdint.h>

#include "tg_conv2d_b1.h"
#include "tg_conv2d_b1_field.h"
#include "tg_kernels_b1.h"

/* The sum of x's 4 bytes (halves, then the two 16-bit sums: no byte carries into another). */
static inline uint32_t tg_b1_byte_sum(uint32_t x)
{
    x = (x & 0x00FF00FFu) + ((x >> 8) & 0x00FF00FFu);
    return (x + (x >> 16)) & 0xFFFFu;
}

/*
 * popcount(a[i] ^ w[i]) summed over i < n, n <= TG_B1_FIELD_WORDS: blocks of 8 words
 * (the eights' byte counts: at most 8 per byte and block, 16 blocks, 128), then single
 * words (at most 7: 56 per byte) beside ones + 2 twos + 4 fours (56 per byte): no byte
 * of either vector passes 255.
 */
static inline int32_t tg_b1_count_run_rv32(const uint32_t *a, const uint32_t *w, int32_t n)
{
    const uint32_t m1 = 0x55555555u, m2 = 0x33333333u, m4 = 0x0F0F0F0Fu;
    uint32_t ones = 0u, twos = 0u, fours = 0u, b8 = 0u, b1 = 0u;
    for (; n >= 8; n -= 8, a += 8, w += 8) {
        uint32_t t0, t1, f0, f1, eights;
        TG_B1_CSA(t0, ones, ones, a[0] ^ w[0], a[1] ^ w[1]);
        TG_B1_CSA(t1, ones, ones, a[2] ^ w[2], a[3] ^ w[3]);
        TG_B1_CSA(f0, twos, twos, t0, t1);
        TG_B1_CSA(t0, ones, ones, a[4] ^ w[4], a[5] ^ w[5]);
        TG_B1_CSA(t1, ones, ones, a[6] ^ w[6], a[7] ^ w[7]);
        TG_B1_CSA(f1, twos, twos, t0, t1);
        TG_B1_CSA(eights, fours, fours, f0, f1);
        b8 += tg_b1_bytes(eights, m1, m2, m4);
    }
    for (; n > 0; --n) {
        b1 += tg_b1_bytes(*a++ ^ *w++, m1, m2, m4);
    }
    b1 += tg_b1_bytes(ones, m1, m2, m4) + (tg_b1_bytes(twos, m1, m2, m4) << 1)
          + (tg_b1_bytes(fours, m1, m2, m4) << 2);
    return (int32_t)(tg_b1_byte_sum(b1) + 8u * tg_b1_byte_sum(b8));
}

/*
 * The receptive field of output pixel (out_y, out_x) in field (TG_B1_FIELD_WORDS words),
 * or NULL where the field path does not serve it (a field too large, or padded taps
 * with pad_value 0).
 */
static inline const uint32_t *tg_b1_rv32_field(const tg_conv2d_b1_params_t *p, const uint32_t *input,
                                               int32_t out_y, int32_t out_x, uint32_t *field)
{
    return tg_b1_field_fits(p) && tg_b1_field(p, input, out_y, out_x, field) ? field : NULL;
}

/*
 * The accumulator of output channel oc at output pixel (out_y, out_x), as
 * tg_conv2d_b1_b1_acc: counted over the pixel's field (tg_b1_rv32_field) where there is
 * one, else the portable accumulator.
 */
static inline int32_t tg_b1_rv32_acc(const tg_conv2d_b1_params_t *p, const uint32_t *field,
                                     const uint32_t *input, const uint32_t *weights, int32_t out_y,
                                     int32_t out_x, int32_t oc)
{
    const int32_t taps = p->kernel_h * p->kernel_w, run = taps * TG_B1_WORDS(p->in_c);
    return field != NULL ? taps * p->in_c - 2 * tg_b1_count_run_rv32(field, &weights[oc * run], run)
                         : tg_conv2d_b1_b1_acc(p, input, weights, out_y, out_x, oc);
}

#endif /* TG_CONV2D_B1_RV32_H */
