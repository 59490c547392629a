/*
 * tg_log_f32: logf(x) (TFLite Micro's LOG on float: the C library's logf). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.log_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float log_element(float x)
{
    return logf(x);
}

void tg_log_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, log_element);
}
