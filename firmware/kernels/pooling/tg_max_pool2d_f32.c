/*
 * tg_max_pool2d_f32: max pooling on float32, TFLite's reference_ops::MaxPool: from the lowest
 * float, max = std::max(max, x) over the window's positions inside the input; then clamped.
 * Bit for bit TFLite Micro's (tg_kernels_f32.h). numpy twin: tinygen.ref.float32.max_pool2d_f32.
 */
#include <float.h>

#include "tg_pool2d_f32.h"

static float larger(float best, float x)
{
    return best < x ? x : best;
}

static float itself(float best, int32_t count)
{
    (void)count;
    return best;
}

void tg_max_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output)
{
    tg_pool2d_walk_f32(p, input, output, -FLT_MAX, larger, itself);
}
