/*
 * tg_elu_f32: x < 0 ? expm1f(x) : x (TFLite's reference Elu on float: the C library's expm1f). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.elu_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float elu_element(float x)
{
    return x < 0.0f ? expm1f(x) : x;
}

void tg_elu_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, elu_element);
}
