/*
 * tg_exp_f32: expf(x) (TFLite Micro's EXP on float: the C library's expf, whose last bit differs between libms). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.exp_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float exp_element(float x)
{
    return expf(x);
}

void tg_exp_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, exp_element);
}
