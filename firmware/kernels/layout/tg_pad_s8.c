/*
 * tg_pad_s8: portable reference constant padding, int8 (TFLite PAD / PADV2,
 * reference_ops::Pad): the output is filled with pad_value, then each input
 * row (the last dimension, contiguous) is copied to its place.
 * numpy twin: tinygen.ref.kernels.pad_s8.
 */
#include <string.h>

#include "tg_kernels.h"
#include "tg_slice_elements.h"

void tg_pad_s8(const tg_pad_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t *out = p->out_shape;
    const size_t out_size = (size_t)out[0] * (size_t)out[1] * (size_t)out[2] * (size_t)out[3];

    memset(output, (int)(int8_t)p->pad_value, out_size);
    tg_pad_rows(p->in_shape, out, p->pad_before, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output,
                sizeof(int8_t));
}
