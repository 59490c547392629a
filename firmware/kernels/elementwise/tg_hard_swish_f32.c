/*
 * tg_hard_swish_f32: x * min(6, max(0, x + 3)) / 6 (TFLite reference_ops::HardSwish on float:
 * std::max, std::min's comparisons, the product rounded before the division). May run in place.
 * numpy twin: tinygen.ref.float32_more.hard_swish_f32.
 */
#include "tg_kernels.h"

void tg_hard_swish_f32(const tg_size_f32_params_t *p, const float *input, float *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        const float x = input[i];
        const float shifted = x + 3.0f;
        float relu6 = 0.0f < shifted ? shifted : 0.0f;        /* std::max(0, x + 3) */
        relu6 = relu6 < 6.0f ? relu6 : 6.0f;                  /* std::min(6, ...) */
        output[i] = x * relu6 / 6.0f;
    }
}
