/*
 * tg_sqrt_f32: sqrtf(x) (TFLite Micro's SQRT on float; correctly rounded in every C library). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.sqrt_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float sqrt_element(float x)
{
    return sqrtf(x);
}

void tg_sqrt_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, sqrt_element);
}
