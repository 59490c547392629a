/*
 * tg_complex_fft_f32: kissfft's complex FFT in float (kf_bfly2 / kf_bfly4 stages), forward or
 * inverse, in place, each step in kissfft's order. The complex FFT inside tg_signal_rfft_f32 and
 * tg_signal_irfft_f32. numpy twin: tinygen.ref.signal_fft.complex_fft (bits None).
 */
#include "tg_fft_f32.h"

/* The radix-2 stage of blocks of 2 * m points (fstride = n / (2 * m) blocks). */
static void tg_radix2(float *z, int32_t n, int32_t m, const float *twiddles)
{
    const int32_t fstride = n / (2 * m);
    int32_t g, k;

    for (g = 0; g < fstride; ++g) {
        for (k = 0; k < m; ++k) {
            float *a = z + 2 * (g * 2 * m + k);
            float *b = a + 2 * m;
            float t[2];
            tg_cmul_f32(b, twiddles + 2 * k * fstride, t);
            b[0] = a[0] - t[0];
            b[1] = a[1] - t[1];
            a[0] = a[0] + t[0];
            a[1] = a[1] + t[1];
        }
    }
}

/* The radix-4 stage of blocks of 4 * m points; turn: -1 forward (f1 = s5 - i s4), +1 inverse. */
static void tg_radix4(float *z, int32_t n, int32_t m, const float *twiddles, int32_t turn)
{
    const int32_t fstride = n / (4 * m);
    int32_t g, k;

    for (g = 0; g < fstride; ++g) {
        for (k = 0; k < m; ++k) {
            float *f0 = z + 2 * (g * 4 * m + k);
            float *f1 = f0 + 2 * m, *f2 = f1 + 2 * m, *f3 = f2 + 2 * m;
            float s0[2], s1[2], s2[2], s3[2], s4[2], s5[2];
            float *minus_i, *plus_i;
            tg_cmul_f32(f1, twiddles + 2 * k * fstride, s0);
            tg_cmul_f32(f2, twiddles + 4 * k * fstride, s1);
            tg_cmul_f32(f3, twiddles + 6 * k * fstride, s2);
            s5[0] = f0[0] - s1[0];
            s5[1] = f0[1] - s1[1];
            f0[0] = f0[0] + s1[0];
            f0[1] = f0[1] + s1[1];
            s3[0] = s0[0] + s2[0];
            s3[1] = s0[1] + s2[1];
            s4[0] = s0[0] - s2[0];
            s4[1] = s0[1] - s2[1];
            f2[0] = f0[0] - s3[0];
            f2[1] = f0[1] - s3[1];
            f0[0] = f0[0] + s3[0];
            f0[1] = f0[1] + s3[1];
            minus_i = turn < 0 ? f1 : f3;   /* s5 - i s4 */
            plus_i = turn < 0 ? f3 : f1;    /* s5 + i s4 */
            minus_i[0] = s5[0] + s4[1];
            minus_i[1] = s5[1] - s4[0];
            plus_i[0] = s5[0] - s4[1];
            plus_i[1] = s5[1] + s4[0];
        }
    }
}

void tg_complex_fft_f32(float *z, int32_t n, const float *twiddles, int32_t inverse)
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
