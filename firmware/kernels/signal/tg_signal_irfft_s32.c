/*
 * tg_signal_irfft_s32: TFLite Micro's SignalIrfft on int32 bins, kissfft's 32-bit fixed point
 * (kiss_fftri): tg_signal_irfft_s16's steps on int32 values with int64 products in Q31, sums
 * wrapping in 32 bits (tg_fft_q31.h). numpy twin: tinygen.ref.signal_fft.signal_irfft_s32.
 */
#include "tg_kernels.h"
#include "tg_fft_q31.h"

/* The inverse FFT's complex input c (0 <= c < n) from the frame's bins (n + 1 pairs). */
static void tg_fold(const int32_t *bins, int32_t n, int32_t c, const int32_t *super_twiddles, int32_t *out)
{
    int32_t fk[2], fnkc[2], fek[2], diff[2], fok[2];
    int32_t k;

    if (c == 0) {                   /* DC and Nyquist: their sum and difference, halved */
        out[0] = tg_add_q31(bins[0], bins[2 * n]);
        out[1] = tg_sub_q31(bins[0], bins[2 * n]);
        tg_cdiv_q31(out, INT32_MAX / 2);
        return;
    }
    k = c < n - c ? c : n - c;      /* the pair (k, n - k) both come from */
    fk[0] = bins[2 * k];
    fk[1] = bins[2 * k + 1];
    fnkc[0] = bins[2 * (n - k)];
    fnkc[1] = tg_sub_q31(0, bins[2 * (n - k) + 1]);
    tg_cdiv_q31(fk, INT32_MAX / 2);
    tg_cdiv_q31(fnkc, INT32_MAX / 2);
    fek[0] = tg_add_q31(fk[0], fnkc[0]);
    fek[1] = tg_add_q31(fk[1], fnkc[1]);
    diff[0] = tg_sub_q31(fk[0], fnkc[0]);
    diff[1] = tg_sub_q31(fk[1], fnkc[1]);
    tg_cmul_q31(diff, super_twiddles + 2 * (k - 1), fok);
    if (c == k && c != n - c) {
        out[0] = tg_add_q31(fek[0], fok[0]);
        out[1] = tg_add_q31(fek[1], fok[1]);
    } else {                        /* n - k, and the middle bin (kissfft's second write) */
        out[0] = tg_sub_q31(fek[0], fok[0]);
        out[1] = tg_sub_q31(0, tg_sub_q31(fek[1], fok[1]));
    }
}

void tg_signal_irfft_s32(const tg_signal_rfft_params_t *p, const int32_t *input, const int32_t *twiddles,
                         const int32_t *super_twiddles, const uint16_t *order, int32_t *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, j;

    for (frame = 0; frame < p->frames; ++frame) {
        const int32_t *bins = input + frame * p->input_length;
        int32_t *z = output + frame * 2 * n;
        for (j = 0; j < n; ++j) {
            tg_fold(bins, n, (int32_t)order[j], super_twiddles, z + 2 * j);
        }
        tg_complex_fft_q31(z, n, twiddles, 1);
    }
}
