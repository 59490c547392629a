/*
 * tg_signal_irfft_f32: TFLite Micro's SignalIrfft on float32 bins (kiss_fftri in float, then
 * every sample divided by fft_length, as TFLite Micro's IrfftFloatApply compensates kissfft's
 * unscaled inverse): the n + 1 bins of each frame folded into the n complex inputs of an inverse
 * complex FFT of n = fft_length / 2 points, whose n (real, imag) outputs are the fft_length
 * samples. Written straight into the output in the decimation's order (no scratch).
 * numpy twin: tinygen.ref.signal_fft.signal_irfft_f32.
 */
#include "tg_kernels.h"
#include "tg_fft_f32.h"

/* The inverse FFT's complex input c (0 <= c < n) from the frame's bins (n + 1 pairs). */
static void tg_fold(const float *bins, int32_t n, int32_t c, const float *super_twiddles, float *out)
{
    float fk[2], fnkc[2], fek[2], diff[2], fok[2];
    int32_t k;

    if (c == 0) {                   /* DC and Nyquist: their sum and difference */
        out[0] = bins[0] + bins[2 * n];
        out[1] = bins[0] - bins[2 * n];
        return;
    }
    k = c < n - c ? c : n - c;      /* the pair (k, n - k) both come from */
    fk[0] = bins[2 * k];
    fk[1] = bins[2 * k + 1];
    fnkc[0] = bins[2 * (n - k)];
    fnkc[1] = -bins[2 * (n - k) + 1];
    fek[0] = fk[0] + fnkc[0];
    fek[1] = fk[1] + fnkc[1];
    diff[0] = fk[0] - fnkc[0];
    diff[1] = fk[1] - fnkc[1];
    tg_cmul_f32(diff, super_twiddles + 2 * (k - 1), fok);
    if (c == k && c != n - c) {
        out[0] = fek[0] + fok[0];
        out[1] = fek[1] + fok[1];
    } else {                        /* n - k, and the middle bin (kissfft's second write) */
        out[0] = fek[0] - fok[0];
        out[1] = -(fek[1] - fok[1]);
    }
}

void tg_signal_irfft_f32(const tg_signal_rfft_params_t *p, const float *input, const float *twiddles,
                         const float *super_twiddles, const uint16_t *order, float *output)
{
    const int32_t n = p->fft_length / 2;
    const float length = (float)p->fft_length;
    int32_t frame, j;

    for (frame = 0; frame < p->frames; ++frame) {
        const float *bins = input + frame * p->input_length;
        float *z = output + frame * 2 * n;
        for (j = 0; j < n; ++j) {
            tg_fold(bins, n, (int32_t)order[j], super_twiddles, z + 2 * j);
        }
        tg_complex_fft_f32(z, n, twiddles, 1);
        for (j = 0; j < 2 * n; ++j) {
            z[j] = z[j] / length;
        }
    }
}
