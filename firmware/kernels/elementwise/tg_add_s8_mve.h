/*
 * TFLite's int8 ADD for Helium (Armv8.1-M MVE, Cortex-M55), shared by tg_add_s8_mve and
 * tg_conv2d_add_s8_mve: bit for bit tg_add_s8's arithmetic,
 *
 *   scaled_k = MultiplyByQuantizedMultiplierSmallerThanOneExp((x_k + offset_k) << left_shift, m_k, s_k)
 *   out      = clamp(MultiplyByQuantizedMultiplierSmallerThanOneExp(scaled_1 + scaled_2, m, s) + zp)
 *
 * Each scaled_k depends on an int8 operand only: tinygen/kernels/mve_pack.py tabulates it
 * for the 256 values at build time (add_mve_tables: table_k[u] = scaled_k(u as int8)), so
 * an operand costs a widening byte load (its values as unsigned indices) and one gather of
 * 4 table words (VLDRW with offsets scaled by 4). The output's requantization takes
 * tg_requant_mve.h's sequence with scalar constants, 4 elements at a time; the output may
 * be either operand's buffer (each group of 4 is read before it is written).
 */
#ifndef TG_ADD_S8_MVE_H
#define TG_ADD_S8_MVE_H

#include <arm_mve.h>
#include <stdint.h>

#include "tg_requant_mve.h"

#define TG_ADD_MVE_TABLE_WORDS 256

typedef struct {
    const int32_t *table1, *table2;     /* scaled_1 and scaled_2 by the operands' bytes */
    int32_t multiplier, rshift;         /* the output's multiplier and -right shift (its shift <= 0) */
    int16x8_t zp, lo, hi;               /* output zero point, act_min, act_max in every 16-bit lane */
    int clamp;                          /* [act_min, act_max] narrower than int8 */
} tg_add_mve_t;

static inline tg_add_mve_t tg_add_mve(const int32_t *tables, int32_t multiplier, int32_t shift, int32_t output_offset,
                                      int32_t act_min, int32_t act_max)
{
    tg_add_mve_t a;
    a.table1 = tables;
    a.table2 = tables + TG_ADD_MVE_TABLE_WORDS;
    a.multiplier = multiplier;
    a.rshift = shift;
    a.zp = vdupq_n_s16((int16_t)output_offset);
    a.lo = vdupq_n_s16((int16_t)act_min);
    a.hi = vdupq_n_s16((int16_t)act_max);
    a.clamp = act_min > -128 || act_max < 127;
    return a;
}

/* Four outputs from four operand pairs' table entries. */
static inline __attribute__((always_inline)) int8x16_t tg_add_mve_4(const tg_add_mve_t *a, uint32x4_t i1, uint32x4_t i2,
                                                                    int32x4_t rshift, int clamp)
{
    int32x4_t s = vaddq_s32(vldrwq_gather_shifted_offset_s32(a->table1, i1),
                            vldrwq_gather_shifted_offset_s32(a->table2, i2));
    s = vqrdmulhq_n_s32(s, a->multiplier);
    s = vaddq_s32(s, vshrq_n_s32(vandq_s32(s, rshift), 31));
    s = vrshlq_n_s32(s, a->rshift);
    return tg_mve_narrow1(s, a->zp, a->lo, a->hi, clamp);
}

/* out[i] = add(x1[i], x2[i]) for i < n. */
static inline __attribute__((always_inline)) void tg_add_mve_run(const tg_add_mve_t *a, const int8_t *x1,
                                                                 const int8_t *x2, int32_t n, int8_t *out,
                                                                 int clamp)
{
    const int32x4_t rshift = vdupq_n_s32(a->rshift);
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int8x16_t b = tg_add_mve_4(a, vldrbq_u32((const uint8_t *)(x1 + i)), vldrbq_u32((const uint8_t *)(x2 + i)),
                                         rshift, clamp);
        vstrbq_s32(out + i, vreinterpretq_s32_s8(b));
    }
    if (i < n) {
        const mve_pred16_t tail = vctp32q((uint32_t)(n - i));
        const int8x16_t b = tg_add_mve_4(a, vldrbq_z_u32((const uint8_t *)(x1 + i), tail),
                                         vldrbq_z_u32((const uint8_t *)(x2 + i), tail), rshift, clamp);
        vstrbq_p_s32(out + i, vreinterpretq_s32_s8(b), tail);
    }
}

static inline void tg_add_mve_apply(const tg_add_mve_t *a, const int8_t *x1, const int8_t *x2, int32_t n, int8_t *out)
{
    if (a->clamp) {
        tg_add_mve_run(a, x1, x2, n, out, 1);
    } else {
        tg_add_mve_run(a, x1, x2, n, out, 0);
    }
}

#endif /* TG_ADD_S8_MVE_H */
