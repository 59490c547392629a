/* One frame's coefficients onto the model input's int8 grid (frontend.quantize). */
#include "tg_audio.h"

#define TG_INT8_MIN (-128)
#define TG_INT8_MAX 127
#define TG_QUANTIZE_LIMIT 1e6f   /* far outside int8 either way: clamped without converting */

void tg_mfcc_quantize_f32(const float *mfcc, int32_t n, float c0_offset, const float *scale, int32_t zero_point,
                          int8_t *q)
{
    for (int32_t k = 0; k < n; k++) {
        float t = (k == 0 ? mfcc[k] + c0_offset : mfcc[k]) / scale[k];
        float a = t < 0.0f ? -t : t;
        int32_t r;
        if (!(a < TG_QUANTIZE_LIMIT)) {
            r = (int32_t)TG_QUANTIZE_LIMIT;
        } else {
            r = (int32_t)a;                 /* truncates */
            if (a - (float)r >= 0.5f) {     /* exact: r is a truncated */
                r++;
            }
        }
        int32_t v = (t < 0.0f ? -r : r) + zero_point;
        q[k] = (int8_t)(v < TG_INT8_MIN ? TG_INT8_MIN : v > TG_INT8_MAX ? TG_INT8_MAX : v);
    }
}
