/*
 * tg_signal_rfft_s32: TFLite Micro's SignalRfft on int32 frames, kissfft's 32-bit fixed point:
 * tg_signal_rfft_s16's steps on int32 values with int64 products in Q31. kissfft adds and
 * subtracts int32 values in int32 (the sums wrap, also before a halving); here the sums are
 * formed in uint32 (no undefined overflow) and converted back, which wraps the same way on
 * GCC's two's complement targets. numpy twin: tinygen.ref.signal.signal_rfft_s32.
 */
#include "tg_kernels.h"

/* a + b and a - b as kissfft's int32 arithmetic wraps them. */
static int32_t tg_add32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t tg_sub32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* A Q31 product rounded to nearest, ties up, kept to 32 bits. */
static int32_t tg_q31(int64_t x)
{
    return (int32_t)((x + ((int64_t)1 << 30)) >> 31);
}

static void tg_cdiv32(int32_t *c, int64_t factor)
{
    c[0] = tg_q31(c[0] * factor);
    c[1] = tg_q31(c[1] * factor);
}

static void tg_cmul32(const int32_t *a, const int32_t *b, int32_t *out)
{
    out[0] = tg_q31((int64_t)a[0] * b[0] - (int64_t)a[1] * b[1]);
    out[1] = tg_q31((int64_t)a[0] * b[1] + (int64_t)a[1] * b[0]);
}

/* One radix-2 butterfly of the stage of blocks of 2 * m points: a, b = a + t, a - t, t = b w. */
static void tg_butterfly2_s32(int32_t *a, int32_t *b, const int32_t *w)
{
    int32_t t[2];
    tg_cdiv32(a, INT32_MAX / 2);
    tg_cdiv32(b, INT32_MAX / 2);
    tg_cmul32(b, w, t);
    b[0] = tg_sub32(a[0], t[0]);
    b[1] = tg_sub32(a[1], t[1]);
    a[0] = tg_add32(a[0], t[0]);
    a[1] = tg_add32(a[1], t[1]);
}

/* One radix-4 butterfly: f0..f3 in place, with the twiddles of k, 2k and 3k. */
static void tg_butterfly4_s32(int32_t *f0, int32_t *f1, int32_t *f2, int32_t *f3, const int32_t *w1,
                              const int32_t *w2, const int32_t *w3)
{
    int32_t s0[2], s1[2], s2[2], s3[2], s4[2], s5[2];
    tg_cdiv32(f0, INT32_MAX / 4);
    tg_cdiv32(f1, INT32_MAX / 4);
    tg_cdiv32(f2, INT32_MAX / 4);
    tg_cdiv32(f3, INT32_MAX / 4);
    tg_cmul32(f1, w1, s0);
    tg_cmul32(f2, w2, s1);
    tg_cmul32(f3, w3, s2);
    s5[0] = tg_sub32(f0[0], s1[0]);
    s5[1] = tg_sub32(f0[1], s1[1]);
    f0[0] = tg_add32(f0[0], s1[0]);
    f0[1] = tg_add32(f0[1], s1[1]);
    s3[0] = tg_add32(s0[0], s2[0]);
    s3[1] = tg_add32(s0[1], s2[1]);
    s4[0] = tg_sub32(s0[0], s2[0]);
    s4[1] = tg_sub32(s0[1], s2[1]);
    f2[0] = tg_sub32(f0[0], s3[0]);
    f2[1] = tg_sub32(f0[1], s3[1]);
    f0[0] = tg_add32(f0[0], s3[0]);
    f0[1] = tg_add32(f0[1], s3[1]);
    f1[0] = tg_add32(s5[0], s4[1]);
    f1[1] = tg_sub32(s5[1], s4[0]);
    f3[0] = tg_sub32(s5[0], s4[1]);
    f3[1] = tg_add32(s5[1], s4[0]);
}

void tg_signal_rfft_s32(const tg_signal_rfft_params_t *p, const int32_t *input, const int32_t *twiddles,
                        const int32_t *super_twiddles, const uint16_t *order, int32_t *output)
{
    const int32_t n = p->fft_length / 2;
    int32_t frame, g, j, k, m, odd = 0;

    for (m = n; m > 1; m >>= 1) {
        odd ^= 1;           /* log2(n) odd: a radix-2 stage first */
    }
    for (frame = 0; frame < p->frames; ++frame) {
        const int32_t *x = input + frame * p->input_length;
        int32_t *z = output + frame * 2 * (n + 1);
        int32_t dc[2];

        for (j = 0; j < n; ++j) {
            const int32_t s = 2 * (int32_t)order[j];
            z[2 * j] = s < p->input_length ? x[s] : 0;
            z[2 * j + 1] = s + 1 < p->input_length ? x[s + 1] : 0;
        }
        m = 1;
        if (odd) {
            for (g = 0; g < n / 2; ++g) {
                tg_butterfly2_s32(z + 4 * g, z + 4 * g + 2, twiddles);
            }
            m = 2;
        }
        for (; m < n; m *= 4) {
            const int32_t fstride = n / (4 * m);
            for (g = 0; g < fstride; ++g) {
                for (k = 0; k < m; ++k) {
                    int32_t *f0 = z + 2 * (g * 4 * m + k);
                    tg_butterfly4_s32(f0, f0 + 2 * m, f0 + 4 * m, f0 + 6 * m, twiddles + 2 * k * fstride,
                                      twiddles + 4 * k * fstride, twiddles + 6 * k * fstride);
                }
            }
        }

        dc[0] = z[0];
        dc[1] = z[1];
        tg_cdiv32(dc, INT32_MAX / 2);
        for (k = 1; k <= n / 2; ++k) {
            int32_t *lo = z + 2 * k, *hi = z + 2 * (n - k);
            int32_t pk[2], pnk[2], f1[2], f2[2], tw[2];
            pk[0] = lo[0];
            pk[1] = lo[1];
            pnk[0] = hi[0];
            pnk[1] = tg_sub32(0, hi[1]);
            tg_cdiv32(pk, INT32_MAX / 2);
            tg_cdiv32(pnk, INT32_MAX / 2);
            f1[0] = tg_add32(pk[0], pnk[0]);
            f1[1] = tg_add32(pk[1], pnk[1]);
            f2[0] = tg_sub32(pk[0], pnk[0]);
            f2[1] = tg_sub32(pk[1], pnk[1]);
            tg_cmul32(f2, super_twiddles + 2 * (k - 1), tw);
            lo[0] = tg_add32(f1[0], tw[0]) >> 1;
            lo[1] = tg_add32(f1[1], tw[1]) >> 1;
            hi[0] = tg_sub32(f1[0], tw[0]) >> 1;        /* the middle bin (lo == hi): this one */
            hi[1] = tg_sub32(tw[1], f1[1]) >> 1;
        }
        z[0] = tg_add32(dc[0], dc[1]);
        z[1] = 0;
        z[2 * n] = tg_sub32(dc[0], dc[1]);
        z[2 * n + 1] = 0;
    }
}
