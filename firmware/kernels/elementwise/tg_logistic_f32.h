/*
 * tg_logistic_value_f32: TFLite's reference Logistic on one float (logistic.h): 1 above
 * 16.619047164916992188, expf(x) below -9, else 1 / (1 + expf(-x)); expf is the C library's,
 * as TFLite Micro calls it. Shared by tg_logistic_f32 and tg_lstm_f32's gates.
 */
#ifndef TG_LOGISTIC_F32_H
#define TG_LOGISTIC_F32_H

#include <math.h>

static inline float tg_logistic_value_f32(float x)
{
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return expf(x);
    }
    return 1.0f / (1.0f + expf(-x));
}

#endif /* TG_LOGISTIC_F32_H */
