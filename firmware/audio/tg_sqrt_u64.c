/*
 * sqrt(x) * 2^frac_bits of a uint64 in integer arithmetic (the magnitude of
 * frontend.spectrum in the fixed-point front end), using only 32-bit divides.
 *
 * x is shifted left by an even amount 2s so that its top bits lie in
 * [2^60, 2^62): y = hi * 2^32 + lo. The integer root r0 of hi (< 2^15) by
 * Newton's steps in 32 bits (tg_isqrt32), then one Newton step in the remainder,
 * sqrt(y) ~ 2^16 r0 + (2^16 (hi - r0^2) + lo / 2^16) / (2 r0),
 * which exceeds sqrt(y) by at most 2^15 / r0 <= 2 (the tangent lies above the
 * root) and undershoots it by less than one (the division truncates); checking
 * its square makes it floor(sqrt(y)), below 2^31. The result is that root shifted by
 * s - frac_bits: floor(sqrt(x) * 2^frac_bits) exactly when s >= frac_bits
 * (x below 2^(62 - 2 frac_bits), roughly), else with its last frac_bits - s
 * bits zero.
 */
#include "tg_audio.h"

#define TG_SQRT_TOP_SHIFT 60   /* normalise the argument into [2^60, 2^62) */

/*
 * floor(sqrt(x)) and x less its square, for x in [2^28, 2^30) (hi below). Newton's steps in
 * integers, r <- (r + x / r) / 2, never fall below floor(sqrt(x)) from a start above it and
 * reach it; the start x / 2^16 + 2^14 lies above sqrt(x) (their difference is
 * (sqrt(x) - 2^15)^2 / 2^16) within 25%, three steps leave it within 1 of the floor, and the
 * last two loops make it exact whatever the steps did.
 */
static uint32_t tg_isqrt32(uint32_t x, uint32_t *remainder)
{
    uint32_t root = (x >> 16) + (1u << 14);
    for (int32_t step = 0; step < 3; step++) {
        root = (root + x / root) >> 1;
    }
    while (root * root > x) {
        root--;
    }
    while ((root + 1u) * (root + 1u) <= x) {
        root++;
    }
    *remainder = x - root * root;
    return root;
}

uint32_t tg_sqrt_u64(uint64_t x, int32_t frac_bits)
{
    if (x == 0u) {
        return 0u;
    }
    int32_t top = 63 - __builtin_clzll(x);           /* x < 2^(top+1) */
    int32_t d = TG_SQRT_TOP_SHIFT + 1 - top;
    int32_t s = d >= 0 ? d / 2 : -((1 - d) / 2);     /* floor(d / 2): 2s puts the top bit at 60 or 61 */
    uint64_t y = s >= 0 ? x << (2 * s) : x >> (-2 * s);
    uint32_t hi = (uint32_t)(y >> 32);
    uint32_t lo = (uint32_t)y;
    uint32_t rem;
    uint32_t r0 = tg_isqrt32(hi, &rem);               /* 2^14 <= r0 < 2^15, rem <= 2 r0 */
    uint32_t delta = ((rem << 16) | (lo >> 16)) / (2u * r0);
    uint64_t root = ((uint64_t)r0 << 16) + delta;     /* within 2 of sqrt(y) */
    while (root * root > y) {
        root--;
    }
    if ((root + 1u) * (root + 1u) <= y) {
        root++;
    }
    int32_t shift = s - frac_bits;                    /* sqrt(x) * 2^frac = root / 2^shift */
    if (shift >= 0) {
        return (uint32_t)(root >> shift);
    }
    if (-shift >= 32 || (root >> (32 + shift)) != 0u) {
        return UINT32_MAX;
    }
    return (uint32_t)(root << -shift);
}
