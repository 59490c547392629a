/*
 * tg_logistic_f32: the logistic function, float32 (TFLite reference_ops::Logistic on float):
 * 1 above 16.619047164916992188, expf(x) below -9, else 1 / (1 + expf(-x)). May run in place.
 * numpy twin: tinygen.ref.float32_nonlinear.logistic_f32.
 */
#include "tg_kernels.h"
#include "tg_logistic_f32.h"

void tg_logistic_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = tg_logistic_value_f32(input[i]);
    }
}
