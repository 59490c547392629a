/*
 * tg_avg_pool2d_f32: average pooling on float32, TFLite's reference_ops::AveragePool: the
 * window's positions inside the input summed in order (total = 0.f), divided by their count
 * (made float), then clamped. Bit for bit TFLite Micro's (tg_kernels_f32.h).
 * numpy twin: tinygen.ref.float32.avg_pool2d_f32.
 */
#include "tg_pool2d_f32.h"

static float plus(float total, float x)
{
    return total + x;
}

static float mean(float total, int32_t count)
{
    return total / (float)count;
}

void tg_avg_pool2d_f32(const tg_pool2d_f32_params_t *p, const float *input, float *output)
{
    tg_pool2d_walk_f32(p, input, output, 0.0f, plus, mean);
}
