/*
 * tg_square_f32: x * x (TFLite Micro's SQUARE on float). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.square_f32.
 */
#include "tg_map_f32.h"

static float square_element(float x)
{
    return x * x;
}

void tg_square_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, square_element);
}
