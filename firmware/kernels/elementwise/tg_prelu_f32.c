/*
 * tg_prelu_f32: x >= 0 ? x : x * alpha, alpha broadcast to the input (TFLite PRELU on float,
 * BroadcastPrelu4DSlowFloat), no clamp. tg_binary_f32_params_t's geometry: input1 the input,
 * input2 alpha.
 * numpy twin: tinygen.ref.float32_more.prelu_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float prelu_element(float x, float alpha)
{
    return x >= 0.0f ? x : x * alpha;
}

void tg_prelu_f32(const tg_binary_f32_params_t *p, const float *input, const float *alpha, float *output)
{
    tg_broadcast_pair_f32(p, input, alpha, output, prelu_element, 0);
}
