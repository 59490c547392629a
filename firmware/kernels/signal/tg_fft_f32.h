/*
 * tg_fft_f32.h: kissfft's float arithmetic, which TFLite Micro's float32 SignalRfft and
 * SignalIrfft are built from: every product and sum one float rounding, in kissfft's order (the
 * build is -ffp-contract=off: no fused multiply-add), no division of a butterfly's inputs, and the
 * complex FFT of n points (tg_complex_fft_f32.c). Used by tg_signal_rfft_f32 and
 * tg_signal_irfft_f32. numpy twin: tinygen.ref.signal_fft (_Float, complex_fft).
 */
#ifndef TG_FFT_F32_H
#define TG_FFT_F32_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out = a * b (kissfft's C_MUL; out may not alias a). */
static inline void tg_cmul_f32(const float *a, const float *b, float *out)
{
    out[0] = a[0] * b[0] - a[1] * b[1];
    out[1] = a[0] * b[1] + a[1] * b[0];
}

/*
 * The complex FFT of n points (a power of two >= 2) of z, in place: n (real, imag) float pairs
 * already in the decimation's order; stage by stage from the innermost radix (one radix 2 where
 * log2(n) is odd, then radix 4). twiddles: float [n][2] of the forward (inverse = 0) or inverse
 * transform; inverse also turns kissfft's radix-4 butterfly by +i where the forward turns by -i.
 * Unscaled, as kissfft's float FFT.
 */
void tg_complex_fft_f32(float *z, int32_t n, const float *twiddles, int32_t inverse);

#ifdef __cplusplus
}
#endif

#endif /* TG_FFT_F32_H */
