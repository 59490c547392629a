/*
 * tg_transpose_f32: permutes the dimensions of a rank-4 float32 tensor (TFLite TRANSPOSE;
 * tg_transpose_s8's parameters). Not in place.
 * numpy twin: tinygen.ref.float32_layout.transpose_f32.
 */
#include "tg_kernels.h"

void tg_transpose_f32(const tg_transpose_params_t *p, const float *input, float *output)
{
    int32_t in_stride[4];
    int32_t out_shape[4];
    int32_t step[4]; /* input stride of each output dimension */
    int32_t d, i0, i1, i2, i3;

    in_stride[3] = 1;
    for (d = 2; d >= 0; --d) {
        in_stride[d] = in_stride[d + 1] * p->in_shape[d + 1];
    }
    for (d = 0; d < 4; ++d) {
        out_shape[d] = p->in_shape[p->perm[d]];
        step[d] = in_stride[p->perm[d]];
    }
    for (i0 = 0; i0 < out_shape[0]; ++i0) {
        for (i1 = 0; i1 < out_shape[1]; ++i1) {
            for (i2 = 0; i2 < out_shape[2]; ++i2) {
                const float *src = &input[i0 * step[0] + i1 * step[1] + i2 * step[2]];
                for (i3 = 0; i3 < out_shape[3]; ++i3) {
                    *output++ = src[i3 * step[3]];
                }
            }
        }
    }
}
