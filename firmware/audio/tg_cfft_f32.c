/*
 * Radix-2 decimation-in-time complex FFT, in place (the FFT inside
 * frontend.spectrum's rfft). The input is in bit-reversed order (the caller
 * stores it so while windowing), the output in natural order.
 *
 * Stage by stage, butterflies `half` apart: a' = a + w b, b' = a - w b with
 * w = exp(-2 pi i j / (2 half)) = twiddles[j * n / (2 half)].
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"

void tg_cfft_f32(float *z, int32_t n, const float *twiddles)
{
    for (int32_t half = 1; half < n; half *= 2) {
        int32_t stride = n / (2 * half);
        for (int32_t j = 0; j < half; j++) {
            float wr = twiddles[2 * j * stride];
            float wi = twiddles[2 * j * stride + 1];
            for (int32_t a = j; a < n; a += 2 * half) {
                tg_butterfly_f32(&z[2 * a], &z[2 * (a + half)], wr, wi);
            }
        }
    }
}
