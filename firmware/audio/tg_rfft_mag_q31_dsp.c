/*
 * tg_rfft_mag_q31 on the ARMv7E-M DSP extension (Cortex-M4/M7, and the M33's): the same
 * integers, bit for bit, for the FFT tg_cfft_q31 leaves (every value below 2^30).
 *
 * Then 2 E and 2 O (sums and differences of two values) are below 2^31: int32. Each part of
 * 2 X in Q31 is one exact 64-bit sum in a register pair, started at 2 E * 2^31 + 2^30 (the
 * rounding term), the two products added by SMLAL, and >> 31 taken from the pair; the power
 * |2 X|^2 < 2^63 is SMULL + SMLAL. The subtraction's product is that of -2 O's imaginary part,
 * formed directly (ar - br). The square root is the portable one (tg_sqrt_u64). As in
 * tg_cfft_q31_dsp.c, the exact products are ARMv7-M's SMULL / SMLAL: the DSP extension's
 * rounding multiplies would round differently.
 */
#include "tg_audio.h"

/* (e * 2^31 + x * y + u * v + 2^30) >> 31 from the exact 64-bit sum. */
static inline __attribute__((always_inline)) int32_t tg_part_q31(int32_t e, int32_t x, int32_t y, int32_t u,
                                                                  int32_t v)
{
    uint32_t lo = ((uint32_t)e << 31) | (1u << 30);
    int32_t hi = e >> 1;
    __asm__("smlal %0, %1, %2, %3\n\t"
            "smlal %0, %1, %4, %5"
            : "+&r"(lo), "+&r"(hi)
            : "r"(x), "r"(y), "r"(u), "r"(v));
    return (int32_t)(((uint32_t)hi << 1) | (lo >> 31));
}

/* r * r + i * i, exact (below 2^63). */
static inline __attribute__((always_inline)) uint64_t tg_power(int32_t r, int32_t i)
{
    uint32_t lo;
    uint32_t hi;
    __asm__("smull %0, %1, %2, %2\n\t"
            "smlal %0, %1, %3, %3"
            : "=&r"(lo), "=&r"(hi)
            : "r"(r), "r"(i));
    return ((uint64_t)hi << 32) | lo;
}

void tg_rfft_mag_q31(const int32_t *z, int32_t n, const int32_t *split, int32_t first, int32_t last,
                     uint32_t *mag)
{
    for (int32_t k = first; k <= last; k++) {
        int32_t mirror = (n - k) & (n - 1);
        int32_t ar = z[2 * k];
        int32_t ai = z[2 * k + 1];
        int32_t br = z[2 * mirror];
        int32_t bi = z[2 * mirror + 1];   /* B = conj of this */
        int32_t er2 = ar + br;            /* 2 E */
        int32_t ei2 = ai - bi;
        int32_t or2 = ai + bi;            /* 2 O = (A - B) / i */
        int32_t oi2 = br - ar;
        int32_t wr = split[2 * k];
        int32_t wi = split[2 * k + 1];
        int32_t r = tg_part_q31(er2, wr, or2, wi, -oi2);    /* wr or2 - wi oi2; -oi2 = ar - br */
        int32_t i = tg_part_q31(ei2, wr, oi2, wi, or2);
        mag[k - first] = tg_sqrt_u64(tg_power(r, i), TG_MFCC_Q_MAG - 1);
    }
}
