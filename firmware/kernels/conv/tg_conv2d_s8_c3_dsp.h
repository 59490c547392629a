/*
 * The receptive field of a 3x3 convolution over 3 input channels (a first layer over RGB),
 * widened doubled straight from the input into the pair path's layout
 * (tg_widen_rows_doubled_s8 in tg_mat_mult_pairs_s8_dsp.h), with no int8 im2col copy in
 * between: what tg_conv2d_s8_dsp.h's specialized layers take for that shape.
 *
 * A pixel's field is 27 values, 3 rows r0, r1, r2 of 9 contiguous bytes (3 taps x 3
 * channels), s bytes apart: in_w * 3 inside the input, 9 in an im2col copy (taken where a
 * tap is padding). Its 7 groups of 4 values of depth, each read as one word:
 *   r0[0..3]  r0[4..7]  r0[8] r1[0..2]  r1[3..6]  r1[7..8] r2[0..1]  r2[2..5]  r2[6..8]
 * the third is the word at r1 - 1 with its low byte replaced by r0[8] (which it already
 * is where s == 9), the fifth two halfwords, the last the word at r2 + 5 with its first
 * value cleared after widening (tg_widen_rows_doubled_s8's tail of depth % 4 = 3).
 * Reads only the 27 bytes of the field, and r1[-1] (inside the input: r1's row is not the
 * first where the field is inside the input, and r0[8] where it is a copy).
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_CONV2D_S8_C3_DSP_H
#define TG_CONV2D_S8_C3_DSP_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tg_dsp_s8.h"
#include "tg_mat_mult_pairs_s8_dsp.h"

/* depth of the field: 3 x 3 taps x 3 channels */
#define TG_C3_DEPTH 27

/* One group v (4 int8 values) widened doubled into d[0] (values 0, 2) and d[1] (1, 3)
   (tg_widen_doubled_s8x4),
   the low half of d[0] kept by keep_a (0xFFFF0000 clears value 0). */
static inline __attribute__((always_inline)) void tg_c3_group(int32_t *d, int32_t v, int32_t offset,
                                                              uint32_t keep_a)
{
    int32_t a, b;
    tg_widen_doubled_s8x4(v, offset, &a, &b);
    d[0] = (int32_t)((uint32_t)a & keep_a);
    d[1] = b;
}

/*
 * The field at r0 (rows s bytes apart) widened doubled, values + offset, into the words
 * d[4 g], d[4 g + 1] of each group g (one pixel's half of the two-row layout: d is the
 * layout's start for the first pixel, + 2 words for the second). d 8-byte aligned.
 */
static inline __attribute__((always_inline)) void tg_c3_widen_field(const int8_t *r0, int32_t s,
                                                                    int32_t offset, int32_t *d)
{
    const int8_t *const r1 = r0 + s, *const r2 = r1 + s;
    const uint32_t g2 = ((uint32_t)tg_dsp_load_s8x4(r1 - 1) & 0xFFFFFF00u) | (uint8_t)r0[8];
    uint16_t lo, hi;
    memcpy(&lo, r1 + 7, sizeof lo);
    memcpy(&hi, r2, sizeof hi);
    tg_c3_group(d + 0, tg_dsp_load_s8x4(r0), offset, 0xFFFFFFFFu);
    tg_c3_group(d + 4, tg_dsp_load_s8x4(r0 + 4), offset, 0xFFFFFFFFu);
    tg_c3_group(d + 8, (int32_t)g2, offset, 0xFFFFFFFFu);
    tg_c3_group(d + 12, tg_dsp_load_s8x4(r1 + 3), offset, 0xFFFFFFFFu);
    tg_c3_group(d + 16, (int32_t)((uint32_t)lo | ((uint32_t)hi << 16)), offset, 0xFFFFFFFFu);
    tg_c3_group(d + 20, tg_dsp_load_s8x4(r2 + 2), offset, 0xFFFFFFFFu);
    tg_c3_group(d + 24, tg_dsp_load_s8x4(r2 + 5), offset, 0xFFFF0000u);
}

#endif /* TG_CONV2D_S8_C3_DSP_H */
