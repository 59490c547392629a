/*
 * tg_transpose_s16: portable rank-4 transpose, int16 (TFLite TRANSPOSE on 16x8 models: the
 * elements move, their bytes stay): tg_transpose_s8's loop (tg_transpose_elements.h) on
 * two-byte elements, tg_transpose_s8's parameters.
 * numpy twin: tinygen.ref.int16.transpose_s16.
 */
#include "tg_kernels.h"
#include "tg_transpose_elements.h"

void tg_transpose_s16(const tg_transpose_params_t *p, const int16_t *input, int16_t *output)
{
    tg_transpose_elements(p, (const uint8_t *)input, (uint8_t *)output, sizeof(int16_t));
}
