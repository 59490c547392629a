/*
 * tg_signal_rfft_f32: TFLite Micro's SignalRfft on float32 frames, kissfft's float arithmetic
 * (kiss_fftr): the complex FFT of n = fft_length / 2 points over (even, odd) sample pairs
 * (tg_complex_fft_f32), then the split into the n + 1 bins of the real FFT, each step in
 * kissfft's order of float operations (HALF_OF: times 0.5, exact). Computed in place in the
 * output, which holds n + 1 pairs. numpy twin: tinygen.ref.signal_fft.signal_rfft_f32.
 */
#include "tg_kernels.h"
#include "tg_fft_f32.h"

void tg_signal_rfft_f32(const tg_signal_rfft_params_t *p, const float *input, const float *twiddles,
                        const float *super_twiddles, const uint16_t *order, float *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, j, k;

    for (frame = 0; frame < p->frames; ++frame) {
        const float *x = input + frame * p->input_length;
        float *z = output + frame * 2 * (n + 1);
        float dc[2];

        /* the (even, odd) sample pairs in the decimation's order, zero past the frame */
        for (j = 0; j < n; ++j) {
            const int32_t s = 2 * (int32_t)order[j];
            z[2 * j] = s < p->input_length ? x[s] : 0.0f;
            z[2 * j + 1] = s + 1 < p->input_length ? x[s + 1] : 0.0f;
        }
        tg_complex_fft_f32(z, n, twiddles, 0);

        /* the real FFT's bins from the complex FFT of the pairs */
        dc[0] = z[0];
        dc[1] = z[1];
        for (k = 1; k <= n / 2; ++k) {
            float *lo = z + 2 * k, *hi = z + 2 * (n - k);
            float pk[2], pnk[2], f1[2], f2[2], tw[2];
            pk[0] = lo[0];
            pk[1] = lo[1];
            pnk[0] = hi[0];
            pnk[1] = -hi[1];
            f1[0] = pk[0] + pnk[0];
            f1[1] = pk[1] + pnk[1];
            f2[0] = pk[0] - pnk[0];
            f2[1] = pk[1] - pnk[1];
            tg_cmul_f32(f2, super_twiddles + 2 * (k - 1), tw);
            lo[0] = (f1[0] + tw[0]) * 0.5f;
            lo[1] = (f1[1] + tw[1]) * 0.5f;
            hi[0] = (f1[0] - tw[0]) * 0.5f;             /* the middle bin (lo == hi): this one */
            hi[1] = (tw[1] - f1[1]) * 0.5f;
        }
        z[0] = dc[0] + dc[1];
        z[1] = 0.0f;
        z[2 * n] = dc[0] - dc[1];
        z[2 * n + 1] = 0.0f;
    }
}
