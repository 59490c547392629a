/*
 * tg_sin_f32: sinf(x) (TFLite Micro's SIN on float: the C library's sinf). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.sin_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float sin_element(float x)
{
    return sinf(x);
}

void tg_sin_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, sin_element);
}
