/*
 * tg_minimum_f32: a < b ? a : b with broadcasting on float32, no clamp (TFLite MINIMUM on float:
 * MaximumMinimumBroadcastSlow's MinimumOp, so a tie or a NaN gives b).
 * numpy twin: tinygen.ref.float32_more.minimum_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float minimum_element(float a, float b)
{
    return a < b ? a : b;
}

void tg_minimum_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, minimum_element, 0);
}
