/*
 * tg_clamp_s16: portable clamp, int16 (a standalone ReLU, ReLU6 or
 * Hardtanh once act_min/act_max are expressed in the tensor's quantization).
 * numpy twin: tinygen.ref.int16.clamp_s16.
 */
#include "tg_kernels.h"

void tg_clamp_s16(const tg_clamp_params_t *p, const int16_t *input, int16_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        int32_t v = input[i];
        v = v < p->act_min ? p->act_min : v;
        v = v > p->act_max ? p->act_max : v;
        output[i] = (int16_t)v;
    }
}
