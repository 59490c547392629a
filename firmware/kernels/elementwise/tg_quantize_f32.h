/*
 * A float model's integer ports, one value at a time: TFLite's Dequantize ((float)(v - zero
 * point) * scale: TFLite computes it in double, where the product is exact, and rounds once to
 * float, as this float product does) and AffineQuantize (x / scale in float, rounded half away
 * from zero as TfLiteRound, plus the zero point, clamped). Shared by tg_dequantize_s8_f32,
 * tg_dequantize_s16_f32, tg_quantize_f32_s8 and tg_quantize_f32_s16.
 */
#ifndef TG_QUANTIZE_F32_H
#define TG_QUANTIZE_F32_H

#include <stdint.h>

#include "tg_kernels.h"

static inline float tg_dequantize_value_f32(int32_t v, const tg_quantize_f32_params_t *p)
{
    return (float)(v - p->zero_point) * p->scale;
}

/* round(x / scale) + zero point, clamped to [lo, hi]. The rounding is std::round's (half away
   from zero) without libm: the integer part converts exactly and x - trunc(x) is exact. A
   quotient beyond int32 saturates (TFLite's conversion is undefined there; an x86 host gives
   INT32_MIN, as it does for NaN, which this gives too). */
static inline int32_t tg_quantize_value_f32(float x, const tg_quantize_f32_params_t *p, int32_t lo, int32_t hi)
{
    const float q = x / p->scale;
    int64_t rounded;

    if (q != q) {
        rounded = INT32_MIN;
    } else if (q >= 2147483648.0f) {
        rounded = INT32_MAX;
    } else if (q <= -2147483648.0f) {
        rounded = INT32_MIN;
    } else {
        const int32_t whole = (int32_t)q;
        const float part = q - (float)whole;
        rounded = whole + (part >= 0.5f ? 1 : part <= -0.5f ? -1 : 0);
    }
    rounded += p->zero_point;
    return (int32_t)(rounded < lo ? lo : rounded > hi ? hi : rounded);
}

#endif /* TG_QUANTIZE_F32_H */
