/*
 * ln(x) in single precision without libm (the log of frontend.log_mel).
 *
 * x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln(m) = 2 atanh(s), s = (m - 1) / (m + 1),
 * |s| <= 0.1716, as the odd series 2 (s + s^3/3 + ... + s^9/9) (the next term is
 * below 1e-9); e ln 2 is added in two parts so that it stays exact.
 */
#include "tg_audio.h"

#define TG_LN2_HI 0.693145751953125f        /* ln 2 to 16 bits: e * TG_LN2_HI is exact */
#define TG_LN2_LO 1.42860677e-06f           /* ln 2 - TG_LN2_HI */
#define TG_SQRT2 1.41421356f
#define TG_FLOAT_EXP_BIAS 127
#define TG_FLOAT_MANTISSA_BITS 23
#define TG_FLOAT_MANTISSA_MASK 0x007FFFFFu
#define TG_FLOAT_ONE_BITS 0x3F800000u       /* 1.0f: exponent 0 */

float tg_log_f32(float x)
{
    union {
        float f;
        uint32_t u;
    } v;
    v.f = x;
    int32_t e = (int32_t)((v.u >> TG_FLOAT_MANTISSA_BITS) & 0xFFu) - TG_FLOAT_EXP_BIAS;
    v.u = (v.u & TG_FLOAT_MANTISSA_MASK) | TG_FLOAT_ONE_BITS;
    float m = v.f;
    if (m > TG_SQRT2) {
        m *= 0.5f;
        e += 1;
    }
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float series = s * (2.0f + s2 * (0.666666667f + s2 * (0.4f + s2 * (0.285714286f + s2 * 0.222222222f))));
    float fe = (float)e;
    return fe * TG_LN2_HI + (series + fe * TG_LN2_LO);
}
