/*
 * tg_l2_pool2d_f32: L2_POOL_2D on float32 (TFLite's reference L2Pool; TFLite Micro has no
 * quantized one): over the window's positions inside the input, 0.0f plus each x * x in order,
 * divided by their count (made float), sqrtf (correctly rounded in every C library), then
 * clamped. numpy twin: tinygen.ref.mathops_f32.l2_pool2d_f32.
 */
#include <math.h>

#include "tg_kernels_math.h"
#include "tg_pool2d_f32.h"

static float plus_square(float total, float x)
{
    return total + x * x;
}

static float root_mean(float total, int32_t count)
{
    return sqrtf(total / (float)count);
}

void tg_l2_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output)
{
    tg_pool2d_walk_f32(p, input, output, 0.0f, plus_square, root_mean);
}
