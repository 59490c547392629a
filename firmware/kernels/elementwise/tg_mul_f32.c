/*
 * tg_mul_f32: a * b with broadcasting on float32, then the clamp: TFLite's Mul on float
 * (BroadcastMul4DSlow where the shapes differ), bit for bit TFLite Micro's (tg_kernels_f32.h).
 * numpy twin: tinygen.ref.float32.mul_f32.
 */
#include "tg_broadcast_pair_f32.h"
#include "tg_kernels.h"

static float mul_element(float a, float b)
{
    return a * b;
}

void tg_mul_f32(const tg_binary_f32_params_t *p, const float *input1, const float *input2, float *output)
{
    tg_broadcast_pair_f32(p, input1, input2, output, mul_element, 1);
}
