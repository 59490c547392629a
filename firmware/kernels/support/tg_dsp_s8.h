/*
 * tinygen ARMv7E-M (Cortex-M4/M7 DSP extension) one-instruction helpers shared by the
 * DSP kernels (tg_mat_mult_s8_dsp.h, depthwise, add, pooling): the forms ACLE has no intrinsic for
 * (GCC 12's arm_acle.h has no rotated SXTB16/SXTAB16, no SMMULR, and its __ssat
 * macro trips -Wsign-conversion), as one line of inline assembly each.
 *
 * Needs __ARM_FEATURE_DSP (-mcpu=cortex-m4 / cortex-m7).
 */
#ifndef TG_DSP_S8_H
#define TG_DSP_S8_H

#include <stdint.h>
#include <string.h>

/* Four int8 at any alignment (Cortex-M4/M7 LDR allows unaligned access). */
static inline int32_t tg_dsp_load_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Bytes 1 and 3 sign-extended to two int16: SXTB16 with its 8-bit rotation. */
static inline int32_t tg_dsp_sxtb16_odd(int32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* Bytes 1 and 3 of v sign-extended and added to the two int16 of pair: SXTAB16 with rotation. */
static inline int32_t tg_dsp_sxtab16_odd(int32_t pair, int32_t v)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(pair), "r"(v));
    return r;
}

/* SMMULR: (a * b + 2^31) >> 32, the rounded high word of the 64-bit product. */
static inline int32_t tg_dsp_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* SMMLAR: (a * b + (acc << 32) + 2^31) >> 32, acc plus the rounded high word of a * b. */
static inline int32_t tg_dsp_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* v saturated to int8: SSAT. */
static inline int32_t tg_dsp_ssat8(int32_t v)
{
    int32_t r;
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(v));
    return r;
}

/* v saturated to int16: SSAT. */
static inline int32_t tg_dsp_ssat16(int32_t v)
{
    int32_t r;
    __asm__("ssat %0, #16, %1" : "=r"(r) : "r"(v));
    return r;
}

/* v >> 1 (arithmetic) saturated to int16: SSAT with its shift operand. */
static inline int32_t tg_dsp_ssat16_asr1(int32_t v)
{
    int32_t r;
    __asm__("ssat %0, #16, %1, asr #1" : "=r"(r) : "r"(v));
    return r;
}

/* v (not negative) saturated to 65535: USAT. */
static inline uint32_t tg_dsp_usat16(int32_t v)
{
    uint32_t r;
    __asm__("usat %0, #16, %1" : "=r"(r) : "r"(v));
    return r;
}

/* SMUAD: the bottom halves' product plus the top halves' (signed). */
static inline int32_t tg_dsp_smuad(int32_t x, int32_t y)
{
    int32_t r;
    __asm__("smuad %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
    return r;
}

/* SMLAD: the two halfword products of x and y plus a. */
static inline int32_t tg_dsp_smlad(int32_t x, int32_t y, int32_t a)
{
    int32_t r;
    __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(a));
    return r;
}

/* SSAT #17: v clamped to [-65536, 65535]. */
static inline int32_t tg_dsp_ssat17(int32_t v)
{
    int32_t r;
    __asm__("ssat %0, #17, %1" : "=r"(r) : "r"(v));
    return r;
}

/* v >> 1 (arithmetic) saturated to int8: SSAT with its shift operand. */
static inline int32_t tg_dsp_ssat8_asr1(int32_t v)
{
    int32_t r;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(v));
    return r;
}

/* v >> n (arithmetic; n a constant of 1..31 where it is inlined) saturated to int8: SSAT with its shift operand. */
static inline __attribute__((always_inline)) int32_t tg_dsp_ssat8_asrn(int32_t v, int32_t n)
{
    int32_t r;
    __asm__("ssat %0, #8, %1, asr #%c2" : "=r"(r) : "r"(v), "i"(n));
    return r;
}

/* The low halfword of lo, then the low halfword of hi above it: PKHBT. */
static inline int32_t tg_dsp_pkhbt(int32_t lo, int32_t hi)
{
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

/* The low halfwords of a and b multiplied (signed): SMULBB. */
static inline int32_t tg_dsp_smulbb(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smulbb %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* a's high halfword times b's low one (signed): SMULTB. */
static inline int32_t tg_dsp_smultb(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smultb %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* The high halfword of lo, then the high halfword of hi above it: PKHTB. */
static inline int32_t tg_dsp_pkhtb(int32_t hi, int32_t lo)
{
    int32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

#endif /* TG_DSP_S8_H */
