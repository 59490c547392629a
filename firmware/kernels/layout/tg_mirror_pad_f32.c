/*
 * tg_mirror_pad_f32: padding with the input's own values, float32 (TFLite MIRROR_PAD
 * REFLECT / SYMMETRIC on float; tg_mirror_pad_s8's parameters, in elements): tg_pad_source.h's
 * walk over floats.
 * numpy twin: tinygen.ref.float32_layout.mirror_pad_f32.
 */
#include "tg_kernels.h"
#include "tg_pad_source.h"

void tg_mirror_pad_f32(const tg_mirror_pad_params_t *p, const float *input, float *output)
{
    tg_mirror_pad_elements(p, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output, sizeof(float));
}
