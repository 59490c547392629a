/*
 * tg_pad_f32: constant padding, float32 (TFLite PAD / PADV2 on float, reference_ops::Pad):
 * the output is filled with pad_value, then each input row (the last dimension, contiguous)
 * is copied to its place. tg_pad_s8's geometry, in elements. Not in place.
 * numpy twin: tinygen.ref.float32_layout.pad_f32.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_pad_f32(const tg_pad_f32_params_t *p, const float *input, float *output)
{
    const int32_t *in = p->in_shape;
    const int32_t *out = p->out_shape;
    const int32_t *before = p->pad_before;
    const int32_t out_size = out[0] * out[1] * out[2] * out[3];
    int32_t i, i0, i1, i2;

    for (i = 0; i < out_size; ++i) {
        output[i] = p->pad_value;
    }
    for (i0 = 0; i0 < in[0]; ++i0) {
        for (i1 = 0; i1 < in[1]; ++i1) {
            for (i2 = 0; i2 < in[2]; ++i2) {
                const int32_t row = ((i0 + before[0]) * out[1] + i1 + before[1]) * out[2] + i2 + before[2];
                memcpy(&output[row * out[3] + before[3]], input, (size_t)in[3] * sizeof(float));
                input += in[3];
            }
        }
    }
}
