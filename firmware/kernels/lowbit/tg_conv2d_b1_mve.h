/*
 * The XNOR / popcount count of tg_conv2d_b1_b1_s8_mve and tg_conv2d_b1_b1_b1_mve on the
 * Cortex-M55's Helium (MVE), for the field path of tg_conv2d_b1_field.h: an output pixel's
 * receptive field is one run of words laid out like a channel's weights, and every output
 * channel counts popcount(field ^ weights) over it.
 *
 * Helium has no population count (no VCNT), so the count is SWAR on 16 bytes at once, as
 * tg_b1_bytes does it on one word: 10 vector instructions take each byte's set bits
 * (VSHR, VAND, VSUB; VAND, VSHR, VAND, VADD; VSHR, VADD, VAND), and VADDVA adds the 16
 * byte counts into the running total. Per 4 words: 2 VLDRW, VEOR, 10, VADDVA and the
 * loop; the last 1..3 words of a run are one predicated step (VCTP, zeroing loads:
 * 0 ^ 0 counts nothing). The pixels the field path does not serve (padded taps with
 * pad value 0, fields over TG_B1_FIELD_WORDS) take the DSP kernels' span path, which the
 * Cortex-M55 runs too (it has the DSP extension).
 *
 * Needs __ARM_FEATURE_MVE (-mcpu=cortex-m55).
 */
#ifndef TG_CONV2D_B1_MVE_H
#define TG_CONV2D_B1_MVE_H

#include <arm_mve.h>
#include <stdint.h>

#include "tg_conv2d_b1_field.h"

/* Each byte's set bits (0..8) of x. */
static inline __attribute__((always_inline)) uint8x16_t tg_b1_bytes_mve(uint8x16_t x)
{
    x = vsubq_u8(x, vandq_u8(vshrq_n_u8(x, 1), vdupq_n_u8(0x55)));
    x = vaddq_u8(vandq_u8(x, vdupq_n_u8(0x33)), vandq_u8(vshrq_n_u8(x, 2), vdupq_n_u8(0x33)));
    return vandq_u8(vaddq_u8(x, vshrq_n_u8(x, 4)), vdupq_n_u8(0x0F));
}

/* popcount(a[i] ^ w[i]) summed over i < n. */
static inline __attribute__((always_inline)) int32_t tg_b1_count_mve(const uint32_t *a, const uint32_t *w,
                                                                     int32_t n)
{
    uint32_t total = 0u;
    for (; n >= 4; n -= 4, a += 4, w += 4) {
        const uint32x4_t x = veorq_u32(vldrwq_u32(a), vldrwq_u32(w));
        total = vaddvaq_u8(total, tg_b1_bytes_mve(vreinterpretq_u8_u32(x)));
    }
    if (n > 0) {
        const mve_pred16_t pred = vctp32q((uint32_t)n);
        const uint32x4_t x = veorq_u32(vldrwq_z_u32(a, pred), vldrwq_z_u32(w, pred));
        total = vaddvaq_u8(total, tg_b1_bytes_mve(vreinterpretq_u8_u32(x)));
    }
    return (int32_t)total;
}

/*
 * counts[j] = popcount(field[i] ^ w[j * run + i]) over i < run, for j < n_oc: the channels'
 * weights follow each other, run words apart (tg_b1_field_counts' contract).
 */
static inline void tg_b1_field_counts_mve(const uint32_t *field, const uint32_t *w, int32_t run, int32_t n_oc,
                                          int32_t *counts)
{
    int32_t j;
    for (j = 0; j < n_oc; ++j, w += run) {
        counts[j] = tg_b1_count_mve(field, w, run);
    }
}

#endif /* TG_CONV2D_B1_MVE_H */
