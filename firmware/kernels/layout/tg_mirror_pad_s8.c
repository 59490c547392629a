/*
 * tg_mirror_pad_s8: portable reference padding with the input's own values, int8
 * (TFLite MIRROR_PAD REFLECT / SYMMETRIC, torch reflect / replicate / circular
 * padding): tg_pad_source.h's walk over bytes.
 * numpy twin: tinygen.ref.slicing.mirror_pad_s8.
 */
#include "tg_kernels.h"
#include "tg_pad_source.h"

void tg_mirror_pad_s8(const tg_mirror_pad_params_t *p, const int8_t *input, int8_t *output)
{
    tg_mirror_pad_elements(p, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output, 1);
}
