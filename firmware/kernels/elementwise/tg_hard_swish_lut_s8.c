/*
 * tg_hard_swish_lut_s8: hard swish by table lookup, int8. `table` holds
 * tg_hard_swish_s8's output for each of the 256 int8 inputs (table[q + 128] for
 * input q), built at compile time from the same parameters by the numpy twin
 * (tinygen.kernels.lut.hard_swish_table), so the output equals the portable
 * kernel's byte for byte at one load per element instead of its ~100
 * instructions of 16-bit fixed point. May run in place.
 * numpy twin: tinygen.ref.kernels.hard_swish_s8 (the function the table holds).
 */
#include "tg_kernels.h"

void tg_hard_swish_lut_s8(const tg_hard_swish_params_t *p, const int8_t *input, const int8_t *table, int8_t *output)
{
    int32_t i;

    for (i = 0; i < p->size; ++i) {
        output[i] = table[(int32_t)input[i] + 128];
    }
}
