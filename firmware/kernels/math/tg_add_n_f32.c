/*
 * tg_add_n_f32: the elementwise sum of `count` float32 tensors, 0.0f plus each input in order
 * (TFLite's reference AddN on float). May not run in place.
 * numpy twin: tinygen.ref.mathops_f32.add_n_f32.
 */
#include "tg_kernels_math.h"

void tg_add_n_f32(const tg_add_n_f32_params_t *p, const float *const *inputs, float *output)
{
    int32_t i, k;

    for (i = 0; i < p->size; ++i) {
        float total = 0.0f;
        for (k = 0; k < p->count; ++k) {
            total += inputs[k][i];
        }
        output[i] = total;
    }
}
