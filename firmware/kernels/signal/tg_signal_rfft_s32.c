/*
 * tg_signal_rfft_s32: TFLite Micro's SignalRfft on int32 frames, kissfft's 32-bit fixed point:
 * tg_signal_rfft_s16's steps on int32 values with int64 products in Q31, sums wrapping in 32
 * bits (also before a halving) as kissfft's int32 arithmetic wraps them (tg_fft_q31.h).
 * numpy twin: tinygen.ref.signal_fft.signal_rfft_s32.
 */
#include "tg_kernels.h"
#include "tg_fft_q31.h"

void tg_signal_rfft_s32(const tg_signal_rfft_params_t *p, const int32_t *input, const int32_t *twiddles,
                        const int32_t *super_twiddles, const uint16_t *order, int32_t *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, j, k;

    for (frame = 0; frame < p->frames; ++frame) {
        const int32_t *x = input + frame * p->input_length;
        int32_t *z = output + frame * 2 * (n + 1);
        int32_t dc[2];

        /* the (even, odd) sample pairs in the decimation's order, zero past the frame */
        for (j = 0; j < n; ++j) {
            const int32_t s = 2 * (int32_t)order[j];
            z[2 * j] = s < p->input_length ? x[s] : 0;
            z[2 * j + 1] = s + 1 < p->input_length ? x[s + 1] : 0;
        }
        tg_complex_fft_q31(z, n, twiddles, 0);

        /* the real FFT's bins from the complex FFT of the pairs */
        dc[0] = z[0];
        dc[1] = z[1];
        tg_cdiv_q31(dc, INT32_MAX / 2);
        for (k = 1; k <= n / 2; ++k) {
            int32_t *lo = z + 2 * k, *hi = z + 2 * (n - k);
            int32_t pk[2], pnk[2], f1[2], f2[2], tw[2];
            pk[0] = lo[0];
            pk[1] = lo[1];
            pnk[0] = hi[0];
            pnk[1] = tg_sub_q31(0, hi[1]);
            tg_cdiv_q31(pk, INT32_MAX / 2);
            tg_cdiv_q31(pnk, INT32_MAX / 2);
            f1[0] = tg_add_q31(pk[0], pnk[0]);
            f1[1] = tg_add_q31(pk[1], pnk[1]);
            f2[0] = tg_sub_q31(pk[0], pnk[0]);
            f2[1] = tg_sub_q31(pk[1], pnk[1]);
            tg_cmul_q31(f2, super_twiddles + 2 * (k - 1), tw);
            lo[0] = tg_add_q31(f1[0], tw[0]) >> 1;
            lo[1] = tg_add_q31(f1[1], tw[1]) >> 1;
            hi[0] = tg_sub_q31(f1[0], tw[0]) >> 1;      /* the middle bin (lo == hi): this one */
            hi[1] = tg_sub_q31(tw[1], f1[1]) >> 1;
        }
        z[0] = tg_add_q31(dc[0], dc[1]);
        z[1] = 0;
        z[2 * n] = tg_sub_q31(dc[0], dc[1]);
        z[2 * n + 1] = 0;
    }
}
