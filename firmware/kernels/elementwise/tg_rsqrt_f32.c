/*
 * tg_rsqrt_f32: 1 / sqrtf(x) (TFLite Micro's RSQRT on float). sqrtf is correctly rounded in
 * every IEEE C library, so this one agrees across libms. May run in place.
 * numpy twin: tinygen.ref.float32_more.rsqrt_f32.
 */
#include <math.h>

#include "tg_kernels.h"

void tg_rsqrt_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = 1.0f / sqrtf(input[i]);
    }
}
