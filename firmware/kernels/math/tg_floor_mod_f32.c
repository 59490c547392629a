/*
 * tg_floor_mod_f32: a modulo b with the divisor's sign, broadcast on float32 (TFLite's FloorMod
 * on float: fmodf, exact, plus b where it is nonzero and its sign differs from b's). No clamp.
 * numpy twin: tinygen.ref.mathops_f32.floor_mod_f32.
 */
#include <math.h>

#include "tg_broadcast_pair_f32.h"

static float floor_mod_element(float a, float b)
{
    const float rest = fmodf(a, b);
    return rest != 0.0f && ((b < 0.0f) != (rest < 0.0f)) ? rest + b : rest;
}

void tg_floor_mod_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, floor_mod_element, 0);
}
