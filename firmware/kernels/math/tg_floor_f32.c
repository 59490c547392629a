/*
 * tg_floor_f32: floorf(x) (TFLite Micro's FLOOR on float). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.floor_f32.
 */
#include <math.h>

#include "tg_map_f32.h"

static float floor_element(float x)
{
    return floorf(x);
}

void tg_floor_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, floor_element);
}
