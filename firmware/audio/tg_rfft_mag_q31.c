/*
 * tg_rfft_mag_f32 in integers. E = (A + B) / 2 and O = (A - B) / 2i are kept
 * doubled (no halving, no rounding) in 64 bits; X = E + w O is formed doubled
 * in Q31 and its magnitude taken with one more fractional bit, which the
 * doubling cancels: |X| in Q2 (TG_MFCC_Q_MAG).
 */
#include "tg_audio.h"

void tg_rfft_mag_q31(const int32_t *z, int32_t n, const int32_t *split, int32_t first, int32_t last,
                     uint32_t *mag)
{
    for (int32_t k = first; k <= last; k++) {
        int32_t mirror = (n - k) & (n - 1);
        int64_t ar = z[2 * k];
        int64_t ai = z[2 * k + 1];
        int64_t br = z[2 * mirror];
        int64_t bi = -(int64_t)z[2 * mirror + 1];
        int64_t er2 = ar + br;          /* 2 E */
        int64_t ei2 = ai + bi;
        int64_t or2 = ai - bi;          /* 2 O = (A - B) / i */
        int64_t oi2 = br - ar;
        int64_t wr = split[2 * k];
        int64_t wi = split[2 * k + 1];
        /* 2 X in Q31 (|2 O| < 2^31, |w| < 2^31: each product below 2^62) */
        int64_t xr = (er2 << 31) + (wr * or2 - wi * oi2);
        int64_t xi = (ei2 << 31) + (wr * oi2 + wi * or2);
        /* back to Q0 (2 X), rounded; |X| < 2^30 so |2 X| < 2^31 */
        int64_t r = (xr + (1LL << 30)) >> 31;
        int64_t i = (xi + (1LL << 30)) >> 31;
        uint64_t power = (uint64_t)(r * r) + (uint64_t)(i * i);   /* |2 X|^2 < 2^63 */
        mag[k - first] = tg_sqrt_u64(power, TG_MFCC_Q_MAG - 1);
    }
}
