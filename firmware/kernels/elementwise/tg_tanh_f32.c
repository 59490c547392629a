/*
 * tg_tanh_f32: tanh, float32 (TFLite reference_ops::Tanh on float: the C library's tanhf, as
 * TFLite Micro calls it). May run in place.
 * numpy twin: tinygen.ref.float32_nonlinear.tanh_f32.
 */
#include <math.h>

#include "tg_kernels.h"

void tg_tanh_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = tanhf(input[i]);
    }
}
