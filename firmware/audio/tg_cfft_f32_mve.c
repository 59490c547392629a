/*
 * tg_cfft_f32.c for the Cortex-M55's Helium (MVE): the same radix-2 FFT, the
 * same results bit for bit, four butterflies per vector instead of one.
 *
 * A lane is one butterfly and computes the scalar formula exactly: tr = br wr
 * - bi wi, ti = br wi + bi wr as VMUL, VMUL, VSUB / VADD (the scalar build
 * does not fuse them), then a' = a + t, b' = a - t. Butterflies of a stage
 * are independent, so which ones share a vector changes no result:
 *
 * - half >= 4: lanes j..j+3 of one group, a run of 4 consecutive points;
 *   VLD2 / VST2 (de)interleave the (re, im) pairs, the group's twiddles are
 *   loaded once per j (a gather of every stride-th pair; VLD2 at stride 1)
 *   and serve every group;
 * - half = 1: 4 groups of one butterfly each (16 consecutive floats, VLD4 /
 *   VST4 give ar, ai, br, bi directly);
 * - half = 2: 2 groups of 2 butterflies, gathered and scattered by fixed
 *   offsets.
 *
 * Each vector of butterflies is checked for a flush to zero before it is
 * stored (tg_audio_mve.h) and recomputed with the scalar formula where one
 * happened.
 *
 * Cost and floor. Per 4 butterflies: 4 loads of 8 floats (VLD2 is two
 * instructions a pair of vectors; the gathers and VLD4 one a vector), 6
 * products and sums for t, 4 sums, 4 stores, the guard (VMRS, a test and a
 * branch) and the loop: about 24 instructions, 6 a butterfly against the
 * scalar code's 27 (8 loads and stores, 10 float operations, the index
 * arithmetic). The floor of this arithmetic on Helium is the 10 float
 * operations and 8 memory operations per 4 butterflies (18, 4.5 a butterfly):
 * without fused multiply-adds (they would change the results) and with
 * 4-lane single-precision vectors nothing is left to merge. A radix-4
 * formulation would save memory operations, not arithmetic, and would round
 * differently: not the scalar path's results.
 */
#include "tg_audio.h"
#include "tg_audio_f32_scalar.h"
#include "tg_audio_mve.h"

#define TG_LANES 4

/* Butterfly j of the group at point g, `half` apart, in scalar. */
static void tg_butterfly_at(float *z, int32_t g, int32_t j, int32_t half, int32_t stride, const float *twiddles)
{
    const float *w = &twiddles[2 * j * stride];
    tg_butterfly_f32(&z[2 * (g + j)], &z[2 * (g + j + half)], w[0], w[1]);
}

/* Four butterflies at once: a' = a + w b, b' = a - w b, lane by lane as the scalar formula. */
static inline __attribute__((always_inline)) void tg_butterfly4(float32x4_t *ar, float32x4_t *ai, float32x4_t *br,
                                                                float32x4_t *bi, float32x4_t wr, float32x4_t wi)
{
    float32x4_t tr = vsubq_f32(vmulq_f32(*br, wr), vmulq_f32(*bi, wi));
    float32x4_t ti = vaddq_f32(vmulq_f32(*br, wi), vmulq_f32(*bi, wr));
    float32x4_t a_r = *ar;
    float32x4_t a_i = *ai;
    *ar = vaddq_f32(a_r, tr);
    *ai = vaddq_f32(a_i, ti);
    *br = vsubq_f32(a_r, tr);
    *bi = vsubq_f32(a_i, ti);
}

/* half = 1: butterflies (2g, 2g + 1), g = 4 at a time; every twiddle is twiddles[0]. */
static void tg_stage_1(float *z, int32_t n, const float *twiddles)
{
    float32x4_t wr = vdupq_n_f32(twiddles[0]);
    float32x4_t wi = vdupq_n_f32(twiddles[1]);
    for (int32_t g = 0; g < n; g += 2 * TG_LANES) {
        float32x4x4_t v = vld4q_f32(&z[2 * g]);
        tg_butterfly4(&v.val[0], &v.val[1], &v.val[2], &v.val[3], wr, wi);
        if (tg_mve_flushed4(v.val[0], v.val[1], v.val[2], v.val[3])) {
            for (int32_t i = 0; i < 2 * TG_LANES; i += 2) {
                tg_butterfly_at(z, g + i, 0, 1, 0, twiddles);
            }
            tg_mve_clear_flush();
        } else {
            vst4q_f32(&z[2 * g], v);
        }
    }
}

