/*
 * tg_clamp_f32: the clamp alone on float32 (TFLite RELU: [0, FLT_MAX], RELU6: [0, 6]), as
 * TFLite's ActivationFunctionWithMinMax computes it. May run in place.
 * numpy twin: tinygen.ref.float32.clamp_f32.
 */
#include "tg_kernels.h"

void tg_clamp_f32(const tg_clamp_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = tg_clamp_value_f32(input[i], p->act_min, p->act_max);
    }
}
