/*
 * tg_transpose_f32: permutes the dimensions of a rank-4 float32 tensor (TFLite TRANSPOSE on
 * float; the loop of tg_transpose_elements.h on four-byte elements, tg_transpose_s8's
 * parameters). Not in place.
 * numpy twin: tinygen.ref.float32_layout.transpose_f32.
 */
#include "tg_kernels.h"
#include "tg_transpose_elements.h"

void tg_transpose_f32(const tg_transpose_params_t *p, const float *input, float *output)
{
    tg_transpose_elements(p, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output, sizeof(float));
}
