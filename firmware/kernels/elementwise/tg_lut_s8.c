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
    const int32_t size = p->size;   /* read once: output may alias anything */
    int32_t i = 0;

    /* four lookups per step: the loop's own instructions once per four elements */
    for (; i + 4 <= size; i += 4) {
        const int8_t v0 = table[in[i]], v1 = table[in[i + 1]], v2 = table[in[i + 2]], v3 = table[in[i + 3]];
        output[i] = v0;
        output[i + 1] = v1;
        output[i + 2] = v2;
        output[i + 3] = v3;
    }
    for (; i < size; ++i) {
        output[i] = table[in[i]];
    }
}
