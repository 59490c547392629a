/*
 * tg_fft_q31.h: kissfft's 32-bit fixed-point arithmetic, which TFLite Micro's int32 SignalRfft
 * and SignalIrfft are built from: int32 values, int64 products in Q31 rounded to nearest (ties
 * up), a butterfly's input divided by its radix, sums that wrap in 32 bits (formed here in uint32,
 * no undefined overflow, and converted back, which wraps the same way on GCC's two's complement
 * targets), and the complex FFT of n points (tg_complex_fft_q31.c). Used by tg_signal_rfft_s32
 * and tg_signal_irfft_s32. numpy twin: tinygen.ref.signal_fft (_Fixed(32), complex_fft).
 */
#ifndef TG_FFT_Q31_H
#define TG_FFT_Q31_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* a + b and a - b as kissfft's int32 arithmetic wraps them. */
static inline int32_t tg_add_q31(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t tg_sub_q31(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* A Q31 product rounded to nearest, ties up, kept to 32 bits. */
static inline int32_t tg_q31(int64_t x)
{
    return (int32_t)((x + ((int64_t)1 << 30)) >> 31);
}

/* c * (INT32_MAX / radix) in Q31 (kissfft's C_FIXDIV): a butterfly's input divided by its radix. */
static inline void tg_cdiv_q31(int32_t *c, int64_t factor)
{
    c[0] = tg_q31(c[0] * factor);
    c[1] = tg_q31(c[1] * factor);
}

/* out = a * b in Q31 (out may not alias a). */
static inline void tg_cmul_q31(const int32_t *a, const int32_t *b, int32_t *out)
{
    out[0] = tg_q31((int64_t)a[0] * b[0] - (int64_t)a[1] * b[1]);
    out[1] = tg_q31((int64_t)a[0] * b[1] + (int64_t)a[1] * b[0]);
}

/*
 * The complex FFT of n points (a power of two >= 2) of z, in place: n (real, imag) int32 pairs
 * already in the decimation's order; stage by stage from the innermost radix (one radix 2 where
 * log2(n) is odd, then radix 4), each butterfly dividing its inputs by its radix. twiddles: int32
 * [n][2] of the forward (inverse = 0) or inverse transform; inverse also turns kissfft's radix-4
 * butterfly by +i where the forward turns by -i.
 */
void tg_complex_fft_q31(int32_t *z, int32_t n, const int32_t *twiddles, int32_t inverse);

#ifdef __cplusplus
}
#endif

#endif /* TG_FFT_Q31_H */
