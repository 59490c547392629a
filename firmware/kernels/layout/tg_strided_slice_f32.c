/*
 * tg_strided_slice_f32: strided slice of a float32 tensor (TFLite STRIDED_SLICE / SLICE;
 * tg_strided_slice_s8's parameters, in elements): output (i0, i1, i2, i3) copies
 * input[offset + sum_k i_k * step[k]]. Not in place.
 * numpy twin: tinygen.ref.float32_layout.strided_slice_f32.
 */
#include "tg_kernels.h"
#include "tg_slice_elements.h"

void tg_strided_slice_f32(const tg_strided_slice_params_t *p, const float *input, float *output)
{
    tg_strided_slice_elements(p, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output, sizeof(float));
}
