/*
 * tg_pad_f32: constant padding, float32 (TFLite PAD / PADV2 on float, reference_ops::Pad):
 * the output is filled with pad_value, then each input row (the last dimension, contiguous)
 * is copied to its place. tg_pad_s8's geometry, in elements. Not in place.
 * numpy twin: tinygen.ref.float32_layout.pad_f32.
 */
#include "tg_kernels.h"
#include "tg_slice_elements.h"

void tg_pad_f32(const tg_pad_f32_params_t *p, const float *input, float *output)
{
    const int32_t *out = p->out_shape;
    const size_t out_size = (size_t)out[0] * (size_t)out[1] * (size_t)out[2] * (size_t)out[3];
    size_t i;

    for (i = 0; i < out_size; ++i) {
        output[i] = p->pad_value;
    }
    tg_pad_rows(p->in_shape, out, p->pad_before, (const uint8_t *)(const void *)input, (uint8_t *)(void *)output,
                sizeof(float));
}