/* half = 2: butterflies (4g + j, 4g + j + 2), j = 0, 1, two groups at a time. */
static void tg_stage_2(float *z, int32_t n, const float *twiddles)
{
    static const uint32_t a_offsets[TG_LANES] = {0, 2, 8, 10};   /* floats: re of 4g + j, g = 0, 1 */
    const int32_t stride = n / 4;
    const uint32x4_t oa = vld1q_u32(a_offsets);
    const uint32x4_t ob = vaddq_n_u32(oa, 4);
    const float w0r = twiddles[0], w0i = twiddles[1], w1r = twiddles[2 * stride], w1i = twiddles[2 * stride + 1];
    const float wr_lanes[TG_LANES] = {w0r, w1r, w0r, w1r};
    const float wi_lanes[TG_LANES] = {w0i, w1i, w0i, w1i};
    float32x4_t wr = vld1q_f32(wr_lanes);
    float32x4_t wi = vld1q_f32(wi_lanes);
    for (int32_t g = 0; g < n; g += 8) {
        float *p = &z[2 * g];
        float32x4_t ar = vldrwq_gather_shifted_offset_f32(p, oa);
        float32x4_t ai = vldrwq_gather_shifted_offset_f32(p + 1, oa);
        float32x4_t br = vldrwq_gather_shifted_offset_f32(p, ob);
        float32x4_t bi = vldrwq_gather_shifted_offset_f32(p + 1, ob);
        tg_butterfly4(&ar, &ai, &br, &bi, wr, wi);
        if (tg_mve_flushed4(ar, ai, br, bi)) {
            for (int32_t j = 0; j < 2; j++) {
                tg_butterfly_at(z, g, j, 2, stride, twiddles);
                tg_butterfly_at(z, g + 4, j, 2, stride, twiddles);
            }
            tg_mve_clear_flush();
        } else {
            vstrwq_scatter_shifted_offset_f32(p, oa, ar);
            vstrwq_scatter_shifted_offset_f32(p + 1, oa, ai);
            vstrwq_scatter_shifted_offset_f32(p, ob, br);
            vstrwq_scatter_shifted_offset_f32(p + 1, ob, bi);
        }
    }
}

/* half >= 4: butterflies j..j+3 of every group share a vector of twiddles. */
static void tg_stage_wide(float *z, int32_t n, int32_t half, const float *twiddles)
{
    const int32_t stride = n / (2 * half);
    const uint32x4_t lane = vidupq_n_u32(0, 1);
    for (int32_t j = 0; j < half; j += TG_LANES) {
        float32x4_t wr, wi;
        if (stride == 1) {
            float32x4x2_t w = vld2q_f32(&twiddles[2 * j]);
            wr = w.val[0];
            wi = w.val[1];
        } else {
            uint32x4_t o = vmulq_n_u32(vaddq_n_u32(lane, (uint32_t)j), (uint32_t)(2 * stride));
            wr = vldrwq_gather_shifted_offset_f32(twiddles, o);
            wi = vldrwq_gather_shifted_offset_f32(twiddles + 1, o);
        }
        for (int32_t g = 0; g < n; g += 2 * half) {
            float *pa = &z[2 * (g + j)];
            float *pb = &z[2 * (g + j + half)];
            float32x4x2_t a = vld2q_f32(pa);
            float32x4x2_t b = vld2q_f32(pb);
            tg_butterfly4(&a.val[0], &a.val[1], &b.val[0], &b.val[1], wr, wi);
            if (tg_mve_flushed4(a.val[0], a.val[1], b.val[0], b.val[1])) {
                for (int32_t i = 0; i < TG_LANES; i++) {
                    tg_butterfly_at(z, g, j + i, half, stride, twiddles);
                }
                tg_mve_clear_flush();
            } else {
                vst2q_f32(pa, a);
                vst2q_f32(pb, b);
            }
        }
    }
}

void tg_cfft_f32(float *z, int32_t n, const float *twiddles)
{
    if (n < 2 * TG_LANES) {          /* too short for a vector: the scalar stages */
        for (int32_t half = 1; half < n; half *= 2) {
            for (int32_t g = 0; g < n; g += 2 * half) {
                for (int32_t j = 0; j < half; j++) {
                    tg_butterfly_at(z, g, j, half, n / (2 * half), twiddles);
                }
            }
        }
        return;
    }
    tg_mve_clear_flush();
    tg_stage_1(z, n, twiddles);
    tg_stage_2(z, n, twiddles);
    for (int32_t half = 4; half < n; half *= 2) {
        tg_stage_wide(z, n, half, twiddles);
    }
}
