/*
 * tg_ceil_f32: ceilf(x) (TFLite Micro's CEIL on float). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.ceil_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float ceil_element(float x)
{
    return ceilf(x);
}

void tg_ceil_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, ceil_element);
}
