/*
 * tg_neg_f32: -x (TFLite Micro's NEG on float). May run in place.
 * numpy twin: tinygen.ref.mathops_f32.neg_f32.
 */
#include "tg_map_f32.h"

static float neg_element(float x)
{
    return -x;
}

void tg_neg_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    tg_map_f32(p, input, output, neg_element);
}
