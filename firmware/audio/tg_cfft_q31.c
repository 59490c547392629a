/*
 * tg_cfft_f32 in integers: radix-2 decimation-in-time, in place, bit-reversed
 * input. b * w is rounded to nearest from the exact 64-bit products; the
 * j = 0 butterflies (w = 1) add and subtract without a product.
 *
 * No overflow when the input's sum of |values| is below 2^30: every value of
 * every stage is a partial DFT of the input, bounded by that sum.
 */
#include "tg_audio.h"

#define TG_Q31_HALF (1LL << 30)

void tg_cfft_q31(int32_t *z, int32_t n, const int32_t *twiddles)
{
    for (int32_t half = 1; half < n; half *= 2) {
        int32_t stride = n / (2 * half);
        for (int32_t a = 0; a < n; a += 2 * half) {   /* j = 0: w = 1 */
            int32_t *pa = &z[2 * a];
            int32_t *pb = &z[2 * (a + half)];
            int32_t ar = pa[0];
            int32_t ai = pa[1];
            pa[0] = ar + pb[0];
            pa[1] = ai + pb[1];
            pb[0] = ar - pb[0];
            pb[1] = ai - pb[1];
        }
        for (int32_t j = 1; j < half; j++) {
            int32_t wr = twiddles[2 * j * stride];
            int32_t wi = twiddles[2 * j * stride + 1];
            for (int32_t a = j; a < n; a += 2 * half) {
                int32_t *pa = &z[2 * a];
                int32_t *pb = &z[2 * (a + half)];
                int32_t tr = (int32_t)(((int64_t)pb[0] * wr - (int64_t)pb[1] * wi + TG_Q31_HALF) >> 31);
                int32_t ti = (int32_t)(((int64_t)pb[0] * wi + (int64_t)pb[1] * wr + TG_Q31_HALF) >> 31);
                int32_t ar = pa[0];
                int32_t ai = pa[1];
                pa[0] = ar + tr;
                pa[1] = ai + ti;
                pb[0] = ar - tr;
                pb[1] = ai - ti;
            }
        }
    }
}
