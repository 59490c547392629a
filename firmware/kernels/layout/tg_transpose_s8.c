/*
 * tg_transpose_s8: portable reference rank-4 transpose, int8 (the loop of
 * tg_transpose_elements.h on one-byte elements).
 * output[d0][d1][d2][d3] = input[...] with input index perm[k] = d_k.
 * numpy twin: tinygen.ref.kernels.transpose_s8.
 */
#include "tg_kernels.h"
#include "tg_transpose_elements.h"

void tg_transpose_s8(const tg_transpose_params_t *p, const int8_t *input, int8_t *output)
{
    tg_transpose_elements(p, (const uint8_t *)input, (uint8_t *)output, sizeof(int8_t));
}
