/*
 * tg_signal_rfft_s16: TFLite Micro's SignalRfft on int16 frames, the arithmetic of kissfft's
 * 16-bit fixed point (which TFLite Micro builds it from): a complex FFT of n = fft_length / 2
 * points over (even, odd) sample pairs, stage by stage from the innermost radix (one radix 2
 * where log2(n) is odd, then radix 4), each butterfly dividing its inputs by its radix in Q15;
 * then the split of the n complex bins into the n + 1 bins of the real FFT. Computed in place
 * in the output, which holds n + 1 pairs. numpy twin: tinygen.ref.signal_fft.signal_rfft_s16.
 */
#include "tg_kernels.h"
#include "tg_fft_q15.h"

void tg_signal_rfft_s16(const tg_signal_rfft_params_t *p, const int16_t *input, const int16_t *twiddles,
                        const int16_t *super_twiddles, const uint16_t *order, int16_t *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, j, k;

    for (frame = 0; frame < p->frames; ++frame) {
        const int16_t *x = input + frame * p->input_length;
        int16_t *z = output + frame * 2 * (n + 1);
        int16_t dc[2];

        /* the (even, odd) sample pairs in the decimation's order, zero past the frame */
        for (j = 0; j < n; ++j) {
            const int32_t s = 2 * (int32_t)order[j];
            z[2 * j] = s < p->input_length ? x[s] : 0;
            z[2 * j + 1] = s + 1 < p->input_length ? x[s + 1] : 0;
        }
        tg_complex_fft_q15(z, n, twiddles, 0);

        /* the real FFT's bins from the complex FFT of the pairs */
        dc[0] = z[0];
        dc[1] = z[1];
        tg_cdiv_q15(dc, 32767 / 2);
        for (k = 1; k <= n / 2; ++k) {
            int16_t *lo = z + 2 * k, *hi = z + 2 * (n - k);
            int16_t pk[2], pnk[2], f1[2], f2[2], tw[2];
            pk[0] = lo[0];
            pk[1] = lo[1];
            pnk[0] = hi[0];
            pnk[1] = (int16_t)-hi[1];
            tg_cdiv_q15(pk, 32767 / 2);
            tg_cdiv_q15(pnk, 32767 / 2);
            f1[0] = (int16_t)(pk[0] + pnk[0]);
            f1[1] = (int16_t)(pk[1] + pnk[1]);
            f2[0] = (int16_t)(pk[0] - pnk[0]);
            f2[1] = (int16_t)(pk[1] - pnk[1]);
            tg_cmul_q15(f2, super_twiddles + 2 * (k - 1), tw);
            lo[0] = (int16_t)((f1[0] + tw[0]) >> 1);
            lo[1] = (int16_t)((f1[1] + tw[1]) >> 1);
            hi[0] = (int16_t)((f1[0] - tw[0]) >> 1);        /* the middle bin (lo == hi): this one */
            hi[1] = (int16_t)((tw[1] - f1[1]) >> 1);
        }
        z[0] = (int16_t)(dc[0] + dc[1]);
        z[1] = 0;
        z[2 * n] = (int16_t)(dc[0] - dc[1]);
        z[2 * n + 1] = 0;
    }
}
