/*
 * Radix-2 decimation-in-time complex FFT, in place (the FFT inside
 * frontend.spectrum's rfft). The input is in bit-reversed order (the caller
 * stores it so while windowing), the output in natural order.
 *
 * Stage by stage, butterflies `half` apart: a' = a + w b, b' = a - w b with
 * w = exp(-2 pi i j / (2 half)) = twiddles[j * n / (2 half)].
 *
 * Two stages at a time (half, then 2 half): the four points a, a + half,
 * a + 2 half, a + 3 half are loaded once, take their two butterflies of the
 * first stage and their two of the second, and are stored once. Each
 * butterfly is the same float operations on the same values as stage by
 * stage (a butterfly reads only its two points, which the earlier stage
 * wrote), so the output is the same bits; half the loads and stores. With
 * an odd number of stages the last one runs alone.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"

void tg_cfft_f32(float *z, int32_t n, const float *twiddles)
{
    int32_t half = 1;
    for (; 4 * half <= n; half *= 4) {
        const int32_t stride = n / (2 * half);      /* the first stage's twiddle step; the second's is stride / 2 */
        for (int32_t j = 0; j < half; j++) {
            const float w1r = twiddles[2 * j * stride], w1i = twiddles[2 * j * stride + 1];
            const float w2r = twiddles[j * stride], w2i = twiddles[j * stride + 1];
            const float w3r = twiddles[(j + half) * stride], w3i = twiddles[(j + half) * stride + 1];
            for (int32_t a = j; a < n; a += 4 * half) {
                float *p0 = &z[2 * a], *p1 = &z[2 * (a + half)], *p2 = &z[2 * (a + 2 * half)];
                float *p3 = &z[2 * (a + 3 * half)];
                float r0 = p0[0], i0 = p0[1], r1 = p1[0], i1 = p1[1];
                float r2 = p2[0], i2 = p2[1], r3 = p3[0], i3 = p3[1];
                tg_butterfly_pts_f32(&r0, &i0, &r1, &i1, w1r, w1i);
                tg_butterfly_pts_f32(&r2, &i2, &r3, &i3, w1r, w1i);
                tg_butterfly_pts_f32(&r0, &i0, &r2, &i2, w2r, w2i);
                tg_butterfly_pts_f32(&r1, &i1, &r3, &i3, w3r, w3i);
                p0[0] = r0, p0[1] = i0, p1[0] = r1, p1[1] = i1;
                p2[0] = r2, p2[1] = i2, p3[0] = r3, p3[1] = i3;
            }
        }
    }
    if (half < n) {
        for (int32_t j = 0; j < half; j++) {
            const float wr = twiddles[2 * j], wi = twiddles[2 * j + 1];     /* stride n / (2 half) = 1 */
            tg_butterfly_f32(&z[2 * j], &z[2 * (j + half)], wr, wi);
        }
    }
}
