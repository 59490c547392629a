/*
 * tg_complex_fft_q31: kissfft's complex FFT in 32-bit fixed point (kf_bfly2 / kf_bfly4 stages),
 * forward or inverse, in place. The complex FFT inside tg_signal_rfft_s32 and tg_signal_irfft_s32.
 * numpy twin: tinygen.ref.signal_fft.complex_fft.
 */
#include "tg_fft_q31.h"

/* The radix-2 stage of blocks of 2 * m points (fstride = n / (2 * m) blocks). */
static void tg_radix2(int32_t *z, int32_t n, int32_t m, const int32_t *twiddles)
{
    const int32_t fstride = n / (2 * m);
    int32_t g, k;

    for (g = 0; g < fstride; ++g) {
        for (k = 0; k < m; ++k) {
            int32_t *a = z + 2 * (g * 2 * m + k);
            int32_t *b = a + 2 * m;
            int32_t t[2];
            tg_cdiv_q31(a, INT32_MAX / 2);
            tg_cdiv_q31(b, INT32_MAX / 2);
            tg_cmul_q31(b, twiddles + 2 * k * fstride, t);
            b[0] = tg_sub_q31(a[0], t[0]);
            b[1] = tg_sub_q31(a[1], t[1]);
            a[0] = tg_add_q31(a[0], t[0]);
            a[1] = tg_add_q31(a[1], t[1]);
        }
    }
}

/* The radix-4 stage of blocks of 4 * m points; turn: -1 forward (f1 = s5 - i s4), +1 inverse. */
static void tg_radix4(int32_t *z, int32_t n, int32_t m, const int32_t *twiddles, int32_t turn)
{
    const int32_t fstride = n / (4 * m);
    int32_t g, k;

    for (g = 0; g < fstride; ++g) {
        for (k = 0; k < m; ++k) {
            int32_t *f0 = z + 2 * (g * 4 * m + k);
            int32_t *f1 = f0 + 2 * m, *f2 = f1 + 2 * m, *f3 = f2 + 2 * m;
            int32_t s0[2], s1[2], s2[2], s3[2], s4[2], s5[2];
            int32_t *minus_i, *plus_i;
            tg_cdiv_q31(f0, INT32_MAX / 4);
            tg_cdiv_q31(f1, INT32_MAX / 4);
            tg_cdiv_q31(f2, INT32_MAX / 4);
            tg_cdiv_q31(f3, INT32_MAX / 4);
            tg_cmul_q31(f1, twiddles + 2 * k * fstride, s0);
            tg_cmul_q31(f2, twiddles + 4 * k * fstride, s1);
            tg_cmul_q31(f3, twiddles + 6 * k * fstride, s2);
            s5[0] = tg_sub_q31(f0[0], s1[0]);
            s5[1] = tg_sub_q31(f0[1], s1[1]);
            f0[0] = tg_add_q31(f0[0], s1[0]);
            f0[1] = tg_add_q31(f0[1], s1[1]);
            s3[0] = tg_add_q31(s0[0], s2[0]);
            s3[1] = tg_add_q31(s0[1], s2[1]);
            s4[0] = tg_sub_q31(s0[0], s2[0]);
            s4[1] = tg_sub_q31(s0[1], s2[1]);
            f2[0] = tg_sub_q31(f0[0], s3[0]);
            f2[1] = tg_sub_q31(f0[1], s3[1]);
            f0[0] = tg_add_q31(f0[0], s3[0]);
            f0[1] = tg_add_q31(f0[1], s3[1]);
            minus_i = turn < 0 ? f1 : f3;   /* s5 - i s4 */
            plus_i = turn < 0 ? f3 : f1;    /* s5 + i s4 */
            minus_i[0] = tg_add_q31(s5[0], s4[1]);
            minus_i[1] = tg_sub_q31(s5[1], s4[0]);
            plus_i[0] = tg_sub_q31(s5[0], s4[1]);
            plus_i[1] = tg_add_q31(s5[1], s4[0]);
        }
    }
}

void tg_complex_fft_q31(int32_t *z, int32_t n, const int32_t *twiddles, int32_t inverse)
{
    int32_t m, odd = 0;

    for (m = n; m > 1; m >>= 1) {
        odd ^= 1;           /* log2(n) odd: a radix-2 stage */
    }
    m = 1;
    if (odd) {
        tg_radix2(z, n, 1, twiddles);
        m = 2;
    }
    for (; m < n; m *= 4) {
        tg_radix4(z, n, m, twiddles, inverse ? 1 : -1);
    }
}
