/*
 * tg_maximum_f32: a > b ? a : b with broadcasting on float32, no clamp (TFLite MAXIMUM on float:
 * MaximumMinimumBroadcastSlow's MaximumOp, so a tie or a NaN gives b).
 * numpy twin: tinygen.ref.float32_more.maximum_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float maximum_element(float a, float b)
{
    return a > b ? a : b;
}

void tg_maximum_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, maximum_element, 0);
}
