/*
 * tg_floor_div_f32: floor(a / b) with broadcasting on float32 (TFLite's FloorDiv on float: the
 * quotient of the operands converted to double, floored, rounded to float; a float quotient
 * could round up onto the next integer). No clamp. A zero divisor gives an infinity or NaN where
 * TFLite Micro stops with "Division by 0" (tinygen refuses a constant divisor holding a zero).
 * numpy twin: tinygen.ref.mathops_f32.floor_div_f32.
 */
#include <math.h>

#include "tg_broadcast_pair_f32.h"

static float floor_div_element(float a, float b)
{
    return (float)floor((double)a / (double)b);
}

void tg_floor_div_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, floor_div_element, 0);
}
