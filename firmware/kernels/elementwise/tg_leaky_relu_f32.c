/*
 * tg_leaky_relu_f32: x > 0 ? x : x * alpha (TFLite reference_ops::LeakyRelu on float). May run
 * in place.
 * numpy twin: tinygen.ref.float32_more.leaky_relu_f32.
 */
#include "tg_kernels.h"

void tg_leaky_relu_f32(const tg_leaky_relu_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const float x = input[i];
        output[i] = x > 0.0f ? x : x * p->alpha;
    }
}
