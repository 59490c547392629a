/*
 * tg_abs_f32: |x| (TFLite Micro's ABS on float: std::abs, fabsf). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.abs_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float abs_element(float x)
{
    return fabsf(x);
}

void tg_abs_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, abs_element);
}
