/*
 * TFLite's requantization (MultiplyByQuantizedMultiplier, double rounding) for Helium
 * (Armv8.1-M MVE, Cortex-M55), four int32 lanes at a time, bit for bit equal to
 * tg_requantize (tg_requant.h) and tinygen/quant/fixedpoint.py:
 *
 *   left  = max(shift, 0), right = -min(shift, 0)
 *   x     = SaturatingRoundingDoublingHighMul(acc << left, multiplier)
 *   out   = RoundingDivideByPOT(x, right)
 *
 * - The wrapping left shift: VSHL by a vector of lane amounts (a left shift truncates).
 * - SaturatingRoundingDoublingHighMul is VQRDMULH: it returns floor((2ab + 2^31) / 2^32)
 *   and saturates INT32_MIN * INT32_MIN to INT32_MAX. gemmlowp's definition rounds the
 *   halves of negative products away from zero; with ab = -k, k = q 2^31 + r
 *   (0 <= r < 2^31), both give -(q + [r > 2^30]): they are equal for every a, b.
 * - RoundingDivideByPOT rounds halves away from zero; VRSHL by -right rounds them
 *   upward. With x' = x - [x < 0] they agree (tg_requant.h, tg_requantize_fast's
 *   proof, part 2): out = VRSHL(x - [x < 0], -right) for right >= 1, x for right = 0.
 *   The correction (x & -right) >> 31 is -1 exactly when x < 0 and right >= 1
 *   (gemmlowp's fixup), and x - 1 cannot overflow: x > INT32_MIN (VQRDMULH's result
 *   lies in [-2^31 + 1, 2^31 - 1] unless both operands are INT32_MIN, which saturates
 *   upward). VRSHL's rounding sum is exact (no saturation): its result is
 *   floor((x' + 2^(right-1)) / 2^right).
 * - `sign` 0 leaves the correction out: that changes an output only at an exact tie
 *   below zero, from k to k - 1 with k <= 0, so after the output zero point zp and a
 *   clamp at act_min >= zp both give act_min (tinygen/kernels/specialize.py,
 *   sign_add_needed; every ReLU layer with zero point -128).
 *
 * The lane constants come from the kernels' packed records (tinygen/kernels/mve_pack.py):
 * rshift holds -right (0 or negative), lshift holds left (0 or positive).
 *
 * Needs __ARM_FEATURE_MVE (-mcpu=cortex-m55): the kernel table selects the _mve kernels
 * only for boards listing the "mve" ISA feature.
 */
#ifndef TG_REQUANT_MVE_H
#define TG_REQUANT_MVE_H

#include <arm_mve.h>
#include <stdint.h>

/* The hand-written loops' operands: a field of their argument struct, whose address they keep
 * in r11, as an assembler operand ("[r11, #offset]"). */
#define TG_MVE_S(x) #x
#define TG_MVE_X(x) TG_MVE_S(x)
#define TG_MVE_AT(field) "[r11, #" TG_MVE_X(field) "]"

/* Flags of a product's packed record header (mve_pack.py FLAG_*). */
#define TG_MVE_LEFT 1 /* some channel has a left shift (shift > 0) */

/* acc requantized per lane: `left` and `sign` are constants at every call site, so the
 * compiler drops the parts they turn off. */
static inline __attribute__((always_inline)) int32x4_t tg_requant_mve(int32x4_t acc, int32x4_t mult, int32x4_t rshift,
                                                                      int32x4_t lshift, int left, int sign)
{
    if (left) {
        acc = vshlq_s32(acc, lshift);
    }
    int32x4_t x = vqrdmulhq_s32(acc, mult);
    if (sign) {
        x = vaddq_s32(x, vshrq_n_s32(vandq_s32(x, rshift), 31));
    }
    return vrshlq_s32(x, rshift);
}

/* The same with one channel's constants in every lane (lanes = pixels of one channel):
 * rshift = -right, lshift = left as scalars. */
static inline __attribute__((always_inline)) int32x4_t tg_requant_mve_n(int32x4_t acc, int32_t mult, int32_t rshift,
                                                                        int32_t lshift, int left, int sign)
{
    if (left) {
        acc = vshlq_r_s32(acc, lshift);
    }
    int32x4_t x = vqrdmulhq_n_s32(acc, mult);
    if (sign) {
        x = vaddq_s32(x, vshrq_n_s32(vandq_s32(x, vdupq_n_s32(rshift)), 31));
    }
    return vrshlq_n_s32(x, rshift);
}

/*
 * Two vectors of requantized values (a, b) to int8 with the output zero point and the
 * clamp: saturated to int16 and interleaved (a in the even, b in the odd 16-bit lanes),
 * the zero point added with saturation, clamped to [act_min, act_max] where that range
 * is narrower than int8 (`clamp`), and saturated to int8 in the low byte of each 16-bit
 * lane (VSTRB.16 stores it). Saturating first to 16 bits then adding zp equals clamping
 * x + zp: |zp| <= 128 keeps any value past int16 past int8 too.
 */
static inline __attribute__((always_inline)) int8x16_t tg_mve_narrow2(int32x4_t a, int32x4_t b, int16x8_t zp,
                                                                      int16x8_t lo, int16x8_t hi, int clamp)
{
    int16x8_t h = vqmovnbq_s32(vuninitializedq_s16(), a);
    h = vqmovntq_s32(h, b);
    h = vqaddq_s16(h, zp);
    if (clamp) {
        h = vminq_s16(vmaxq_s16(h, lo), hi);
    }
    return vqmovnbq_s16(vuninitializedq_s8(), h);
}

/* One vector: its int8 values in the low byte of each 32-bit lane (VSTRB.32 stores it). */
static inline __attribute__((always_inline)) int8x16_t tg_mve_narrow1(int32x4_t a, int16x8_t zp, int16x8_t lo,
                                                                      int16x8_t hi, int clamp)
{
    int16x8_t h = vqmovnbq_s32(vuninitializedq_s16(), a);
    h = vqaddq_s16(h, zp);
    if (clamp) {
        h = vminq_s16(vmaxq_s16(h, lo), hi);
    }
    return vqmovnbq_s16(vuninitializedq_s8(), h);
}

#endif /* TG_REQUANT_MVE_H */
