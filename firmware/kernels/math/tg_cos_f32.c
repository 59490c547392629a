/*
 * tg_cos_f32: cosf(x) (TFLite Micro's COS on float: the C library's cosf). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.cos_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float cos_element(float x)
{
    return cosf(x);
}

void tg_cos_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, cos_element);
}
