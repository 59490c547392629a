/*
 * tg_sub_f32: a - b with broadcasting on float32, then the clamp: TFLite's Sub on float
 * (BroadcastSub4DSlow where the shapes differ), bit for bit TFLite Micro's (tg_kernels_f32.h).
 * numpy twin: tinygen.ref.float32.sub_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float sub_element(float a, float b)
{
    return a - b;
}

void tg_sub_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, sub_element, 1);
}
