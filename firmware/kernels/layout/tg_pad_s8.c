/*
 * tg_pad_s8: portable reference constant padding, int8 (TFLite PAD / PADV2,
 * reference_ops::Pad): the output is filled with pad_value, then each input
 * row (the last dimension, contiguous) is copied to its place.
 * numpy twin: tinygen.ref.kernels.pad_s8.
 */
#include <string.h>

#include "tg_kernels.h"

void tg_pad_s8(const tg_pad_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t *in = p->in_shape;
    const int32_t *out = p->out_shape;
    const int32_t *before = p->pad_before;
    const size_t out_size = (size_t)out[0] * (size_t)out[1] * (size_t)out[2] * (size_t)out[3];
    int32_t i0, i1, i2;

    memset(output, (int)(int8_t)p->pad_value, out_size);
    for (i0 = 0; i0 < in[0]; ++i0) {
        for (i1 = 0; i1 < in[1]; ++i1) {
            for (i2 = 0; i2 < in[2]; ++i2) {
                const int32_t row = ((i0 + before[0]) * out[1] + i1 + before[1]) * out[2] + i2 + before[2];
                memcpy(&output[row * out[3] + before[3]], input, (size_t)in[3]);
                input += in[3];
            }
        }
    }
}
