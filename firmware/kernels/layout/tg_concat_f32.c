/*
 * tg_concat_f32: concatenation, float32 (TFLite CONCATENATION on float, which copies the
 * values): tg_concat_s8's byte copy, the parameters' copy_sizes in bytes
 * (tinygen.kernels.params_float).
 * numpy twin: tinygen.ref.float32_layout.concat_f32.
 */
#include "tg_kernels.h"

void tg_concat_f32(const tg_concat_params_t *p, const float *const *inputs, float *output)
{
    tg_concat_s8(p, (const int8_t *const *)(const void *)inputs, (int8_t *)(void *)output);
}
