/*
 * tg_fft_q15.h: kissfft's 16-bit fixed-point arithmetic, which TFLite Micro's SignalRfft and
 * SignalIrfft are built from: Q15 products rounded to nearest (ties up), a butterfly's input divided
 * by its radix, and the complex FFT of n points (tg_complex_fft_q15.c). Used by
 * tg_signal_rfft_s16 and tg_signal_irfft_s16. numpy twin: tinygen.ref.signal_fft (_Fixed,
 * complex_fft).
 */
#ifndef TG_FFT_Q15_H
#define TG_FFT_Q15_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A Q15 product rounded to nearest, ties up, kept to 16 bits. */
static inline int16_t tg_q15(int32_t x)
{
    return (int16_t)((x + (1 << 14)) >> 15);
}

/* c * (32767 / radix) in Q15 (kissfft's C_FIXDIV): a butterfly's input divided by its radix. */
static inline void tg_cdiv_q15(int16_t *c, int32_t factor)
{
    c[0] = tg_q15(c[0] * factor);
    c[1] = tg_q15(c[1] * factor);
}

/* out = a * b in Q15 (out may not alias a). */
static inline void tg_cmul_q15(const int16_t *a, const int16_t *b, int16_t *out)
{
    out[0] = tg_q15(a[0] * b[0] - a[1] * b[1]);
    out[1] = tg_q15(a[0] * b[1] + a[1] * b[0]);
}

/*
 * The complex FFT of n points (a power of two >= 2) of z, in place: n (real, imag) int16 pairs
 * already in the decimation's order; stage by stage from the innermost radix (one radix 2 where
 * log2(n) is odd, then radix 4), each butterfly dividing its inputs by its radix. twiddles: int16
 * [n][2] of the forward (inverse = 0) or inverse transform; inverse also turns kissfft's radix-4
 * butterfly by +i where the forward turns by -i.
 */
void tg_complex_fft_q15(int16_t *z, int32_t n, const int16_t *twiddles, int32_t inverse);

#ifdef __cplusplus
}
#endif

#endif /* TG_FFT_Q15_H */
