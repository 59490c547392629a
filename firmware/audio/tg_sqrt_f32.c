/*
 * sqrt(x) in single precision without libm (the magnitude of frontend.spectrum).
 *
 * A first guess from halving the exponent (within 6%), then three Heron steps
 * r = (r + x / r) / 2, each squaring the relative error: 6e-2, 2e-3, 2e-6, 1e-12,
 * so the result is the float nearest sqrt(x) or its neighbour.
 */
#include "tg_audio.h"

#define TG_SQRT_GUESS_BIAS 0x1FC00000u   /* (127 << 23) / 2: halves the biased exponent */

float tg_sqrt_f32(float x)
{
    if (!(x > 0.0f)) {
        return 0.0f;
    }
    union {
        float f;
        uint32_t u;
    } v;
    v.f = x;
    v.u = (v.u >> 1) + TG_SQRT_GUESS_BIAS;
    float r = v.f;
    r = 0.5f * (r + x / r);
    r = 0.5f * (r + x / r);
    r = 0.5f * (r + x / r);
    return r;
}
