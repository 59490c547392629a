/*
 * tg_signal_rfft_s16: TFLite Micro's SignalRfft on int16 frames, the arithmetic of kissfft's
 * 16-bit fixed point (which TFLite Micro builds it from): a complex FFT of n = fft_length / 2
 * points over (even, odd) sample pairs, stage by stage from the innermost radix (one radix 2
 * where log2(n) is odd, then radix 4), each butterfly dividing its inputs by its radix in Q15;
 * then the split of the n complex bins into the n + 1 bins of the real FFT. Computed in place
 * in the output, which holds n + 1 pairs. numpy twin: tinygen.ref.signal.signal_rfft_s16.
 */
#include "tg_kernels.h"

/* A Q15 product rounded to nearest, ties up, kept to 16 bits. */
static int16_t tg_q15(int32_t x)
{
    return (int16_t)((x + (1 << 14)) >> 15);
}

/* c * (32767 / radix) in Q15: a butterfly's input divided by its radix. */
static void tg_cdiv(int16_t *c, int32_t factor)
{
    c[0] = tg_q15(c[0] * factor);
    c[1] = tg_q15(c[1] * factor);
}

/* out = a * b in Q15 (out may not alias a). */
static void tg_cmul(const int16_t *a, const int16_t *b, int16_t *out)
{
    out[0] = tg_q15(a[0] * b[0] - a[1] * b[1]);
    out[1] = tg_q15(a[0] * b[1] + a[1] * b[0]);
}

/* The radix-2 stage of blocks of 2 * m points (fstride = n / (2 * m) blocks). */
static void tg_radix2(int16_t *z, int32_t n, int32_t m, const int16_t *twiddles)
{
    const int32_t fstride = n / (2 * m);
    int32_t g, k;

    for (g = 0; g < fstride; ++g) {
        for (k = 0; k < m; ++k) {
            int16_t *a = z + 2 * (g * 2 * m + k);
            int16_t *b = a + 2 * m;
            int16_t t[2];
            tg_cdiv(a, 32767 / 2);
            tg_cdiv(b, 32767 / 2);
            tg_cmul(b, twiddles + 2 * k * fstride, t);
            b[0] = (int16_t)(a[0] - t[0]);
            b[1] = (int16_t)(a[1] - t[1]);
            a[0] = (int16_t)(a[0] + t[0]);
            a[1] = (int16_t)(a[1] + t[1]);
        }
    }
}

/* The radix-4 stage of blocks of 4 * m points. */
static void tg_radix4(int16_t *z, int32_t n, int32_t m, const int16_t *twiddles)
{
    const int32_t fstride = n / (4 * m);
    int32_t g, k;

    for (g = 0; g < fstride; ++g) {
        for (k = 0; k < m; ++k) {
            int16_t *f0 = z + 2 * (g * 4 * m + k);
            int16_t *f1 = f0 + 2 * m, *f2 = f1 + 2 * m, *f3 = f2 + 2 * m;
            int16_t s0[2], s1[2], s2[2], s3[2], s4[2], s5[2];
            tg_cdiv(f0, 32767 / 4);
            tg_cdiv(f1, 32767 / 4);
            tg_cdiv(f2, 32767 / 4);
            tg_cdiv(f3, 32767 / 4);
            tg_cmul(f1, twiddles + 2 * k * fstride, s0);
            tg_cmul(f2, twiddles + 4 * k * fstride, s1);
            tg_cmul(f3, twiddles + 6 * k * fstride, s2);
            s5[0] = (int16_t)(f0[0] - s1[0]);
            s5[1] = (int16_t)(f0[1] - s1[1]);
            f0[0] = (int16_t)(f0[0] + s1[0]);
            f0[1] = (int16_t)(f0[1] + s1[1]);
            s3[0] = (int16_t)(s0[0] + s2[0]);
            s3[1] = (int16_t)(s0[1] + s2[1]);
            s4[0] = (int16_t)(s0[0] - s2[0]);
            s4[1] = (int16_t)(s0[1] - s2[1]);
            f2[0] = (int16_t)(f0[0] - s3[0]);
            f2[1] = (int16_t)(f0[1] - s3[1]);
            f0[0] = (int16_t)(f0[0] + s3[0]);
            f0[1] = (int16_t)(f0[1] + s3[1]);
            f1[0] = (int16_t)(s5[0] + s4[1]);
            f1[1] = (int16_t)(s5[1] - s4[0]);
            f3[0] = (int16_t)(s5[0] - s4[1]);
            f3[1] = (int16_t)(s5[1] + s4[0]);
        }
    }
}

void tg_signal_rfft_s16(const tg_signal_rfft_params_t *p, const int16_t *input, const int16_t *twiddles,
                        const int16_t *super_twiddles, const uint16_t *order, int16_t *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, j, k, m, odd = 0;

    for (m = n; m > 1; m >>= 1) {
        odd ^= 1;           /* log2(n) odd: a radix-2 stage */
    }
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
        m = 1;
        if (odd) {
            tg_radix2(z, n, 1, twiddles);
            m = 2;
        }
        for (; m < n; m *= 4) {
            tg_radix4(z, n, m, twiddles);
        }

        /* the real FFT's bins from the complex FFT of the pairs */
        dc[0] = z[0];
        dc[1] = z[1];
        tg_cdiv(dc, 32767 / 2);
        for (k = 1; k <= n / 2; ++k) {
            int16_t *lo = z + 2 * k, *hi = z + 2 * (n - k);
            int16_t pk[2], pnk[2], f1[2], f2[2], tw[2];
            pk[0] = lo[0];
            pk[1] = lo[1];
            pnk[0] = hi[0];
            pnk[1] = (int16_t)-hi[1];
            tg_cdiv(pk, 32767 / 2);
            tg_cdiv(pnk, 32767 / 2);
            f1[0] = (int16_t)(pk[0] + pnk[0]);
            f1[1] = (int16_t)(pk[1] + pnk[1]);
            f2[0] = (int16_t)(pk[0] - pnk[0]);
            f2[1] = (int16_t)(pk[1] - pnk[1]);
            tg_cmul(f2, super_twiddles + 2 * (k - 1), tw);
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
