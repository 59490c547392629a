/*
 * tg_concat_s16: portable concatenation, int16 (TFLite CONCATENATION on 16x8 models, which
 * copies the inputs' values whatever their scales: zero points are 0). The int8 kernel's byte
 * copy: the parameters' copy_sizes are in bytes (tinygen.kernels.params_layout).
 * numpy twin: tinygen.ref.int16.concat_s16.
 */
#include "tg_kernels.h"

void tg_concat_s16(const tg_concat_params_t *p, const int16_t *const *inputs, int16_t *output)
{
    tg_concat_s8(p, (const int8_t *const *)inputs, (int8_t *)output);
}
