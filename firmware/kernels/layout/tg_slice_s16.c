/*
 * tg_slice_s16: portable slice along an axis, int16 (torch chunk / split on 16x8 layers): the
 * int8 kernel's byte copy, the parameters in bytes (tinygen.kernels.params_layout).
 * numpy twin: tinygen.ref.int16.slice_s16.
 */
#include "tg_kernels.h"

void tg_slice_s16(const tg_slice_params_t *p, const int16_t *input, int16_t *output)
{
    tg_slice_s8(p, (const int8_t *)input, (int8_t *)output);
}
