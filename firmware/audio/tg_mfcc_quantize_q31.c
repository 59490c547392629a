/* tg_mfcc_quantize_f32 in integers: c / scale[k] as c * inv_scale[k] / 2^(20 + shift[k]), halves away from zero. */
#include "tg_audio.h"

#define TG_INT8_MIN (-128)
#define TG_INT8_MAX 127
#define TG_QUANTIZE_LIMIT 1000000   /* far outside int8 either way */

void tg_mfcc_quantize_q31(const int32_t *mfcc, int32_t n, int32_t c0_offset, const int32_t *inv_scale,
                          const int32_t *inv_scale_shift, int32_t zero_point, int8_t *q)
{
    for (int32_t k = 0; k < n; k++) {
        int32_t shift = TG_MFCC_Q_MFCC + inv_scale_shift[k];
        int64_t c = (int64_t)mfcc[k] + (k == 0 ? c0_offset : 0);
        int64_t t = c * inv_scale[k];
        uint64_t a = (uint64_t)(t < 0 ? -t : t);
        uint64_t r = (a + (1ULL << (shift - 1))) >> shift;
        int32_t v = (r > TG_QUANTIZE_LIMIT ? TG_QUANTIZE_LIMIT : (int32_t)r);
        v = (t < 0 ? -v : v) + zero_point;
        q[k] = (int8_t)(v < TG_INT8_MIN ? TG_INT8_MIN : v > TG_INT8_MAX ? TG_INT8_MAX : v);
    }
}
