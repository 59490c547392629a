/*
 * tg_lut_s8: an int8 -> int8 elementwise function by table lookup. `table` holds
 * the function's output for every int8 input, the entry for q at index (uint8_t)q
 * (TFLite's LUT order), built at compile time (tinygen.kernels.lut): the logistic's
 * and tanh's from their fixed-point kernels' twins, GELU's as TFLite's Prepare
 * builds it, the hard sigmoid's exactly. One load per element. May run in place.
 * numpy twin: tinygen.ref.lookup.lut_s8.
 */
#include "tg_kernels.h"

void tg_lut_s8(const tg_lut_params_t *p, const int8_t *input, const int8_t *table, int8_t *output)
{
    const uint8_t *in = (const uint8_t *)input;
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = table[in[i]];
    }
}
