/*
 * tg_pad_s16: portable constant padding, int16 (TFLite PAD / PADV2 on 16x8 models,
 * reference_ops::Pad): the output is filled with pad_value, then each input row (the last
 * dimension, contiguous) is copied to its place. tg_pad_s8's parameters, in elements.
 * numpy twin: tinygen.ref.int16.pad_s16.
 */
#include "tg_kernels.h"
#include "tg_slice_elements.h"

void tg_pad_s16(const tg_pad_params_t *p, const int16_t *input, int16_t *output)
{
    const int32_t *out = p->out_shape;
    const size_t out_size = (size_t)out[0] * (size_t)out[1] * (size_t)out[2] * (size_t)out[3];
    size_t i;

    for (i = 0; i < out_size; ++i) {
        output[i] = (int16_t)p->pad_value;
    }
    tg_pad_rows(p->in_shape, out, p->pad_before, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output,
                sizeof(int16_t));
}
