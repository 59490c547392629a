/*
 * tg_signal_irfft_s16: TFLite Micro's SignalIrfft on int16 bins, the arithmetic of kissfft's
 * 16-bit fixed point (kiss_fftri): the n + 1 bins of each frame folded into the n complex inputs
 * of an inverse complex FFT of n = fft_length / 2 points (each bin halved in Q15 first), whose
 * n (real, imag) outputs are the fft_length samples. Written straight into the output in the
 * decimation's order (no scratch). numpy twin: tinygen.ref.signal_fft.signal_irfft_s16.
 */
#include "tg_kernels.h"
#include "tg_fft_q15.h"

/* The inverse FFT's complex input c (0 <= c < n) from the frame's bins (n + 1 pairs). */
static void tg_fold(const int16_t *bins, int32_t n, int32_t c, const int16_t *super_twiddles, int16_t *out)
{
    int16_t fk[2], fnkc[2], fek[2], diff[2], fok[2];
    int32_t k;

    if (c == 0) {                   /* DC and Nyquist: their sum and difference, halved */
        out[0] = (int16_t)(bins[0] + bins[2 * n]);
        out[1] = (int16_t)(bins[0] - bins[2 * n]);
        tg_cdiv_q15(out, 32767 / 2);
        return;
    }
    k = c < n - c ? c : n - c;      /* the pair (k, n - k) both come from */
    fk[0] = bins[2 * k];
    fk[1] = bins[2 * k + 1];
    fnkc[0] = bins[2 * (n - k)];
    fnkc[1] = (int16_t)-bins[2 * (n - k) + 1];
    tg_cdiv_q15(fk, 32767 / 2);
    tg_cdiv_q15(fnkc, 32767 / 2);
    fek[0] = (int16_t)(fk[0] + fnkc[0]);
    fek[1] = (int16_t)(fk[1] + fnkc[1]);
    diff[0] = (int16_t)(fk[0] - fnkc[0]);
    diff[1] = (int16_t)(fk[1] - fnkc[1]);
    tg_cmul_q15(diff, super_twiddles + 2 * (k - 1), fok);
    if (c == k && c != n - c) {
        out[0] = (int16_t)(fek[0] + fok[0]);
        out[1] = (int16_t)(fek[1] + fok[1]);
    } else {                        /* n - k, and the middle bin (kissfft's second write) */
        out[0] = (int16_t)(fek[0] - fok[0]);
        out[1] = (int16_t)-(int16_t)(fek[1] - fok[1]);
    }
}

void tg_signal_irfft_s16(const tg_signal_rfft_params_t *p, const int16_t *input, const int16_t *twiddles,
                         const int16_t *super_twiddles, const uint16_t *order, int16_t *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, j;

    for (frame = 0; frame < p->frames; ++frame) {
        const int16_t *bins = input + frame * p->input_length;
        int16_t *z = output + frame * 2 * n;
        for (j = 0; j < n; ++j) {
            tg_fold(bins, n, (int32_t)order[j], super_twiddles, z + 2 * j);
        }
        tg_complex_fft_q15(z, n, twiddles, 1);
    }
}
