/*
 * tg_squared_difference_f32: (a - b) * (a - b) with broadcasting on float32, no clamp (TFLite
 * SQUARED_DIFFERENCE on float: BroadcastBinaryFunction4DSlow of SquaredDifference).
 * numpy twin: tinygen.ref.float32_more.squared_difference_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float squared_difference_element(float a, float b)
{
    const float difference = a - b;
    return difference * difference;
}

void tg_squared_difference_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2,
                               float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, squared_difference_element, 0);
}
