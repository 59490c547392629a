/*
 * tg_strided_slice_s16: portable strided slice, int16 (TFLite STRIDED_SLICE on 16x8
 * models): output element (i0, i1, i2, i3) copies input element offset + i0 step[0] + i1
 * step[1] + i2 step[2] + i3 step[3], tg_strided_slice_s8's parameters in elements; a last
 * dimension of step 1 is copied as one run (tg_slice_elements.h).
 * numpy twin: tinygen.ref.int16.strided_slice_s16.
 */
#include "tg_kernels.h"
#include "tg_slice_elements.h"

void tg_strided_slice_s16(const tg_strided_slice_params_t *p, const int16_t *input, int16_t *output)
{
    tg_strided_slice_elements(p, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output, sizeof(int16_t));
}
