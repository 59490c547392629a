/*
 * The float front end's scalar formulas, one place for each: the portable
 * stages (tg_*_f32.c) are made of them, and the Helium stages
 * (tg_*_f32_mve.c) fall back to them where a vector flushed a subnormal
 * (tg_audio_mve.h), so the two paths cannot drift apart.
 *
 * Each is written in the order of float32 operations the Helium lanes copy
 * (no fused multiply-add: the build is -std=c99, -ffp-contract=off).
 */
#ifndef TG_AUDIO_F32_SCALAR_H
#define TG_AUDIO_F32_SCALAR_H

#include "tg_audio.h"

/* Window the frame's samples scaled by `gain` and place pair j = (x[2j],
 * x[2j+1]) at point bitrev[j] of z; pairs past the frame are the zero padding. */
static inline void tg_window_place_f32(const int16_t *frame, float gain, const tg_mfcc_tables_f32 *tables, float *z)
{
    for (int32_t j = 0; j < TG_MFCC_FFT_HALF; j++) {
        int32_t i = 2 * j;
        float re = 0.0f;
        float im = 0.0f;
        if (i < TG_MFCC_FRAME_LENGTH) {
            re = (float)frame[i] * gain * tables->window[i];
            im = (float)frame[i + 1] * gain * tables->window[i + 1];
        }
        int32_t r = tables->bitrev[j];
        z[2 * r] = re;
        z[2 * r + 1] = im;
    }
}

/* One radix-2 butterfly with twiddle (wr, wi) on the points a = (ar, ai), b = (br, bi), in place:
 * a' = a + w b, b' = a - w b. */
static inline void tg_butterfly_pts_f32(float *ar, float *ai, float *br, float *bi, float wr, float wi)
{
    float tr = *br * wr - *bi * wi;
    float ti = *br * wi + *bi * wr;
    float a_r = *ar;
    float a_i = *ai;
    *ar = a_r + tr;
    *ai = a_i + ti;
    *br = a_r - tr;
    *bi = a_i - ti;
}

/* The same on the points at pa and pb (re, im). */
static inline void tg_butterfly_f32(float *pa, float *pb, float wr, float wi)
{
    tg_butterfly_pts_f32(&pa[0], &pa[1], &pb[0], &pb[1], wr, wi);
}

/* |X[k]| of the real 2n-point FFT from the n-point complex FFT z of its
 * sample pairs (tg_rfft_mag_f32.c says how). */
static inline float tg_bin_mag_f32(const float *z, int32_t n, const float *split, int32_t k)
{
    int32_t mirror = (n - k) & (n - 1);
    float ar = z[2 * k];
    float ai = z[2 * k + 1];
    float br = z[2 * mirror];
    float bi = -z[2 * mirror + 1];
    float er = 0.5f * (ar + br);
    float ei = 0.5f * (ai + bi);
    float or_ = 0.5f * (ai - bi);   /* (A - B) / 2i */
    float oi = 0.5f * (br - ar);
    float wr = split[2 * k];
    float wi = split[2 * k + 1];
    float xr = er + (wr * or_ - wi * oi);
    float xi = ei + (wr * oi + wi * or_);
    return tg_sqrt_f32(xr * xr + xi * xi);
}

/* The first n_out coefficients of the scaled DCT-II of x[n_in] (dct[n_in][n_out]). */
static inline void tg_dct_f32_scalar(const float *x, int32_t n_in, const float *dct, int32_t n_out, float *out)
{
    for (int32_t k = 0; k < n_out; k++) {
        float sum = 0.0f;
        for (int32_t m = 0; m < n_in; m++) {
            sum += x[m] * dct[m * n_out + k];
        }
        out[k] = sum;
    }
}

#endif /* TG_AUDIO_F32_SCALAR_H */
