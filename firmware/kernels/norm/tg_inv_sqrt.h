/*
 * tg_inv_sqrt_s32: 1 / sqrt(x) of an int32 x >= 0 as a Q31 multiplier and a shift, TFLite's
 * GetInvSqrtQuantizedMultiplierExp(x, kReverseShift = -1, ...) bit for bit: x brought into
 * [2^27, 2^29) by an even shift, five Newton-Raphson steps from 1 in gemmlowp's
 * FixedPoint<int32_t, 3>, times sqrt(2) / 2. Then 1 / sqrt(x) ~ multiplier * 2^(shift - 31),
 * shift <= 0; x <= 1 gives (INT32_MAX, 0).
 * Shared by the integer layer norms (tg_norm_s8.h) and tg_rsqrt_s8.
 * numpy twin: tinygen.ref.attention.inv_sqrt.
 */
#ifndef TG_INV_SQRT_H
#define TG_INV_SQRT_H

#include <stdint.h>

#include "tg_requant.h"

enum {
    TG_INV_SQRT_STEPS = 5,                              /* Newton-Raphson steps */
    TG_INV_SQRT_F3_ONE = 1 << 28,                       /* 1.0 in Q3 */
    TG_INV_SQRT_F3_HALF_THREE = (1 << 28) + (1 << 27),  /* 1.5 in Q3 */
    TG_INV_SQRT_HALF_SQRT_2 = 1518500250                /* sqrt(2) / 2 in Q0 */
};

/* Leading zero bits of x > 0 (a loop: once per call, and no libgcc on the RISC-V builds). */
static inline int32_t tg_inv_sqrt_clz(uint32_t x)
{
    int32_t n = 0;
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

static inline void tg_inv_sqrt_s32(int32_t x, int32_t *multiplier, int32_t *shift)
{
    int32_t s = 11;
    int32_t pairs, half_input, y, i;
    if (x <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    while (x >= (1 << 29)) {
        x /= 4;
        ++s;
    }
    pairs = (tg_inv_sqrt_clz((uint32_t)x) - 1) / 2 - 1;
    s -= pairs;
    x = (int32_t)((uint32_t)x << (2 * pairs));          /* now in [2^27, 2^29) */
    half_input = tg_rounding_divide_by_pot(x >> 1, 1);
    y = TG_INV_SQRT_F3_ONE;
    for (i = 0; i < TG_INV_SQRT_STEPS; ++i) {
        const int32_t y3 = tg_saturating_shift_left(
            tg_saturating_rounding_doubling_high_mul(tg_saturating_rounding_doubling_high_mul(y, y), y), 6);
        y = tg_saturating_shift_left(tg_saturating_rounding_doubling_high_mul(TG_INV_SQRT_F3_HALF_THREE, y) -
                                         tg_saturating_rounding_doubling_high_mul(half_input, y3),
                                     3);
    }
    y = tg_saturating_rounding_doubling_high_mul(y, TG_INV_SQRT_HALF_SQRT_2);
    if (s < 0) {
        y = (int32_t)((uint32_t)y << -s);
        s = 0;
    }
    *multiplier = y;
    *shift = -s;
}

#endif /* TG_INV_SQRT_H */
